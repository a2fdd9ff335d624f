import { describe, expect, it } from 'vitest';
import { jobCatalog, jobIdOf } from '../../../src/queue/index.js';

describe('job catalog', () => {
  it('gives a webhook event the same job id however often it is delivered, and another event another id', () => {
    const event = { connectionId: 'hs', eventId: '42', dealId: 'd1', kind: 'stage_change' as const, occurredAt: '2026-11-20T10:00:00Z' };
    const parse = (e: typeof event) => jobCatalog.events.jobId(jobCatalog.events.payload.parse(e));
    expect(parse(event)).toBe(parse({ ...event }));
    expect(parse({ ...event, eventId: '43' })).not.toBe(parse(event));
    expect(parse({ ...event, occurredAt: '2026-11-20T10:00:01Z' })).not.toBe(parse(event));
    expect(parse(event)).not.toContain(':');
  });

  it('coalesces syncs per connection, whatever the mode', () => {
    const a = jobCatalog.sync.payload.parse({ connectionId: 'sf', mode: 'full' });
    const b = jobCatalog.sync.payload.parse({ connectionId: 'sf' });
    expect(jobCatalog.sync.dedupeId!(a)).toBe(jobCatalog.sync.dedupeId!(b));
    expect(jobCatalog.sync.dedupeId!(a)).not.toBe(jobCatalog.sync.dedupeId!({ ...b, connectionId: 'hs' }));
  });

  it('derives score job ids from the sync run and chunk, so a retried sync does not score twice', () => {
    const p = jobCatalog.score.payload.parse({ connectionId: 'sf', dealIds: ['1'], runId: 12, chunk: 3 });
    expect(jobCatalog.score.jobId(p)).toBe('score-sf-12-3');
  });

  it('tells apart two runs with the same id (a restored or new database) by their start instant', () => {
    const parse = (runStartedAt: string) =>
      jobCatalog.score.jobId(jobCatalog.score.payload.parse({ connectionId: 'sf', dealIds: ['1'], runId: 12, runStartedAt, chunk: 0 }));
    const first = parse('2026-11-20T10:00:00.000Z');
    expect(first).toBe(parse('2026-11-20T10:00:00.000Z'));
    expect(first).not.toBe(parse('2026-12-03T09:30:00.000Z'));
    expect(first).toMatch(/^score-sf-12\.[0-9a-z]+-0$/);
  });

  it('applies payload defaults and rejects bad payloads', () => {
    expect(jobCatalog.sync.payload.parse({ connectionId: 'x' })).toEqual({ connectionId: 'x', mode: 'incremental', trigger: 'schedule' });
    expect(
      jobCatalog.events.payload.safeParse({ connectionId: 'x', eventId: 'e', dealId: 'd', kind: 'bogus', occurredAt: 'now' }).success,
    ).toBe(false);
  });

  it('retries every job with exponential backoff and jitter', () => {
    for (const definition of Object.values(jobCatalog)) {
      expect(definition.retry.attempts).toBeGreaterThan(1);
      expect(definition.retry.jitter).toBeGreaterThan(0);
      expect(definition.retention.failed.count).toBeGreaterThan(0);
    }
  });

  it('makes job ids safe on both backends', () => {
    expect(jobIdOf('ev', 'a:b', 'c/d')).toBe('ev-a_b-c_d');
  });
});
