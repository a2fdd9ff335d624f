/**
 * The default HubSpot gate (100 / 10 s) against the sandbox, which enforces HubSpot's rolling
 * 10 s window: a burst of 150 requests spans a window boundary. A fixed-window gate lets 100
 * through at the end of one window and the rest at the start of the next; the sub-window gate never
 * admits more than 100 in any rolling 10 s.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueueSystem, rateLimitsFor } from '../../../src/queue/index.js';
import { startSandbox, type Sandbox } from '../../../src/sandbox/index.js';
import { uniqueName } from '../../support/services.js';
import { BACKENDS, quietLogger } from './backends.js';

const backend = BACKENDS.find((b) => b.name === 'redis' && b.available) ?? BACKENDS.find((b) => b.name === 'pglite')!;

describe(`the HubSpot rate gate (on ${backend.name}) against the sandbox's rolling window`, () => {
  let system: QueueSystem;
  let stop: () => Promise<void>;
  let sandbox: Sandbox;

  beforeAll(async () => {
    const started = await backend.start();
    stop = started.stop;
    system = await QueueSystem.open({ backend: started.spec, prefix: uniqueName('{dwtest}'), logger: quietLogger() });
    sandbox = await startSandbox({ deals: 20, seed: 5, rateLimit: true });
  });

  afterAll(async () => {
    await sandbox?.close();
    await system?.obliterate().catch(() => undefined);
    await system?.close({ graceMs: 1000 });
    await stop?.();
  });

  it('lets 150 requests through: at most 100 admitted in any rolling 10 s, no burst of 429s', { timeout: 60_000 }, async () => {
    const gate = system.rateGates.gateFor(uniqueName('hs'), rateLimitsFor('hubspot'));
    const { baseUrl, accessToken } = sandbox.hubspot;
    const started = Date.now();
    const statuses: number[] = [];
    const admitted: number[] = [];
    // Ten senders, as a connector's few concurrent requests: 150 callers all waiting on the gate at
    // once would only measure how late a busy test process delivers what the gate let through.
    let next = 0;
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        while (next < 150) {
          next++;
          await gate.take('default');
          admitted.push(Date.now());
          const response = await fetch(`${baseUrl}/crm/v3/objects/deals?limit=1`, { headers: { authorization: `Bearer ${accessToken}` } });
          await response.arrayBuffer();
          statuses.push(response.status);
        }
      }),
    );
    const elapsed = Date.now() - started;
    // The gate itself: 101 admissions need 21 sub-windows of 526 ms (5 each), so they span at least
    // 19 whole sub-windows (9,994 ms): never 200 across a boundary as a fixed 10 s window would allow.
    admitted.sort((a, b) => a - b);
    for (let i = 100; i < admitted.length; i++) expect(admitted[i]! - admitted[i - 100]!).toBeGreaterThanOrEqual(19 * 526);
    expect(statuses).toHaveLength(150);
    // At the sandbox: a fixed 10 s window can draw up to 50 429s here. The gate's worst case is exactly 100
    // in a rolling window, with no margin, so a request the busy test process delivers a few ms late
    // can still meet a 429 (seen once in three CI runs on a slow host); zero 429s in steady state is
    // measured by the connector bench (0 of 2,265 calls at HubSpot's default limits).
    expect(statuses.filter((s) => s === 429).length).toBeLessThanOrEqual(2);
    expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
    // 5 per 526 ms sub-window: the 150th request waits for the 30th sub-window (29 boundaries).
    expect(elapsed).toBeGreaterThanOrEqual(28 * 526);
  });
});
