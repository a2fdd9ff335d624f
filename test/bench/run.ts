/**
 * `npm run bench`: runs every benchmark in its own process, one after another (2 cores: never in
 * parallel), and prints each one's JSON result line plus a summary. Figures go into BENCHMARKS.md
 * by hand, with this command beside them.
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

interface Bench {
  name: string;
  file: string;
  args?: string[];
  nodeFlags?: string[];
}

const BENCHES: Bench[] = [
  { name: 'sandbox-generate', file: 'sandbox-generate.ts', nodeFlags: ['--max-old-space-size=4096'] },
  { name: 'store', file: 'store.ts', nodeFlags: ['--max-old-space-size=4096'] },
  { name: 'engine', file: 'engine.ts', nodeFlags: ['--expose-gc', '--single-threaded-gc', '--max-old-space-size=8192'] },
  { name: 'backtest', file: 'backtest.ts', nodeFlags: ['--max-old-space-size=8192'] },
  { name: 'engine-compare', file: 'engine-compare.ts', nodeFlags: ['--expose-gc', '--single-threaded-gc', '--max-old-space-size=12288'] },
  { name: 'connector-hubspot', file: 'connector-hubspot.ts' },
  { name: 'connector-salesforce', file: 'connector-salesforce.ts' },
  { name: 'pipeline-sync', file: 'pipeline-sync.ts', nodeFlags: ['--max-old-space-size=4096'] },
  { name: 'webhook-latency', file: 'webhook-latency.ts' },
  { name: 'webhooks', file: 'webhooks.ts' },
  { name: 'fair-turns', file: 'fair-turns.ts' },
  { name: 'scale', file: 'scale.ts' },
];

function run(bench: Bench): Promise<{ code: number | null; lastJson: unknown }> {
  const path = fileURLToPath(new URL(bench.file, import.meta.url));
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...(bench.nodeFlags ?? []), '--import', 'tsx', path, ...(bench.args ?? []), ...passedOn], {
      stdio: ['ignore', 'pipe', 'inherit'],
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
  console.error(`== ${bench.name}`);
  const { code, lastJson } = await run(bench);
  summary[bench.name] = { exitCode: code, result: lastJson };
  if (code !== 0) failed++;
}
console.log(JSON.stringify({ summary }, null, 2));
process.exitCode = failed ? 1 : 0;
