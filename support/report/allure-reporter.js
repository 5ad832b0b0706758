// The Allure formatter (allure-cucumberjs), with one addition: the scenario's After hook counts.
//
// A check not met does not stop its scenario (support/lifecycle.ts): its step passes on to the next
// check, and the After hook fails at the end with the list of every check not met, the leak audit and
// the pool timeline. allure-cucumberjs takes a scenario's status from its steps alone and files the
// hook under "tear down", so such a scenario would show as passed (or skipped). Here a failed After
// hook becomes the scenario's last step, "after the scenario", failed with that list: the scenario is
// failed in the report, and says why where a reader looks first.
const AllureCucumberReporter = require('allure-cucumberjs/reporter');

class PoolSuiteAllureReporter extends AllureCucumberReporter {
  constructor(options) {
    super(options);
    /** testCaseStartedId -> the failed After hook's result */
    this.failedAfterHooks = new Map();
  }

  onTestStepFinished(data) {
    const step = this.testStepMap.get(data.testStepId);
    const result = data.testStepResult;
    if (step && step.hookId && this.afterHooks[step.hookId] && result.status === 'FAILED') this.failedAfterHooks.set(data.testCaseStartedId, result);
    super.onTestStepFinished(data);
  }

  onTestCaseFinished(data) {
    const failed = this.failedAfterHooks.get(data.testCaseStartedId);
    const testUuid = this.testResultUuids.get(data.testCaseStartedId);
    if (failed && testUuid) {
      this.failedAfterHooks.delete(data.testCaseStartedId);
      const message = (failed.exception && failed.exception.message) || failed.message || 'the After hook failed';
      const now = Date.now();
      this.allureRuntime.updateTest(testUuid, (test) => {
        test.steps.push({ name: 'after the scenario', status: 'failed', stage: 'finished', statusDetails: { message }, steps: [], attachments: [], parameters: [], start: now, stop: now });
      });
    }
    super.onTestCaseFinished(data);
  }
}

module.exports = PoolSuiteAllureReporter;
