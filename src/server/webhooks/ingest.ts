/** The common tail of every webhook: drop our own writes, deduplicate, enqueue, count. */
import { createHash } from 'node:crypto';
import type { Provider } from '../../domain/model/index.js';
import { DealwatchError } from '../../domain/errors.js';
import type { SkippedWebhookEvent, WebhookEvent } from '../../../connectors/types.js';
import type { Metrics } from '../metrics.js';
import type { Deduper, EventSink } from '../ports.js';

export interface IngestResult {
  /** Events enqueued now. */
  accepted: number;
  /** Events already enqueued by an earlier delivery. */
  duplicates: number;
  /** Events made by dealwatch's own writes (enqueuing them would loop). */
  selfInflicted: number;
}

const hash = (text: string): string => createHash('sha256').update(text).digest('base64url').slice(0, 32);

/**
 * Dedupe keys of an event: its provider id, and (deal, occurredAt), since providers redeliver
 * the same change under another id. Hashed so no payload text lands in Redis key names.
 */
export function dedupeKeys(event: WebhookEvent): string[] {
  // `{connection}` is a Redis Cluster hash tag: both keys of a claim live on one slot.
  return [
    `{${event.connectionId}}:e:${hash(event.eventId)}`,
    `{${event.connectionId}}:d:${hash(`${event.dealId}\u0000${event.occurredAt}`)}`,
  ];
}

export interface IngestDeps {
  dedupe: Deduper;
  events: EventSink;
  metrics: Metrics;
}

export interface IngestLog {
  error(obj: object, msg?: string): void;
}

/**
 * Enqueues the new events. Resolves only once they are durably queued, so the caller may
 * acknowledge; when the queue refuses, the claims are released (the provider's retry is then
 * accepted) and QUEUE.UNAVAILABLE is thrown.
 */
export async function ingestEvents(
  provider: Provider,
  events: readonly WebhookEvent[],
  deps: IngestDeps,
  log?: IngestLog,
): Promise<IngestResult> {
  const own = events.filter((e) => e.selfInflicted);
  const candidates = events.filter((e) => !e.selfInflicted);
  // Duplicates inside the delivery are dropped here, so the remaining claims share no key and can
  // go out together (one round trip with auto-pipelining) instead of one after another.
  const seen = new Set<string>();
  const distinct: { event: WebhookEvent; keys: string[] }[] = [];
  for (const event of candidates) {
    const keys = dedupeKeys(event);
    if (keys.some((k) => seen.has(k))) continue;
    keys.forEach((k) => seen.add(k));
    distinct.push({ event, keys });
  }
  const claims = await Promise.allSettled(distinct.map((d) => deps.dedupe.claim(d.keys)));
  if (claims.some((c) => c.status === 'rejected')) {
    // The dedupe store is unreachable: take nothing (the provider retries) and free what was claimed.
    const taken = distinct.filter((_, i) => claims[i]?.status === 'fulfilled' && claims[i].value);
    await release(provider, taken, deps, log);
    const cause = claims.find((c): c is PromiseRejectedResult => c.status === 'rejected')?.reason;
    throw new DealwatchError('QUEUE.UNAVAILABLE', 'the webhook dedupe store did not answer', { cause });
  }
  const fresh = distinct.filter((_, i) => {
    const claim = claims[i];
    return claim?.status === 'fulfilled' && claim.value;
  });
  if (fresh.length > 0) {
    try {
      await deps.events.enqueueEvents(fresh.map((f) => f.event));
    } catch (cause) {
      await release(provider, fresh, deps, log);
      throw new DealwatchError('QUEUE.UNAVAILABLE', 'the events queue did not take the webhook events', { cause });
    }
  }
  const result = { accepted: fresh.length, duplicates: candidates.length - fresh.length, selfInflicted: own.length };
  const count = (outcome: string, reason: string, n: number) => {
    if (n > 0) deps.metrics.webhookEvents.inc({ provider, outcome, reason }, n);
  };
  count('accepted', 'none', result.accepted);
  count('duplicate', 'duplicate', result.duplicates);
  count('ignored', 'self_inflicted', result.selfInflicted);
  return result;
}

/**
 * Frees the claims of events that were not enqueued, so the provider's retry is accepted. When that
 * fails too, the retry will be taken for a duplicate while the keys live (25 h): the events are not
 * dropped silently but logged at error (with their deals) and counted as
 * `dealwatch_webhook_events_total{outcome="unreleased"}`; the next scheduled sync still reads the
 * changes. The webhook answers 5xx either way.
 */
async function release(
  provider: Provider,
  taken: readonly { event: WebhookEvent; keys: string[] }[],
  deps: IngestDeps,
  log?: IngestLog,
): Promise<void> {
  if (taken.length === 0) return;
  try {
    await deps.dedupe.release(taken.flatMap((d) => d.keys));
  } catch (err) {
    deps.metrics.webhookEvents.inc({ provider, outcome: 'unreleased', reason: 'dedupe_release_failed' }, taken.length);
    log?.error(
      {
        provider,
        events: taken.length,
        deals: [...new Set(taken.map((d) => `${d.event.connectionId}:${d.event.dealId}`))].slice(0, 20),
        err,
      },
      'webhook events were not enqueued and their dedupe claims could not be freed: ' +
        'retries of them will be taken for duplicates; the next sync reads the changes',
    );
  }
}

/**
 * Events of an accepted delivery that produced nothing to do: counted by reason
 * (`dealwatch_webhook_events_total{outcome="ignored"}`), logged at debug when understood (another
 * object type) and at warn when they could not be read (an unknown subscription type, no object id).
 */
export function countSkipped(
  provider: Provider,
  skipped: readonly SkippedWebhookEvent[],
  metrics: Metrics,
  log: { debug(obj: object, msg?: string): void; warn(obj: object, msg?: string): void },
): void {
  const byReason = new Map<string, SkippedWebhookEvent[]>();
  for (const event of skipped) byReason.set(event.reason, [...(byReason.get(event.reason) ?? []), event]);
  for (const [reason, events] of byReason) {
    metrics.webhookEvents.inc({ provider, outcome: 'ignored', reason }, events.length);
    const first = events[0]!;
    const detail = { provider, reason, events: events.length, subscriptionType: first.subscriptionType, objectTypeId: first.objectTypeId };
    if (first.understood) log.debug(detail, 'webhook events not acted on');
    else log.warn(detail, 'webhook events not understood');
  }
}
