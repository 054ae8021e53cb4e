/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
/**
 * `npm run bench` (full) or `npm run bench -- --smoke` / BENCH_SMOKE=1 (tiny counts, same code path).
 * `npm run bench -- --only floor,scale` (or BENCH_ONLY) runs some sections; default: all of them:
 * - floor: the node and the floor peer n8n-floor (bench/floor/) in the same in-process harness,
 *   and n8n-floor-signed, the floor signing at send time;
 * - peers: n8n's HTTP Request node 4.2 and the node in the installed n8n 1.x (n8n-peers.ts), and
 *   the two plain-Node baselines, fresh connections and keep-alive (baseline.ts);
 * - record: the node with and without its record in n8n's deduplication store, concurrency 8;
 * - signing: the signing path's CPU next to a bare crypto.sign;
 * - memory: peak RSS of a 10,000-item HTTPS run, the node's and the floor's (n8n-floor-signed);
 * - scale: the node at 1,000, 10,000 and 50,000 items over HTTP, concurrency 8.
 * `BENCH_ROUNDS=7 npm run bench -- --only record`: 7 rounds instead of 3
 *   (the median of more rounds, for a ratio near its target).
 * Throughput: Cancel Card against the sandbox (own process, 20 ms latency), over plain HTTP and
 * HTTPS (throwaway CA, trusted through NODE_EXTRA_CA_CERTS), at concurrency 1 and 8; every peer
 * timed by its own execution time in n8n's run data, the baselines by wall time.
 * Prints every figure with PASS/MISS per target, the headline ratios, the duration, and only
 * then draws the chart (docs/bench.png; without Chromium it says how to get one). Exits 0 either
 * way; exits 1 only when a run itself goes wrong.
 */
import './env';

import { fork } from 'node:child_process';
import { createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import { runtime } from '../e2e/harness/runtime';
import type { PayLocoCredentials } from '../nodes/PayLoco/environment';
import { signBody } from '../nodes/PayLoco/signing';
import { GET_CHROMIUM, NoBrowserError, writePng } from './chart';
import { cardsFor, credentialsFor, packageRoot, rssWarmItems } from './common';
import type { BenchTarget } from './common';
import { measureAll } from './measure';
import type { Measurements, Peer } from './measure';
import type { HarnessPeer } from './node-run';
import { chartOf, headlineLines, memoryLines, scaleLines, signingLine, throughputLines } from './report';
import type { RssReport } from './rss-child';
import { startSandboxes } from './sandbox';
import type { Sandboxes, Scheme } from './sandbox';

const SECTIONS = ['floor', 'peers', 'record', 'signing', 'memory', 'scale'] as const;
type Section = (typeof SECTIONS)[number];

const SMOKE = process.env.BENCH_SMOKE === '1' || process.argv.includes('--smoke');
const LATENCY_MS = 20;
const ITEMS = SMOKE ? 20 : 1000;
const ITEMS_AT_1 = SMOKE ? 10 : 300;
/** BENCH_ROUNDS: more rounds where a ratio is close to its target (each round is one run of every peer). */
const ROUNDS = SMOKE ? 1 : Number(process.env.BENCH_ROUNDS) || 3;
const RSS_ITEMS = SMOKE ? 200 : 10_000;
const SCALE = SMOKE ? [20, 50, 100] : [1000, 10_000, 50_000];
const SIGN_ITERATIONS = SMOKE ? 50 : 4000;
/**
 * Where the chart goes: docs/bench.png only for a full run, so that a run of some sections
 * (`--only`) does not replace the published chart with a partial one. Its SVG stays out of docs/.
 */
function chartFiles(partial: boolean): { png: string; svg: string } {
	const chosen = process.env.BENCH_CHART || (SMOKE ? join(tmpdir(), `payloco-bench-smoke-${process.pid}.png`) : undefined);
	if (chosen) return { png: chosen, svg: chosen.replace(/\.png$/, '') + '.svg' };
	const cache = join(packageRoot(), '.cache', 'bench');
	if (partial) return { png: join(cache, 'bench-partial.png'), svg: join(cache, 'bench-partial.svg') };
	return { png: join(packageRoot(), 'docs', 'bench.png'), svg: join(cache, 'bench.svg') };
}

function selectedSections(): Set<Section> {
	const at = process.argv.indexOf('--only');
	const list = at >= 0 ? process.argv[at + 1] : process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length) ?? process.env.BENCH_ONLY;
	if (!list) return new Set(SECTIONS);
	const names = list.split(',').map((n) => n.trim()).filter(Boolean);
	const unknown = names.filter((n) => !(SECTIONS as readonly string[]).includes(n));
	if (unknown.length || !names.length) throw new Error(`--only takes a list of ${SECTIONS.join(', ')}; not: ${unknown.join(', ') || '(empty)'}`);
	return new Set(names as Section[]);
}

const cpuMs = (usage: NodeJS.CpuUsage) => (usage.user + usage.system) / 1000;

/** CPU time per call, alternating the two paths in slices so frequency changes hit both alike. */
function signingCost(target: BenchTarget): { node: number; bare: number } {
	const credentials = credentialsFor(target) as PayLocoCredentials;
	const body = { transType: 'PAY', accessType: 's2s', cardId: 'C-1655900976772226', requestId: 'n8n0123456789abcdef0123456789a' };
	// The equivalent body the node sends (envelope, the fields, a requestTime), serialized ahead of time.
	const bytes = signBody(credentials, body).bytes;
	const merchantKey = createPrivateKey(target.merchantPrivatePem);
	const slices = SMOKE ? 1 : 8;
	const perSlice = Math.max(1, Math.floor(SIGN_ITERATIONS / slices));
	let node = 0;
	let bare = 0;
	for (let i = 0; i < 20; i++) {
		signBody(credentials, body);
		sign('sha256', bytes, merchantKey).toString('base64');
	}
	for (let s = 0; s < slices; s++) {
		let cpu = process.cpuUsage();
		for (let i = 0; i < perSlice; i++) signBody(credentials, body);
		node += cpuMs(process.cpuUsage(cpu));
		cpu = process.cpuUsage();
		for (let i = 0; i < perSlice; i++) sign('sha256', bytes, merchantKey).toString('base64');
		bare += cpuMs(process.cpuUsage(cpu));
	}
	return { node: node / (slices * perSlice), bare: bare / (slices * perSlice) };
}

/** One large run in a process of its own (rss-child.ts). */
async function peakRss(target: BenchTarget, caCertFile: string, peer: HarnessPeer, items: number, label: string): Promise<RssReport> {
	const child = fork(join(__dirname, 'rss-child.js'), [], {
		env: { ...process.env, NODE_EXTRA_CA_CERTS: caCertFile, BENCH_TARGET: JSON.stringify(target), BENCH_RSS_ITEMS: String(items), BENCH_RSS_PEER: peer, BENCH_RSS_LABEL: label },
		// BENCH_RSS_NODE_FLAGS: V8 flags for profiling by hand (e.g. --trace-gc), which NODE_OPTIONS refuses.
		execArgv: ['--expose-gc', ...(process.env.BENCH_RSS_NODE_FLAGS ?? '').split(' ').filter(Boolean)],
		stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
	});
	return await new Promise<RssReport>((resolve, reject) => {
		child.once('message', (message) => resolve(message as RssReport));
		child.once('error', reject);
		child.once('exit', (code) => reject(new Error(`the RSS child exited with ${code} before reporting`)));
	});
}

async function largeRun(sandboxes: Sandboxes, merchantPrivatePem: string, scheme: Scheme, peer: HarnessPeer, items: number, label: string): Promise<RssReport> {
	const rss = await peakRss({ ...sandboxes[scheme], merchantPrivatePem }, sandboxes.caCertFile, peer, items, label);
	await sandboxes.expectOneEffectEach(scheme, [...cardsFor(`${label}-warm`, rssWarmItems()), ...cardsFor(label, items)]);
	return rss;
}

/** Draws the chart last: every figure is printed by then. Never fails the bench. */
async function drawChart(svg: string | undefined, partial: boolean, out: (line: string) => void): Promise<void> {
	if (!svg) return out('chart: nothing to draw for these sections');
	const { png: CHART, svg: CHART_SVG } = chartFiles(partial);
	mkdirSync(dirname(CHART_SVG), { recursive: true });
	writeFileSync(CHART_SVG, svg);
	try {
		await writePng(svg, CHART);
		out(`chart: ${CHART}`);
	} catch (error) {
		const why = error instanceof NoBrowserError ? error.message : String((error as Error).message ?? error).split('\n')[0];
		out(`chart: not drawn: ${why}; ${GET_CHROMIUM}, then: node ${join(__dirname, 'chart.js')} ${CHART_SVG} ${CHART}`);
	}
}

async function main(): Promise<number> {
	const started = performance.now();
	const sections = selectedSections();
	const merchant = generateKeyPairSync('rsa', { modulusLength: 2048 });
	const merchantPublicPem = merchant.publicKey.export({ format: 'pem', type: 'spki' }).toString();
	const merchantPrivatePem = merchant.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
	const load = loadavg()[0];
	const out = (line: string) => console.log(line);
	const progress = (line: string) => process.stderr.write(`${line}\n`);
	const n8nVersion = sections.has('peers') ? runtime(1).version : undefined;
	out(
		`PayLoco bench${SMOKE ? ' (smoke)' : ''}: Cancel Card, ${ITEMS} items per run at concurrency 8, ${ITEMS_AT_1} at concurrency 1 (median of ${ROUNDS} rounds); ` +
			`sandbox latency ${LATENCY_MS} ms in its own process; RSA 2048; HTTPS with a throwaway CA (RSA 2048 server certificate); sections ${[...sections].join(',')}; ` +
			`Node ${process.version}${n8nVersion ? `; HTTP Request node 4.2 in n8n ${n8nVersion}` : ''}; ${cpus().length} CPUs, load average ${load.toFixed(1)} at start`,
	);
	const sandboxes = await startSandboxes(merchantPublicPem, LATENCY_MS);
	let measured: Measurements | undefined;
	const scale: RssReport[] = [];
	try {
		progress(`bench: measuring (progress on stderr; results on stdout)`);
		const peers = new Set<Peer>();
		if (sections.has('floor')) ['node', 'n8n-floor', 'n8n-floor-signed'].forEach((p) => peers.add(p as Peer));
		if (sections.has('peers')) ['node', 'http-request-node', 'node-n8n-cli', 'http-request-batching', 'baseline-fresh', 'baseline-keepalive'].forEach((p) => peers.add(p as Peer));
		if (sections.has('record')) ['node', 'node-without-record'].forEach((p) => peers.add(p as Peer));
		if (peers.size) {
			measured = await measureAll(
				sandboxes,
				{
					schemes: ['http', 'https'],
					concurrencies: sections.has('floor') || sections.has('peers') ? [1, 8] : [8],
					itemsAt: (c) => (c === 1 ? ITEMS_AT_1 : ITEMS),
					roundsAt: () => ROUNDS,
					merchantPrivatePem,
					peers,
				},
				progress,
			);
			throughputLines(measured).forEach(out);
		}
		if (sections.has('signing')) out(signingLine(signingCost({ ...sandboxes.http, merchantPrivatePem })));
		if (sections.has('memory')) {
			progress(`  memory: ${RSS_ITEMS} items over https, node, node-without-record, then n8n-floor-signed`);
			const node = await largeRun(sandboxes, merchantPrivatePem, 'https', 'node', RSS_ITEMS, 'rss');
			// The same without n8n's deduplication store: what the record (each call reads and
			// rewrites the node's whole row) adds to the peak.
			const bare = await largeRun(sandboxes, merchantPrivatePem, 'https', 'node-without-record', RSS_ITEMS, 'rssnorec');
			// The floor that signs at send: bodies signed before a 10,000-item run would outlive
			// PayLoco's 2-minute requestTime window on a slow machine (the sandbox refuses them).
			const floor = await largeRun(sandboxes, merchantPrivatePem, 'https', 'n8n-floor-signed', RSS_ITEMS, 'rssfloor');
			memoryLines(node, floor, bare).forEach(out);
		}
		if (sections.has('scale')) {
			for (const items of SCALE) {
				progress(`  scale: ${items} items over http`);
				scale.push(await largeRun(sandboxes, merchantPrivatePem, 'http', 'node', items, `scale${items}`));
			}
			scaleLines(scale).forEach(out);
		}
	} finally {
		sandboxes.stop();
	}
	if (measured) headlineLines(measured).forEach(out);
	out(`bench took ${((performance.now() - started) / 60_000).toFixed(1)} min (sections ${[...sections].join(',')}; load average ${loadavg()[0].toFixed(1)} at the end)`);
	const note = `${cpus().length} CPUs, load average ${load.toFixed(1)}, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`;
	await drawChart(chartOf(measured, scale, SMOKE, note), sections.size < SECTIONS.length, out);
	return 0;
}

main().then(
	(code) => process.exit(code),
	(error) => {
		console.error(error);
		process.exit(1);
	},
);
