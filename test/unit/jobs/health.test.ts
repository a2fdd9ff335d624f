import { describe, expect, it } from 'vitest';
import { connectionHealthHooks } from '../../../jobs/health.js';
import type { Store } from '../../../src/store/types.js';

/** The connection-state slice of the store, in memory. */
function stateStore() {
  const state = { failures: 0, paused: null as string | null };
  const store = {
    connectionState: {
      recordFailure: async () => ++state.failures,
      recordSuccess: async () => void (state.failures = 0),
      pause: async (_id: string, reason: string) => void (state.paused = reason),
    },
  } as unknown as Store;
  return { state, store };
}

const noop = () => undefined;
const logger = { debug: noop, info: noop, warn: noop, error: noop, child: () => logger };

describe('connection health', () => {
  it('pauses a connection at once when it needs a person (auth, configuration)', async () => {
    const { state, store } = stateStore();
    await connectionHealthHooks({ store, logger, clock: () => new Date() }).onFailedForGood!('events', 'hs', 'CRM.AUTH: revoked', true);
    expect(state.paused).toBe('needs attention: CRM.AUTH: revoked');
  });

  it('pauses after N failed syncs in a row, and a success resets the count', async () => {
    const { state, store } = stateStore();
    const hooks = connectionHealthHooks({ store, logger, clock: () => new Date() }, 3);
    await hooks.onFailedForGood!('sync', 'hs', 'CRM.TRANSIENT: 502', false);
    await hooks.onFailedForGood!('sync', 'hs', 'CRM.TRANSIENT: 502', false);
    await hooks.onSucceeded!('sync', 'hs');
    await hooks.onFailedForGood!('sync', 'hs', 'CRM.TRANSIENT: 502', false);
    await hooks.onFailedForGood!('sync', 'hs', 'CRM.TRANSIENT: 502', false);
    expect(state.paused).toBeNull();
    await hooks.onFailedForGood!('sync', 'hs', 'CRM.TRANSIENT: 503', false);
    expect(state.paused).toBe('3 syncs failed in a row; last: CRM.TRANSIENT: 503');
  });
});
