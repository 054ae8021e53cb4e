/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

/**
 * The benchmark's whole code path with tiny counts (`run.js --smoke`, after compiling bench/):
 * every peer over HTTP and HTTPS at concurrency 1 and 8 (the floor peer n8n-floor and the node
 * without its record included), the n8n 1.x runtime, memory, scale, and the chart. The bench runs
 * with PAYLOCO_CHROMIUM pointing at a browser that does not exist, as on a machine without
 * Chromium: it must print every figure, say how to get a browser, and exit 0; the saved SVG is
 * then drawn with the real Chromium by chart.js. Checks that every figure is printed, never the
 * figures' values (a benchmark on a shared CI machine is not a test of speed). It does not
 * rebuild dist/ (other test files load it meanwhile): `npm test` builds first.
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

it('the smoke bench prints every peer and ratio over http and https, memory, scale and the headline ratios without a browser, then its chart is drawn', async () => {
	// PAYLOCO_TEST_FILE: the n8n processes the bench starts count for this file (test/summary-reporter.js).
	const noBrowser = join(dir, 'no-such-chromium');
	const env: NodeJS.ProcessEnv = { ...process.env, BENCH_SMOKE: '1', BENCH_CHART: join(dir, 'chart.png'), PAYLOCO_CHROMIUM: noBrowser, PAYLOCO_TEST_FILE: __filename };
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
	expect(lines[0]).toMatch(/^PayLoco bench \(smoke\): Cancel Card, 20 items per run at concurrency 8, 10 at concurrency 1 .*; sandbox latency 20 ms/);
	expect(lines[0]).toMatch(/HTTP Request node 4\.2 in n8n 1\.\d+\.\d+; \d+ CPUs, load average \d+\.\d at start$/);
	const peers = ['node', 'http-request-node', 'baseline-fresh', 'baseline-keepalive', String.raw`node in n8n 1\.x \(cross-check\)`, 'http-request-node, own Batching C/1 ms', 'n8n-floor', String.raw`n8n-floor-signed \(signs at send\)`];
	for (const scheme of ['http', 'https']) {
		for (const c of [1, 8]) {
			const withRecord = c === 8 ? ['node without its record'] : [];
			const at = lines.indexOf(`over ${scheme} at concurrency ${c}:`);
			expect(at).toBeGreaterThan(0);
			[...peers, ...withRecord].forEach((peer, i) => {
				expect(lines[at + 1 + i]).toMatch(
					new RegExp(String.raw`^  ${peer} +${NUMBER} items/s +connections/item ${NUMBER}, TLS handshakes/item ${NUMBER} \(resumed ${NUMBER}\), peak in flight \d+`),
				);
			});
			const httpTarget = scheme === 'https' && c === 8 ? String.raw`  \[target >= 1\.0: ${VERDICT}\]` : '';
			const after = at + 1 + peers.length + withRecord.length;
			expect(lines[after]).toMatch(
				new RegExp(
					String.raw`^  ratios: node/http-request-node ${NUMBER}${httpTarget}, node/baseline-fresh ${NUMBER}  \[target >= 0\.9[57]: ${VERDICT}\], node/baseline-keepalive ${NUMBER}  \(reported, not targeted\)$`,
				),
			);
			const floorTarget = c === 8 ? '0.95' : '0.97';
			expect(lines[after + 1]).toMatch(
				new RegExp(String.raw`^  ratio: node/n8n-floor ${NUMBER}  \[target >= ${floorTarget.replace('.', '\\.')}: ${VERDICT}\]; n8n-floor/baseline-fresh ${NUMBER} \(n8n's own share\)$`),
			);
			expect(lines[after + 2]).toMatch(new RegExp(String.raw`^  ratio: node/n8n-floor-signed ${NUMBER}  \(what the node adds beyond n8n's path and RSA signing; reported, not targeted\)$`));
			if (c === 8) {
				expect(lines[after + 3]).toMatch(
					new RegExp(String.raw`^  ratio: node/node-without-record ${NUMBER}  \[target >= 0\.95: ${VERDICT}\]; n8n deduplication store calls per item ${NUMBER} `),
				);
			}
		}
	}
	// Over http nothing is encrypted; over https each fresh connection is a TLS handshake (counted at the sandbox).
	const fresh = (scheme: string) => lines[lines.indexOf(`over ${scheme} at concurrency 8:`) + 3];
	expect(fresh('http')).toMatch(/connections\/item 1\.00, TLS handshakes\/item 0\.00 /);
	expect(fresh('https')).toMatch(/connections\/item 1\.00, TLS handshakes\/item 1\.00 /);
	expect(stdout).toMatch(new RegExp(String.raw`^cost of a new connection per request at concurrency 1 .*: http ${NUMBER} ms, https ${NUMBER} ms`, 'm'));
	expect(stdout).toMatch(new RegExp(String.raw`^signing CPU per item: signBody ${NUMBER} ms, bare crypto\.sign ${NUMBER} ms, ratio ${NUMBER}  \[target <= 1\.2: ${VERDICT}\]$`, 'm'));
	expect(stdout).toMatch(new RegExp(String.raw`^peak RSS for 200 items over https: [+-]${NUMBER} MB over a ${NUMBER} MB baseline .*\[target <= 100 MB: ${VERDICT}\]$`, 'm'));
	expect(stdout).toMatch(new RegExp(String.raw`^peak RSS for 200 items over https, node-without-record: [+-]${NUMBER} MB over a ${NUMBER} MB baseline .*V8 heap reserved [+-]${NUMBER} MB.*; the record \(n8n's deduplication store\) adds [+-]${NUMBER} MB$`, 'm'));
	expect(stdout).toMatch(new RegExp(String.raw`^peak RSS for 200 items over https, n8n-floor-signed: [+-]${NUMBER} MB over a ${NUMBER} MB baseline .*; the node adds [+-]${NUMBER} MB to it$`, 'm'));
	for (const items of [20, 50, 100]) {
		expect(stdout).toMatch(
			new RegExp(String.raw`^scale over http at concurrency 8: node at ${items} items: ${NUMBER} items/s, ${NUMBER} MB per 1,000 items \([+-]${NUMBER} MB over a ${NUMBER} MB baseline\)$`, 'm'),
		);
	}
	// The headline ratios, then the duration, then the chart: without a browser, how to get one.
	const tail = lines.slice(-8);
	expect(tail[0]).toMatch(/^node\/http-request-node at concurrency 8 over https: \d+\.\d{2}$/);
	expect(tail[1]).toMatch(/^node\/baseline-fresh at concurrency 8: \d+\.\d{2}$/);
	expect(tail.slice(2, 6)).toEqual(
		['8 over https', '1 over https', '8 over http', '1 over http'].map((at) => expect.stringMatching(new RegExp(String.raw`^node/n8n-floor at concurrency ${at}: \d+\.\d{3}$`))),
	);
	expect(tail[6]).toMatch(/^bench took \d+\.\d min \(sections floor,peers,record,signing,memory,scale; load average \d+\.\d at the end\)$/);
	const svg = join(dir, 'chart.svg');
	const png = join(dir, 'chart.png');
	expect(tail[7]).toBe(
		`chart: not drawn: no Chromium at ${noBrowser}; install Debian's chromium (\`apt-get install chromium\`, as .ci/run does), or set PAYLOCO_CHROMIUM to a Chromium executable, then: ` +
			`node ${join(ROOT, '.cache', 'bench', 'bench', 'chart.js')} ${svg} ${png}`,
	);
	expect(existsSync(png)).toBe(false);
	// Where there is a browser, the saved chart is drawn from the SVG.
	const drawEnv = { ...env };
	delete drawEnv.PAYLOCO_CHROMIUM;
	const drawn = await run(process.execPath, ['.cache/bench/bench/chart.js', svg, png], { cwd: ROOT, env: drawEnv, timeout: 60_000 });
	expect(drawn.stdout.trim()).toBe(`chart: ${png}`);
	expect(readFileSync(png).subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
}, 480_000);
