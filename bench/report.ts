/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
/** What `npm run bench` prints, the targets' PASS/MISS, and the chart. The last two lines are the headline ratios. */
import { chartSvg, writePng } from './chart';
import type { Measured, Measurements, Peer } from './measure';
import type { RssReport } from './rss-child';
import type { Scheme } from './sandbox';

const PEERS: Array<{ peer: Peer; name: string }> = [
	{ peer: 'node', name: 'node' },
	{ peer: 'http-request-node', name: 'http-request-node' },
	{ peer: 'baseline-fresh', name: 'baseline-fresh' },
	{ peer: 'baseline-keepalive', name: 'baseline-keepalive' },
	{ peer: 'node-n8n-cli', name: 'node in n8n 1.x (cross-check)' },
	{ peer: 'http-request-batching', name: 'http-request-node, own Batching C/1 ms' },
];
const SCHEMES: Scheme[] = ['http', 'https'];
const CONCURRENCIES = [1, 8];

const fixed = (n: number, digits = 2) => n.toFixed(digits);
const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');
const pad = (text: string, width: number) => text.padEnd(width);

export interface ReportInput {
	smoke: boolean;
	header: string;
	measured: Measurements;
	signing: { node: number; bare: number };
	rss: RssReport;
	chartFile: string;
	/** Machine and load, for the chart's footnote. */
	chartNote: string;
}

function peerLine(name: string, m: Measured): string {
	const per = (n: number) => fixed(n / m.stats.items);
	const cpu = m.cpuMsPerItem === undefined ? '' : `, client CPU ${fixed(m.cpuMsPerItem, 3)} ms/item`;
	return (
		`  ${pad(name, 40)} ${pad(`${fixed(m.itemsPerSecond, 1)} items/s`, 15)} ` +
		`connections/item ${per(m.stats.connections)}, TLS handshakes/item ${per(m.stats.tlsHandshakes)} (resumed ${per(m.stats.tlsResumed)}), ` +
		`peak in flight ${m.stats.peakInFlight}${cpu}`
	);
}

export async function report(input: ReportInput): Promise<void> {
	const { measured: m } = input;
	const ips = (peer: Peer, scheme: Scheme, c: number) => m.get(peer, scheme, c).itemsPerSecond;
	const ratio = (other: Peer, scheme: Scheme, c: number) => ips('node', scheme, c) / ips(other, scheme, c);
	const lines: string[] = [input.header];

	for (const scheme of SCHEMES) {
		for (const c of CONCURRENCIES) {
			lines.push(`over ${scheme} at concurrency ${c}:`);
			for (const { peer, name } of PEERS) lines.push(peerLine(name, m.get(peer, scheme, c)));
			const vsHttp = ratio('http-request-node', scheme, c);
			const vsFresh = ratio('baseline-fresh', scheme, c);
			const freshTarget = c === 8 ? 0.95 : 0.97;
			const httpTarget = scheme === 'https' && c === 8 ? `  [target >= 1.0: ${verdict(vsHttp >= 1)}]` : '';
			// Three decimals: a verdict on 0.968 must not be printed next to "0.97".
			lines.push(
				`  ratios: node/http-request-node ${fixed(vsHttp, 3)}${httpTarget}, ` +
					`node/baseline-fresh ${fixed(vsFresh, 3)}  [target >= ${freshTarget}: ${verdict(vsFresh >= freshTarget)}], ` +
					`node/baseline-keepalive ${fixed(ratio('baseline-keepalive', scheme, c), 3)}  (reported, not targeted)`,
			);
		}
	}

	// What a new connection per request costs, at concurrency 1 where nothing overlaps it.
	const perItemMs = (peer: Peer, scheme: Scheme) => 1000 / ips(peer, scheme, 1);
	const cost = (scheme: Scheme) => perItemMs('baseline-fresh', scheme) - perItemMs('baseline-keepalive', scheme);
	lines.push(
		`cost of a new connection per request at concurrency 1 (baseline-fresh minus baseline-keepalive, per item): ` +
			`http ${fixed(cost('http'))} ms, https ${fixed(cost('https'))} ms (TCP + TLS handshake)`,
	);

	const signRatio = input.signing.node / input.signing.bare;
	lines.push(
		`signing CPU per item: signBody ${fixed(input.signing.node, 3)} ms, bare crypto.sign ${fixed(input.signing.bare, 3)} ms, ratio ${fixed(signRatio)}  [target <= 1.2: ${verdict(signRatio <= 1.2)}]`,
	);
	const { rss } = input;
	const extraMb = (rss.peakBytes - rss.baselineBytes) / 2 ** 20;
	lines.push(
		`peak RSS for ${rss.items} items over https: ${extraMb < 0 ? '' : '+'}${fixed(extraMb, 1)} MB over a ${fixed(rss.baselineBytes / 2 ** 20, 1)} MB baseline ` +
			`(peak ${fixed(rss.peakBytes / 2 ** 20, 1)} MB, maxRSS ${fixed(rss.maxRssBytes / 2 ** 20, 1)} MB, ${fixed((rss.items * 1000) / rss.elapsedMs, 1)} items/s)  ` +
			`[target < 150 MB: ${verdict(extraMb < 150)}]`,
	);

	const chartPeers: Peer[] = ['node', 'http-request-node', 'baseline-fresh', 'baseline-keepalive'];
	const svg = chartSvg(
		'Cancel Card throughput, items/s (higher is better)',
		chartPeers,
		CONCURRENCIES.map((c) => ({
			title: `concurrency ${c}`,
			groups: SCHEMES.map((scheme) => ({ title: scheme.toUpperCase(), values: chartPeers.map((peer) => ips(peer, scheme, c)) })),
		})),
		[
			`${input.smoke ? 'SMOKE RUN (tiny counts): not figures. ' : ''}Sandbox latency 20 ms, own process; ${input.chartNote}`,
			`node: n8n-core WorkflowExecute; HTTP Request node 4.2: n8n ${m.n8nVersion}, C at a time; from npm run bench`,
		],
	);
	await writePng(svg, input.chartFile);
	lines.push(`chart: ${input.chartFile}`);

	lines.push(`node/http-request-node at concurrency 8 over https: ${fixed(ratio('http-request-node', 'https', 8))}`);
	lines.push(`node/baseline-fresh at concurrency 8: ${fixed(ratio('baseline-fresh', 'https', 8))}`);
	console.log(lines.join('\n'));
}
