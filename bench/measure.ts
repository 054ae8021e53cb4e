/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
/**
 * The throughput runs: every peer, over HTTP and HTTPS, at concurrency 1 and 8, against the same
 * sandbox process with the same latency. Runs never overlap: each peer has the machine to itself
 * while it is measured, and the order of the peers rotates each round, so drift hits all alike.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';

import type { ClientResult, ClientRun, InProcessPeer } from './client-child';
import { cardsFor } from './common';
import type { SandboxInfo } from './common';
import { startN8nPeers } from './n8n-peers';
import type { N8nBranch, N8nPeer } from './n8n-peers';
import type { GatewayStats, Sandboxes, Scheme } from './sandbox';

export type Peer = InProcessPeer | N8nPeer;

export interface Measured {
	peer: Peer;
	scheme: Scheme;
	concurrency: number;
	itemsPerSecond: number;
	/** In-process peers only: client CPU per item. */
	cpuMsPerItem?: number;
	/** The node only: calls to n8n's deduplication store per item. */
	storeCallsPerItem?: number;
	stats: GatewayStats;
}

export interface Settings {
	schemes: Scheme[];
	concurrencies: number[];
	itemsAt: (concurrency: number) => number;
	roundsAt: (concurrency: number) => number;
	merchantPrivatePem: string;
	/** The peers to measure (node-without-record only at concurrency 8). */
	peers: ReadonlySet<Peer>;
}

type Step =
	| { kind: 'client'; peer: InProcessPeer; scheme: Scheme; concurrency: number; label: string; count: number; measured: boolean }
	| { kind: 'n8n'; workflow: number; scheme: Scheme; branches: Array<N8nBranch & { measured: boolean }> };

const SHORT: Record<Peer, string> = {
	node: 'node',
	'node-without-record': 'norec',
	'n8n-floor': 'floor',
	'n8n-floor-signed': 'fsign',
	'baseline-fresh': 'fresh',
	'baseline-keepalive': 'keep',
	'http-request-node': 'http',
	'http-request-batching': 'batch',
	'node-n8n-cli': 'cli',
};

/** The whole run, decided up front so that n8n can import every workflow at once. */
function planSteps(settings: Settings): Step[] {
	const steps: Step[] = [];
	let workflow = 0;
	const clients = (['node', 'n8n-floor', 'n8n-floor-signed', 'node-without-record', 'baseline-fresh', 'baseline-keepalive'] as InProcessPeer[]).filter((peer) => settings.peers.has(peer));
	const withN8n = settings.peers.has('http-request-node');
	for (const scheme of settings.schemes) {
		// Warm-up of the in-process clients on this scheme: modules, JIT, the key cache, TLS contexts.
		for (const peer of clients) steps.push({ kind: 'client', peer, scheme, concurrency: 8, label: `${scheme}-warm-${SHORT[peer]}`, count: 20, measured: false });
		for (const concurrency of settings.concurrencies) {
			const count = settings.itemsAt(concurrency);
			const here = clients.filter((peer) => peer !== 'node-without-record' || concurrency === 8);
			for (let round = 0; round < settings.roundsAt(concurrency); round++) {
				const tag = `${scheme}-c${concurrency}-r${round}`;
				const group: Step[] = here.map((peer) => ({ kind: 'client', peer, scheme, concurrency, label: `${tag}-${SHORT[peer]}`, count, measured: true }));
				if (withN8n) {
					// Each `n8n execute` is a fresh process: a short unmeasured warm-up branch per node first.
					const branch = (peer: N8nPeer, label: string, n: number, measured: boolean) => ({ peer, scheme, concurrency, label, count: n, measured });
					const branches = [
						branch('http-request-node', `${tag}-warmhttp`, 16, false),
						branch('node-n8n-cli', `${tag}-warmcli`, 16, false),
						branch('http-request-node', `${tag}-http`, count, true),
						branch('node-n8n-cli', `${tag}-cli`, count, true),
						...(round === 0 ? [branch('http-request-batching', `${tag}-batch`, count, true)] : []),
					];
					group.push({ kind: 'n8n', workflow: workflow++, scheme, branches });
				}
				const shift = round % group.length;
				steps.push(...group.slice(shift), ...group.slice(0, shift));
			}
		}
	}
	return steps;
}

function startClients(caCertFile: string, merchantPrivatePem: string): Promise<{ child: ChildProcess; run: (r: Omit<ClientRun, 'id'>) => Promise<ClientResult> }> {
	const child = fork(join(__dirname, 'client-child.js'), [], {
		env: { ...process.env, NODE_EXTRA_CA_CERTS: caCertFile, BENCH_MERCHANT_PRIVATE_PEM: merchantPrivatePem },
		stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
	});
	let next = 0;
	const pending = new Map<number, (result: ClientResult) => void>();
	return new Promise((resolve, reject) => {
		child.once('error', reject);
		child.once('exit', (code) => reject(new Error(`the client process exited with ${code}`)));
		child.on('message', (message: ClientResult | { ready: true }) => {
			if ('ready' in message) {
				resolve({
					child,
					run: (r) =>
						new Promise((done) => {
							const id = ++next;
							pending.set(id, done);
							child.send({ ...r, id });
						}),
				});
				return;
			}
			pending.get(message.id)?.(message);
			pending.delete(message.id);
		});
	});
}

const median = (list: Measured[]) => [...list].sort((a, b) => a.itemsPerSecond - b.itemsPerSecond)[Math.floor(list.length / 2)];

export interface Measurements {
	/** When the n8n peers ran. */
	n8nVersion?: string;
	has(peer: Peer, scheme: Scheme, concurrency: number): boolean;
	/** The median round per peer, scheme and concurrency. */
	get(peer: Peer, scheme: Scheme, concurrency: number): Measured;
}

export async function measureAll(sandboxes: Sandboxes, settings: Settings, progress: (line: string) => void): Promise<Measurements> {
	const steps = planSteps(settings);
	const targets = { http: sandboxes.http, https: sandboxes.https } as Record<Scheme, SandboxInfo>;
	const withKey = (scheme: Scheme) => ({ ...targets[scheme], merchantPrivatePem: settings.merchantPrivatePem });
	const n8nPlan = steps.flatMap((s) => (s.kind === 'n8n' ? [s.branches] : []));
	const n8n = n8nPlan.length ? await startN8nPeers({ http: withKey('http'), https: withKey('https') }, sandboxes.caCertFile, n8nPlan) : undefined;
	const clients = await startClients(sandboxes.caCertFile, settings.merchantPrivatePem);
	const all: Measured[] = [];
	try {
		for (const step of steps) {
			if (step.kind === 'client') {
				const cards = cardsFor(step.label, step.count);
				const result = await clients.run({ ...targets[step.scheme], peer: step.peer, cards, concurrency: step.concurrency, label: step.label });
				if (result.error || result.ms === undefined) throw new Error(`${step.peer} over ${step.scheme}: ${result.error}`);
				const stats = await sandboxes.stats(step.scheme, step.label);
				await sandboxes.expectOneEffectEach(step.scheme, cards);
				if (!step.measured) continue;
				all.push({
					peer: step.peer,
					scheme: step.scheme,
					concurrency: step.concurrency,
					itemsPerSecond: (step.count * 1000) / result.ms,
					cpuMsPerItem: result.cpuMsPerItem,
					storeCallsPerItem: result.storeCallsPerItem,
					stats,
				});
				progress(`  ${step.label}: ${((step.count * 1000) / result.ms).toFixed(1)} items/s`);
				continue;
			}
			if (!n8n) throw new Error('no n8n for an n8n step');
			const results = await n8n.run(step.workflow);
			for (const branch of step.branches) {
				const stats = await sandboxes.stats(step.scheme, branch.label);
				const result = results.get(branch.label);
				if (!branch.measured || !result) continue;
				all.push({ peer: branch.peer, scheme: branch.scheme, concurrency: branch.concurrency, itemsPerSecond: (branch.count * 1000) / result.ms, stats });
				progress(`  ${branch.label}: ${((branch.count * 1000) / result.ms).toFixed(1)} items/s`);
			}
			await sandboxes.expectOneEffectEach(step.scheme, step.branches.flatMap((b) => cardsFor(b.label, b.count)));
		}
	} finally {
		clients.child.disconnect();
		await n8n?.dispose();
	}
	return {
		n8nVersion: n8n?.version,
		has: (peer, scheme, concurrency) => all.some((m) => m.peer === peer && m.scheme === scheme && m.concurrency === concurrency),
		get(peer, scheme, concurrency) {
			const runs = all.filter((m) => m.peer === peer && m.scheme === scheme && m.concurrency === concurrency);
			if (!runs.length) throw new Error(`no run of ${peer} over ${scheme} at concurrency ${concurrency}`);
			return median(runs);
		},
	};
}
