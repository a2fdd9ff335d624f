/**
 * sObject writes: Opportunity updates (stage, amount and close date changes write history and
 * bump SystemModstamp through the book store), Task/Event creation, and Enhanced Notes (ContentNote,
 * ContentDocumentLink). Errors use Salesforce's
 * error codes (INVALID_FIELD, INVALID_FIELD_FOR_INSERT_UPDATE, INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST,
 * ENTITY_IS_DELETED, NOT_FOUND, FIELD_INTEGRITY_EXCEPTION, REQUIRED_FIELD_MISSING, STRING_TOO_LONG,
 * DUPLICATE_VALUE, INVALID_CROSS_REFERENCE_KEY, MALFORMED_ID).
 */
import type { ActivityKind } from '../generator/book.js';
import type { SalesforceContext } from './context.js';
import type { SfTable } from './schema.js';
import { INTEGRATION_USER } from './schema.js';
import { decodeBase64, noteBodyAllowed } from './content.js';

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
function checkFields(
  table: SfTable,
  values: Record<string, unknown>,
  mode: 'update' | 'create',
): { ok: false; status: number; error: SfRecordError } | null {
  for (const name of Object.keys(values)) {
    if (name === 'attributes' || name === 'Id' || name === 'id') continue;
    const f = table.field(name);
    if (!f) return fieldError('INVALID_FIELD', `No such column '${name}' on sobject of type ${table.name}`, [name]);
    if (mode === 'update' ? !f.updateable : !f.createable) {
      const message =
        `Unable to create/update fields: ${f.name}. Please check the security settings of this field ` +
        'and verify that it is read/write for your profile or permission set.';
      return fieldError('INVALID_FIELD_FOR_INSERT_UPDATE', message, [f.name]);
    }
  }
  return null;
}

/** With `apply` false only validates (the first pass of an allOrNone collection). */
export function updateOpportunity(
  ctx: SalesforceContext,
  table: SfTable,
  id: string,
  values: Record<string, unknown>,
  apply = true,
): WriteOutcome {
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
        if (stage < 0)
          return fieldError('INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST', `Stage: bad value for restricted picklist field: ${String(value)}`, [
            'StageName',
          ]);
        changes.stage = stage;
        break;
      }
      case 'Amount':
      case 'Discount_Percent__c': {
        const n = value === null || value === '' ? null : Number(value);
        if (n !== null && Number.isNaN(n))
          return fieldError('JSON_PARSER_ERROR', `Cannot deserialize instance of currency from VALUE_STRING value ${String(value)}`, [
            name,
          ]);
        if (name === 'Amount') changes.amount = n;
        else changes.discount = n;
        break;
      }
      case 'CloseDate': {
        const d = parseDate(value);
        if (d === 'invalid' || d === null)
          return fieldError(d === null ? 'REQUIRED_FIELD_MISSING' : 'JSON_PARSER_ERROR', `Close Date: invalid date: ${String(value)}`, [
            'CloseDate',
          ]);
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
  // Saved through the API: the integration user the token names is the last modifier.
  store.updateDeal(idx, changes, { userId: INTEGRATION_USER.id, viaApi: true });
  ctx.log.annotate({
    at: new Date(store.now()).toISOString(),
    provider: 'salesforce',
    kind: 'field_update',
    dealId: deal.id,
    recordId: deal.id,
    fields: stripAttributes(values),
  });
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
    if (idx === undefined)
      return fieldError('FIELD_INTEGRITY_EXCEPTION', `Related To ID: id value of incorrect type: ${String(whatId)}`, ['WhatId']);
    dealIdx = idx;
  }
  const ownerId = get('OwnerId');
  const owner =
    ownerId === undefined ? -1 : store.book.reps.findIndex((r) => r.id === ownerId || r.id.slice(0, 15) === String(ownerId).slice(0, 15));
  // OwnerId ("Assigned To ID") must name an active user; an unknown id is refused, as on Opportunity.
  // https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_task.htm
  if (ownerId !== undefined && owner < 0)
    return fieldError('INVALID_CROSS_REFERENCE_KEY', 'Assigned To ID: owner cannot be blank', ['OwnerId']);
  const isEvent = table.name === 'Event';
  const subtype = String(get('TaskSubtype') ?? get('Type') ?? 'Task');
  const kind: ActivityKind = isEvent ? 'meeting' : subtype === 'Call' ? 'call' : subtype === 'Email' ? 'email' : 'task';
  let at: number | undefined;
  const dt = get('ActivityDateTime') ?? get('StartDateTime');
  if (typeof dt === 'string' && !Number.isNaN(Date.parse(dt))) at = Date.parse(dt);
  else {
    const d = parseDate(get('ActivityDate'));
    if (d === 'invalid')
      return fieldError('JSON_PARSER_ERROR', `Due Date Only: invalid date: ${String(get('ActivityDate'))}`, ['ActivityDate']);
    if (d !== null) at = d;
  }
  if (!apply) return { ok: true, id: '' };
  const status = String(get('Status') ?? 'Not Started');
  const custom = customValues(table, values);
  const activity = store.addActivity(dealIdx, {
    ...(custom ? { custom } : {}),
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

/** Custom (`__c`) field values of a write, by their API names. */
function customValues(table: SfTable, values: Record<string, unknown>): Record<string, string | null> | null {
  const out: Record<string, string | null> = {};
  for (const [name, value] of Object.entries(values)) {
    const field = table.field(name);
    if (field?.custom) out[field.name] = value === null || value === undefined || value === '' ? null : String(value);
  }
  return Object.keys(out).length > 0 ? out : null;
}

/**
 * Task update by id (Subject, Description, Status, Priority, OwnerId, custom fields): the record
 * changes in place; Status 'Completed' closes it; OwnerId reassigns it.
 * https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_composite_sobjects_collections_update.htm
 */
export function updateTaskRecord(
  ctx: SalesforceContext,
  table: SfTable,
  id: string,
  values: Record<string, unknown>,
  apply = true,
): WriteOutcome {
  const store = ctx.store;
  const activity = store.activity(id) ?? store.book.activities.find((a) => a.id.slice(0, 15) === id.slice(0, 15));
  if (!activity || activity.kind === 'meeting' || table.name !== 'Task')
    return fieldError('NOT_FOUND', 'The requested resource does not exist');
  if (activity.deleted) return fieldError('ENTITY_IS_DELETED', 'entity is deleted');
  const invalid = checkFields(table, values, 'update');
  if (invalid) return invalid;
  if (!apply) return { ok: true, id: activity.id };
  const subject = valueOf(values, 'Subject');
  const description = valueOf(values, 'Description');
  const status = valueOf(values, 'Status');
  const ownerId = valueOf(values, 'OwnerId');
  // Reassigning a Task: OwnerId must name a user (the same refusal as on create).
  const owner = ownerId === undefined ? undefined : store.book.reps.findIndex((r) => r.id.slice(0, 15) === String(ownerId).slice(0, 15));
  if (owner !== undefined && owner < 0)
    return fieldError('INVALID_CROSS_REFERENCE_KEY', 'Assigned To ID: owner cannot be blank', ['OwnerId']);
  const custom = customValues(table, values);
  store.updateActivity(activity.id, {
    ...(owner !== undefined ? { owner } : {}),
    ...(subject !== undefined ? { subject: String(subject ?? '') } : {}),
    ...(description !== undefined ? { body: description === null ? null : String(description) } : {}),
    ...(status !== undefined ? { completed: status === 'Completed' } : {}),
    ...(custom ? { custom } : {}),
  });
  ctx.log.annotate({
    at: new Date(store.now()).toISOString(),
    provider: 'salesforce',
    kind: 'task',
    dealId: store.book.deals[activity.deal]?.id ?? '',
    recordId: activity.id,
    fields: stripAttributes(values),
  });
  return { ok: true, id: activity.id };
}

/** ContentNote update by id: Title and Content (base64) change in place, as on create. */
export function updateContentNote(
  ctx: SalesforceContext,
  table: SfTable,
  id: string,
  values: Record<string, unknown>,
  apply = true,
): WriteOutcome {
  const noteIdx = ctx.content.noteIndex(id);
  const note = noteIdx === undefined ? undefined : ctx.content.notes[noteIdx];
  if (!note || note.deleted) return fieldError('NOT_FOUND', 'The requested resource does not exist');
  const invalid = checkFields(table, values, 'update');
  if (invalid) return invalid;
  const title = valueOf(values, 'Title');
  if (title !== undefined && blank(title)) return fieldError('REQUIRED_FIELD_MISSING', 'Required fields are missing: [Title]', ['Title']);
  const raw = valueOf(values, 'Content');
  const decoded = raw === undefined ? undefined : typeof raw === 'string' ? decodeBase64(raw) : null;
  if (decoded === null) return fieldError('JSON_PARSER_ERROR', 'Cannot deserialize instance of base64 from VALUE_STRING', ['Content']);
  if (decoded && !noteBodyAllowed(decoded.toString('utf8'))) {
    return fieldError(
      'FIELD_INTEGRITY_EXCEPTION',
      "Note can't be saved because it contains HTML tags or unescaped characters that are not allowed in a Note.",
      ['Content'],
    );
  }
  if (!apply) return { ok: true, id: note.id };
  if (title !== undefined) note.title = String(title);
  if (decoded) note.content = decoded;
  for (const link of ctx.content.links.filter((l) => !l.deleted && l.contentDocumentId.slice(0, 15) === note.id.slice(0, 15))) {
    const deal = ctx.store.dealIndex(link.linkedEntityId);
    if (deal === undefined) continue;
    ctx.log.annotate({
      at: new Date(ctx.store.now()).toISOString(),
      provider: 'salesforce',
      kind: 'note',
      dealId: ctx.store.book.deals[deal]?.id ?? '',
      recordId: note.id,
      fields: { Title: note.title, Content: note.content.toString('utf8'), ShareType: link.shareType, Visibility: link.visibility },
    });
  }
  return { ok: true, id: note.id };
}

const SHARE_TYPES = new Set(['V', 'C', 'I']);
const VISIBILITIES = new Set(['AllUsers', 'InternalUsers', 'SharedUsers']);

function valueOf(values: Record<string, unknown>, name: string): unknown {
  const key = Object.keys(values).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : values[key];
}

const blank = (v: unknown): boolean => v === undefined || v === null || v === '';

/**
 * ContentNote create: Title required (255), Content base64 of HTML or escaped plain text. The note is
 * owned by the integration user and linked to them (ShareType 'I'); it reaches a record through a
 * ContentDocumentLink, which is when the sandbox records it as a note annotation.
 */
export function createContentNote(ctx: SalesforceContext, table: SfTable, values: Record<string, unknown>, apply = true): WriteOutcome {
  const invalid = checkFields(table, values, 'create');
  if (invalid) return invalid;
  const title = valueOf(values, 'Title');
  if (blank(title)) return fieldError('REQUIRED_FIELD_MISSING', 'Required fields are missing: [Title]', ['Title']);
  const titleText = String(title);
  if (titleText.length > 255)
    return fieldError('STRING_TOO_LONG', `Title: data value too large: ${titleText.slice(0, 40)}... (max length=255)`, ['Title']);
  const raw = valueOf(values, 'Content');
  let content: Buffer = Buffer.alloc(0);
  if (!blank(raw)) {
    const decoded = typeof raw === 'string' ? decodeBase64(raw) : null;
    if (!decoded) {
      const message =
        `Cannot deserialize instance of base64 from VALUE_STRING value ${String(raw).slice(0, 40)} ` +
        'or request may be missing a required field';
      return fieldError('JSON_PARSER_ERROR', message, ['Content']);
    }
    if (!noteBodyAllowed(decoded.toString('utf8'))) {
      return fieldError(
        'FIELD_INTEGRITY_EXCEPTION',
        "Note can't be saved because it contains HTML tags or unescaped characters that are not allowed in a Note.",
        ['Content'],
      );
    }
    content = decoded;
  }
  if (!apply) return { ok: true, id: '' };
  const now = ctx.store.now();
  const ownerId = ctx.store.book.reps[0]?.id ?? '';
  const note = ctx.content.addNote({ title: titleText, content, ownerId, createdAt: now });
  ctx.content.addLink({ contentDocumentId: note.id, linkedEntityId: ownerId, shareType: 'I', visibility: 'AllUsers', createdAt: now });
  return { ok: true, id: note.id };
}

/** ContentDocumentLink create: shares a note with an opportunity (or a user); a second identical link is DUPLICATE_VALUE. */
export function createContentDocumentLink(
  ctx: SalesforceContext,
  table: SfTable,
  values: Record<string, unknown>,
  apply = true,
): WriteOutcome {
  const invalid = checkFields(table, values, 'create');
  if (invalid) return invalid;
  const missing = ['ContentDocumentId', 'LinkedEntityId', 'ShareType'].filter((f) => blank(valueOf(values, f)));
  if (missing.length > 0) return fieldError('REQUIRED_FIELD_MISSING', `Required fields are missing: [${missing.join(', ')}]`, missing);
  const docId = String(valueOf(values, 'ContentDocumentId'));
  const entityId = String(valueOf(values, 'LinkedEntityId'));
  const shareType = String(valueOf(values, 'ShareType'));
  const visibility = blank(valueOf(values, 'Visibility')) ? 'AllUsers' : String(valueOf(values, 'Visibility'));
  for (const [name, id] of [
    ['ContentDocumentId', docId],
    ['LinkedEntityId', entityId],
  ] as const) {
    if (!/^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$/.test(id))
      return fieldError('MALFORMED_ID', `${name}: id value of incorrect type: ${id}`, [name]);
  }
  if (!SHARE_TYPES.has(shareType))
    return fieldError('INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST', `Share Type: bad value for restricted picklist field: ${shareType}`, [
      'ShareType',
    ]);
  if (!VISIBILITIES.has(visibility))
    return fieldError('INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST', `Visibility: bad value for restricted picklist field: ${visibility}`, [
      'Visibility',
    ]);
  const noteIdx = ctx.content.noteIndex(docId);
  const note = noteIdx === undefined ? undefined : ctx.content.notes[noteIdx];
  if (!note || note.deleted)
    return fieldError('INVALID_CROSS_REFERENCE_KEY', `invalid cross reference id: ${docId}`, ['ContentDocumentId']);
  const store = ctx.store;
  const dealIdx = store.dealIndex(entityId);
  const deal = dealIdx === undefined ? undefined : store.book.deals[dealIdx];
  const isUser = store.book.reps.some((r) => r.id.slice(0, 15) === entityId.slice(0, 15));
  if (!deal && !isUser) return fieldError('INVALID_CROSS_REFERENCE_KEY', `invalid cross reference id: ${entityId}`, ['LinkedEntityId']);
  if (deal?.deleted) return fieldError('ENTITY_IS_DELETED', 'entity is deleted', ['LinkedEntityId']);
  if (ctx.content.isLinked(note.id, entityId)) {
    return fieldError('DUPLICATE_VALUE', `Document with ID: ${note.id} is already linked with the entity with ID: ${entityId}`, [
      'LinkedEntityId',
    ]);
  }
  if (!apply) return { ok: true, id: '' };
  const link = ctx.content.addLink({
    contentDocumentId: note.id,
    linkedEntityId: deal?.id ?? entityId,
    shareType: shareType as 'V' | 'C' | 'I',
    visibility: visibility as 'AllUsers' | 'InternalUsers' | 'SharedUsers',
    createdAt: store.now(),
  });
  if (deal) {
    ctx.log.annotate({
      at: new Date(store.now()).toISOString(),
      provider: 'salesforce',
      kind: 'note',
      dealId: deal.id,
      recordId: note.id,
      // The note as the rep sees it on the deal (Content decoded), plus how it is shared.
      fields: { Title: note.title, Content: note.content.toString('utf8'), ShareType: link.shareType, Visibility: link.visibility },
    });
  }
  return { ok: true, id: link.id };
}
