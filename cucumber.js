// Profiles over one common base (cucumber-js docs/profiles.md). Choose with --profile NAME.
//   default: the plan's real durations, progress output, Allure results
//   quick:   the long load phases scaled down for fast feedback
//   ci:      like default, plus a JSON report .ci/run counts scenarios from
//   parallel: like default, in worker processes side by side, each with a system of its own
//            (docs/qa-guide.md "In parallel"); any profile takes --parallel N as well
const fs = require('node:fs');

// ALLURE_RESULTS_DIR moves them (a shard's results, or a verdicts run that must not touch yours).
const RESULTS_DIR = process.env.ALLURE_RESULTS_DIR || 'allure-results';
// Each run reports on itself alone: results of earlier runs would show as retries. (Trends across
// runs come from Allure's history, not from stale results.) The step check loads this file too.
if (process.env.CUCUMBER_STEP_CHECK !== '1') fs.rmSync(RESULTS_DIR, { recursive: true, force: true });

const allure = [
  './support/report/allure-reporter.js', // allure-cucumberjs, with a failed After hook failing the scenario
  '.run/allure-formatter.log', // the formatter writes RESULTS_DIR; its console output is not needed
];

// Epic per phase, feature per test case (the plan's names), severity, links to the plan's sections:
// the tags become raw labels here, and support/report/allure-plan.js gives them the plan's names.
const { planListener } = require('./support/report/allure-plan.js');

const allureOptions = {
  resultsDir: RESULTS_DIR,
  listeners: [planListener],
  labels: [
    { pattern: [/@(phase\d)/], name: 'epic' },
    { pattern: [/@(tc\d)/], name: 'story' },
    { pattern: [/@severity:(.*)/], name: 'severity' },
  ],
};

const common = {
  paths: ['features/**/*.feature'],
  requireModule: ['ts-node/register/transpile-only'],
  // The World and hooks import the rest of support/ (which also holds tests and the stack script).
  require: ['support/world.ts', 'support/hooks.ts', 'step-definitions/**/*.ts'],
  format: ['progress', allure],
  formatOptions: { ...allureOptions, snippetInterface: 'async-await' },
  // Exit when the run ends (AfterAll has stopped everything); never hang on a stray handle.
  forceExit: true,
  strict: true,
  worldParameters: { profile: 'default', loadTimeScale: 1 },
};

module.exports = {
  default: { ...common },
  // npm test: every step defined exactly once, nothing run, no report written.
  dry: { ...common, format: ['summary'], dryRun: true },
  quick: { ...common, worldParameters: { profile: 'quick', loadTimeScale: 0.1 } },
  ci: {
    ...common,
    format: ['progress', allure, ['json', '.run/cucumber-report.json']],
    worldParameters: { profile: 'ci', loadTimeScale: 1 },
  },
  // Profiles merge by adding up their lists (two would write every report twice): this one stands alone.
  parallel: { ...common, parallel: 2 },
};
