/**
 * HubSpot webhook verification and parsing. No API call, no SDK: the signature is computed from the
 * documented algorithm (https://developers.hubspot.com/docs/api/webhooks/validating-requests).
 */
import { createHash, createHmac } from 'node:crypto';
import type { HubSpotConnection } from '../../src/domain/model/index.js';
import { sameSecret, sha256Hex } from '../shared/digest.js';
import type { SkippedWebhookEvent, VerifyResult, WebhookEvent, WebhookRequest, WebhookVerifier } from '../types.js';
import { DEFAULT_FLAGS_PROPERTY, DEFAULT_SCORE_PROPERTY } from './mappers.js';
import { RawWebhookBatch, type RawWebhookEvent } from './schemas.js';

/** v3 requests older than this are refused (replay protection). */
export const MAX_TIMESTAMP_AGE_MS = 5 * 60_000;

/** The only escapes HubSpot decodes before signing a v3 request URI. */
const DECODED_ESCAPES: Record<string, string> = {
  '%3A': ':',
  '%2F': '/',
  '%3F': '?',
  '%40': '@',
  '%21': '!',
  '%24': '$',
  '%27': "'",
  '%28': '(',
  '%29': ')',
  '%2A': '*',
  '%2C': ',',
  '%3B': ';',
};

export function signatureUri(url: string): string {
  return url.replace(/%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi, (m) => DECODED_ESCAPES[m.toUpperCase()] ?? m);
}

function header(headers: WebhookRequest['headers'], name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted) return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}

/** Checks X-HubSpot-Signature-v3 (preferred) or the v1/v2 X-HubSpot-Signature of a request. */
export function verifyHubSpotSignature(request: WebhookRequest, secret: string | undefined, nowMs: number): VerifyResult {
  const v3 = header(request.headers, 'x-hubspot-signature-v3');
  if (v3 !== undefined) {
    const timestamp = header(request.headers, 'x-hubspot-request-timestamp');
    if (timestamp === undefined || !/^\d+$/.test(timestamp)) return { ok: false, reason: 'malformed' };
    if (Math.abs(nowMs - Number(timestamp)) > MAX_TIMESTAMP_AGE_MS) return { ok: false, reason: 'stale_timestamp' };
    if (!secret) return { ok: false, reason: 'bad_signature' };
    const given = Buffer.from(v3, 'base64');
    const signedOver = (uri: string) =>
      createHmac('sha256', secret)
        .update(
          Buffer.concat([Buffer.from(`${request.method.toUpperCase()}${uri}`, 'utf8'), request.rawBody, Buffer.from(timestamp, 'utf8')]),
        )
        .digest();
    // The documented URI decodes a few escapes; a signer that signed the URI as sent (a proxy, a
    // simulator) is accepted too: both prove the secret over the same method, URL, body and time.
    const decoded = sameSecret(signedOver(signatureUri(request.url)), given);
    const asSent = sameSecret(signedOver(request.url), given);
    return decoded || asSent ? { ok: true } : { ok: false, reason: 'bad_signature' };
  }

  const legacy = header(request.headers, 'x-hubspot-signature');
  if (legacy === undefined) return { ok: false, reason: 'missing_signature' };
  if (!secret) return { ok: false, reason: 'bad_signature' };
  const version = (header(request.headers, 'x-hubspot-signature-version') ?? 'v1').toLowerCase();
  const hash = createHash('sha256').update(secret, 'utf8');
  if (version === 'v2') hash.update(`${request.method.toUpperCase()}${request.url}`, 'utf8');
  else if (version !== 'v1') return { ok: false, reason: 'malformed' };
  const expected = hash.update(request.rawBody).digest();
  if (!/^[0-9a-f]+$/i.test(legacy)) return { ok: false, reason: 'bad_signature' };
  return sameSecret(expected, Buffer.from(legacy, 'hex')) ? { ok: true } : { ok: false, reason: 'bad_signature' };
}

/** HubSpot's object type id of deals in generic (`object.*`) events. */
export const DEAL_OBJECT_TYPE_ID = '0-3';

type Action = 'creation' | 'deletion' | 'propertyChange' | 'associationChange' | 'merge' | 'restore';
const ACTIONS = new Set<string>(['creation', 'deletion', 'propertyChange', 'associationChange', 'merge', 'restore']);

/**
 * What an event is about, in either format: legacy `deal.<action>`, or generic `object.<action>` whose
 * object type is `objectTypeId` (association changes name theirs in `fromObjectTypeId`/`toObjectTypeId`).
 * https://developers.hubspot.com/changelog/public-beta-generic-webhook-subscriptions
 */
function classify(event: RawWebhookEvent): { action: Action; dealIds: string[] } | SkippedWebhookEvent {
  const type = event.subscriptionType ?? event.eventType ?? '';
  const dot = type.indexOf('.');
  const scope = type.slice(0, dot);
  const action = type.slice(dot + 1) as Action;
  const about = { subscriptionType: type, ...(event.objectTypeId ? { objectTypeId: event.objectTypeId } : {}) };
  if (dot < 0 || !ACTIONS.has(action)) {
    // Legacy subscriptions of other objects (contact.creation, conversation.*, ...) are understood.
    return /^[a-z_]+\.[A-Za-z]+$/.test(type) && scope !== 'deal' && scope !== 'object'
      ? { reason: 'other_object', understood: true, ...about }
      : { reason: 'unknown_subscription_type', understood: false, ...about };
  }
  if (scope !== 'deal' && scope !== 'object') return { reason: 'other_object', understood: true, ...about };
  const ids = (...values: (string | null | undefined)[]) => values.filter((v): v is string => typeof v === 'string' && v !== '');

  if (action === 'associationChange') {
    // Either end may be the deal; a change between two other objects is not ours.
    const legacyDeal = scope === 'deal';
    const fromDeal = legacyDeal ? /^DEAL_TO_/.test(event.associationType ?? '') : event.fromObjectTypeId === DEAL_OBJECT_TYPE_ID;
    const toDeal = legacyDeal ? /_TO_DEAL$/.test(event.associationType ?? '') : event.toObjectTypeId === DEAL_OBJECT_TYPE_ID;
    const dealIds = ids(fromDeal ? event.fromObjectId : null, toDeal ? event.toObjectId : null, legacyDeal ? event.objectId : null);
    if (dealIds.length > 0) return { action, dealIds: [...new Set(dealIds)] };
    return legacyDeal || event.fromObjectTypeId || event.toObjectTypeId
      ? { reason: 'other_object', understood: true, ...about }
      : { reason: 'missing_object_id', understood: false, ...about };
  }
  if (scope === 'object') {
    if (!event.objectTypeId) return { reason: 'missing_object_type', understood: false, ...about };
    if (event.objectTypeId !== DEAL_OBJECT_TYPE_ID) return { reason: 'other_object', understood: true, ...about };
  }
  if (action === 'merge') {
    // The surviving (or newly created) deal is refetched; the merged-away ones read as gone.
    const dealIds = ids(event.newObjectId ?? event.primaryObjectId ?? event.objectId, ...(event.mergedObjectIds ?? []));
    return dealIds.length > 0 ? { action, dealIds: [...new Set(dealIds)] } : { reason: 'missing_object_id', understood: false, ...about };
  }
  return event.objectId ? { action, dealIds: [event.objectId] } : { reason: 'missing_object_id', understood: false, ...about };
}

function kindOf(action: Action, event: RawWebhookEvent): WebhookEvent['kind'] {
  switch (action) {
    case 'creation':
      return 'created';
    case 'deletion':
      return 'deleted';
    case 'propertyChange':
      return event.propertyName === 'dealstage' ? 'stage_change' : 'changed';
    case 'associationChange':
      return 'changed';
    case 'merge':
      return 'merged';
    case 'restore':
      return 'restored';
  }
}

/**
 * Deal events of a webhook batch, legacy (`deal.*`) and generic (`object.*` with objectTypeId `0-3`)
 * alike. Every other event is reported to `skipped`: understood and not acted on (another object
 * type), or not understood (an unknown subscription type, no object id). Throws on malformed JSON.
 */
export function parseHubSpotWebhook(
  request: WebhookRequest,
  settings: Pick<HubSpotConnection, 'id' | 'fieldMap'>,
  skipped: (event: SkippedWebhookEvent) => void = () => undefined,
): WebhookEvent[] {
  const events = RawWebhookBatch.parse(JSON.parse(request.rawBody.toString('utf8')));
  const ownFields = new Set([settings.fieldMap.score ?? DEFAULT_SCORE_PROPERTY, settings.fieldMap.flags ?? DEFAULT_FLAGS_PROPERTY]);
  const out: WebhookEvent[] = [];
  for (const event of events) {
    const what = classify(event);
    if ('reason' in what) {
      skipped(what);
      continue;
    }
    const kind = kindOf(what.action, event);
    const occurredMs = typeof event.occurredAt === 'number' ? event.occurredAt : Number(event.occurredAt ?? NaN);
    const occurredAt = Number.isFinite(occurredMs)
      ? new Date(occurredMs).toISOString()
      : new Date(Date.parse(String(event.occurredAt))).toISOString();
    const selfInflicted =
      (event.propertyName !== null && event.propertyName !== undefined && ownFields.has(event.propertyName)) ||
      (event.changeSource === 'INTEGRATION' && event.appId !== null && event.appId !== undefined && event.sourceId === event.appId);
    for (const dealId of what.dealIds) {
      // HubSpot's eventId is not guaranteed unique: pair it with what the event is about.
      const eventId = event.eventId ? `${event.eventId}:${dealId}:${occurredMs}` : sha256Hex(`${dealId}|${kind}|${occurredAt}`, 32);
      out.push({
        connectionId: settings.id,
        eventId,
        dealId,
        kind,
        occurredAt,
        ...(kind === 'stage_change' && event.propertyValue ? { stageId: event.propertyValue } : {}),
        selfInflicted,
      });
    }
  }
  return out;
}

export function hubspotWebhookVerifier(settings: HubSpotConnection): WebhookVerifier {
  return {
    verify: (request, nowMs) => verifyHubSpotSignature(request, settings.webhookSecret, nowMs),
    parse: (request, skipped) => parseHubSpotWebhook(request, settings, skipped),
  };
}
