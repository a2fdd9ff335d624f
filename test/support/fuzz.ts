/**
 * How every fuzz suite runs fast-check. Under `npm test`: a fixed seed and the suite's bounded
 * number of runs, so the suite is fast and repeatable. Under `npm run fuzz` (test/support/fuzz-run.ts):
 * a random seed and many more runs; any failure prints the command that replays its case:
 *
 *   DEALWATCH_FUZZ_SEED=<seed> DEALWATCH_FUZZ_PATH=<path> DEALWATCH_FUZZ_LABEL=<property> npm run fuzz -- <test file>
 */
import path from 'node:path';
import fc from 'fast-check';
import { expect } from 'vitest';

/** Seed of `npm test`: fixed, so a red test is red for everyone. */
const FIXED_SEED = 20_261_203;

function envInt(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value)) throw new Error(`${name} must be an integer, got "${raw}"`);
  return value;
}

/** The seed of this run (DEALWATCH_FUZZ_SEED, else the fixed one). */
export function fuzzSeed(): number {
  return envInt('DEALWATCH_FUZZ_SEED') ?? FIXED_SEED;
}

/** Runs for a property whose bounded count in `npm test` is `runs` (times DEALWATCH_FUZZ_SCALE under `npm run fuzz`). */
export function fuzzRuns(runs: number): number {
  return Math.max(1, Math.round(runs * (envInt('DEALWATCH_FUZZ_SCALE') ?? 1)));
}

/** Whether this is the long run (`npm run fuzz`): suites may widen their time bounds. */
export const longFuzz = (envInt('DEALWATCH_FUZZ_SCALE') ?? 1) > 1;

function parameters<T>(runs: number, label: string): fc.Parameters<T> {
  const path = process.env.DEALWATCH_FUZZ_PATH;
  const replaying = path !== undefined && path !== '' && process.env.DEALWATCH_FUZZ_LABEL === label;
  return { seed: fuzzSeed(), numRuns: fuzzRuns(runs), ...(replaying ? { path, endOnFailure: true } : {}) };
}

function reproduction(label: string, seed: number, counterexamplePath: string | null | undefined): string {
  const testPath = expect.getState().testPath;
  const file = testPath === undefined ? '<test file>' : path.relative(process.cwd(), testPath);
  const env = `DEALWATCH_FUZZ_SEED=${seed} DEALWATCH_FUZZ_PATH=${counterexamplePath ?? ''} DEALWATCH_FUZZ_LABEL='${label}'`;
  const replay = `${env} npm run fuzz -- ${file}`;
  return `fuzz failure in "${label}" (seed ${seed}): replay with\n  ${replay}`;
}

function causeOf(details: { errorInstance?: unknown }): string {
  const error = details.errorInstance;
  return error instanceof Error ? `Failed with: ${error.message}` : `Failed with: ${String(error)}`;
}

/**
 * Checks an async property like `fc.assert`, and on failure throws with the seed, the path and the
 * command that replays the failing case first. `label` names the property (unique per suite).
 */
export async function fuzz<T>(label: string, property: fc.IAsyncProperty<T>, runs: number): Promise<void> {
  const details = await fc.check(property, parameters<T>(runs, label));
  if (details.failed) {
    const report = await fc.asyncDefaultReportMessage(details);
    const message = `${reproduction(label, details.seed, details.counterexamplePath)}\n\n${report}\n\n${causeOf(details)}`;
    process.stderr.write(`\n${message.split('\n').slice(0, 2).join('\n')}\n`);
    throw new Error(message);
  }
}

/** The synchronous twin of {@link fuzz}. */
export function fuzzSync<T>(label: string, property: fc.IProperty<T>, runs: number): void {
  const details = fc.check(property, parameters<T>(runs, label));
  if (details.failed) {
    const report = fc.defaultReportMessage(details);
    const message = `${reproduction(label, details.seed, details.counterexamplePath)}\n\n${report}\n\n${causeOf(details)}`;
    process.stderr.write(`\n${message.split('\n').slice(0, 2).join('\n')}\n`);
    throw new Error(message);
  }
}
