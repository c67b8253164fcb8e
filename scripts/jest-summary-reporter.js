// Jest reporter that ends the run with one plain line, "N passed, M failed[, K skipped]", which CI
// and people can read without knowing Jest's own summary format. It is written when the process
// exits, so it stays the last line after Jest's own summary. Plain JavaScript: Jest loads reporters
// without transforming them.
import { writeSync } from 'node:fs';

export default class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    // Suites that failed to run (syntax error, failing beforeAll) count as failures too.
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const line = `\n${results.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`;
    process.once('exit', () => writeSync(1, line));
  }
}
