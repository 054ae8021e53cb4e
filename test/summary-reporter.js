// Prints, at the very end of a jest run, a table of the test files (suites): each one's wall
// time and how many n8n processes it started, then the run's totals as one plain line
// ("jest: N passed, N failed, N skipped"), the form CI reads in any language; jest's own summary
// has another shape. Both are written when the process exits, after jest's own summary, so the
// plain line is the last line.
//
// n8n processes are counted by the e2e harness (noteN8nProcess in e2e/harness/process.ts): one
// line per `n8n <command>` it spawns, appended to the file named in PAYLOCO_N8N_SPAWN_LOG, which
// this reporter sets before jest starts its workers (they inherit it).
//
// `npm test` (scripts/test.js) runs jest three times (the quick tier, the end-to-end suites, the
// queue-mode suites alone) with PAYLOCO_TEST_RUN naming one folder for all: each run leaves its rows there, and each prints the table and the
// totals of every run in that folder so far, so the last lines cover the whole test command.
// Without PAYLOCO_TEST_RUN a run uses a temporary folder of its own.
const fs = require('fs');
const os = require('os');
const path = require('path');

class SummaryReporter {
	constructor(globalConfig) {
		this.rootDir = globalConfig.rootDir;
		this.shared = Boolean(process.env.PAYLOCO_TEST_RUN);
		this.dir = this.shared
			? path.resolve(process.env.PAYLOCO_TEST_RUN)
			: fs.mkdtempSync(path.join(os.tmpdir(), 'payloco-jest-run-'));
		fs.mkdirSync(this.dir, { recursive: true });
		process.env.PAYLOCO_N8N_SPAWN_LOG = path.join(this.dir, 'n8n-processes.log');
		this.suites = [];
	}

	onTestFileResult(test, result) {
		const { start, end } = result.perfStats;
		this.suites.push({
			file: path.relative(this.rootDir, result.testFilePath),
			ms: end && start ? end - start : 0,
			failed: result.numFailingTests > 0 || Boolean(result.testExecError),
			// The first lines of each failure: CI keeps the end of a long log, and jest prints the
			// messages far above this table.
			failures: [
				...result.testResults.filter((t) => t.status === 'failed').map((t) => `${t.fullName}\n${brief(t.failureMessages.join('\n'))}`),
				...(result.testExecError ? [`(the file itself)\n${brief(String(result.testExecError.message || result.testExecError))}`] : []),
			],
		});
	}

	onRunComplete(_contexts, results) {
		const { numPassedTests, numFailedTests, numPendingTests, numTodoTests } = results;
		const run = {
			ms: Date.now() - results.startTime,
			passed: numPassedTests,
			failed: numFailedTests,
			skipped: numPendingTests + numTodoTests,
			suites: this.suites,
		};
		fs.writeFileSync(path.join(this.dir, `jest-run-${results.startTime}-${process.pid}.json`), JSON.stringify(run));
		const text = report(this.dir, this.rootDir);
		if (!this.shared) fs.rmSync(this.dir, { recursive: true, force: true });
		// After everything jest prints in onRunComplete (its summary reporter comes after this one).
		process.once('exit', () => fs.writeSync(2, text));
	}
}

/** A failure message without colours, cut to its first lines. */
function brief(text) {
	const plain = text.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'), '');
	const lines = plain.split('\n').filter((line) => !/^\s+at .*(node_modules|node:internal|<anonymous>\)?$)/.test(line));
	return lines.slice(0, 25).join('\n').slice(0, 2500);
}

/** The table and the closing line for every jest run recorded in `dir`. */
function report(dir, rootDir) {
	const runs = fs
		.readdirSync(dir)
		.filter((f) => /^jest-run-.*\.json$/.test(f))
		.sort()
		.map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')));
	const n8n = new Map();
	const log = path.join(dir, 'n8n-processes.log');
	if (fs.existsSync(log)) {
		for (const line of fs.readFileSync(log, 'utf8').split('\n').filter(Boolean)) {
			const file = line.split('\t')[0];
			const key = path.isAbsolute(file) ? path.relative(rootDir, file) : file;
			n8n.set(key, (n8n.get(key) || 0) + 1);
		}
	}
	const suites = runs.flatMap((r) => r.suites).sort((a, b) => b.ms - a.ms);
	const width = Math.max(10, ...suites.map((s) => s.file.length));
	const secs = (ms) => (ms / 1000).toFixed(1).padStart(7);
	const lines = [`${'test file'.padEnd(width)}  ${'wall s'.padStart(7)}  n8n processes`];
	let processes = 0;
	for (const s of suites) {
		const count = n8n.get(s.file) || 0;
		processes += count;
		lines.push(`${s.file.padEnd(width)}  ${secs(s.ms)}  ${String(count).padStart(5)}${s.failed ? '  FAILED' : ''}`);
	}
	const unknown = [...n8n].filter(([file]) => !suites.some((s) => s.file === file));
	for (const [file, count] of unknown) lines.push(`${`(${file})`.padEnd(width)}  ${'-'.padStart(7)}  ${String(count).padStart(5)}`);
	processes += unknown.reduce((sum, [, count]) => sum + count, 0);
	const elapsed = runs.map((r) => (r.ms / 1000).toFixed(1)).join(' s + ');
	// scripts/test.js (npm test, npm run test:quick) says when it started: the command's wall time
	// so far, the steps before jest included.
	const started = Number(process.env.PAYLOCO_TEST_STARTED);
	const whole = started ? `; ${process.env.PAYLOCO_TEST_COMMAND || 'the command'} ${((Date.now() - started) / 1000).toFixed(1)} s in all` : '';
	lines.push(`${`${suites.length} test files, ${runs.length} jest run(s) of ${elapsed} s${whole}`.padEnd(width)}  ${' '.repeat(7)}  ${String(processes).padStart(5)}`);
	const total = (k) => runs.reduce((sum, r) => sum + r[k], 0);
	const failures = suites.flatMap((s) => (s.failures || []).map((f) => `FAILED in ${s.file}: ${f}`)).slice(0, 6);
	if (failures.length) lines.push('', ...failures);
	return `\n${lines.join('\n')}\n\njest: ${total('passed')} passed, ${total('failed')} failed, ${total('skipped')} skipped\n`;
}

module.exports = SummaryReporter;
// scripts/test.js prints the whole command's table once more at its very end, after jest runs that
// ran side by side (whichever of them exits last may not have seen the other's rows).
module.exports.report = report;
