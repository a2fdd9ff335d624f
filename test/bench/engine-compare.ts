/**
 * Engine A/B benchmark: this tree's rules + score against another revision's, on the same
 * synthetic book (test/bench/engine.ts), in one process, runs interleaved (A B B A A B ...), so a
 * host whose speed drifts (a shared VM) slows both alike and the ratio stays meaningful when the
 * absolute deals/s do not. The outputs must be identical: the run fails if a finding or score differs.
 *
 *   npm run bench -- engine-compare                       # against the session-1 landing (ede3e35)
 *   npx tsx test/bench/engine-compare.ts <rev> [rounds] [openDeals] [activities]
 *
 * The baseline's src/domain is extracted with `git archive` under node_modules/.cache (so its zod
 * import resolves) and loaded through tsx like this tree's.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as current from '../../src/domain/engine.js';
import { syntheticBook } from './engine.js';

type Engine = Pick<typeof current, 'indexInput' | 'learnBenchmarks' | 'evaluateDeals'>;

/** A revision from before the indexes were renamed exports `buildBook` and takes them as `{ book }`. */
type OlderEngine = Partial<Engine> & { buildBook?: Engine['indexInput'] };

function indexOf(engine: OlderEngine): Engine['indexInput'] {
  const build = engine.indexInput ?? engine.buildBook;
  if (!build) throw new Error('the revision exports neither indexInput nor buildBook');
  return build;
}

const root = fileURLToPath(new URL('../../', import.meta.url));

async function engineAt(rev: string): Promise<{ sha: string; engine: Engine }> {
  const sha = execFileSync('git', ['rev-parse', '--short', rev], { cwd: root, encoding: 'utf8' }).trim();
  const dir = `${root}node_modules/.cache/dealwatch-engine-compare/${sha}`;
  if (!existsSync(`${dir}/src/domain/engine.ts`)) {
    mkdirSync(dir, { recursive: true });
    const tar = execFileSync('git', ['archive', sha, 'src/domain'], { cwd: root, maxBuffer: 64 * 1024 * 1024 });
    execFileSync('tar', ['-x', '-C', dir], { input: tar });
  }
  return { sha, engine: (await import(pathToFileURL(`${dir}/src/domain/engine.ts`).href)) as Engine };
}

function digest(evaluation: ReturnType<Engine['evaluateDeals']>): string {
  const h = createHash('sha256');
  for (const f of evaluation.findings) h.update(JSON.stringify(f));
  for (const s of evaluation.scores) h.update(JSON.stringify(s));
  return h.digest('hex').slice(0, 16);
}

async function main(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  const rev = process.argv[2] ?? 'ede3e35';
  const rounds = Number(process.argv[3] ?? 8);
  const openDeals = Number(process.argv[4] ?? 100_000);
  const activities = Number(process.argv[5] ?? 1_000_000);
  const nowMs = Date.parse('2026-11-26T15:00:00.000Z');
  const input = syntheticBook(openDeals, activities, nowMs);
  const baseline = await engineAt(rev);
  const sides = [
    { name: `baseline ${baseline.sha}`, engine: baseline.engine },
    { name: 'this tree', engine: current as Engine },
  ].map((side) => {
    const indexed = indexOf(side.engine)(input, nowMs);
    const benchmarks = side.engine.learnBenchmarks(input, 20);
    return { ...side, indexed, benchmarks, cpuMs: [] as number[], digest: '' };
  });
  const cpu = (): number => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  // round 0 warms both up and is not counted; the order alternates so neither always runs first
  for (let r = 0; r <= rounds; r++) {
    for (const side of r % 2 === 0 ? sides : [...sides].reverse()) {
      gc?.();
      const c = cpu();
      const evaluation = side.engine.evaluateDeals(input, nowMs, {
        indexed: side.indexed,
        book: side.indexed,
        benchmarks: side.benchmarks,
      } as Parameters<Engine['evaluateDeals']>[2]);
      const ms = cpu() - c;
      if (r > 0) side.cpuMs.push(ms);
      side.digest = digest(evaluation);
    }
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const deals = input.deals.length;
  const [a, b] = sides as [(typeof sides)[number], (typeof sides)[number]];
  const sameOutput = a.digest === b.digest;
  console.log(
    JSON.stringify({
      bench: 'engine-compare',
      deals,
      activities,
      rounds,
      sameOutput,
      sides: sides.map((s) => ({
        name: s.name,
        medianCpuMs: Math.round(median(s.cpuMs)),
        minCpuMs: Math.round(Math.min(...s.cpuMs)),
        medianDealsPerSecond: Math.round(deals / (median(s.cpuMs) / 1000)),
      })),
      speedup: Math.round((median(a.cpuMs) / median(b.cpuMs)) * 100) / 100,
    }),
  );
  if (!sameOutput) {
    console.error(`outputs differ: ${a.name} ${a.digest}, ${b.name} ${b.digest}`);
    process.exitCode = 1;
  }
}

await main();
