/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
/**
 * `npm run bench` (full) or `npm run bench -- --smoke` / BENCH_SMOKE=1 (tiny counts, same code path).
 *
 * Cancel Card against the sandbox (own process, 20 ms latency), over plain HTTP and over HTTPS
 * (throwaway CA, trusted through NODE_EXTRA_CA_CERTS), at concurrency 1 and 8, by four peers:
 * - node: the PayLoco node in n8n-core's WorkflowExecute, timed by its execution time in the run data;
 * - http-request-node: n8n's HTTP Request node 4.2 with the PayLoco API credential, in the
 *   installed n8n 1.x, timed the same way (see n8n-peers.ts for how it is held to C at a time);
 * - baseline-fresh: plain Node, a new connection per request (the policy n8n's helpers impose);
 * - baseline-keepalive: plain Node reusing connections (the limit outside n8n).
 * Also: the signing path's CPU next to a bare crypto.sign, and peak RSS of a 10,000-item run.
 * Prints PASS/MISS per target and exits 0 either way; exits 1 only when a run itself goes wrong.
 * The last two lines are always the two headline ratios.
 */
import './env';

import { fork } from 'node:child_process';
import { createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

import type { PayLocoCredentials } from '../nodes/PayLoco/environment';
import { signBody } from '../nodes/PayLoco/signing';
import { cardsFor, credentialsFor, packageRoot } from './common';
import type { BenchTarget } from './common';
import { measureAll } from './measure';
import { report } from './report';
import type { RssReport } from './rss-child';
import { startSandboxes } from './sandbox';

const SMOKE = process.env.BENCH_SMOKE === '1' || process.argv.includes('--smoke');
const LATENCY_MS = 20;
const ITEMS = SMOKE ? 20 : 1000;
const ITEMS_AT_1 = SMOKE ? 10 : 500;
const ROUNDS_AT_8 = SMOKE ? 1 : 3;
const RSS_ITEMS = SMOKE ? 200 : 10_000;
const SIGN_ITERATIONS = SMOKE ? 50 : 4000;
const CHART = process.env.BENCH_CHART || (SMOKE ? join(tmpdir(), `payloco-bench-smoke-${process.pid}.png`) : join(packageRoot(), 'docs', 'bench.png'));

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

async function peakRss(target: BenchTarget, caCertFile: string): Promise<RssReport> {
	const child = fork(join(__dirname, 'rss-child.js'), [], {
		env: { ...process.env, NODE_EXTRA_CA_CERTS: caCertFile, BENCH_TARGET: JSON.stringify(target), BENCH_RSS_ITEMS: String(RSS_ITEMS) },
		execArgv: ['--expose-gc'],
		stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
	});
	return await new Promise<RssReport>((resolve, reject) => {
		child.once('message', (message) => resolve(message as RssReport));
		child.once('error', reject);
		child.once('exit', (code) => reject(new Error(`the RSS child exited with ${code} before reporting`)));
	});
}

async function main(): Promise<number> {
	const merchant = generateKeyPairSync('rsa', { modulusLength: 2048 });
	const merchantPublicPem = merchant.publicKey.export({ format: 'pem', type: 'spki' }).toString();
	const merchantPrivatePem = merchant.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
	const load = loadavg()[0];
	const sandboxes = await startSandboxes(merchantPublicPem, LATENCY_MS);
	const progress = (line: string) => process.stderr.write(`${line}\n`);
	try {
		progress(`bench: measuring (progress on stderr; results on stdout)`);
		const measured = await measureAll(
			sandboxes,
			{
				schemes: ['http', 'https'],
				concurrencies: [1, 8],
				itemsAt: (c) => (c === 1 ? ITEMS_AT_1 : ITEMS),
				roundsAt: (c) => (c === 1 ? 1 : ROUNDS_AT_8),
				merchantPrivatePem,
			},
			progress,
		);
		const signing = signingCost({ ...sandboxes.http, merchantPrivatePem });
		const rss = await peakRss({ ...sandboxes.https, merchantPrivatePem }, sandboxes.caCertFile);
		await sandboxes.expectOneEffectEach('https', [...cardsFor('rss-warm', 50), ...cardsFor('rss', RSS_ITEMS)]);
		await report({
			smoke: SMOKE,
			header:
				`PayLoco bench${SMOKE ? ' (smoke)' : ''}: Cancel Card, ${ITEMS} items per run at concurrency 8 (median of ${ROUNDS_AT_8} rounds), ${ITEMS_AT_1} at concurrency 1; ` +
				`sandbox latency ${LATENCY_MS} ms in its own process; RSA 2048; HTTPS with a throwaway CA (RSA 2048 server certificate); ` +
				`Node ${process.version}; HTTP Request node 4.2 in n8n ${measured.n8nVersion}; ${cpus().length} CPUs, load average ${load.toFixed(1)} at start`,
			measured,
			signing,
			rss,
			chartFile: CHART,
			chartNote: `${cpus().length} CPUs, load average ${load.toFixed(1)}, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`,
		});
		return 0;
	} finally {
		sandboxes.stop();
	}
}

main().then(
	(code) => process.exit(code),
	(error) => {
		console.error(error);
		process.exit(1);
	},
);
