/**
 * HubSpot webhook verification and parsing. No API call, no SDK: the signature is computed from the
 * documented algorithm (https://developers.hubspot.com/docs/api/webhooks/validating-requests).
 */
import { createHash, createHmac } from 'node:crypto';
import type { HubSpotConnection } from '../../src/domain/model/index.js';
import { sameSecret, sha256Hex } from '../shared/digest.js';
import type { VerifyResult, WebhookEvent, WebhookRequest, WebhookVerifier } from '../types.js';
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
        .update(Buffer.concat([Buffer.from(`${request.method.toUpperCase()}${uri}`, 'utf8'), request.rawBody, Buffer.from(timestamp, 'utf8')]))
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

function kindOf(event: RawWebhookEvent): WebhookEvent['kind'] | null {
  const type = event.subscriptionType ?? event.eventType ?? '';
  switch (type) {
    case 'deal.creation':
      return 'created';
    case 'deal.deletion':
      return 'deleted';
    case 'deal.propertyChange':
      return event.propertyName === 'dealstage' ? 'stage_change' : 'changed';
    case 'deal.associationChange':
      return 'changed';
    case 'deal.merge':
      return 'merged';
    case 'deal.restore':
      return 'restored';
    default:
      return null;
  }
}

/** Deal events of a webhook batch; events about other objects are ignored. Throws on malformed JSON. */
export function parseHubSpotWebhook(request: WebhookRequest, settings: Pick<HubSpotConnection, 'id' | 'fieldMap'>): WebhookEvent[] {
  const events = RawWebhookBatch.parse(JSON.parse(request.rawBody.toString('utf8')));
  const ownFields = new Set([settings.fieldMap.score ?? DEFAULT_SCORE_PROPERTY, settings.fieldMap.flags ?? DEFAULT_FLAGS_PROPERTY]);
  const out: WebhookEvent[] = [];
  for (const event of events) {
    const kind = kindOf(event);
    if (kind === null || !event.objectId) continue;
    const occurredMs = typeof event.occurredAt === 'number' ? event.occurredAt : Number(event.occurredAt ?? NaN);
    const occurredAt = Number.isFinite(occurredMs) ? new Date(occurredMs).toISOString() : new Date(Date.parse(String(event.occurredAt))).toISOString();
    // HubSpot's eventId is not guaranteed unique: pair it with what the event is about.
    const eventId = event.eventId
      ? `${event.eventId}:${event.objectId}:${occurredMs}`
      : sha256Hex(`${event.objectId}|${kind}|${occurredAt}`, 32);
    const selfInflicted =
      (event.propertyName !== null && event.propertyName !== undefined && ownFields.has(event.propertyName)) ||
      (event.changeSource === 'INTEGRATION' && event.appId !== null && event.appId !== undefined && event.sourceId === event.appId);
    out.push({
      connectionId: settings.id,
      eventId,
      dealId: event.objectId,
      kind,
      occurredAt,
      ...(kind === 'stage_change' && event.propertyValue ? { stageId: event.propertyValue } : {}),
      selfInflicted,
    });
  }
  return out;
}

export function hubspotWebhookVerifier(settings: HubSpotConnection): WebhookVerifier {
  return {
    verify: (request, nowMs) => verifyHubSpotSignature(request, settings.webhookSecret, nowMs),
    parse: (request) => parseHubSpotWebhook(request, settings),
  };
}
