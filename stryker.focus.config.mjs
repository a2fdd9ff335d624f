// @ts-check
/**
 * One module (or a few) against only the test files named, while writing their tests:
 *
 *   MUTATE=connectors/salesforce/history.ts FOCUS=test/unit/connectors/salesforce/history.test.ts \
 *     npx stryker run stryker.focus.config.mjs
 *
 * Results go to reports/runs/<NAME or "focus">.{json,incremental.json}, apart from the full run's.
 * Per-test coverage still picks, for each mutant, the named tests that reach it.
 */
import base from './stryker.config.mjs';

const name = process.env.NAME ?? 'focus';
const mutate = (process.env.MUTATE ?? '').split(',').filter(Boolean);
if (mutate.length === 0 || !process.env.FOCUS) throw new Error('set MUTATE (files to mutate) and FOCUS (test files), comma-separated');

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  ...base,
  mutate,
  vitest: { configFile: 'vitest.focus.config.ts', related: false },
  incrementalFile: `reports/runs/${name}.incremental.json`,
  reporters: ['json', 'clear-text', 'progress'],
  jsonReporter: { fileName: `reports/runs/${name}.json` },
  clearTextReporter: { allowEmojis: false, logTests: false, reportScoreTable: true, reportMutants: true },
  tempDirName: `.stryker-tmp/${name}`,
};
