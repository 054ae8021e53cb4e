/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
/**
 * Peak memory of one large run, in a process of its own so nothing else the bench did is in its
 * baseline. Started with NODE_EXTRA_CA_CERTS like the other clients; runs over HTTPS. Reports over
 * IPC: RSS after a warm-up run (modules loaded, code compiled, garbage collected), the highest RSS
 * sampled during the large run, and the kernel's maxRSS.
 */
import './env';

import { setTimeout as sleep } from 'node:timers/promises';

import { cardsFor } from './common';
import type { BenchTarget } from './common';
import { runNodeCancel } from './node-run';

export interface RssReport {
	items: number;
	baselineBytes: number;
	peakBytes: number;
	maxRssBytes: number;
	elapsedMs: number;
}

const collect = () => (globalThis as { gc?: () => void }).gc?.();

async function main() {
	const target = JSON.parse(String(process.env.BENCH_TARGET)) as BenchTarget;
	const items = Number(process.env.BENCH_RSS_ITEMS);
	await runNodeCancel(target, cardsFor('rss-warm', 50), 8, 'bench-rss-warm');
	collect();
	await sleep(100);
	collect();
	const baselineBytes = process.memoryUsage().rss;
	let peakBytes = baselineBytes;
	const sample = setInterval(() => {
		peakBytes = Math.max(peakBytes, process.memoryUsage().rss);
	}, 10);
	const started = performance.now();
	await runNodeCancel(target, cardsFor('rss', items), 8, 'bench-rss');
	const elapsedMs = performance.now() - started;
	clearInterval(sample);
	peakBytes = Math.max(peakBytes, process.memoryUsage().rss);
	const report: RssReport = { items, baselineBytes, peakBytes, maxRssBytes: process.resourceUsage().maxRSS * 1024, elapsedMs };
	process.send?.(report, undefined, undefined, () => process.exit(0));
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});
