// Profiles over one common base (cucumber-js docs/profiles.md). Choose with --profile NAME.
//   default: the plan's real durations, progress output, Allure results
//   quick:   the long load phases scaled down for fast feedback
//   ci:      like default, plus a JSON report .ci/run counts scenarios from; no colours
const allure = [
  'allure-cucumberjs/reporter',
  '.run/allure-formatter.log', // the formatter writes allure-results/; its console output is not needed
];

const allureOptions = {
  resultsDir: 'allure-results',
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
  quick: { ...common, worldParameters: { profile: 'quick', loadTimeScale: 0.1 } },
  ci: {
    ...common,
    format: ['progress', allure, ['json', '.run/cucumber-report.json']],
    formatOptions: { ...common.formatOptions, colorsEnabled: false },
    worldParameters: { profile: 'ci', loadTimeScale: 1 },
  },
};
