/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

/**
 * `npm run bench -- --smoke` in a child process: the benchmark's whole code path with tiny counts.
 * Checks that every figure is printed and the last line's format, never the figures' targets
 * (a benchmark on a shared CI machine is not a test of speed).
 */
const ROOT = resolve(__dirname, '..');
const NUMBER = String.raw`\d+(?:\.\d+)?`;
const VERDICT = '(?:PASS|MISS)';

it('the smoke bench prints every figure and ends with the node/baseline line', async () => {
	const env: NodeJS.ProcessEnv = { ...process.env, BENCH_SMOKE: '1' };
	delete env.N8N_USER_FOLDER; // the bench makes (and removes) its own
	const { stdout } = await promisify(execFile)('npm', ['run', '--silent', 'bench', '--', '--smoke'], {
		cwd: ROOT,
		env,
		timeout: 110_000,
		maxBuffer: 10 * 1024 * 1024,
	});
	const lines = stdout.trim().split('\n');
	const expected = [
		String.raw`^PayLoco bench \(smoke\): 50 Cancel Card items per run, sandbox latency 20 ms`,
		String.raw`^throughput at concurrency 1: node ${NUMBER} items/s, baseline ${NUMBER} items/s, node/baseline ${NUMBER}$`,
		String.raw`^concurrency 1 vs 50 x 20 ms latency: node ${NUMBER} s = ${NUMBER} x, baseline ${NUMBER} s = ${NUMBER} x  \[target node within 5%: ${VERDICT}\]$`,
		String.raw`^throughput at concurrency 8: node ${NUMBER} items/s, baseline ${NUMBER} items/s, node/baseline ${NUMBER}  \[target >= 0\.9: ${VERDICT}\]$`,
		String.raw`^client CPU per item at concurrency 8: node ${NUMBER} ms, baseline ${NUMBER} ms$`,
		String.raw`^signing CPU per item: signBody ${NUMBER} ms, bare crypto\.sign ${NUMBER} ms, ratio ${NUMBER}  \[target <= 1\.2: ${VERDICT}\]$`,
		String.raw`^peak RSS for 200 items: [+-]${NUMBER} MB over a ${NUMBER} MB baseline .*\[target < 150 MB: ${VERDICT}\]$`,
	];
	for (const pattern of expected) expect(stdout).toMatch(new RegExp(pattern, 'm'));
	expect(lines.at(-1)).toMatch(/^node\/baseline at concurrency 8: \d+\.\d{2}$/);
}, 120_000);
