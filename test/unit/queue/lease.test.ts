/** A lease whose renewal fails is not held on silently: logged at warn, and the holder told to stop once it may lapse. */
import { describe, expect, it } from 'vitest';
import { LeaseFactory } from '../../../src/queue/lease.js';

function factoryWith(limiter: { consume(): Promise<unknown>; set(): Promise<unknown>; delete(): Promise<unknown> }) {
  const warnings: { obj: object; msg: string | undefined }[] = [];
  const factory = new LeaseFactory({} as never, 'test', 0.3, { warn: (obj, msg) => warnings.push({ obj, msg }) });
  // The store itself is exercised by the queue-system integration test; here it only fails to renew.
  (factory as unknown as { limiter: Promise<unknown> }).limiter = Promise.resolve(limiter);
  return { factory, warnings };
}

const untilAborted = (lost: AbortSignal, ms: number) =>
  new Promise<string>((resolve) => {
    const timer = setTimeout(() => resolve('held'), ms);
    lost.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve(`lost: ${(lost.reason as Error).message}`);
    });
  });

describe('lease renewal', () => {
  it('failing renewals are logged at warn and the holder is told the lease is lost before it lapses', async () => {
    const { factory, warnings } = factoryWith({
      consume: async () => ({}),
      set: async () => Promise.reject(new Error('connection refused')),
      delete: async () => ({}),
    });
    const outcome = await factory.withLease('writeback:sf', (lost) => untilAborted(lost, 2_000));
    expect(outcome).toBe('lost: lease writeback:sf lost: its renewal failed');
    expect(warnings.map((w) => w.msg)).toContain('lease lost: its renewal failed');
    expect(warnings[0]!.obj).toMatchObject({ lease: 'writeback:sf', err: 'connection refused' });
  });

  it('renewals that succeed keep the lease', async () => {
    const { factory, warnings } = factoryWith({ consume: async () => ({}), set: async () => ({}), delete: async () => ({}) });
    expect(await factory.withLease('writeback:sf', (lost) => untilAborted(lost, 700))).toBe('held');
    expect(warnings).toEqual([]);
  });
});
