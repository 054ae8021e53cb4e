/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
/**
 * Peak memory of one large run, in a process of its own so nothing else the bench did is in its
 * baseline. Started with NODE_EXTRA_CA_CERTS like the other clients. Reports over IPC: RSS after
 * a warm-up run (modules loaded, code compiled, the run's inputs made, garbage collected), the
 * highest RSS sampled during the large run, the kernel's maxRSS, and the peer's execution time.
 * BENCH_HEAP_SNAPSHOT=<prefix> also writes <prefix>.<peer>.heapsnapshot BENCH_HEAP_SNAPSHOT_AT_MS after the
 * large run starts, for profiling by hand (docs/performance.md). BENCH_ALLOC_PROFILE=<prefix> writes
 * <prefix>.<peer>.heapprofile: V8's sampling heap profile of the large run, keeping the samples of
 * objects already collected, so it shows what the run allocates (garbage included), by function.
 */
import './env';

import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeHeapSnapshot } from 'node:v8';

import { cardsFor, rssWarmItems } from './common';
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
	/** V8's heap as reserved from the system (used or not), at the peak and before the run. */
	peakHeapTotalBytes: number;
	baselineHeapTotalBytes: number;
}

/** Starts V8's sampling heap profiler when BENCH_ALLOC_PROFILE is set; the returned function writes it. */
async function allocationProfile(peer: string): Promise<() => Promise<void>> {
	const prefix = process.env.BENCH_ALLOC_PROFILE;
	if (!prefix) return async () => undefined;
	const session = new Session();
	session.connect();
	// Without these two flags V8 drops a sample when its object dies: garbage would not show.
	// BENCH_ALLOC_PROMOTED=1 drops what the young generation collects: what remains was promoted
	// to the old generation (what makes V8's heap grow until a full collection).
	const minor = process.env.BENCH_ALLOC_PROMOTED !== '1';
	await session.post('HeapProfiler.startSampling', { samplingInterval: 8192, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: minor } as never);
	return async () => {
		const { profile } = await session.post('HeapProfiler.stopSampling');
		writeFileSync(`${prefix}.${peer}.heapprofile`, JSON.stringify(profile));
		session.disconnect();
	};
}

const collect = () => (globalThis as { gc?: () => void }).gc?.();

async function main() {
	const target = JSON.parse(String(process.env.BENCH_TARGET)) as BenchTarget;
	const items = Number(process.env.BENCH_RSS_ITEMS);
	const peer = (process.env.BENCH_RSS_PEER ?? 'node') as HarnessPeer;
	const label = process.env.BENCH_RSS_LABEL ?? 'rss';
	await prepareRun(peer, target, cardsFor(`${label}-warm`, rssWarmItems()), 8, `bench-${label}-warm`)();
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
	const snapshotPrefix = process.env.BENCH_HEAP_SNAPSHOT;
	const snapshot = snapshotPrefix ? setTimeout(() => writeHeapSnapshot(`${snapshotPrefix}.${peer}.heapsnapshot`), snapshotAt) : undefined;
	const stopProfile = await allocationProfile(peer);
	const started = performance.now();
	const { ms: executionMs } = await run();
	const elapsedMs = performance.now() - started;
	await stopProfile();
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
		peakHeapTotalBytes: peak.heapTotal,
		baselineHeapTotalBytes: baseline.heapTotal,
	};
	process.send?.(report, undefined, undefined, () => process.exit(0));
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});
