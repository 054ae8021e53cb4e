/**
 * What `npm run bench` prints, section by section, the targets' PASS/MISS, and the chart's SVG.
 * Every figure is printed before the chart is drawn (run.ts), so a machine without Chromium
 * still gets them all.
 */
import { chartSvg } from './chart';
import type { ChartPanel, ScalePanel } from './chart';
import type { Measured, Measurements, Peer } from './measure';
import type { RssReport } from './rss-child';
import type { Scheme } from './sandbox';

/** In the order printed; the first six in the order the bench always printed them. */
const PEERS: Array<{ peer: Peer; name: string }> = [
	{ peer: 'node', name: 'node' },
	{ peer: 'http-request-node', name: 'http-request-node' },
	{ peer: 'baseline-fresh', name: 'baseline-fresh' },
	{ peer: 'baseline-keepalive', name: 'baseline-keepalive' },
	{ peer: 'node-n8n-cli', name: 'node in n8n 1.x (cross-check)' },
	{ peer: 'http-request-batching', name: 'http-request-node, own Batching C/1 ms' },
	{ peer: 'n8n-floor', name: 'n8n-floor' },
	{ peer: 'n8n-floor-signed', name: 'n8n-floor-signed (signs at send)' },
	{ peer: 'node-without-record', name: 'node without its record' },
];
const SCHEMES: Scheme[] = ['http', 'https'];
const CONCURRENCIES = [1, 8];
export const MEMORY_TARGET_MB = 100;
const FLOOR_TARGET: Record<number, number> = { 1: 0.97, 8: 0.95 };
const RECORD_TARGET = 0.95;

const fixed = (n: number, digits = 2) => n.toFixed(digits);
const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');
const pad = (text: string, width: number) => text.padEnd(width);
const mb = (bytes: number) => bytes / 2 ** 20;
const signed = (n: number, digits = 1) => `${n < 0 ? '' : '+'}${fixed(n, digits)}`;

function peerLine(name: string, m: Measured): string {
	const per = (n: number) => fixed(n / m.stats.items);
	const cpu = m.cpuMsPerItem === undefined ? '' : `, client CPU ${fixed(m.cpuMsPerItem, 3)} ms/item`;
	return (
		`  ${pad(name, 40)} ${pad(`${fixed(m.itemsPerSecond, 1)} items/s`, 15)} ` +
		`connections/item ${per(m.stats.connections)}, TLS handshakes/item ${per(m.stats.tlsHandshakes)} (resumed ${per(m.stats.tlsResumed)}), ` +
		`peak in flight ${m.stats.peakInFlight}${cpu}`
	);
}

const ips = (m: Measurements, peer: Peer, scheme: Scheme, c: number) => m.get(peer, scheme, c).itemsPerSecond;
const ratio = (m: Measurements, other: Peer, scheme: Scheme, c: number) => ips(m, 'node', scheme, c) / ips(m, other, scheme, c);
const everywhere = (m: Measurements, peer: Peer) => SCHEMES.every((s) => CONCURRENCIES.every((c) => m.has(peer, s, c)));

/** The peers table per scheme and concurrency, with the ratios of whatever was measured. */
export function throughputLines(m: Measurements): string[] {
	const lines: string[] = [];
	for (const scheme of SCHEMES) {
		for (const c of CONCURRENCIES) {
			if (!m.has('node', scheme, c)) continue;
			lines.push(`over ${scheme} at concurrency ${c}:`);
			for (const { peer, name } of PEERS) if (m.has(peer, scheme, c)) lines.push(peerLine(name, m.get(peer, scheme, c)));
			if (m.has('http-request-node', scheme, c)) {
				const vsHttp = ratio(m, 'http-request-node', scheme, c);
				const vsFresh = ratio(m, 'baseline-fresh', scheme, c);
				const freshTarget = c === 8 ? 0.95 : 0.97;
				const httpTarget = scheme === 'https' && c === 8 ? `  [target >= 1.0: ${verdict(vsHttp >= 1)}]` : '';
				// Three decimals: a verdict on 0.968 must not be printed next to "0.97".
				lines.push(
					`  ratios: node/http-request-node ${fixed(vsHttp, 3)}${httpTarget}, ` +
						`node/baseline-fresh ${fixed(vsFresh, 3)}  [target >= ${freshTarget}: ${verdict(vsFresh >= freshTarget)}], ` +
						`node/baseline-keepalive ${fixed(ratio(m, 'baseline-keepalive', scheme, c), 3)}  (reported, not targeted)`,
				);
			}
			if (m.has('n8n-floor', scheme, c)) {
				const r = ratio(m, 'n8n-floor', scheme, c);
				const fresh = m.has('baseline-fresh', scheme, c) ? `; n8n-floor/baseline-fresh ${fixed(ips(m, 'n8n-floor', scheme, c) / ips(m, 'baseline-fresh', scheme, c), 3)} (n8n's own share)` : '';
				lines.push(`  ratio: node/n8n-floor ${fixed(r, 3)}  [target >= ${FLOOR_TARGET[c]}: ${verdict(r >= FLOOR_TARGET[c])}]${fresh}`);
			}
			if (m.has('n8n-floor-signed', scheme, c)) {
				lines.push(`  ratio: node/n8n-floor-signed ${fixed(ratio(m, 'n8n-floor-signed', scheme, c), 3)}  (what the node adds beyond n8n's path and RSA signing; reported, not targeted)`);
			}
			if (m.has('node-without-record', scheme, c)) {
				const r = ratio(m, 'node-without-record', scheme, c);
				const calls = m.get('node', scheme, c).storeCallsPerItem;
				lines.push(
					`  ratio: node/node-without-record ${fixed(r, 3)}  [target >= ${RECORD_TARGET}: ${verdict(r >= RECORD_TARGET)}]; ` +
						`n8n deduplication store calls per item ${fixed(calls ?? NaN, 3)} (in memory here; in n8n each is a database round trip)`,
				);
			}
		}
	}
	if (everywhere(m, 'baseline-fresh')) {
		// What a new connection per request costs, at concurrency 1 where nothing overlaps it.
		const perItemMs = (peer: Peer, scheme: Scheme) => 1000 / ips(m, peer, scheme, 1);
		const cost = (scheme: Scheme) => perItemMs('baseline-fresh', scheme) - perItemMs('baseline-keepalive', scheme);
		lines.push(
			`cost of a new connection per request at concurrency 1 (baseline-fresh minus baseline-keepalive, per item): ` +
				`http ${fixed(cost('http'))} ms, https ${fixed(cost('https'))} ms (TCP + TLS handshake)`,
		);
	}
	return lines;
}

export function signingLine(signing: { node: number; bare: number }): string {
	const r = signing.node / signing.bare;
	return `signing CPU per item: signBody ${fixed(signing.node, 3)} ms, bare crypto.sign ${fixed(signing.bare, 3)} ms, ratio ${fixed(r)}  [target <= 1.2: ${verdict(r <= 1.2)}]`;
}

const rssDetail = (rss: RssReport) =>
	`${signed(mb(rss.peakBytes - rss.baselineBytes))} MB over a ${fixed(mb(rss.baselineBytes), 1)} MB baseline ` +
	`(peak ${fixed(mb(rss.peakBytes), 1)} MB, maxRSS ${fixed(mb(rss.maxRssBytes), 1)} MB; at the peak V8 heap used ${signed(mb(rss.peakHeapUsedBytes - rss.baselineHeapUsedBytes))} MB, ` +
	`V8 heap reserved ${signed(mb(rss.peakHeapTotalBytes - rss.baselineHeapTotalBytes))} MB, ` +
	`external ${fixed(mb(rss.peakExternalBytes), 1)} MB; ${fixed((rss.items * 1000) / rss.executionMs, 1)} items/s)`;

/** Peak RSS of one large HTTPS run, the node's and, beside it, the floor's. */
export function memoryLines(node: RssReport, floor: RssReport | undefined, bare?: RssReport): string[] {
	const extra = mb(node.peakBytes - node.baselineBytes);
	const lines = [`peak RSS for ${node.items} items over https: ${rssDetail(node)}  [target <= ${MEMORY_TARGET_MB} MB: ${verdict(extra <= MEMORY_TARGET_MB)}]`];
	if (bare) {
		const bareExtra = mb(bare.peakBytes - bare.baselineBytes);
		lines.push(`peak RSS for ${bare.items} items over https, ${bare.peer}: ${rssDetail(bare)}; the record (n8n's deduplication store) adds ${signed(extra - bareExtra)} MB`);
	}
	if (floor) {
		const floorExtra = mb(floor.peakBytes - floor.baselineBytes);
		lines.push(`peak RSS for ${floor.items} items over https, ${floor.peer}: ${rssDetail(floor)}; the node adds ${signed(extra - floorExtra)} MB to it`);
	}
	return lines;
}

export const mbPer1000 = (rss: RssReport) => mb(rss.peakBytes - rss.baselineBytes) / (rss.items / 1000);

/** The node at growing run sizes: throughput and memory per 1,000 items should stay flat. */
export function scaleLines(runs: RssReport[]): string[] {
	return runs.map(
		(rss) =>
			`scale over http at concurrency 8: node at ${rss.items} items: ${fixed((rss.items * 1000) / rss.executionMs, 1)} items/s, ` +
			`${fixed(mbPer1000(rss), 2)} MB per 1,000 items (${signed(mb(rss.peakBytes - rss.baselineBytes))} MB over a ${fixed(mb(rss.baselineBytes), 1)} MB baseline)`,
	);
}

/** The headline ratios, with the fixed wording readers grep for. */
export function headlineLines(m: Measurements): string[] {
	const lines: string[] = [];
	if (m.has('http-request-node', 'https', 8)) {
		lines.push(`node/http-request-node at concurrency 8 over https: ${fixed(ratio(m, 'http-request-node', 'https', 8))}`);
		lines.push(`node/baseline-fresh at concurrency 8: ${fixed(ratio(m, 'baseline-fresh', 'https', 8))}`);
	}
	for (const scheme of ['https', 'http'] as Scheme[]) {
		for (const c of [8, 1]) if (m.has('n8n-floor', scheme, c)) lines.push(`node/n8n-floor at concurrency ${c} over ${scheme}: ${fixed(ratio(m, 'n8n-floor', scheme, c), 3)}`);
	}
	return lines;
}

/** The chart's SVG from whatever was measured, or undefined when there is nothing to draw. */
export function chartOf(m: Measurements | undefined, scale: RssReport[], smoke: boolean, note: string): string | undefined {
	const panels: Array<ChartPanel | ScalePanel> = [];
	const peers = (['node', 'n8n-floor', 'http-request-node', 'baseline-fresh', 'baseline-keepalive'] as Peer[]).filter((p) => m && everywhere(m, p));
	if (m && peers.includes('node')) {
		for (const c of CONCURRENCIES) {
			panels.push({ title: `concurrency ${c}`, groups: SCHEMES.map((scheme) => ({ title: scheme.toUpperCase(), values: peers.map((peer) => ips(m, peer, scheme, c)) })) });
		}
	}
	if (scale.length) {
		panels.push({ kind: 'scale', title: 'node at scale (HTTP, concurrency 8)', sizes: scale.map((r) => r.items), itemsPerSecond: scale.map((r) => (r.items * 1000) / r.executionMs), mbPer1000: scale.map(mbPer1000) });
	}
	if (!panels.length) return undefined;
	return chartSvg('Cancel Card throughput, items/s (higher is better)', peers.length ? peers : ['node'], panels, [
		`${smoke ? 'SMOKE RUN (tiny counts): not figures. ' : ''}Sandbox latency 20 ms, own process; ${note}`,
		`node and n8n-floor: n8n-core WorkflowExecute${m?.n8nVersion ? `; HTTP Request node 4.2: n8n ${m.n8nVersion}, C at a time` : ''}; from npm run bench`,
	]);
}
