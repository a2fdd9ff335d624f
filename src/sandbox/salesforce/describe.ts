/** `GET /sobjects/{type}/describe`: the describe result shape, from the table definitions. */
import type { SfTable } from './schema.js';
import type { BookStore } from '../book-store.js';

const SOAP_TYPE: Record<string, string> = {
  id: 'tns:ID',
  reference: 'tns:ID',
  string: 'xsd:string',
  textarea: 'xsd:string',
  picklist: 'xsd:string',
  multipicklist: 'xsd:string',
  currency: 'xsd:double',
  double: 'xsd:double',
  percent: 'xsd:double',
  int: 'xsd:int',
  boolean: 'xsd:boolean',
  date: 'xsd:date',
  datetime: 'xsd:dateTime',
  base64: 'xsd:base64Binary',
};

/** Long text and base64 fields cannot be filtered, grouped or sorted. */
const filterableType = (type: string): boolean => type !== 'textarea' && type !== 'base64';
const CREATEABLE = new Set(['Task', 'Event', 'Opportunity', 'ContentNote', 'ContentDocumentLink']);

export function describeTable(table: SfTable, apiVersion: string, store: BookStore): Record<string, unknown> {
  const base = `/services/data/v${apiVersion}/sobjects/${table.name}`;
  const stagePicklist = (store.book.pipelines[0]?.stages ?? []).map((s) => ({
    active: true,
    defaultValue: false,
    label: s.label,
    validFor: null,
    value: s.label,
  }));
  return {
    activateable: false,
    childRelationships: [...table.children.values()].map((c) => ({
      cascadeDelete: true,
      childSObject: c.childSObject,
      deprecatedAndHidden: false,
      field: c.field,
      junctionIdListNames: [],
      junctionReferenceTo: [],
      relationshipName: c.relationshipName,
      restrictedDelete: false,
    })),
    createable: CREATEABLE.has(table.name),
    custom: false,
    customSetting: false,
    deletable: true,
    deprecatedAndHidden: false,
    feedEnabled: table.name === 'Opportunity',
    fields: table.fields.map((f) => ({
      aggregatable: filterableType(f.type),
      autoNumber: false,
      byteLength: f.type === 'id' || f.type === 'reference' ? 18 : f.type === 'string' || f.type === 'picklist' ? 765 : 0,
      calculated: false,
      createable: f.createable,
      custom: f.custom,
      defaultValue: null,
      filterable: filterableType(f.type),
      groupable: filterableType(f.type) && f.type !== 'currency' && f.type !== 'double' && f.type !== 'percent',
      idLookup: f.name === 'Id',
      label: f.label,
      length:
        f.type === 'id' || f.type === 'reference'
          ? 18
          : f.type === 'string' || f.type === 'picklist'
            ? 255
            : f.type === 'multipicklist'
              ? 4099
              : f.type === 'textarea'
                ? 32000
                : 0,
      name: f.name,
      nillable: f.nillable,
      picklistValues:
        f.name === 'StageName' && table.name === 'Opportunity'
          ? stagePicklist
          : (f.picklistValues ?? []).map((v) => ({ active: true, defaultValue: false, label: v.label, validFor: null, value: v.value })),
      precision: f.type === 'currency' ? 18 : 0,
      referenceTo: f.reference ? [f.reference.referenceTo] : [],
      relationshipName: f.reference ? f.reference.relationshipName : null,
      scale: f.type === 'currency' ? 2 : 0,
      soapType: SOAP_TYPE[f.type] ?? 'xsd:string',
      sortable: filterableType(f.type),
      type: f.type,
      unique: false,
      updateable: f.updateable,
    })),
    keyPrefix: table.keyPrefix,
    label: table.label,
    labelPlural: `${table.label}s`,
    layoutable: true,
    name: table.name,
    queryable: true,
    recordTypeInfos: [],
    replicateable: true,
    retrieveable: true,
    searchable: true,
    triggerable: true,
    undeletable: true,
    updateable: table.name !== 'OpportunityHistory' && table.name !== 'OpportunityFieldHistory' && table.name !== 'ContentDocumentLink',
    urls: { compactLayouts: `${base}/describe/compactLayouts`, rowTemplate: `${base}/{ID}`, describe: `${base}/describe`, sobject: base },
  };
}
