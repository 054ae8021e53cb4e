// Prints the run's totals as one plain line ("jest: N passed, N failed, N skipped"), the form
// CI reads in any language; jest's own summary line has another shape.
class SummaryReporter {
	onRunComplete(_contexts, results) {
		const { numPassedTests, numFailedTests, numPendingTests, numTodoTests } = results;
		process.stderr.write(`\njest: ${numPassedTests} passed, ${numFailedTests} failed, ${numPendingTests + numTodoTests} skipped\n`);
	}
}
module.exports = SummaryReporter;
