// Allure 3 report settings (`npm run report`). The results of one run are in allure-results/
// (cucumber.js empties it at every start); trends across runs come from the history file, which
// every report generation appends to — CI keeps it between runs (.github/workflows/acceptance.yml).
import { defineConfig } from 'allure';

export default defineConfig({
  name: 'Pool exhaustion acceptance suite',
  output: './allure-report',
  historyPath: './.allure-history.jsonl',
  historyLimit: 50,
  // Product defects (an expectation of the plan not met) apart from infrastructure failures (the
  // system or its database could not be reached or started) and from scenarios a target cannot run.
  categories: [
    {
      // A target description (targets/<name>.yaml) that is wrong, or a service that does not do what it says.
      name: 'Target setup: the target description or its service does not work as described',
      matchers: {
        statuses: ['failed', 'broken'],
        message: /in the target description|the hold did not hold|is not something the suite can fill in|is not set in the environment|was not ready within|cannot restart/i,
      },
      groupByMessage: true,
    },
    {
      name: 'Infrastructure failures: the system under test or its database was not reachable',
      matchers: {
        statuses: ['failed', 'broken'],
        message: /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|socket hang up|did not start|did not announce|is not running|does not answer|docker compose|could not start|TEST_ENV=/i,
      },
      groupByMessage: true,
    },
    {
      name: 'Product defects: an expectation of the plan was not met',
      matchers: { statuses: ['failed'] },
      groupBy: [{ label: 'feature' }],
      groupByMessage: true,
    },
    {
      name: 'Suite errors: a step or hook broke',
      matchers: { statuses: ['broken'] },
      groupByMessage: true,
    },
    {
      name: 'Not run or not judged on this target (capability or evidence missing)',
      matchers: { statuses: ['skipped'] },
      groupByMessage: true,
    },
  ],
  plugins: {
    awesome: {
      options: {
        reportName: 'Pool exhaustion acceptance suite',
        reportLanguage: 'en',
        groupBy: ['epic', 'feature', 'story'],
      },
    },
  },
});
