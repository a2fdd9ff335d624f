/**
 * `npm run bench`: runs every benchmark in its own process, one after another (2 cores: never in
 * parallel), and prints each one's JSON result line plus a summary that carries, per bench, the exact
 * command, the host calibration taken just before it (./host.ts: a fixed CPU loop, the load
 * average, the machine) and the start time: all that BENCHMARKS.md needs beside a figure, so a
 * re-run on a quiet machine can replace the figures by hand.
 *
 *   npm run bench                 # all
 *   npm run bench -- engine webhooks   # a selection by name
 *   npm run bench -- scale --sizes 10000,30000   # options after the names go to each selected bench
 *
 * Benchmarks need Redis and PostgreSQL where they say so; nothing here calls a real CRM.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { calibrateHost } from './host.js';

interface Bench {
  name: string;
  file: string;
  args?: string[];
  nodeFlags?: string[];
  /** Environment the bench runs with, on top of this process's. */
  env?: Record<string, string>;
}

/** The Redis the Redis-queue runs use (TEST_REDIS_URL, else the local one). */
const REDIS = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const BENCHES: Bench[] = [
  { name: 'sandbox-generate', file: 'sandbox-generate.ts', nodeFlags: ['--max-old-space-size=4096'] },
  { name: 'store', file: 'store.ts', nodeFlags: ['--max-old-space-size=4096'] },
  { name: 'engine', file: 'engine.ts', nodeFlags: ['--expose-gc', '--single-threaded-gc', '--max-old-space-size=8192'] },
  { name: 'backtest', file: 'backtest.ts', nodeFlags: ['--max-old-space-size=8192'] },
  { name: 'engine-compare', file: 'engine-compare.ts', nodeFlags: ['--expose-gc', '--single-threaded-gc', '--max-old-space-size=12288'] },
  { name: 'connector-hubspot', file: 'connector-hubspot.ts' },
  { name: 'connector-salesforce', file: 'connector-salesforce.ts' },
  { name: 'pipeline-sync', file: 'pipeline-sync.ts', nodeFlags: ['--max-old-space-size=4096'] },
  // The fast path on the embedded default (PGlite, PostgreSQL-backend queues), then on Redis queues.
  { name: 'webhook-latency', file: 'webhook-latency.ts', args: ['20', '60', '500'], env: { REDIS_URL: '' } },
  { name: 'webhook-latency-redis', file: 'webhook-latency.ts', args: ['20', '60', '500'], env: { REDIS_URL: REDIS } },
  { name: 'webhook-burst', file: 'webhook-burst.ts', args: ['500', '200', '500'], env: { REDIS_URL: '' } },
  { name: 'webhook-burst-redis', file: 'webhook-burst.ts', args: ['500', '200', '500'], env: { REDIS_URL: REDIS } },
  { name: 'webhooks', file: 'webhooks.ts' },
  { name: 'fair-turns', file: 'fair-turns.ts' },
  { name: 'inspection-page', file: 'inspection-page.ts' },
  { name: 'scale', file: 'scale.ts' },
];

function run(bench: Bench): Promise<{ code: number | null; lastJson: unknown }> {
  const path = fileURLToPath(new URL(bench.file, import.meta.url));
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...(bench.nodeFlags ?? []), '--import', 'tsx', path, ...(bench.args ?? []), ...passedOn], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, ...bench.env },
    });
    let lastJson: unknown = null;
    let buffer = '';
    child.stdout.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk);
      buffer += chunk.toString('utf8');
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        const trimmed = line.trim();
        if (!trimmed.startsWith('{')) continue;
        try {
          lastJson = JSON.parse(trimmed);
        } catch {
          // a progress line that happens to start with '{'; keep the last valid one
        }
      }
    });
    child.on('close', (code) => resolve({ code, lastJson }));
  });
}

const argv = process.argv.slice(2);
const firstOption = argv.findIndex((a) => a.startsWith('--'));
const selected = firstOption < 0 ? argv : argv.slice(0, firstOption);
const passedOn = firstOption < 0 ? [] : argv.slice(firstOption);
const todo = selected.length ? BENCHES.filter((b) => selected.includes(b.name)) : BENCHES;
const summary: Record<string, unknown> = {};
let failed = 0;
for (const bench of todo) {
  if (!existsSync(fileURLToPath(new URL(bench.file, import.meta.url)))) {
    console.error(`-- ${bench.name}: not written yet, skipped`);
    summary[bench.name] = 'missing';
    continue;
  }
  const command = [
    ...Object.entries(bench.env ?? {}).map(([k, v]) => `${k}=${v}`),
    'node',
    ...(bench.nodeFlags ?? []),
    '--import',
    'tsx',
    `test/bench/${bench.file}`,
    ...(bench.args ?? []),
  ].join(' ');
  const host = calibrateHost();
  console.error(`== ${bench.name}: ${command} (load average ${host.loadAverage.join(' ')}, calibration loop ${host.loop2e8CpuMs} ms)`);
  const { code, lastJson } = await run(bench);
  summary[bench.name] = { command, host, exitCode: code, result: lastJson };
  if (code !== 0) failed++;
}
console.log(
  JSON.stringify(
    {
      summary,
      env: {
        DATABASE_URL: process.env.DATABASE_URL ? 'set' : 'unset (embedded PGlite)',
        REDIS_URL: process.env.REDIS_URL ? 'set' : 'unset (PostgreSQL-backend queues)',
      },
    },
    null,
    2,
  ),
);
process.exitCode = failed ? 1 : 0;
