/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
/**
 * The clients measured in-process: the PayLoco node in n8n-core's WorkflowExecute (with and
 * without its record), the floor peer in the same harness, and the two plain-Node baselines. A process of its own, started with NODE_EXTRA_CA_CERTS pointing at the
 * sandbox's throwaway CA (Node reads it only at start-up), so every client verifies the sandbox's
 * certificate the way it would verify PayLoco's. The parent sends one run at a time over IPC.
 */
import './env';

import { runBaseline } from './baseline';
import type { BenchTarget } from './common';
import { prepareRun } from './node-run';
import type { HarnessPeer } from './node-run';

export type InProcessPeer = HarnessPeer | 'baseline-fresh' | 'baseline-keepalive';

export interface ClientRun {
	id: number;
	peer: InProcessPeer;
	baseUrl: string;
	platformPublicKeyBase64: string;
	cards: string[];
	concurrency: number;
	label: string;
}

export interface ClientResult {
	id: number;
	/** The node: its execution time from n8n's run data. The baselines: wall time of the run. */
	ms?: number;
	/** CPU of this process (user + system) per item over the run. */
	cpuMsPerItem?: number;
	/** The node: calls to n8n's deduplication store per item. */
	storeCallsPerItem?: number;
	error?: string;
}

const merchantPrivatePem = String(process.env.BENCH_MERCHANT_PRIVATE_PEM);

async function measure(run: ClientRun): Promise<ClientResult> {
	const target: BenchTarget = { baseUrl: run.baseUrl, platformPublicKeyBase64: run.platformPublicKeyBase64, merchantPrivatePem };
	if (run.peer === 'baseline-fresh' || run.peer === 'baseline-keepalive') {
		const cpu = process.cpuUsage();
		const started = performance.now();
		await runBaseline(target, run.cards, run.concurrency, run.label, run.peer === 'baseline-fresh' ? 'fresh' : 'keepalive');
		const ms = performance.now() - started;
		const used = process.cpuUsage(cpu);
		return { id: run.id, ms, cpuMsPerItem: (used.user + used.system) / 1000 / run.cards.length };
	}
	// Prepared before the clock and the CPU count start: the floor's bodies are signed here.
	const runOnce = prepareRun(run.peer, target, run.cards, run.concurrency, `bench-${run.label}`);
	const cpu = process.cpuUsage();
	const { ms, storeCallsPerItem } = await runOnce();
	const used = process.cpuUsage(cpu);
	return { id: run.id, ms, cpuMsPerItem: (used.user + used.system) / 1000 / run.cards.length, storeCallsPerItem };
}

process.on('message', (run: ClientRun) => {
	measure(run).then(
		(result) => process.send?.(result),
		(error: unknown) => process.send?.({ id: run.id, error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
	);
});
process.once('disconnect', () => process.exit(0));
process.send?.({ ready: true });
