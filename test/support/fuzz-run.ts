/**
 * `npm run fuzz [-- test files]`: the fuzz suites (`*-fuzz.test.ts`) run long, with a random seed
 * (or DEALWATCH_FUZZ_SEED), printed before anything runs; a failure prints the command that replays it.
 * DEALWATCH_FUZZ_SCALE multiplies each property's number of runs (default 40).
 */
import { spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';

const seed = process.env.DEALWATCH_FUZZ_SEED || String(randomInt(0, 2 ** 31 - 1));
const scale = process.env.DEALWATCH_FUZZ_SCALE || '40';
const files = process.argv.slice(2);
process.stdout.write(`fuzz: seed ${seed}, ${scale}x the runs of npm test (replay this run: DEALWATCH_FUZZ_SEED=${seed} npm run fuzz)\n`);
const result = spawnSync(
  'npx',
  ['vitest', 'run', '--testTimeout=3600000', '--hookTimeout=120000', ...(files.length > 0 ? files : ['fuzz.test.ts'])],
  {
    stdio: 'inherit',
    env: { ...process.env, DEALWATCH_FUZZ_SEED: seed, DEALWATCH_FUZZ_SCALE: scale },
  },
);
if (result.status !== 0) process.stdout.write(`fuzz: failed with seed ${seed} (each failure above says how to replay it)\n`);
process.exit(result.status ?? 1);
