// Prints "N passed, N failed" for the scenarios of cucumber JSON reports (one per shard of a sharded
// run, or one); exits 1 if any failed or a report is missing. A scenario passes when every step and hook in it passed; one that a
// target could not run (its steps passed or skipped, none failed) is listed and counted apart, as
// skipped, before that last line.
const fs = require('node:fs');

const files = process.argv.slice(2);
const features = [];
for (const file of files) {
  try {
    features.push(...JSON.parse(fs.readFileSync(file, 'utf8')));
  } catch (error) {
    console.log(`no cucumber report at ${file}: ${error.message}`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
}

let passed = 0;
let failed = 0;
let skipped = 0;
for (const feature of features) {
  for (const scenario of feature.elements ?? []) {
    if (scenario.type !== 'scenario') continue;
    const steps = [...(scenario.before ?? []), ...(scenario.steps ?? []), ...(scenario.after ?? [])];
    const statuses = steps.map((step) => step.result?.status);
    const ok = steps.length > 0 && statuses.every((status) => status === 'passed');
    const notRun = steps.length > 0 && statuses.includes('skipped') && statuses.every((status) => status === 'passed' || status === 'skipped');
    if (ok) passed++;
    else if (notRun) {
      skipped++;
      console.log(`skipped: ${feature.name} / ${scenario.name}`);
    } else {
      failed++;
      console.log(`failed: ${feature.name} / ${scenario.name}`);
    }
  }
}
if (skipped > 0) console.log(`${skipped} skipped (not run on this target; the report says why)`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
