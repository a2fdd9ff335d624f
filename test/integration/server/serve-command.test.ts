/**
 * `dealwatch serve` as a process, in the embedded shape (PGlite database, queues on BullMQ's
 * PostgreSQL backend in it): ready, a signed webhook queued once, graceful exit on SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hubspotEvent, hubspotV3Headers } from './support/signing.js';

const PUBLIC_URL = 'https://hooks.example.com/dealwatch';
const SECRET = 'serve-test-secret';
const TOKEN = 'serve-test-token';

describe('dealwatch serve (process)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'dealwatch-serve-'));
  let child: ChildProcess;
  let url: string;
  const lines: string[] = [];

  beforeAll(async () => {
    writeFileSync(
      path.join(dir, 'config.json'),
      JSON.stringify({
        connections: [{ id: 'hs-main', provider: 'hubspot', accessToken: 'env:HS_TOKEN', portalId: 62515, webhookSecret: 'env:HS_SECRET' }],
      }),
    );
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DEALWATCH_DATA_DIR: path.join(dir, 'data'),
      PORT: '0',
      PUBLIC_URL,
      DEALWATCH_API_TOKENS: TOKEN,
      HS_TOKEN: 'pat-test',
      HS_SECRET: SECRET,
      LOG_LEVEL: 'info',
    };
    child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve', '--config', path.join(dir, 'config.json')], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stderr?.on('data', (chunk: Buffer) => lines.push(chunk.toString()));
    url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve did not start:\n${lines.join('')}`)), 110_000);
      createInterface({ input: child.stdout! }).on('line', (line) => {
        lines.push(line);
        if (line.includes('dealwatch server listening')) {
          clearTimeout(timer);
          resolve((JSON.parse(line) as { url: string }).url);
        }
      });
      child.once('exit', (code) => reject(new Error(`serve exited with ${code}:\n${lines.join('\n')}`)));
    });
  }, 120_000);

  afterAll(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('is ready, queues a signed webhook once, keeps secrets out of its logs and exits 0 on SIGTERM', async () => {
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { checks: { name: string }[] }).checks.map((c) => c.name)).toEqual(['database', 'migrations', 'queue']);

    const event = hubspotEvent();
    const body = JSON.stringify([event]);
    // Signed for the public URL (the proxy's), with the path prefix the proxy strips.
    const sign = (b: string) =>
      hubspotV3Headers({ secret: SECRET, decodedUri: `${PUBLIC_URL}/webhooks/hubspot`, body: b, timestampMs: Date.now() });
    const answers: unknown[] = [];
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${url}/webhooks/hubspot`, { method: 'POST', headers: sign(body), body });
      expect(res.status).toBe(200);
      answers.push(await res.json());
    }
    // The same change redelivered under another event id: deduplicated by (deal, occurredAt) in the store's table.
    const renamed = JSON.stringify([{ ...event, eventId: Number(event.eventId) + 1_000_000 }]);
    const third = await fetch(`${url}/webhooks/hubspot`, { method: 'POST', headers: sign(renamed), body: renamed });
    answers.push(await third.json());
    expect(answers).toEqual([
      { accepted: 1, duplicates: 0, ignored: 0 },
      { accepted: 0, duplicates: 1, ignored: 0 },
      { accepted: 0, duplicates: 1, ignored: 0 },
    ]);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/dealwatch_queue_jobs\{queue="events",state="waiting"\} 1\b/);

    const connections = await fetch(`${url}/api/v1/connections`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(connections.status).toBe(200);

    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const log = lines.join('\n');
    expect(log).not.toContain(SECRET);
    expect(log).not.toContain(TOKEN);
    expect(log).not.toContain('pat-test');
  }, 60_000);
});
