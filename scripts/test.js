#!/usr/bin/env node
/*
 * `npm test`: the whole proof, ordered so that the 2 cores of a CI machine are not left waiting.
 *
 *   install   node scripts/install-n8n.js all       (network and disk: minutes on a fresh clone)
 *   checks    build, typecheck, lint, scan, npm pack, then the quick tier (jest, no n8n)
 *             -- these two run at the same time; the n8n suites need both --
 *   e2e       jest: every end-to-end suite except queue mode, and the benchmark smoke run
 *   queue     jest: the queue-mode suites, after the rest (see jest.config.js), the two side by side
 *
 * The first failure stops the run (the install too) with that step's exit code. Every jest run
 * writes its rows to .cache/test-run/, so the last one ends the output with the per-suite table
 * of the whole command and the plain "jest: N passed, N failed, N skipped" line
 * (test/summary-reporter.js). The install's output is printed as it comes, each line under its own
 * prefix ([install-n8n ...]).
 *
 *   node scripts/test.js [--sequential]    --sequential: install first, then the checks (to compare)
 *   node scripts/test.js --queue-beside    queue mode beside the other end-to-end suites (see below)
 *   node scripts/test.js --quick           npm run test:quick: build and typecheck side by side,
 *                                          then the quick tier; no install, no n8n
 * CommonJS, Node >= 20, no dependencies.
 */
'use strict';

const { spawn } = require('child_process');
const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');
const RUN_DIR = path.join(ROOT, '.cache', 'test-run');
const JEST = [path.join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js')];
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

const t0 = Date.now();
const COMMAND = process.argv.includes('--quick') ? 'npm run test:quick' : 'npm test';
const secs = (ms) => `${(ms / 1000).toFixed(1)} s`;
const say = (msg) => console.log(`[${COMMAND} +${secs(Date.now() - t0)}] ${msg}`);

/** Process groups of the steps still running, stopped when a step fails or this process is stopped. */
const groups = new Set();
/** The first failing step's exit code; once set, no further step starts. */
let failed = 0;
function stopAll() {
	for (const pid of groups) {
		try {
			process.kill(-pid, 'SIGTERM');
		} catch {
			/* already gone */
		}
	}
}
function fail(code) {
	if (code === 0 || failed) return;
	failed = code;
	stopAll();
}
for (const signal of ['SIGINT', 'SIGTERM']) {
	process.on(signal, () => {
		stopAll();
		process.exit(130);
	});
}

/**
 * Runs one step to completion, in its own process group (so stopping it stops what it started);
 * resolves to its exit code. Its output goes straight through, except: `lines` re-prints a piped
 * output line by line (the install's lines never break into the middle of another step's),
 * `held` prints it whole once the step has ended (for steps run side by side), and `quietStdout`
 * drops stdout. `quietEnd` prints no closing line: after a jest run the last lines
 * must stay the per-suite table and the "jest:" line.
 */
function step(label, cmd, args, { env = {}, quietStdout = false, lines = false, held = false, quietEnd = false } = {}) {
	if (failed) return Promise.resolve(failed);
	const started = Date.now();
	say(`${label}: $ ${[path.relative(ROOT, cmd).startsWith('..') ? path.basename(cmd) : path.relative(ROOT, cmd) || cmd, ...args].join(' ')}`);
	return new Promise((resolve) => {
		const child = spawn(cmd, args, {
			cwd: ROOT,
			env: { ...process.env, ...env },
			stdio: ['ignore', quietStdout || lines || held ? 'pipe' : 'inherit', lines || held ? 'pipe' : 'inherit'],
			detached: true,
		});
		groups.add(child.pid);
		const output = [];
		if (lines) {
			for (const stream of [child.stdout, child.stderr]) {
				let rest = '';
				stream.on('data', (d) => {
					const parts = (rest + d).split('\n');
					rest = parts.pop();
					for (const line of parts) console.log(line);
				});
				stream.on('end', () => rest && console.log(rest));
			}
		} else if (held) {
			for (const stream of [child.stdout, child.stderr]) stream.on('data', (d) => output.push(d));
		} else if (quietStdout) {
			child.stdout.resume();
		}
		child.on('error', (e) => {
			console.error(`[${COMMAND}] ${label}: cannot start ${cmd}: ${e.message}`);
			resolve(1);
		});
		child.on('close', (code, signal) => {
			groups.delete(child.pid);
			if (output.length) process.stdout.write(Buffer.concat(output));
			const result = code ?? (signal ? 1 : 0);
			if (!quietEnd) say(`${label}: ${result === 0 ? 'passed' : `FAILED (${signal ?? `exit ${code}`})`} in ${secs(Date.now() - started)}`);
			resolve(result);
		});
	});
}

/** Runs steps one after the other; resolves to the first non-zero exit code (or 0). */
async function chain(steps) {
	for (const s of steps) {
		const code = await s();
		if (code !== 0) return code;
	}
	return 0;
}

const jest = (label, args) => () =>
	step(label, process.execPath, [...JEST, ...args], {
		env: { PAYLOCO_TEST_RUN: RUN_DIR, PAYLOCO_TEST_STARTED: String(t0), PAYLOCO_TEST_COMMAND: COMMAND },
		quietEnd: true,
	});

const install = () => step('install', process.execPath, [path.join(ROOT, 'scripts', 'install-n8n.js'), 'all'], { lines: true });

/** Runs steps at the same time; resolves to the first non-zero exit code (or 0). */
const together = (steps) => () => Promise.all(steps.map((s) => s())).then((codes) => codes.find((c) => c !== 0) ?? 0);

// tsc twice (the published build, and the types of everything, tests included: jest only
// transpiles), side by side: one core each.
const buildAndTypecheck = together([
	() => step('build', NPM, ['run', '--silent', 'build'], { held: true }),
	() => step('typecheck', NPM, ['run', '--silent', 'typecheck'], { held: true }),
]);
// --queue-beside: the queue-mode run beside the end-to-end run instead of
// after it. Off by default: measured at load 9-14 on this 2-core machine, the editor suite (Chromium)
// then timed out loading n8n's pages (15 s); the two queue suites side by side passed.
const QUEUE_BESIDE = process.argv.includes('--queue-beside');

// `npm run test:quick -- <jest arguments>` passes them on (e.g. a file pattern, --cacheDirectory).
const extra = process.argv.slice(2).filter((a) => !['--quick', '--sequential', '--queue-beside'].includes(a));
// Three workers on two cores: the quick tier's slowest files mostly wait on timers (retry backoffs,
// polls), and a third worker fills that time (measured at load 1-2: 81.3 s with two, 60.8 s with
// three, the same CPU time).
const workers = extra.some((a) => /^(--maxWorkers|-w)/.test(a)) ? [] : ['--maxWorkers=3'];
const quickTier = jest('quick tier', [...workers, ...extra, '--testPathIgnorePatterns', '/test/e2e/', '/test/bench\\.smoke']);

const checks = [
	buildAndTypecheck,
	() => step('lint', NPM, ['run', '--silent', 'lint']),
	() => step('scan', NPM, ['run', '--silent', 'scan']),
	// The end-to-end suites install this tarball into n8n, as a user's n8n would download it.
	() => step('pack', NPM, ['pack', '--silent', '--pack-destination', '.cache'], { quietStdout: true }),
	quickTier,
];

const endToEnd = jest('end-to-end', ['/test/e2e/', '/test/bench\\.smoke', '--testPathIgnorePatterns', '/test/e2e/queue']);
// The queue-mode suites side by side (two jest workers): measured at load 9-18, queue.e2e and
// queue-trigger.e2e passed together, beside three other n8n suites running too.
const queueMode = jest('queue mode', ['/test/e2e/queue']);

/** The table and the "jest:" line of every jest run of this command, as the very last output. */
function finalReport() {
	process.env.PAYLOCO_TEST_STARTED = String(t0);
	process.env.PAYLOCO_TEST_COMMAND = COMMAND;
	process.stderr.write(require('../test/summary-reporter.js').report(RUN_DIR, ROOT));
}

async function main() {
	fs.mkdirSync(path.join(ROOT, '.cache'), { recursive: true });
	fs.rmSync(RUN_DIR, { recursive: true, force: true });
	if (process.argv.includes('--quick')) {
		// npm run test:quick: no install, no lint or scan, no n8n; the quick tier's table ends it.
		fail(await chain([buildAndTypecheck, quickTier]));
		process.exitCode = failed;
		return;
	}
	if (process.argv.includes('--sequential')) {
		fail(await chain([install, ...checks]));
	} else {
		// Both start now; the first failure of either stops the other.
		await Promise.all([install().then(fail), chain(checks).then(fail)]);
	}
	if (!failed) {
		if (QUEUE_BESIDE) {
			// Side by side, and a failure in one does not stop the other: every result is reported.
			const codes = await Promise.all([endToEnd(), queueMode()]);
			fail(codes.find((c) => c !== 0) ?? 0);
		} else {
			fail(await chain([endToEnd, queueMode]));
		}
		finalReport();
	}
	process.exitCode = failed;
}

main().catch((e) => {
	console.error(e);
	stopAll();
	process.exitCode = 1;
});
