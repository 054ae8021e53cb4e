/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
/**
 * `npm run bench` (full) or `npm run bench -- --smoke` / BENCH_SMOKE=1 (tiny counts, same code path).
 *
 * Cancel Card through the node inside n8n-core's WorkflowExecute against the sandbox (own process,
 * 20 ms latency), next to a hand-written plain-Node client doing the same work; the CPU cost of the
 * node's signing path next to a bare crypto.sign; peak RSS of one large run in a child process.
 * Prints PASS/MISS per target and exits 0 either way; exits 1 only when a run itself goes wrong.
 * The last line is always `node/baseline at concurrency 8: R`.
 */
import './env';

import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import { loadavg } from 'node:os';
import { join } from 'node:path';

import type { PayLocoCredentials } from '../nodes/PayLoco/environment';
import { signBody } from '../nodes/PayLoco/signing';
import { runBaseline } from './baseline';
import { cardsFor, credentialsFor, expectOneEffectEach, startSandboxProcess } from './common';
import type { BenchTarget } from './common';
import { runNodeCancel } from './node-run';
import type { RssReport } from './rss-child';

const SMOKE = process.env.BENCH_SMOKE === '1' || process.argv.includes('--smoke');
const LATENCY_MS = 20;
const ITEMS = SMOKE ? 50 : 1000;
const RSS_ITEMS = SMOKE ? 200 : 10_000;
const SIGN_ITERATIONS = SMOKE ? 50 : 4000;
const ROUNDS_AT_8 = SMOKE ? 1 : 5;

const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');
const fixed = (n: number, digits = 2) => n.toFixed(digits);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const cpuMs = (usage: NodeJS.CpuUsage) => (usage.user + usage.system) / 1000;

interface Run {
	itemsPerSecond: number;
	elapsedMs: number;
	cpuMsPerItem: number;
}

async function timed(count: number, work: () => Promise<unknown>): Promise<Run> {
	const cpu = process.cpuUsage();
	const started = performance.now();
	await work();
	const elapsedMs = performance.now() - started;
	return { itemsPerSecond: (count * 1000) / elapsedMs, elapsedMs, cpuMsPerItem: cpuMs(process.cpuUsage(cpu)) / count };
}

let runs = 0;

async function nodeRun(target: BenchTarget, concurrency: number, count = ITEMS): Promise<Run> {
	const label = `node-${concurrency}-${++runs}`;
	const cards = cardsFor(label, count);
	const run = await timed(count, () => runNodeCancel(target, cards, concurrency, `bench-${label}`));
	await expectOneEffectEach(target, cards);
	return run;
}

async function baselineRun(target: BenchTarget, concurrency: number, count = ITEMS): Promise<Run> {
	const label = `base-${concurrency}-${++runs}`;
	const cards = cardsFor(label, count);
	const run = await timed(count, () => runBaseline(target, cards, concurrency, label));
	await expectOneEffectEach(target, cards);
	return run;
}

/** Node and baseline alternately, the order swapped each round, so drift hits both alike. */
async function compare(target: BenchTarget, concurrency: number, rounds: number) {
	const node: Run[] = [];
	const base: Run[] = [];
	for (let round = 0; round < rounds; round++) {
		if (round % 2 === 0) {
			node.push(await nodeRun(target, concurrency));
			base.push(await baselineRun(target, concurrency));
		} else {
			base.push(await baselineRun(target, concurrency));
			node.push(await nodeRun(target, concurrency));
		}
	}
	const pick = (list: Run[]) => list.find((r) => r.itemsPerSecond === median(list.map((x) => x.itemsPerSecond))) as Run;
	return { node: pick(node), base: pick(base) };
}

/** CPU time per call, alternating the two paths in slices so frequency changes hit both alike. */
function signingCost(target: BenchTarget): { node: number; bare: number } {
	const credentials = credentialsFor(target) as PayLocoCredentials;
	const body = { transType: 'PAY', accessType: 's2s', cardId: 'C-1655900976772226', requestId: 'n8n0123456789abcdef0123456789a' };
	// The equivalent body the node sends (envelope, the fields, a requestTime), serialized ahead of time.
	const signed = signBody(credentials, body);
	const bytes = signed.bytes;
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

async function peakRss(target: BenchTarget): Promise<RssReport> {
	const child: ChildProcess = fork(join(__dirname, 'rss-child.js'), [], {
		env: { ...process.env, BENCH_TARGET: JSON.stringify(target), BENCH_RSS_ITEMS: String(RSS_ITEMS) },
		execArgv: ['--expose-gc'],
		stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
	});
	return await new Promise<RssReport>((resolve, reject) => {
		child.once('message', (report) => resolve(report as RssReport));
		child.once('error', reject);
		child.once('exit', (code) => reject(new Error(`the RSS child exited with ${code} before reporting`)));
	});
}

async function main(): Promise<number> {
	const merchant = generateKeyPairSync('rsa', { modulusLength: 2048 });
	const merchantPublicPem = merchant.publicKey.export({ format: 'pem', type: 'spki' }).toString();
	const merchantPrivatePem = merchant.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
	const { info, child } = await startSandboxProcess(merchantPublicPem, LATENCY_MS);
	const target: BenchTarget = { ...info, merchantPrivatePem };
	try {
		console.log(
			`PayLoco bench${SMOKE ? ' (smoke)' : ''}: ${ITEMS} Cancel Card items per run, sandbox latency ${LATENCY_MS} ms in its own process, ` +
				`RSA 2048, Node ${process.version}, load average ${loadavg()[0].toFixed(1)}`,
		);
		// Warm-up: module loading, JIT and the key cache, for both clients.
		await nodeRun(target, 8, 20);
		await baselineRun(target, 8, 20);

		const at1 = await compare(target, 1, 1);
		const ratio1 = at1.node.itemsPerSecond / at1.base.itemsPerSecond;
		console.log(
			`throughput at concurrency 1: node ${fixed(at1.node.itemsPerSecond, 1)} items/s, baseline ${fixed(at1.base.itemsPerSecond, 1)} items/s, node/baseline ${fixed(ratio1)}`,
		);
		const ideal = ITEMS * LATENCY_MS;
		const slowdown = at1.node.elapsedMs / ideal;
		console.log(
			`concurrency 1 vs ${ITEMS} x ${LATENCY_MS} ms latency: node ${fixed(at1.node.elapsedMs / 1000)} s = ${fixed(slowdown)} x, ` +
				`baseline ${fixed(at1.base.elapsedMs / 1000)} s = ${fixed(at1.base.elapsedMs / ideal)} x  [target node within 5%: ${verdict(slowdown <= 1.05)}]`,
		);

		const at8 = await compare(target, 8, ROUNDS_AT_8);
		const ratio8 = at8.node.itemsPerSecond / at8.base.itemsPerSecond;
		console.log(
			`throughput at concurrency 8: node ${fixed(at8.node.itemsPerSecond, 1)} items/s, baseline ${fixed(at8.base.itemsPerSecond, 1)} items/s, ` +
				`node/baseline ${fixed(ratio8)}  [target >= 0.9: ${verdict(ratio8 >= 0.9)}]`,
		);
		console.log(
			`client CPU per item at concurrency 8: node ${fixed(at8.node.cpuMsPerItem, 3)} ms, baseline ${fixed(at8.base.cpuMsPerItem, 3)} ms`,
		);

		const signing = signingCost(target);
		const signRatio = signing.node / signing.bare;
		console.log(
			`signing CPU per item: signBody ${fixed(signing.node, 3)} ms, bare crypto.sign ${fixed(signing.bare, 3)} ms, ratio ${fixed(signRatio)}  [target <= 1.2: ${verdict(signRatio <= 1.2)}]`,
		);

		const rss = await peakRss(target);
		await expectOneEffectEach(target, [...cardsFor('rss-warm', 50), ...cardsFor('rss', RSS_ITEMS)]);
		const extraMb = (rss.peakBytes - rss.baselineBytes) / 2 ** 20;
		console.log(
			`peak RSS for ${rss.items} items: ${extraMb < 0 ? '' : '+'}${fixed(extraMb, 1)} MB over a ${fixed(rss.baselineBytes / 2 ** 20, 1)} MB baseline ` +
				`(peak ${fixed(rss.peakBytes / 2 ** 20, 1)} MB, maxRSS ${fixed(rss.maxRssBytes / 2 ** 20, 1)} MB, ${fixed((rss.items * 1000) / rss.elapsedMs, 1)} items/s)  ` +
				`[target < 150 MB: ${verdict(extraMb < 150)}]`,
		);

		console.log(`node/baseline at concurrency 8: ${fixed(ratio8)}`);
		return 0;
	} finally {
		child.disconnect();
	}
}

main().then(
	(code) => process.exit(code),
	(error) => {
		console.error(error);
		process.exit(1);
	},
);
