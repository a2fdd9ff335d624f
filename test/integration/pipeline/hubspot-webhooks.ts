/** Signed HubSpot webhook deliveries to a running dealwatch server, for the fast-path tests. */
import { createHmac } from 'node:crypto';
import net from 'node:net';
import { serverDepsFrom } from '../../../src/commands/http-server.js';
import { parseConfig } from '../../../src/config.js';
import { startServer, type RunningServer } from '../../../src/server/server.js';
import type { Harness } from './harness.js';

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** A v3 `deal.propertyChange` event for `dealstage`, as HubSpot sends it. */
export function hubspotEvent(h: Harness, dealId: string, eventId: number, occurredAt: number, stageId: string) {
  return {
    eventId,
    subscriptionId: 1,
    portalId: h.sandbox.hubspot.portalId,
    appId: h.sandbox.hubspot.appId,
    occurredAt,
    subscriptionType: 'deal.propertyChange',
    attemptNumber: 0,
    objectId: Number(dealId),
    propertyName: 'dealstage',
    propertyValue: stageId,
    changeSource: 'CRM',
  };
}

/** POSTs `body` signed with HubSpot's v3 signature; resolves to the status. */
export async function postSigned(url: string, body: string, secret: string, nowMs: number): Promise<number> {
  const timestamp = String(Date.now());
  void nowMs;
  const signature = createHmac('sha256', secret).update(`POST${url}${body}${timestamp}`, 'utf8').digest('base64');
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-hubspot-signature-v3': signature, 'x-hubspot-request-timestamp': timestamp },
    body,
  });
  return res.status;
}

/** Waits until at least `atLeast` events jobs completed and none waits or runs. */
export async function waitForIdleEvents(h: Harness, atLeast: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const c = (await h.queues.counts()).events;
    if ((c.completed ?? 0) >= atLeast && (c.waiting ?? 0) + (c.active ?? 0) + (c.delayed ?? 0) === 0) return;
    if (Date.now() > deadline) throw new Error(`events not handled in time: ${JSON.stringify(c)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function silentFastifyLogger() {
  const noop = () => undefined;
  const logger = {
    level: 'silent',
    fatal: noop,
    error: noop,
    warn: noop,
    info: noop,
    debug: noop,
    trace: noop,
    silent: noop,
    child: () => logger,
  };
  return logger as never;
}

/** The server as `dealwatch serve` builds it (serverDepsFrom), on `port`, over the harness's connections, store and queues. */
export function serveHarness(h: Harness, port: number): Promise<RunningServer> {
  const publicUrl = `http://127.0.0.1:${port}`;
  const config = { ...parseConfig({ publicUrl, connections: [] }, { PORT: String(port) }), connections: h.settings, configPath: null };
  return startServer(serverDepsFrom(config, { store: h.store, queues: h.queues, logger: silentFastifyLogger() }), {
    host: '127.0.0.1',
    port,
  });
}
