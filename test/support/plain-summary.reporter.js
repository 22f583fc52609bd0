/**
 * Prints one plain closing line, `jest: N passed, N failed, N skipped`, as the very last line of a run,
 * so tools that read a run's closing lines (CI) can count tests without parsing jest's formatted output.
 * It is written on process exit because jest's own summary reporter always runs after custom reporters.
 */
export default class PlainSummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    // Suites that failed to run (syntax errors, failed imports) count as failures too.
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const line = `jest: ${results.numPassedTests} passed, ${failed} failed, ${skipped} skipped\n`;
    process.once('exit', () => process.stderr.write(line));
  }
}
