/**
 * Validation and application of property writes, as HubSpot does them: an unknown property or a
 * read-only one fails the whole input with VALIDATION_ERROR; valid writes change the deal as one
 * save (stage changes move hs_date_entered_*, every write moves hs_lastmodifieddate).
 */
import type { ActivityKind } from '../generator/book.js';
import type { HubSpotContext } from './context.js';
import { propertyErrors, type HubSpotErrorBody } from './errors.js';
import { WRITABLE_ACTIVITY_PROPERTIES } from './properties.js';

const DAY_MS = 86_400_000;

export type WriteResult = { ok: true } | { ok: false; error: HubSpotErrorBody };

function parseTime(value: string): number | null {
  if (/^\d+$/.test(value)) return Number(value);
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

export function applyDealWrite(ctx: HubSpotContext, dealIdx: number, input: Record<string, unknown>): WriteResult {
  const deal = ctx.store.book.deals[dealIdx];
  if (!deal) return { ok: false, error: propertyErrors([]) };
  const problems: Parameters<typeof propertyErrors>[0] = [];
  const changes: Parameters<typeof ctx.store.updateDeal>[1] = {};
  const custom: Record<string, string | null> = {};
  for (const [name, rawValue] of Object.entries(input)) {
    const value = rawValue === null || rawValue === undefined ? '' : String(rawValue);
    const definition = ctx.dealProperties.get(name);
    if (!definition) {
      problems.push({ name, error: 'PROPERTY_DOESNT_EXIST' });
      continue;
    }
    if (definition.modificationMetadata.readOnlyValue) {
      problems.push({ name, error: 'READ_ONLY_VALUE' });
      continue;
    }
    switch (name) {
      case 'dealname':
        changes.name = value;
        break;
      case 'dealstage': {
        const stage = ctx.store.findStage(deal, value);
        if (stage < 0) problems.push({ name, error: 'INVALID_OPTION' });
        else changes.stage = stage;
        break;
      }
      case 'pipeline':
        if (ctx.store.pipelineOf(deal).id !== value) problems.push({ name, error: 'INVALID_OPTION' });
        break;
      case 'amount':
      case 'discount_percent': {
        const n = value === '' ? null : Number(value);
        if (n !== null && Number.isNaN(n)) problems.push({ name, error: 'INVALID_INTEGER' });
        else if (name === 'amount') changes.amount = n;
        else changes.discount = n;
        break;
      }
      case 'closedate': {
        const ms = value === '' ? null : parseTime(value);
        if (value !== '' && ms === null) problems.push({ name, error: 'INVALID_DATE' });
        else changes.closeDate = ms === null ? null : Math.floor(ms / DAY_MS) * DAY_MS;
        break;
      }
      case 'hubspot_owner_id': {
        const owner = ctx.store.book.reps.findIndex((r) => r.id === value);
        if (owner < 0) problems.push({ name, error: 'INVALID_OPTION' });
        else changes.owner = owner;
        break;
      }
      case 'hs_next_step':
        changes.nextStep = value === '' ? null : value;
        break;
      case 'closed_lost_reason':
        deal.lostReason = value === '' ? null : value;
        break;
      default:
        // A multiple checkbox (or select) takes only its options' values, `;`-separated; anything
        // else is INVALID_OPTION. https://knowledge.hubspot.com/properties/property-field-types-in-hubspot
        if (
          definition.type === 'enumeration' &&
          value !== '' &&
          value.split(';').some((v) => !definition.options.some((o) => o.value === v))
        ) {
          problems.push({ name, error: 'INVALID_OPTION' });
          break;
        }
        custom[name] = value === '' ? null : value;
    }
  }
  if (problems.length > 0) return { ok: false, error: propertyErrors(problems) };
  if (Object.keys(custom).length > 0) changes.custom = custom;
  ctx.store.updateDeal(dealIdx, changes, { viaApi: true });
  ctx.log.annotate({
    at: new Date(ctx.store.now()).toISOString(),
    provider: 'hubspot',
    kind: 'field_update',
    dealId: deal.id,
    recordId: deal.id,
    fields: { ...input },
  });
  return { ok: true };
}

export interface ActivityCreateInput {
  properties?: Record<string, unknown>;
  associations?: { to?: { id?: string | number }; types?: { associationCategory?: string; associationTypeId?: number }[] }[];
}

/** Association type ids (HUBSPOT_DEFINED) from an activity to a deal. */
export const ACTIVITY_TO_DEAL_TYPE_ID: Record<ActivityKind, number> = { call: 206, email: 210, meeting: 212, note: 214, task: 216 };

export type CreateResult = { ok: true; activityId: string } | { ok: false; error: HubSpotErrorBody };

/** Values of the activity's custom properties in a write (null when none). */
function customActivityValues(
  ctx: HubSpotContext,
  kind: ActivityKind,
  props: Record<string, unknown>,
): Record<string, string | null> | null {
  const out: Record<string, string | null> = {};
  for (const [name, value] of Object.entries(props)) {
    if (ctx.customActivityProperty(OBJECT_TYPE_OF[kind], name))
      out[name] = value === null || value === undefined || value === '' ? null : String(value);
  }
  return Object.keys(out).length > 0 ? out : null;
}

const OBJECT_TYPE_OF: Record<ActivityKind, string> = { call: 'calls', email: 'emails', meeting: 'meetings', note: 'notes', task: 'tasks' };

function unknownActivityProperties(
  ctx: HubSpotContext,
  kind: ActivityKind,
  props: Record<string, unknown>,
): Parameters<typeof propertyErrors>[0] {
  return Object.keys(props)
    .filter((name) => !WRITABLE_ACTIVITY_PROPERTIES[kind].includes(name) && !ctx.customActivityProperty(OBJECT_TYPE_OF[kind], name))
    .map((name) => ({ name, error: 'PROPERTY_DOESNT_EXIST' as const }));
}

/**
 * Update of a note/task by id (batch update): the given properties change in place; a task's
 * hs_task_status COMPLETED completes it.
 * https://developers.hubspot.com/docs/api-reference/latest/crm/activities/tasks/guide
 */
export function updateActivity(ctx: HubSpotContext, kind: ActivityKind, id: string, props: Record<string, unknown>): WriteResult {
  const problems = unknownActivityProperties(ctx, kind, props);
  if (problems.length > 0) return { ok: false, error: propertyErrors(problems) };
  const str = (name: string): string | undefined => (props[name] === undefined || props[name] === null ? undefined : String(props[name]));
  const subject = str('hs_task_subject');
  const body = str('hs_note_body') ?? str('hs_task_body');
  const status = str('hs_task_status');
  const ownerId = str('hubspot_owner_id');
  // hubspot_owner_id must be an owner id (GET /crm/v3/owners), as on deals; it reassigns the task.
  // https://developers.hubspot.com/docs/api-reference/latest/crm/activities/tasks/guide
  const owner = ownerId === undefined ? undefined : ctx.store.book.reps.findIndex((r) => r.id === ownerId);
  if (owner !== undefined && owner < 0)
    return { ok: false, error: propertyErrors([{ name: 'hubspot_owner_id', error: 'INVALID_OPTION' }]) };
  const custom = customActivityValues(ctx, kind, props);
  const activity = ctx.store.updateActivity(id, {
    ...(owner !== undefined ? { owner } : {}),
    ...(subject !== undefined ? { subject } : {}),
    ...(body !== undefined ? { body } : {}),
    ...(kind === 'task' && status !== undefined ? { completed: status === 'COMPLETED' } : {}),
    ...(custom ? { custom } : {}),
  });
  if (!activity) return { ok: false, error: propertyErrors([]) };
  ctx.log.annotate({
    at: new Date(ctx.store.now()).toISOString(),
    provider: 'hubspot',
    kind: kind === 'task' ? 'task' : 'note',
    dealId: ctx.store.book.deals[activity.deal]?.id ?? '',
    recordId: activity.id,
    fields: { ...props },
  });
  return { ok: true };
}

export function createActivity(ctx: HubSpotContext, kind: ActivityKind, input: ActivityCreateInput): CreateResult {
  const props = input.properties ?? {};
  const problems: Parameters<typeof propertyErrors>[0] = unknownActivityProperties(ctx, kind, props);
  const tsRaw = props['hs_timestamp'];
  const at = tsRaw === undefined || tsRaw === null || tsRaw === '' ? null : parseTime(String(tsRaw));
  if (tsRaw !== undefined && tsRaw !== '' && at === null) problems.push({ name: 'hs_timestamp', error: 'INVALID_DATE' });
  // The owner a task is assigned to must be an owner id (GET /crm/v3/owners), as on deals.
  // https://developers.hubspot.com/docs/api-reference/latest/crm/activities/tasks/guide
  const ownerRaw = props['hubspot_owner_id'];
  if (ownerRaw !== undefined && ownerRaw !== null && ownerRaw !== '' && !ctx.store.book.reps.some((r) => r.id === String(ownerRaw)))
    problems.push({ name: 'hubspot_owner_id', error: 'INVALID_OPTION' });
  if (problems.length > 0) return { ok: false, error: propertyErrors(problems) };
  if (kind === 'note' && at === null) {
    return { ok: false, error: propertyErrors([{ name: 'hs_timestamp', error: 'INVALID_DATE' }]) };
  }
  let dealIdx = -1;
  for (const assoc of input.associations ?? []) {
    const id = assoc.to?.id === undefined ? undefined : String(assoc.to.id);
    const typeOk = (assoc.types ?? []).some((t) => t.associationTypeId === ACTIVITY_TO_DEAL_TYPE_ID[kind]);
    const idx = id === undefined ? undefined : ctx.store.dealIndex(id);
    if (typeOk && idx !== undefined) dealIdx = idx;
  }
  const str = (name: string): string | undefined => (props[name] === undefined || props[name] === null ? undefined : String(props[name]));
  const subject =
    str('hs_task_subject') ??
    str('hs_call_title') ??
    str('hs_email_subject') ??
    str('hs_meeting_title') ??
    (kind === 'note' ? 'Note' : kind);
  const body = str('hs_note_body') ?? str('hs_task_body') ?? str('hs_call_body') ?? str('hs_email_text') ?? str('hs_meeting_body') ?? null;
  const ownerId = str('hubspot_owner_id');
  const owner = ownerId === undefined ? -1 : ctx.store.book.reps.findIndex((r) => r.id === ownerId);
  const status = str('hs_task_status');
  const direction = str('hs_call_direction') ?? str('hs_email_direction');
  const custom = customActivityValues(ctx, kind, props);
  const activity = ctx.store.addActivity(dealIdx, {
    ...(custom ? { custom } : {}),
    kind,
    ...(at !== null ? { at } : {}),
    subject,
    body,
    viaApi: true,
    ...(owner >= 0 ? { owner } : {}),
    ...(kind === 'task' ? { completed: status === 'COMPLETED' } : {}),
    ...(direction !== undefined
      ? { direction: direction === 'INBOUND' || direction === 'INCOMING_EMAIL' ? ('inbound' as const) : ('outbound' as const) }
      : {}),
  });
  const deal = dealIdx >= 0 ? ctx.store.book.deals[dealIdx] : undefined;
  if (kind === 'note' || kind === 'task') {
    ctx.log.annotate({
      at: new Date(ctx.store.now()).toISOString(),
      provider: 'hubspot',
      kind,
      dealId: deal?.id ?? '',
      recordId: activity.id,
      fields: { ...props },
    });
  }
  return { ok: true, activityId: activity.id };
}
