// Prints "passed failed skipped" (three numbers) from vitest's JSON report.
// Usage: node .ci/summarize-tests.mjs <report.json> <vitest exit status>
//
// Failures counted: failed tests; tests that never finished (a crashed
// worker leaves them pending); test files that failed without a failed test
// (an error at import, in a hook, or a file that was cut short); a failed
// suite not otherwise accounted for; and a non-zero exit status with nothing
// else to show for it (an unhandled error, which the JSON report omits).
// A missing or unreadable report is one failure.
import { readFileSync } from "node:fs";

const [reportPath, statusText = "1"] = process.argv.slice(2);
const status = Number(statusText);

/** @type {any} */
let report;
try {
  report = JSON.parse(readFileSync(reportPath, "utf8"));
} catch (error) {
  console.error(`no readable vitest report at ${reportPath}: ${error}`);
  console.log("0 1 0");
  process.exit(0);
}

let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of report.testResults ?? []) {
  let failedHere = 0;
  for (const test of file.assertionResults ?? []) {
    if (test.status === "passed") {
      passed++;
    } else if (test.status === "failed") {
      failedHere++;
    } else if (test.status === "pending") {
      console.error(`did not finish: ${file.name} > ${test.fullName}`);
      failedHere++;
    } else {
      skipped++;
    }
  }
  if (file.status === "failed" && failedHere === 0) {
    console.error(`failed outside any test: ${file.name}: ${file.message || "(no message)"}`);
    failedHere = 1;
  }
  failed += failedHere;
}
if (failed === 0 && (report.numFailedTestSuites ?? 0) > 0) {
  failed = report.numFailedTestSuites;
}
if (failed === 0 && (status !== 0 || report.success === false)) {
  console.error(`vitest exited with status ${status} but no test failed: counted as one failure`);
  failed = 1;
}
console.log(`${passed} ${failed} ${skipped}`);
