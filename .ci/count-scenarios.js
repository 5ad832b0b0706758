// Prints "N passed, N failed" for the scenarios of a cucumber JSON report; exits 1 if any failed
// or the report is missing. A scenario passes when every step and hook in it passed.
const fs = require('node:fs');

const file = process.argv[2];
let features;
try {
  features = JSON.parse(fs.readFileSync(file, 'utf8'));
} catch (error) {
  console.log(`no cucumber report at ${file}: ${error.message}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}

let passed = 0;
let failed = 0;
for (const feature of features) {
  for (const scenario of feature.elements ?? []) {
    if (scenario.type !== 'scenario') continue;
    const steps = [...(scenario.before ?? []), ...(scenario.steps ?? []), ...(scenario.after ?? [])];
    const ok = steps.length > 0 && steps.every((step) => step.result?.status === 'passed');
    if (ok) passed++;
    else {
      failed++;
      console.log(`failed: ${feature.name} / ${scenario.name}`);
    }
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
