/**
 * Tooling API `POST /services/data/vXX.X/tooling/sobjects/CustomField`: creates a custom field from
 * its full name and metadata, as an administrator (or `dealwatch doctor --fix`) does.
 * https://developer.salesforce.com/docs/atlas.en-us.api_tooling.meta/api_tooling/tooling_api_objects_customfield.htm
 *
 * Request: `{ "FullName": "Opportunity.Dealwatch_Flags__c", "Metadata": { "label": ..., "type":
 * "MultiselectPicklist", "visibleLines": 4, "valueSet": { "valueSetDefinition": { "value": [{
 * "fullName": <API value>, "label": <label> }] } } } }` (Metadata is CustomFieldMetadata, the
 * Metadata API's CustomField: type Text needs length, Number precision and scale, picklists a
 * valueSet). Custom fields of Task and Event are created on Activity (`Activity.Name__c`).
 * https://developer.salesforce.com/docs/atlas.en-us.api_meta.meta/api_meta/customfield.htm
 * Answer: 201 `{ "id": "00N...", "success": true, "errors": [], "warnings": [], "infos": [] }`;
 * an existing field: 400 `[{ "errorCode": "DUPLICATE_DEVELOPER_NAME", "message": ... }]`; bad
 * metadata: 400 `[{ "errorCode": "FIELD_INTEGRITY_EXCEPTION", "message": ... }]`.
 */
import type { SalesforceContext } from './context.js';

type Outcome =
  { status: 201; body: Record<string, unknown> } | { status: 400; body: { message: string; errorCode: string; fields?: string[] }[] };

const TYPES: Record<string, 'string' | 'textarea' | 'double' | 'percent' | 'picklist' | 'multipicklist' | 'boolean'> = {
  Text: 'string',
  LongTextArea: 'textarea',
  Number: 'double',
  Percent: 'percent',
  Picklist: 'picklist',
  MultiselectPicklist: 'multipicklist',
  Checkbox: 'boolean',
};

let created = 0;

export function createCustomField(ctx: SalesforceContext, body: unknown): Outcome {
  const fail = (errorCode: string, message: string): Outcome => ({ status: 400, body: [{ message, errorCode }] });
  const input = (body ?? {}) as { FullName?: unknown; Metadata?: Record<string, unknown> };
  const fullName = typeof input.FullName === 'string' ? input.FullName : '';
  const match = /^(Opportunity|Activity)\.([A-Za-z][A-Za-z0-9_]*__c)$/.exec(fullName);
  if (!match)
    return fail('FIELD_INTEGRITY_EXCEPTION', `FullName must be Object.Field__c on Opportunity or Activity: ${fullName || '(none)'}`);
  const [, object, name] = match as unknown as [string, 'Opportunity' | 'Activity', string];
  const meta = input.Metadata ?? {};
  const type = TYPES[String(meta['type'] ?? '')];
  const label = typeof meta['label'] === 'string' ? meta['label'] : '';
  if (!type) return fail('FIELD_INTEGRITY_EXCEPTION', `Metadata.type: bad value for restricted picklist field: ${String(meta['type'])}`);
  if (label === '') return fail('FIELD_INTEGRITY_EXCEPTION', 'Metadata.label: Required field is missing');
  if (meta['type'] === 'Text' && !(Number(meta['length']) >= 1 && Number(meta['length']) <= 255))
    return fail('FIELD_INTEGRITY_EXCEPTION', 'Metadata.length: Text fields need a length from 1 to 255');
  const values = (
    (meta['valueSet'] as { valueSetDefinition?: { value?: { fullName?: string; label?: string }[] } } | undefined)?.valueSetDefinition
      ?.value ?? []
  ).map((v) => ({ value: String(v.fullName ?? ''), label: String(v.label ?? v.fullName ?? '') }));
  if ((type === 'picklist' || type === 'multipicklist') && (values.length === 0 || values.some((v) => v.value === ''))) {
    return fail('FIELD_INTEGRITY_EXCEPTION', 'Metadata.valueSet: a picklist needs values, each with a fullName');
  }
  const present = object === 'Opportunity' ? ctx.opportunityCustomFields : ctx.activityCustomFields;
  if (present.has(name)) return fail('DUPLICATE_DEVELOPER_NAME', `This field name is already in use: ${name}`);
  present.add(name);
  ctx.createdFields.set(`${object}.${name}`, { type, label, ...(values.length > 0 ? { picklistValues: values } : {}) });
  created += 1;
  return {
    status: 201,
    body: { id: `00N5g00000${String(created).padStart(5, '0')}AAA`, success: true, errors: [], warnings: [], infos: [] },
  };
}
