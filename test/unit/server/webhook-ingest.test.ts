/** When the queue refuses a webhook's events, their dedupe claims are freed; when that fails, it is not silent. */
import { describe, expect, it } from 'vitest';
import type { WebhookEvent } from '../../../connectors/types.js';
import { createMetrics } from '../../../src/server/metrics.js';
import { ingestEvents } from '../../../src/server/webhooks/ingest.js';

const event: WebhookEvent = {
  connectionId: 'hs',
  eventId: 'e1',
  dealId: 'D1',
  kind: 'stage_change',
  occurredAt: '2026-12-01T10:00:00.000Z',
  selfInflicted: false,
};

function setup(options: { releaseFails: boolean }) {
  const claimed = new Set<string>();
  let queueUp = false;
  const errors: { obj: object; msg: string | undefined }[] = [];
  const metrics = createMetrics({ processMetrics: false });
  const deps = {
    metrics,
    dedupe: {
      async claim(keys: readonly string[]) {
        if (keys.some((k) => claimed.has(k))) return false;
        keys.forEach((k) => claimed.add(k));
        return true;
      },
      async release(keys: readonly string[]) {
        if (options.releaseFails) throw new Error('connection reset');
        keys.forEach((k) => claimed.delete(k));
      },
    },
    events: {
      async enqueueEvents(events: readonly WebhookEvent[]) {
        if (!queueUp) throw new Error('queue down');
        return events.length;
      },
    },
  };
  const log = { error: (obj: object, msg?: string) => errors.push({ obj, msg }) };
  const counted = async () => (await metrics.webhookEvents.get()).values.find((v) => v.labels.outcome === 'unreleased')?.value ?? 0;
  return { deps, log, errors, counted, queueBack: () => (queueUp = true) };
}

describe('webhook ingest when the events queue refuses', () => {
  it('frees the claims, so the provider retry is accepted', async () => {
    const s = setup({ releaseFails: false });
    await expect(ingestEvents('hubspot', [event], s.deps as never, s.log)).rejects.toMatchObject({ code: 'QUEUE.UNAVAILABLE' });
    s.queueBack();
    await expect(ingestEvents('hubspot', [event], s.deps as never, s.log)).resolves.toMatchObject({ accepted: 1, duplicates: 0 });
    expect(s.errors).toEqual([]);
    expect(await s.counted()).toBe(0);
  });

  it('when the claims cannot be freed either: still 5xx, logged at error with the deal, counted as unreleased', async () => {
    const s = setup({ releaseFails: true });
    await expect(ingestEvents('hubspot', [event], s.deps as never, s.log)).rejects.toMatchObject({ code: 'QUEUE.UNAVAILABLE' });
    expect(s.errors).toHaveLength(1);
    expect(s.errors[0]!.obj).toMatchObject({ events: 1, deals: ['hs:D1'] });
    expect(s.errors[0]!.msg).toContain('could not be freed');
    expect(await s.counted()).toBe(1);
  });
});
