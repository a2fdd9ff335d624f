import { describe, expect, it } from 'vitest';
import { concurrencyFromEnv } from '../../../jobs/runtime.js';

describe('DEALWATCH_CONCURRENCY', () => {
  it('reads per-queue concurrency', () => {
    expect(concurrencyFromEnv('sync=1, events=16')).toEqual({ sync: 1, events: 16 });
    expect(concurrencyFromEnv(undefined)).toEqual({});
  });

  it('names a bad entry instead of ignoring it', () => {
    expect(() => concurrencyFromEnv('emails=3')).toThrow(/emails=3/);
    expect(() => concurrencyFromEnv('sync=0')).toThrow(/CONCURRENCY/);
  });
});
