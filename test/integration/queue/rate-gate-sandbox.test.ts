/**
 * The default HubSpot gate (100 / 10 s) against the sandbox, which enforces HubSpot's rolling
 * 10 s window: a burst of 150 requests spans a window boundary. A fixed-window gate lets 100
 * through at the end of one window and the rest at the start of the next; the sub-window gate never
 * admits more than 100 in any rolling 10 s.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueueSystem } from '../../../src/queue/index.js';
import { hubspotDescriptor } from '../../../connectors/hubspot/index.js';
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

  it('lets 150 requests through: at most 96 admitted in any rolling 10 s, no 429', { timeout: 60_000 }, async () => {
    const gate = system.rateGates.gateFor(uniqueName('hs'), hubspotDescriptor.rateLimits);
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
    // The gate itself plans for 97 of HubSpot's 100 (a margin for requests that arrive late): 97
    // admissions need 33 sub-windows of 323 ms (3 each), so they span at least 31 whole sub-windows
    // (10,000 ms): at most 96 in any rolling 10 s, never 200 across a boundary as a fixed window allows.
    admitted.sort((a, b) => a - b);
    for (let i = 96; i < admitted.length; i++) expect(admitted[i]! - admitted[i - 96]!).toBeGreaterThanOrEqual(31 * 322);
    expect(statuses).toHaveLength(150);
    // At the sandbox: a fixed 10 s window can draw up to 50 429s here. With the margin, a request the
    // busy test process delivers a few ms late still finds room (before it, with exactly 100 planned,
    // one was seen in three CI runs on a slow host).
    expect(statuses.filter((s) => s === 429)).toEqual([]);
    expect(statuses.every((s) => s === 200)).toBe(true);
    // 3 per 323 ms sub-window: the 150th request waits for the 50th sub-window (49 boundaries).
    expect(elapsed).toBeGreaterThanOrEqual(48 * 322);
  });
});
