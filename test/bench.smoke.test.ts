/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

/**
 * The benchmark's whole code path with tiny counts (`run.js --smoke`, after compiling bench/):
 * every peer over HTTP and HTTPS at concurrency 1 and 8, the n8n 1.x runtime, the chart.
 * Checks that every figure is printed and the last two lines' format, never the figures' values
 * (a benchmark on a shared CI machine is not a test of speed). It does not rebuild dist/ (other
 * test files load it meanwhile): `npm test` builds first, and the bench refuses a stale dist/.
 */
const ROOT = resolve(__dirname, '..');
const NUMBER = String.raw`-?\d+(?:\.\d+)?`;
const VERDICT = '(?:PASS|MISS)';
const run = promisify(execFile);

let dir: string;
beforeAll(() => {
	dir = mkdtempSync(join(tmpdir(), 'payloco-bench-smoke-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('the smoke bench prints every peer and ratio over http and https, the chart, and ends with the two headline ratios', async () => {
	// PAYLOCO_TEST_FILE: the n8n processes the bench starts count for this file (test/summary-reporter.js).
	const env: NodeJS.ProcessEnv = { ...process.env, BENCH_SMOKE: '1', BENCH_CHART: join(dir, 'chart.png'), PAYLOCO_TEST_FILE: __filename };
	delete env.N8N_USER_FOLDER; // the bench makes (and removes) its own
	delete env.NODE_EXTRA_CA_CERTS; // the bench's clients get the sandbox's own CA
	await run('npx', ['tsc', '-p', 'bench/tsconfig.json'], { cwd: ROOT, env, timeout: 120_000 });
	const { stdout } = await run(process.execPath, ['.cache/bench/bench/run.js', '--smoke'], {
		cwd: ROOT,
		env,
		timeout: 400_000,
		maxBuffer: 10 * 1024 * 1024,
	});
	const lines = stdout.trim().split('\n');
	expect(lines[0]).toMatch(/^PayLoco bench \(smoke\): Cancel Card, 20 items per run at concurrency 8 .*, 10 at concurrency 1; sandbox latency 20 ms/);
	expect(lines[0]).toMatch(/HTTP Request node 4\.2 in n8n 1\.\d+\.\d+; \d+ CPUs, load average \d+\.\d at start$/);
	const peers = ['node', 'http-request-node', 'baseline-fresh', 'baseline-keepalive', String.raw`node in n8n 1\.x \(cross-check\)`, 'http-request-node, own Batching C/1 ms'];
	for (const scheme of ['http', 'https']) {
		for (const c of [1, 8]) {
			const at = lines.indexOf(`over ${scheme} at concurrency ${c}:`);
			expect(at).toBeGreaterThan(0);
			peers.forEach((peer, i) => {
				expect(lines[at + 1 + i]).toMatch(
					new RegExp(String.raw`^  ${peer} +${NUMBER} items/s +connections/item ${NUMBER}, TLS handshakes/item ${NUMBER} \(resumed ${NUMBER}\), peak in flight \d+`),
				);
			});
			const httpTarget = scheme === 'https' && c === 8 ? String.raw`  \[target >= 1\.0: ${VERDICT}\]` : '';
			expect(lines[at + 1 + peers.length]).toMatch(
				new RegExp(
					String.raw`^  ratios: node/http-request-node ${NUMBER}${httpTarget}, node/baseline-fresh ${NUMBER}  \[target >= 0\.9[57]: ${VERDICT}\], node/baseline-keepalive ${NUMBER}  \(reported, not targeted\)$`,
				),
			);
		}
	}
	// Over http nothing is encrypted; over https each fresh connection is a TLS handshake (counted at the sandbox).
	const fresh = (scheme: string) => lines[lines.indexOf(`over ${scheme} at concurrency 8:`) + 3];
	expect(fresh('http')).toMatch(/connections\/item 1\.00, TLS handshakes\/item 0\.00 /);
	expect(fresh('https')).toMatch(/connections\/item 1\.00, TLS handshakes\/item 1\.00 /);
	expect(stdout).toMatch(new RegExp(String.raw`^cost of a new connection per request at concurrency 1 .*: http ${NUMBER} ms, https ${NUMBER} ms`, 'm'));
	expect(stdout).toMatch(new RegExp(String.raw`^signing CPU per item: signBody ${NUMBER} ms, bare crypto\.sign ${NUMBER} ms, ratio ${NUMBER}  \[target <= 1\.2: ${VERDICT}\]$`, 'm'));
	expect(stdout).toMatch(new RegExp(String.raw`^peak RSS for 200 items over https: [+-]?${NUMBER} MB over a ${NUMBER} MB baseline .*\[target < 150 MB: ${VERDICT}\]$`, 'm'));
	expect(stdout).toContain(`chart: ${join(dir, 'chart.png')}`);
	expect(existsSync(join(dir, 'chart.png'))).toBe(true);
	expect(readFileSync(join(dir, 'chart.png')).subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
	expect(lines.at(-2)).toMatch(/^node\/http-request-node at concurrency 8 over https: \d+\.\d{2}$/);
	expect(lines.at(-1)).toMatch(/^node\/baseline-fresh at concurrency 8: \d+\.\d{2}$/);
}, 420_000);
