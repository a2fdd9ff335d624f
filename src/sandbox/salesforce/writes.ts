/**
 * sObject writes: Opportunity updates (stage, amount and close date changes write history and
 * bump SystemModstamp through the book store) and Task/Event creation. Errors use Salesforce's
 * error codes (INVALID_FIELD, INVALID_FIELD_FOR_INSERT_UPDATE, INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST,
 * ENTITY_IS_DELETED, NOT_FOUND, FIELD_INTEGRITY_EXCEPTION).
 */
import type { ActivityKind } from '../generator/book.js';
import type { SalesforceContext } from './context.js';
import type { SfTable } from './schema.js';

export interface SfRecordError {
  statusCode: string;
  message: string;
  fields: string[];
}

export type WriteOutcome = { ok: true; id: string } | { ok: false; status: number; error: SfRecordError };

const DAY = 86_400_000;

function fieldError(statusCode: string, message: string, fields: string[] = []): { ok: false; status: number; error: SfRecordError } {
  return { ok: false, status: statusCode === 'NOT_FOUND' ? 404 : 400, error: { statusCode, message, fields } };
}

function parseDate(v: unknown): number | null | 'invalid' {
  if (v === null || v === '') return null;
  if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}/.test(v)) return 'invalid';
  const ms = Date.parse(`${v.slice(0, 10)}T00:00:00Z`);
  return Number.isNaN(ms) ? 'invalid' : ms;
}

/** Checks every field name against the table first: Salesforce rejects the whole record. */
function checkFields(table: SfTable, values: Record<string, unknown>, mode: 'update' | 'create'): { ok: false; status: number; error: SfRecordError } | null {
  for (const name of Object.keys(values)) {
    if (name === 'attributes' || name === 'Id' || name === 'id') continue;
    const f = table.field(name);
    if (!f) return fieldError('INVALID_FIELD', `No such column '${name}' on sobject of type ${table.name}`, [name]);
    if (mode === 'update' ? !f.updateable : !f.createable) {
      return fieldError('INVALID_FIELD_FOR_INSERT_UPDATE', `Unable to create/update fields: ${f.name}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.`, [f.name]);
    }
  }
  return null;
}

/** With `apply` false only validates (the first pass of an allOrNone collection). */
export function updateOpportunity(ctx: SalesforceContext, table: SfTable, id: string, values: Record<string, unknown>, apply = true): WriteOutcome {
  const store = ctx.store;
  const idx = store.dealIndex(id);
  const deal = idx === undefined ? undefined : store.book.deals[idx];
  if (idx === undefined || !deal) return fieldError('NOT_FOUND', 'The requested resource does not exist');
  if (deal.deleted) return fieldError('ENTITY_IS_DELETED', 'entity is deleted');
  const invalid = checkFields(table, values, 'update');
  if (invalid) return invalid;
  const changes: Parameters<typeof store.updateDeal>[1] = {};
  const custom: Record<string, string | number | boolean | null> = {};
  let lostReason: string | null | undefined;
  for (const [rawName, value] of Object.entries(values)) {
    if (rawName === 'attributes' || rawName === 'Id' || rawName === 'id') continue;
    const name = table.field(rawName)!.name;
    switch (name) {
      case 'Name':
        changes.name = String(value ?? '');
        break;
      case 'StageName': {
        const stage = store.findStage(deal, String(value ?? ''));
        if (stage < 0) return fieldError('INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST', `Stage: bad value for restricted picklist field: ${String(value)}`, ['StageName']);
        changes.stage = stage;
        break;
      }
      case 'Amount':
      case 'Discount_Percent__c': {
        const n = value === null || value === '' ? null : Number(value);
        if (n !== null && Number.isNaN(n)) return fieldError('JSON_PARSER_ERROR', `Cannot deserialize instance of currency from VALUE_STRING value ${String(value)}`, [name]);
        if (name === 'Amount') changes.amount = n;
        else changes.discount = n;
        break;
      }
      case 'CloseDate': {
        const d = parseDate(value);
        if (d === 'invalid' || d === null) return fieldError(d === null ? 'REQUIRED_FIELD_MISSING' : 'JSON_PARSER_ERROR', `Close Date: invalid date: ${String(value)}`, ['CloseDate']);
        changes.closeDate = Math.floor(d / DAY) * DAY;
        break;
      }
      case 'NextStep':
        changes.nextStep = value === null || value === '' ? null : String(value);
        break;
      case 'OwnerId': {
        const owner = store.book.reps.findIndex((r) => r.id === value || r.id.slice(0, 15) === value);
        if (owner < 0) return fieldError('INVALID_CROSS_REFERENCE_KEY', `Owner ID: owner cannot be blank`, ['OwnerId']);
        changes.owner = owner;
        break;
      }
      case 'Loss_Reason__c':
        lostReason = value === null || value === '' ? null : String(value);
        break;
      default:
        custom[name] = value === undefined ? null : (value as string | number | boolean | null);
    }
  }
  if (!apply) return { ok: true, id: deal.id };
  if (Object.keys(custom).length > 0) changes.custom = custom;
  if (lostReason !== undefined) deal.lostReason = lostReason;
  store.updateDeal(idx, changes);
  ctx.log.annotate({ at: new Date(store.now()).toISOString(), provider: 'salesforce', kind: 'field_update', dealId: deal.id, recordId: deal.id, fields: stripAttributes(values) });
  return { ok: true, id: deal.id };
}

function stripAttributes(values: Record<string, unknown>): Record<string, unknown> {
  const rest = { ...values };
  delete rest['attributes'];
  delete rest['id'];
  delete rest['Id'];
  return rest;
}

export function createActivityRecord(ctx: SalesforceContext, table: SfTable, values: Record<string, unknown>, apply = true): WriteOutcome {
  const store = ctx.store;
  const invalid = checkFields(table, values, 'create');
  if (invalid) return invalid;
  const get = (name: string): unknown => {
    const key = Object.keys(values).find((k) => k.toLowerCase() === name.toLowerCase());
    return key === undefined ? undefined : values[key];
  };
  const whatId = get('WhatId');
  let dealIdx = -1;
  if (whatId !== undefined && whatId !== null && whatId !== '') {
    const idx = store.dealIndex(String(whatId));
    if (idx === undefined) return fieldError('FIELD_INTEGRITY_EXCEPTION', `Related To ID: id value of incorrect type: ${String(whatId)}`, ['WhatId']);
    dealIdx = idx;
  }
  const ownerId = get('OwnerId');
  const owner = ownerId === undefined ? -1 : store.book.reps.findIndex((r) => r.id === ownerId || r.id.slice(0, 15) === ownerId);
  const isEvent = table.name === 'Event';
  const subtype = String(get('TaskSubtype') ?? get('Type') ?? 'Task');
  const kind: ActivityKind = isEvent ? 'meeting' : subtype === 'Call' ? 'call' : subtype === 'Email' ? 'email' : 'task';
  let at: number | undefined;
  const dt = get('ActivityDateTime') ?? get('StartDateTime');
  if (typeof dt === 'string' && !Number.isNaN(Date.parse(dt))) at = Date.parse(dt);
  else {
    const d = parseDate(get('ActivityDate'));
    if (d === 'invalid') return fieldError('JSON_PARSER_ERROR', `Due Date Only: invalid date: ${String(get('ActivityDate'))}`, ['ActivityDate']);
    if (d !== null) at = d;
  }
  if (!apply) return { ok: true, id: '' };
  const status = String(get('Status') ?? 'Not Started');
  const activity = store.addActivity(dealIdx, {
    kind,
    ...(at !== undefined ? { at } : {}),
    subject: String(get('Subject') ?? (isEvent ? 'Event' : 'Task')),
    body: get('Description') === undefined || get('Description') === null ? null : String(get('Description')),
    viaApi: true,
    ...(owner >= 0 ? { owner } : {}),
    ...(isEvent ? {} : { completed: status === 'Completed' }),
  });
  if (!isEvent) {
    ctx.log.annotate({
      at: new Date(store.now()).toISOString(),
      provider: 'salesforce',
      kind: 'task',
      dealId: dealIdx >= 0 ? (store.book.deals[dealIdx]?.id ?? '') : '',
      recordId: activity.id,
      fields: stripAttributes(values),
    });
  }
  return { ok: true, id: activity.id };
}
