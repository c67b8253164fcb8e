// Jest reporter that ends the run with one plain line, "N passed, M failed[, K skipped]", which CI
// and people can read without knowing Jest's own summary format. Plain JavaScript: Jest loads
// reporters without transforming them.
export default class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    // Suites that failed to run (syntax error, failing beforeAll) count as failures too.
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    process.stdout.write(`\n${results.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
  }
}
