/**
 * `dealwatch report <connection> [--json]` goes through the same review service as
 * `GET /api/v1/connections/:id/review`: on the same store, both print the same review.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../../src/commands/report.js';
import { buildServer } from '../../../src/server/app.js';
import { jobIdDeduper } from '../../../src/server/adapters/queue.js';
import { createMetrics } from '../../../src/server/metrics.js';
import type { EventSink, JobControl } from '../../../src/server/ports.js';
import { createReviewService } from '../../../src/server/review-service.js';
import { openStore } from '../../../src/store/index.js';
import { API_TOKEN, directoryOf, hubspotConnection, salesforceConnection, verifierFor } from './support/app.js';
import { seedStore } from './support/seed.js';

const notUsed = <T extends object>(): T =>
  new Proxy({} as T, {
    get(_t, p) {
      throw new Error(`not used by the review: ${String(p)}`);
    },
  });

async function capture(work: (out: NodeJS.WritableStream) => Promise<number>): Promise<{ code: number; text: string }> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const code = await work(out);
  return { code, text: Buffer.concat(chunks).toString('utf8') };
}

describe('dealwatch report', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'dealwatch-report-'));
  const configPath = path.join(dir, 'config.json');
  const saved = { ...process.env };

  beforeAll(async () => {
    const store = await openStore({ dataDir: path.join(dir, 'data') });
    await seedStore(store, hubspotConnection.id, [hubspotConnection, salesforceConnection]);
    await store.close();
    writeFileSync(configPath, JSON.stringify({ connections: [hubspotConnection, salesforceConnection] }));
    process.env.DEALWATCH_DATA_DIR = path.join(dir, 'data');
    delete process.env.DATABASE_URL;
    process.env.LOG_LEVEL = 'silent';
  }, 120_000);

  afterAll(() => {
    process.env = saved;
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints with --json exactly what the API answers', async () => {
    const cli = await capture((out) => run({ config: configPath, connection: hubspotConnection.id, json: true }, out));
    expect(cli.code).toBe(0);
    const fromCli: unknown = JSON.parse(cli.text);

    const store = await openStore({ dataDir: path.join(dir, 'data') });
    try {
      const connections = directoryOf([hubspotConnection, salesforceConnection]);
      const app = await buildServer({
        options: { publicUrl: 'http://127.0.0.1', apiTokens: [API_TOKEN] },
        logger: pino({ level: 'silent' }),
        clock: () => new Date(),
        connections,
        verifierFor,
        events: notUsed<EventSink>(),
        dedupe: jobIdDeduper,
        jobs: notUsed<JobControl>(),
        store,
        reviews: createReviewService({ store, connections }),
        readiness: [],
        metrics: createMetrics({ processMetrics: false }),
        queues: [],
      });
      const res = await app.inject({
        method: 'GET',
        url: `/api/v1/connections/${hubspotConnection.id}/review`,
        headers: { authorization: `Bearer ${API_TOKEN}` },
      });
      await app.close();
      expect(res.statusCode).toBe(200);
      expect(fromCli).toEqual(res.json());
      expect((fromCli as { reps: unknown[] }).reps.length).toBeGreaterThan(0);
    } finally {
      await store.close();
    }
  }, 120_000);

  it('prints tables for a person, and refuses an unknown connection', async () => {
    const human = await capture((out) => run({ config: configPath, connection: hubspotConnection.id, json: false }, out));
    expect(human.code).toBe(0);
    expect(human.text).toContain(`Morning review: ${hubspotConnection.id}`);
    expect(human.text).toContain('Reps by stale pipeline');
    expect(human.text).toContain('Rep 1');
    expect(human.text).toMatch(/Forecast call \(USD; expected by stage conversion adjusted for overdue, stale and pushed deals: /);
    expect(human.text).toContain('Open findings by rep and rule');
    // whole units with grouping, never cents, in everything a person reads
    expect(human.text).not.toMatch(/\d,\d{3}\.\d/);
    await expect(run({ config: configPath, connection: 'nope', json: true })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  }, 120_000);
});
