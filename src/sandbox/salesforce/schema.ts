/**
 * The sObjects the sandbox serves, as tables over the book: each field has Salesforce's name and
 * type and a getter over a row index. Relationship fields (Owner, Account, Opportunity, What) point
 * at rows of other tables. Used by SOQL, sObject reads, describe and Bulk API results.
 */
import type { Activity, Deal, StageHistoryRow } from '../generator/book.js';
import { salesforceId } from '../generator/ids.js';
import type { SalesforceContext } from './context.js';
import { textPreview } from './content.js';

/** `base64` fields (ContentNote.Content) cannot be filtered; query results carry a URL to the blob. */
export type SfFieldType =
  | 'id'
  | 'string'
  | 'textarea'
  | 'picklist'
  | 'multipicklist'
  | 'reference'
  | 'currency'
  | 'double'
  | 'percent'
  | 'int'
  | 'boolean'
  | 'date'
  | 'datetime'
  | 'base64';

export interface SfField {
  name: string;
  label: string;
  type: SfFieldType;
  /** Dates and datetimes are epoch ms (dates at UTC midnight). */
  get(row: number): string | number | boolean | null;
  reference?: { relationshipName: string; referenceTo: string; row(row: number): number | undefined };
  updateable: boolean;
  createable: boolean;
  nillable: boolean;
  custom: boolean;
  /** Values of a picklist or multi-select picklist field created with them (describe's picklistValues). */
  picklistValues?: { value: string; label: string }[];
}

export interface SfTable {
  name: string;
  label: string;
  keyPrefix: string;
  fields: SfField[];
  field(name: string): SfField | undefined;
  relationship(name: string): SfField | undefined;
  rowCount(): number;
  /** False for rows of a shared array that belong to another table (Task vs Event). */
  belongs(row: number): boolean;
  isDeleted(row: number): boolean;
  rowById(id: string): number | undefined;
  /** Parent-to-child relationships (Opportunity.OpportunityContactRoles...), by lower-case name. */
  children: Map<string, ChildRelationship>;
}

export interface ChildRelationship {
  relationshipName: string;
  childSObject: string;
  field: string;
  /** Child table rows of one parent row. */
  rowsOf(parentRow: number): readonly number[];
}

type FieldSpec = Omit<SfField, 'updateable' | 'createable' | 'nillable' | 'custom' | 'label'> &
  Partial<Pick<SfField, 'updateable' | 'createable' | 'nillable' | 'custom' | 'label'>>;

function table(
  name: string,
  label: string,
  keyPrefix: string,
  specs: FieldSpec[],
  rows: { count(): number; deleted(row: number): boolean; byId(id: string): number | undefined; belongs?(row: number): boolean },
): SfTable {
  const fields: SfField[] = specs.map((s) => ({
    label: s.label ?? s.name,
    updateable: s.updateable ?? false,
    createable: s.createable ?? s.updateable ?? false,
    nillable: s.nillable ?? true,
    custom: s.custom ?? s.name.endsWith('__c'),
    ...s,
  }));
  const byLower = new Map(fields.map((f) => [f.name.toLowerCase(), f]));
  const byRelationship = new Map(fields.filter((f) => f.reference).map((f) => [f.reference!.relationshipName.toLowerCase(), f]));
  return {
    name,
    label,
    keyPrefix,
    fields,
    field: (n) => byLower.get(n.toLowerCase()),
    relationship: (n) => byRelationship.get(n.toLowerCase()),
    rowCount: rows.count,
    belongs: rows.belongs ?? (() => true),
    children: new Map(),
    isDeleted: rows.deleted,
    rowById: rows.byId,
  };
}

const FORECAST_CATEGORY_API: Record<string, string> = {
  Pipeline: 'Pipeline',
  'Best Case': 'BestCase',
  Commit: 'Forecast',
  Closed: 'Closed',
  Omitted: 'Omitted',
};

/** Builds the tables over the current book (cheap; call per request). */
export function salesforceTables(ctx: SalesforceContext): Map<string, SfTable> {
  const store = ctx.store;
  const book = store.book;
  const deal = (row: number) => book.deals[row] as Deal;
  const act = (row: number) => book.activities[row] as Activity;
  const hist = (row: number) => book.stageHistory[row] as StageHistoryRow;
  const stageOf = (row: number) => store.stageOf(deal(row));
  const accountRow = (id: string) => {
    const i = book.accounts.findIndex((a) => a.id === id);
    return i < 0 ? undefined : i;
  };
  const pipeline = book.pipelines[0]!;
  const stageRows = pipeline.stages;

  const tables = new Map<string, SfTable>();
  const add = (t: SfTable) => tables.set(t.name.toLowerCase(), t);

  const dealCustom = (row: number, name: string) => {
    const v = deal(row).custom?.[name];
    return v === undefined ? null : v;
  };
  const opportunityFields: FieldSpec[] = [
    { name: 'Id', type: 'id', get: (r) => deal(r).id, nillable: false },
    { name: 'IsDeleted', type: 'boolean', get: (r) => deal(r).deleted, nillable: false },
    {
      name: 'AccountId',
      type: 'reference',
      get: (r) => book.accounts[deal(r).account]?.id ?? null,
      updateable: true,
      reference: { relationshipName: 'Account', referenceTo: 'Account', row: (r) => deal(r).account },
    },
    { name: 'Name', type: 'string', get: (r) => deal(r).name, updateable: true, nillable: false },
    { name: 'StageName', type: 'picklist', get: (r) => stageOf(r).label, updateable: true, nillable: false },
    { name: 'Amount', type: 'currency', get: (r) => deal(r).amount, updateable: true },
    { name: 'Probability', type: 'percent', get: (r) => Math.round(stageOf(r).probability * 100), updateable: true },
    {
      name: 'ExpectedRevenue',
      type: 'currency',
      get: (r) => (deal(r).amount === null ? null : Math.round((deal(r).amount as number) * stageOf(r).probability)),
    },
    { name: 'CloseDate', type: 'date', get: (r) => deal(r).closeDate, updateable: true, nillable: false },
    { name: 'Type', type: 'picklist', get: () => 'New Customer', updateable: true },
    { name: 'NextStep', type: 'string', get: (r) => deal(r).nextStep, updateable: true },
    { name: 'LeadSource', type: 'picklist', get: (r) => deal(r).leadSource, updateable: true },
    { name: 'IsClosed', type: 'boolean', get: (r) => stageOf(r).isClosed, nillable: false },
    { name: 'IsWon', type: 'boolean', get: (r) => stageOf(r).isWon, nillable: false },
    {
      name: 'ForecastCategory',
      type: 'picklist',
      get: (r) => FORECAST_CATEGORY_API[stageOf(r).forecastCategory] ?? 'Pipeline',
      nillable: false,
    },
    { name: 'ForecastCategoryName', type: 'picklist', get: (r) => stageOf(r).forecastCategory, updateable: true },
    { name: 'CurrencyIsoCode', type: 'picklist', get: () => 'USD' },
    { name: 'HasOpenActivity', type: 'boolean', get: (r) => store.nextActivityAt(r) !== null, nillable: false },
    {
      name: 'HasOverdueTask',
      type: 'boolean',
      get: (r) => store.activitiesOf(r).some((a) => a.kind === 'task' && !a.completed && !a.deleted && a.at < store.now()),
      nillable: false,
    },
    {
      name: 'OwnerId',
      type: 'reference',
      get: (r) => book.reps[deal(r).owner]?.id ?? null,
      updateable: true,
      nillable: false,
      reference: { relationshipName: 'Owner', referenceTo: 'User', row: (r) => deal(r).owner },
    },
    { name: 'CreatedDate', type: 'datetime', get: (r) => deal(r).createdAt, nillable: false },
    { name: 'LastModifiedDate', type: 'datetime', get: (r) => deal(r).modifiedAt, nillable: false },
    {
      name: 'LastModifiedById',
      type: 'reference',
      get: (r) => deal(r).modifiedBy ?? book.reps[deal(r).owner]?.id ?? null,
      nillable: false,
    },
    { name: 'SystemModstamp', type: 'datetime', get: (r) => deal(r).modifiedAt, nillable: false },
    {
      name: 'LastActivityDate',
      type: 'date',
      get: (r) => {
        const at = store.lastActivityAt(r);
        return at === null ? null : Math.floor(at / 86_400_000) * 86_400_000;
      },
    },
    { name: 'LastStageChangeDate', type: 'datetime', get: (r) => deal(r).stageEnteredAt },
    { name: 'PushCount', type: 'int', get: (r) => deal(r).pushCount },
    { name: 'Description', type: 'textarea', get: () => null, updateable: true },
  ];
  const customSpecs: Record<string, FieldSpec> = {
    Discount_Percent__c: {
      name: 'Discount_Percent__c',
      label: 'Discount Percent',
      type: 'percent',
      get: (r) => deal(r).discount,
      updateable: true,
    },
    Dealwatch_Score__c: {
      name: 'Dealwatch_Score__c',
      label: 'Dealwatch Score',
      type: 'double',
      get: (r) => dealCustom(r, 'Dealwatch_Score__c'),
      updateable: true,
    },
    Dealwatch_Flags__c: {
      name: 'Dealwatch_Flags__c',
      label: 'Dealwatch Flags',
      type: 'textarea',
      get: (r) => dealCustom(r, 'Dealwatch_Flags__c'),
      updateable: true,
    },
    Loss_Reason__c: { name: 'Loss_Reason__c', label: 'Loss Reason', type: 'picklist', get: (r) => deal(r).lostReason, updateable: true },
  };
  for (const name of ctx.opportunityCustomFields) {
    // A field created through the Tooling API takes the type it was created with.
    const created = ctx.createdFields.get(`Opportunity.${name}`);
    const base =
      customSpecs[name] ??
      (created ? { name, label: created.label, type: created.type, get: (r: number) => dealCustom(r, name), updateable: true } : undefined);
    const spec =
      base && created
        ? {
            ...base,
            type: created.type,
            label: created.label,
            ...(created.picklistValues ? { picklistValues: created.picklistValues } : {}),
          }
        : base;
    if (spec) opportunityFields.push(ctx.readOnlyOpportunityFields.has(name) ? { ...spec, updateable: false, createable: false } : spec);
  }
  add(
    table('Opportunity', 'Opportunity', '006', opportunityFields, {
      count: () => book.deals.length,
      deleted: (r) => deal(r).deleted,
      byId: (id) => store.dealIndex(id),
    }),
  );

  // Tasks and events share the activity rows; each table sees its own kinds only.
  const isEvent = (r: number) => act(r).kind === 'meeting';
  const activityCommon = (): FieldSpec[] => [
    { name: 'Id', type: 'id', get: (r) => act(r).id, nillable: false },
    { name: 'IsDeleted', type: 'boolean', get: (r) => act(r).deleted, nillable: false },
    { name: 'Subject', type: 'string', get: (r) => act(r).subject, updateable: true },
    {
      name: 'WhatId',
      type: 'reference',
      get: (r) => book.deals[act(r).deal]?.id ?? null,
      updateable: true,
      reference: { relationshipName: 'What', referenceTo: 'Opportunity', row: (r) => (act(r).deal >= 0 ? act(r).deal : undefined) },
    },
    { name: 'WhoId', type: 'reference', get: () => null, updateable: true },
    {
      name: 'OwnerId',
      type: 'reference',
      get: (r) => book.reps[act(r).owner]?.id ?? null,
      updateable: true,
      reference: { relationshipName: 'Owner', referenceTo: 'User', row: (r) => act(r).owner },
    },
    { name: 'ActivityDate', type: 'date', get: (r) => Math.floor(act(r).at / 86_400_000) * 86_400_000, updateable: true },
    { name: 'Description', type: 'textarea', get: (r) => act(r).body, updateable: true },
    { name: 'CreatedDate', type: 'datetime', get: (r) => act(r).createdAt, nillable: false },
    { name: 'LastModifiedDate', type: 'datetime', get: (r) => act(r).modifiedAt, nillable: false },
    { name: 'SystemModstamp', type: 'datetime', get: (r) => act(r).modifiedAt, nillable: false },
  ];
  const TASK_SUBTYPE = { call: 'Call', email: 'Email', note: 'Task', task: 'Task', meeting: 'Task' } as const;
  const TASK_TYPE = { call: 'Call', email: 'Email', note: 'Other', task: 'Other', meeting: 'Meeting' } as const;
  add(
    table(
      'Task',
      'Task',
      '00T',
      [
        ...activityCommon(),
        {
          name: 'Status',
          type: 'picklist',
          get: (r) => (act(r).completed ? 'Completed' : 'Not Started'),
          updateable: true,
          nillable: false,
        },
        { name: 'Priority', type: 'picklist', get: () => 'Normal', updateable: true, nillable: false },
        { name: 'IsClosed', type: 'boolean', get: (r) => act(r).completed, nillable: false },
        { name: 'Type', type: 'picklist', get: (r) => TASK_TYPE[act(r).kind], updateable: true },
        { name: 'TaskSubtype', type: 'picklist', get: (r) => TASK_SUBTYPE[act(r).kind], createable: true },
        {
          name: 'CallType',
          type: 'picklist',
          get: (r) => (act(r).kind === 'call' ? (act(r).direction === 'inbound' ? 'Inbound' : 'Outbound') : null),
          updateable: true,
        },
        { name: 'CompletedDateTime', type: 'datetime', get: (r) => (act(r).completed ? act(r).at : null) },
        // A Text(80) custom field on Activity, as an admin (or doctor --fix) creates it for dealwatch's
        // record keys; absent in an org that lacks it.
        // https://help.salesforce.com/s/articleView?id=sf.adding_fields.htm
        ...(ctx.activityCustomFields.has('Dealwatch_Key__c')
          ? [
              {
                name: 'Dealwatch_Key__c',
                label: 'Dealwatch Key',
                type: 'string' as const,
                get: (r: number) => act(r).custom?.['Dealwatch_Key__c'] ?? null,
                updateable: true,
              },
            ]
          : []),
      ],
      {
        count: () => book.activities.length,
        belongs: (r) => !isEvent(r),
        deleted: (r) => act(r).deleted,
        byId: (id) => rowOfActivity(id, false),
      },
    ),
  );
  add(
    table(
      'Event',
      'Event',
      '00U',
      [
        ...activityCommon(),
        { name: 'ActivityDateTime', type: 'datetime', get: (r) => act(r).at, updateable: true },
        { name: 'StartDateTime', type: 'datetime', get: (r) => act(r).at, updateable: true },
        { name: 'EndDateTime', type: 'datetime', get: (r) => act(r).at + 1_800_000, updateable: true },
        { name: 'DurationInMinutes', type: 'int', get: () => 30, updateable: true },
        { name: 'Type', type: 'picklist', get: () => 'Meeting', updateable: true },
        { name: 'EventSubtype', type: 'picklist', get: () => 'Event' },
      ],
      { count: () => book.activities.length, belongs: isEvent, deleted: (r) => act(r).deleted, byId: (id) => rowOfActivity(id, true) },
    ),
  );
  function rowOfActivity(id: string, event: boolean): number | undefined {
    const a = store.activity(id);
    if (!a || (a.kind === 'meeting') !== event) return undefined;
    return store.activityIndex(id);
  }

  add(
    table(
      'OpportunityHistory',
      'Opportunity History',
      '008',
      [
        { name: 'Id', type: 'id', get: (r) => hist(r).id, nillable: false },
        { name: 'IsDeleted', type: 'boolean', get: (r) => deal(hist(r).deal).deleted, nillable: false },
        {
          name: 'OpportunityId',
          type: 'reference',
          get: (r) => deal(hist(r).deal).id,
          nillable: false,
          reference: { relationshipName: 'Opportunity', referenceTo: 'Opportunity', row: (r) => hist(r).deal },
        },
        {
          name: 'StageName',
          type: 'picklist',
          get: (r) => store.pipelineOf(deal(hist(r).deal)).stages[hist(r).stage]?.label ?? null,
          nillable: false,
        },
        { name: 'Amount', type: 'currency', get: (r) => hist(r).amount },
        {
          name: 'ExpectedRevenue',
          type: 'currency',
          get: (r) => {
            const h = hist(r);
            const p = store.pipelineOf(deal(h.deal)).stages[h.stage]?.probability ?? 0;
            return h.amount === null ? null : Math.round(h.amount * p);
          },
        },
        { name: 'CloseDate', type: 'date', get: (r) => hist(r).closeDate },
        {
          name: 'Probability',
          type: 'percent',
          get: (r) => Math.round((store.pipelineOf(deal(hist(r).deal)).stages[hist(r).stage]?.probability ?? 0) * 100),
        },
        {
          name: 'ForecastCategory',
          type: 'picklist',
          get: (r) =>
            FORECAST_CATEGORY_API[store.pipelineOf(deal(hist(r).deal)).stages[hist(r).stage]?.forecastCategory ?? 'Pipeline'] ?? null,
        },
        { name: 'CreatedById', type: 'reference', get: (r) => book.reps[deal(hist(r).deal).owner]?.id ?? null },
        { name: 'CreatedDate', type: 'datetime', get: (r) => hist(r).at, nillable: false },
        { name: 'SystemModstamp', type: 'datetime', get: (r) => hist(r).at, nillable: false },
      ],
      { count: () => book.stageHistory.length, deleted: (r) => deal(hist(r).deal).deleted, byId: (id) => indexById(book.stageHistory, id) },
    ),
  );
  const fh = (r: number) => book.fieldHistory[r]!;
  add(
    table(
      'OpportunityFieldHistory',
      'Opportunity Field History',
      '017',
      [
        { name: 'Id', type: 'id', get: (r) => fh(r).id, nillable: false },
        { name: 'IsDeleted', type: 'boolean', get: (r) => deal(fh(r).deal).deleted, nillable: false },
        {
          name: 'OpportunityId',
          type: 'reference',
          get: (r) => deal(fh(r).deal).id,
          nillable: false,
          reference: { relationshipName: 'Opportunity', referenceTo: 'Opportunity', row: (r) => fh(r).deal },
        },
        { name: 'Field', type: 'picklist', get: (r) => fh(r).field, nillable: false },
        { name: 'DataType', type: 'picklist', get: (r) => ({ StageName: 'Picklist', Amount: 'Currency', CloseDate: 'Date' })[fh(r).field] },
        { name: 'OldValue', type: 'string', get: (r) => fh(r).oldValue },
        { name: 'NewValue', type: 'string', get: (r) => fh(r).newValue },
        { name: 'CreatedById', type: 'reference', get: (r) => book.reps[deal(fh(r).deal).owner]?.id ?? null },
        { name: 'CreatedDate', type: 'datetime', get: (r) => fh(r).at, nillable: false },
      ],
      { count: () => book.fieldHistory.length, deleted: (r) => deal(fh(r).deal).deleted, byId: (id) => indexById(book.fieldHistory, id) },
    ),
  );
  // The reps, then the users every org has that are not people (UserType other than Standard) and
  // the integration user the API authenticates as.
  const users = orgUsers(book.reps, book.generatedAt);
  const user = (r: number) => users[r]!;
  add(
    table(
      'User',
      'User',
      '005',
      [
        { name: 'Id', type: 'id', get: (r) => user(r).id, nillable: false },
        { name: 'Name', type: 'string', get: (r) => `${user(r).firstName} ${user(r).lastName}`.trim() },
        { name: 'FirstName', type: 'string', get: (r) => user(r).firstName || null },
        { name: 'LastName', type: 'string', get: (r) => user(r).lastName },
        { name: 'Email', type: 'string', get: (r) => user(r).email },
        { name: 'Username', type: 'string', get: (r) => user(r).email },
        { name: 'IsActive', type: 'boolean', get: () => true },
        { name: 'UserType', type: 'picklist', get: (r) => user(r).userType },
        // A lookup to the user's manager (the User object reference's ManagerId).
        // https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_user.htm
        { name: 'ManagerId', type: 'reference', get: (r) => user(r).managerId ?? null },
        { name: 'Department', type: 'string', get: (r) => user(r).team },
        { name: 'TimeZoneSidKey', type: 'picklist', get: () => 'America/New_York' },
        { name: 'CreatedDate', type: 'datetime', get: (r) => user(r).createdAt },
        { name: 'LastModifiedDate', type: 'datetime', get: (r) => user(r).createdAt },
        { name: 'SystemModstamp', type: 'datetime', get: (r) => user(r).createdAt },
      ],
      {
        count: () => users.length,
        deleted: () => false,
        byId: (id) => {
          const i = users.findIndex((u) => u.id === id || u.id.slice(0, 15) === id);
          return i < 0 ? undefined : i;
        },
      },
    ),
  );
  const account = (r: number) => book.accounts[r]!;
  add(
    table(
      'Account',
      'Account',
      '001',
      [
        { name: 'Id', type: 'id', get: (r) => account(r).id, nillable: false },
        { name: 'IsDeleted', type: 'boolean', get: () => false },
        { name: 'Name', type: 'string', get: (r) => account(r).name },
        { name: 'Industry', type: 'picklist', get: (r) => account(r).industry },
        { name: 'Type', type: 'picklist', get: () => 'Customer - Direct' },
        // A custom checkbox (describe type `boolean`) marking key accounts, the org-specific field a
        // connection names in fieldMap.targetAccount; Salesforce has no standard one. Read through
        // Opportunity's Account relationship (`Account.Key_Account__c`).
        // https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/field_types.htm
        // https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/sforce_api_calls_soql_relationships_query_using.htm
        { name: 'Key_Account__c', type: 'boolean', get: (r) => account(r).isKey },
        { name: 'CreatedDate', type: 'datetime', get: () => book.generatedAt - 1000 * 86_400_000 },
        { name: 'SystemModstamp', type: 'datetime', get: () => book.generatedAt - 1000 * 86_400_000 },
      ],
      { count: () => book.accounts.length, deleted: () => false, byId: accountRow },
    ),
  );
  add(
    table(
      'OpportunityStage',
      'Opportunity Stage',
      '01J',
      [
        { name: 'Id', type: 'id', get: (r) => salesforceId('OpportunityStage', r + 1), nillable: false },
        { name: 'MasterLabel', type: 'string', get: (r) => stageRows[r]!.label },
        { name: 'ApiName', type: 'string', get: (r) => stageRows[r]!.id },
        { name: 'IsActive', type: 'boolean', get: () => true },
        { name: 'IsClosed', type: 'boolean', get: (r) => stageRows[r]!.isClosed },
        { name: 'IsWon', type: 'boolean', get: (r) => stageRows[r]!.isWon },
        { name: 'DefaultProbability', type: 'percent', get: (r) => Math.round(stageRows[r]!.probability * 100) },
        { name: 'ForecastCategory', type: 'picklist', get: (r) => FORECAST_CATEGORY_API[stageRows[r]!.forecastCategory] ?? null },
        { name: 'ForecastCategoryName', type: 'picklist', get: (r) => stageRows[r]!.forecastCategory },
        { name: 'SortOrder', type: 'int', get: (r) => stageRows[r]!.displayOrder },
        { name: 'CreatedDate', type: 'datetime', get: () => book.generatedAt - 1000 * 86_400_000 },
        { name: 'LastModifiedDate', type: 'datetime', get: () => book.generatedAt - 1000 * 86_400_000 },
        { name: 'SystemModstamp', type: 'datetime', get: () => book.generatedAt - 1000 * 86_400_000 },
      ],
      {
        count: () => stageRows.length,
        deleted: () => false,
        byId: (id) => {
          const i = stageRows.findIndex((_, r) => salesforceId('OpportunityStage', r + 1) === id);
          return i < 0 ? undefined : i;
        },
      },
    ),
  );
  // One row per (deal, contact): OpportunityContactRole, for "single-threaded".
  const roles = contactRoleRows(ctx);
  add(
    table(
      'OpportunityContactRole',
      'Opportunity Contact Role',
      '00K',
      [
        { name: 'Id', type: 'id', get: (r) => salesforceId('OpportunityContactRole', r + 1), nillable: false },
        { name: 'IsDeleted', type: 'boolean', get: (r) => deal(roles.deal[r]!).deleted },
        {
          name: 'OpportunityId',
          type: 'reference',
          get: (r) => deal(roles.deal[r]!).id,
          reference: { relationshipName: 'Opportunity', referenceTo: 'Opportunity', row: (r) => roles.deal[r] },
        },
        { name: 'ContactId', type: 'reference', get: (r) => deal(roles.deal[r]!).contactIds[roles.contact[r]!] ?? null },
        { name: 'Role', type: 'picklist', get: (r) => (roles.contact[r] === 0 ? 'Decision Maker' : 'Influencer') },
        { name: 'IsPrimary', type: 'boolean', get: (r) => roles.contact[r] === 0 },
        { name: 'CreatedDate', type: 'datetime', get: (r) => deal(roles.deal[r]!).createdAt },
        { name: 'SystemModstamp', type: 'datetime', get: (r) => deal(roles.deal[r]!).createdAt },
      ],
      { count: () => roles.deal.length, deleted: (r) => deal(roles.deal[r]!).deleted, byId: () => undefined },
    ),
  );
  // Enhanced Notes: ContentNote (built on ContentDocument, key prefix 069) and ContentDocumentLink.
  const notes = ctx.content.notes;
  const note = (r: number) => notes[r]!;
  const links = ctx.content.links;
  const link = (r: number) => links[r]!;
  const userIndex = (id: string) => book.reps.findIndex((rep) => rep.id.slice(0, 15) === id.slice(0, 15));
  add(
    table(
      'ContentNote',
      'Note',
      '069',
      [
        { name: 'Id', type: 'id', get: (r) => note(r).id, nillable: false },
        { name: 'IsDeleted', type: 'boolean', get: (r) => note(r).deleted, nillable: false },
        { name: 'Title', type: 'string', get: (r) => note(r).title, updateable: true, nillable: false },
        { name: 'Content', type: 'base64', get: (r) => note(r).content.toString('base64'), updateable: true },
        { name: 'TextPreview', type: 'string', label: 'Text Preview', get: (r) => textPreview(note(r).content.toString('utf8')) },
        { name: 'ContentSize', type: 'int', label: 'Content Size', get: (r) => note(r).content.length },
        { name: 'FileType', type: 'string', label: 'File Type', get: () => 'SNOTE' },
        { name: 'FileExtension', type: 'string', label: 'File Extension', get: () => 'snote' },
        { name: 'IsReadOnly', type: 'boolean', get: () => false, nillable: false },
        { name: 'SharingPrivacy', type: 'picklist', label: 'Note Privacy on Records', get: () => 'N' },
        {
          name: 'OwnerId',
          type: 'reference',
          get: (r) => note(r).ownerId,
          nillable: false,
          reference: {
            relationshipName: 'Owner',
            referenceTo: 'User',
            row: (r) => {
              const i = userIndex(note(r).ownerId);
              return i < 0 ? undefined : i;
            },
          },
        },
        { name: 'CreatedDate', type: 'datetime', get: (r) => note(r).createdAt, nillable: false },
        { name: 'LastModifiedDate', type: 'datetime', get: (r) => note(r).modifiedAt, nillable: false },
      ],
      { count: () => notes.length, deleted: (r) => note(r).deleted, byId: (id) => ctx.content.noteIndex(id) },
    ),
  );
  add(
    table(
      'ContentDocumentLink',
      'Content Document Link',
      '06A',
      [
        { name: 'Id', type: 'id', get: (r) => link(r).id, nillable: false },
        { name: 'IsDeleted', type: 'boolean', get: (r) => link(r).deleted, nillable: false },
        // References ContentDocument, which the sandbox does not serve as a table (row: none).
        {
          name: 'ContentDocumentId',
          type: 'reference',
          label: 'Content Document ID',
          get: (r) => link(r).contentDocumentId,
          createable: true,
          nillable: false,
          reference: { relationshipName: 'ContentDocument', referenceTo: 'ContentDocument', row: () => undefined },
        },
        {
          name: 'LinkedEntityId',
          type: 'reference',
          label: 'Linked Entity ID',
          get: (r) => link(r).linkedEntityId,
          createable: true,
          nillable: false,
          reference: { relationshipName: 'LinkedEntity', referenceTo: 'Opportunity', row: (r) => store.dealIndex(link(r).linkedEntityId) },
        },
        { name: 'ShareType', type: 'picklist', label: 'Share Type', get: (r) => link(r).shareType, updateable: true },
        { name: 'Visibility', type: 'picklist', get: (r) => link(r).visibility, updateable: true },
        { name: 'SystemModstamp', type: 'datetime', get: (r) => link(r).createdAt, nillable: false },
      ],
      { count: () => links.length, deleted: (r) => link(r).deleted, byId: (id) => ctx.content.linkIndex(id) },
    ),
  );

  // Parent-to-child relationships of Opportunity, as Salesforce names them.
  const opportunity = tables.get('opportunity')!;
  const byDeal = perDealIndexes(ctx);
  const child = (relationshipName: string, childSObject: string, field: string, rowsOf: (row: number) => readonly number[]) =>
    opportunity.children.set(relationshipName.toLowerCase(), { relationshipName, childSObject, field, rowsOf });
  child('OpportunityContactRoles', 'OpportunityContactRole', 'OpportunityId', (r) => roles.byDeal[r] ?? []);
  child('OpportunityHistories', 'OpportunityHistory', 'OpportunityId', (r) => store.stageHistoryIndicesOf(r));
  child('Histories', 'OpportunityFieldHistory', 'OpportunityId', (r) => store.fieldHistoryIndicesOf(r));
  child('Tasks', 'Task', 'WhatId', (r) => byDeal.activities(r).filter((i) => !isEvent(i)));
  child('Events', 'Event', 'WhatId', (r) => byDeal.activities(r).filter((i) => isEvent(i)));
  return tables;
}

/**
 * The integration user: the user the API authenticates as (every token names it), so every write
 * through the API sets LastModifiedById to it. A Standard user, as with a Salesforce license.
 */
export const INTEGRATION_USER = {
  id: salesforceId('User', 990_001),
  firstName: 'Dealwatch',
  lastName: 'Integration',
  email: 'integration@dealwatch-sandbox.example.com',
  team: 'RevOps',
  userType: 'Standard',
} as const;

/**
 * Users that are not people, as every org has them; `UserType` values from
 * https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_user.htm
 */
const SYSTEM_USERS = [
  {
    n: 990_002,
    firstName: '',
    lastName: 'Automated Process',
    email: 'autoproc@00d5g0000000sandbox.example.com',
    team: '',
    userType: 'AutomatedProcess',
  },
  { n: 990_003, firstName: 'Chatter', lastName: 'Expert', email: 'noreply@chatter.salesforce.com', team: '', userType: 'CsnOnly' },
  { n: 990_004, firstName: 'Site', lastName: 'Guest User', email: 'guest@dealwatch-sandbox.example.com', team: '', userType: 'Guest' },
  { n: 990_005, firstName: 'Partner', lastName: 'Portal User', email: 'partner@reseller.example.com', team: '', userType: 'PowerPartner' },
] as const;

interface OrgUser {
  id: string;
  firstName: string;
  lastName: string;
  email: string;
  team: string;
  userType: string;
  createdAt: number;
  /** The first rep of each team leads it: the others' ManagerId; leads and non-people have none. */
  managerId?: string | null;
}

function orgUsers(
  reps: readonly { id: string; firstName: string; lastName: string; email: string; team: string; createdAt: number }[],
  generatedAt: number,
): OrgUser[] {
  const created = generatedAt - 1000 * 86_400_000;
  return [
    ...reps.map((r) => ({ ...r, userType: 'Standard', managerId: teamLead(reps, r) })),
    { ...INTEGRATION_USER, createdAt: created },
    ...SYSTEM_USERS.map(({ n, ...u }) => ({ ...u, id: salesforceId('User', n), createdAt: created })),
  ];
}

function teamLead(reps: readonly { id: string; team: string }[], rep: { id: string; team: string }): string | null {
  const lead = reps.find((r) => r.team === rep.team);
  return lead && lead.id !== rep.id ? lead.id : null;
}

function perDealIndexes(ctx: SalesforceContext) {
  return { activities: (deal: number) => ctx.store.activityIndicesOf(deal) };
}

function indexById(rows: { id: string }[], id: string): number | undefined {
  const i = rows.findIndex((r) => r.id === id);
  return i < 0 ? undefined : i;
}

interface ContactRoles {
  size: number;
  deal: number[];
  contact: number[];
  byDeal: number[][];
}
const roleCache = new WeakMap<object, ContactRoles>();
function contactRoleRows(ctx: SalesforceContext): ContactRoles {
  const deals = ctx.store.book.deals;
  const cached = roleCache.get(deals);
  if (cached && cached.size === deals.length) return cached;
  const out: ContactRoles = { size: deals.length, deal: [], contact: [], byDeal: [] };
  deals.forEach((d, i) => {
    const rows: number[] = [];
    d.contactIds.forEach((_, k) => {
      rows.push(out.deal.length);
      out.deal.push(i);
      out.contact.push(k);
    });
    out.byDeal.push(rows);
  });
  roleCache.set(deals, out);
  return out;
}
