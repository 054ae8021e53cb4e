/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
/**
 * Peak memory of one large run, in a process of its own so nothing else the bench did is in its
 * baseline. Started with NODE_EXTRA_CA_CERTS like the other clients. Reports over IPC: RSS after
 * a warm-up run (modules loaded, code compiled, the run's inputs made, garbage collected), the
 * highest RSS sampled during the large run, the kernel's maxRSS, and the peer's execution time.
 * BENCH_HEAP_SNAPSHOT=<file> also writes a V8 heap snapshot BENCH_HEAP_SNAPSHOT_AT_MS after the
 * large run starts, for profiling by hand (docs/performance.md).
 */
import './env';

import { setTimeout as sleep } from 'node:timers/promises';
import { writeHeapSnapshot } from 'node:v8';

import { cardsFor } from './common';
import type { BenchTarget } from './common';
import { prepareRun } from './node-run';
import type { HarnessPeer } from './node-run';

export interface RssReport {
	peer: HarnessPeer;
	items: number;
	baselineBytes: number;
	peakBytes: number;
	maxRssBytes: number;
	/** Wall time of the large run. */
	elapsedMs: number;
	/** The peer's execution time in n8n's run data. */
	executionMs: number;
	/** At the peak: V8's heap in use and memory outside it (Buffers, TLS), as process.memoryUsage says. */
	peakHeapUsedBytes: number;
	peakExternalBytes: number;
	baselineHeapUsedBytes: number;
}

const collect = () => (globalThis as { gc?: () => void }).gc?.();

async function main() {
	const target = JSON.parse(String(process.env.BENCH_TARGET)) as BenchTarget;
	const items = Number(process.env.BENCH_RSS_ITEMS);
	const peer = (process.env.BENCH_RSS_PEER ?? 'node') as HarnessPeer;
	const label = process.env.BENCH_RSS_LABEL ?? 'rss';
	await prepareRun(peer, target, cardsFor(`${label}-warm`, 50), 8, `bench-${label}-warm`)();
	const run = prepareRun(peer, target, cardsFor(label, items), 8, `bench-${label}`);
	collect();
	await sleep(100);
	collect();
	const baseline = process.memoryUsage();
	const baselineBytes = baseline.rss;
	let peak = baseline;
	const sample = () => {
		const now = process.memoryUsage();
		if (now.rss > peak.rss) peak = now;
	};
	const sampler = setInterval(sample, 10);
	// A heap snapshot during the run (profiling by hand): what is held while the run is under way.
	const snapshotAt = Number(process.env.BENCH_HEAP_SNAPSHOT_AT_MS ?? 0);
	const snapshot = process.env.BENCH_HEAP_SNAPSHOT ? setTimeout(() => writeHeapSnapshot(process.env.BENCH_HEAP_SNAPSHOT), snapshotAt) : undefined;
	const started = performance.now();
	const { ms: executionMs } = await run();
	const elapsedMs = performance.now() - started;
	clearInterval(sampler);
	clearTimeout(snapshot);
	sample();
	const report: RssReport = {
		peer,
		items,
		baselineBytes,
		peakBytes: peak.rss,
		maxRssBytes: process.resourceUsage().maxRSS * 1024,
		elapsedMs,
		executionMs,
		peakHeapUsedBytes: peak.heapUsed,
		peakExternalBytes: peak.external,
		baselineHeapUsedBytes: baseline.heapUsed,
	};
	process.send?.(report, undefined, undefined, () => process.exit(0));
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});
