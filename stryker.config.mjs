// @ts-check
/**
 * Mutation testing (`npm run mutate`): small bugs put into the modules where a silent bug loses
 * data, writes twice or misjudges a deal, and a count of those the tests notice. Not part of
 * `npm test`. See TESTING.md for the modules, the scores and the survivors judged equivalent.
 *
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  testRunner: 'vitest',
  // The in-process tests only (unit tests and the store/connector tests that need no child process):
  // Stryker measures coverage per test and runs, for each mutant, only the tests that reach it.
  vitest: { configFile: 'vitest.mutate.config.ts', related: true },
  coverageAnalysis: 'perTest',
  mutate: [
    // Write-back and its ledger (exactly once), and the events job (webhook fast path)
    'jobs/writeback.ts',
    'jobs/events.ts',
    // Pull walkers, cursors and mappers: a full walk's resume point, HubSpot's list and search walks
    // (paging tokens, the 10,000-result split), Salesforce's incremental window, its query pages and
    // the (stamp, id) merge of Task + Event and of the two history logs, and the mappers from each
    // provider's records to deals, activities, stages and moves
    'connectors/hubspot/walk.ts',
    'connectors/hubspot/paging.ts',
    'connectors/hubspot/mappers.ts',
    'connectors/hubspot/activity-merge.ts',
    'connectors/salesforce/soql.ts',
    'connectors/salesforce/reader.ts',
    'connectors/salesforce/history.ts',
    'connectors/salesforce/mappers.ts',
    // The rules and the score (a manager's judgement of a deal)
    'src/domain/rules/*.ts',
    '!src/domain/rules/types.ts',
    '!src/domain/rules/config.ts',
    'src/domain/score/score.ts',
  ],
  ignoreStatic: true,
  incremental: true,
  incrementalFile: 'reports/mutation/stryker-incremental.json',
  concurrency: 2,
  timeoutMS: 10_000,
  reporters: ['json', 'html', 'clear-text', 'progress'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  clearTextReporter: { allowEmojis: false, logTests: false, reportScoreTable: true, reportMutants: false },
  thresholds: { high: 90, low: 80, break: null },
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
};
