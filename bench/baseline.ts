/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
/**
 * The same work as the node's Cancel Card, by hand in plain Node: one body per item with the
 * envelope and a requestTime stamped just before sending, serialized once, signed with
 * SHA256withRSA, POSTed with node:http(s); the answer's signature is verified with the platform
 * key and its code checked. Same concurrency model: a fixed number of workers, output in input order.
 *
 * Two connection policies, the only difference between the two baselines:
 * - fresh: a new connection (and over HTTPS a new TLS session) per request, as n8n's request
 *   helpers do: they build a new agent for every request, and a community node must use them;
 * - keepalive: one agent for the run that keeps up to `concurrency` connections open and reuses them.
 */
import { createHash, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';

import { MEMBER_ID, MERCHANT_ID } from './common';
import type { BenchTarget } from './common';

const two = (n: number) => String(n).padStart(2, '0');

/** Local time with milliseconds and a numeric offset, e.g. 2024-05-24T14:29:32.682+08:00. */
function localTimestamp(d: Date): string {
	const offset = -d.getTimezoneOffset();
	const abs = Math.abs(offset);
	return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}T${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}${offset < 0 ? '-' : '+'}${two(Math.floor(abs / 60))}:${two(abs % 60)}`;
}

export interface BaselineResult {
	cardId: string;
	requestId: string;
	traceId: string;
}

export type ConnectionPolicy = 'fresh' | 'keepalive';

function post(url: URL, agent: http.Agent | false, headers: Record<string, string>, body: Buffer): Promise<{ signature: string; answer: Buffer }> {
	const transport = url.protocol === 'https:' ? https : http;
	return new Promise((resolve, reject) => {
		const req = transport.request(url, { method: 'POST', agent, headers: { ...headers, 'Content-Length': String(body.length) } }, (res) => {
			const chunks: Buffer[] = [];
			res.on('data', (chunk: Buffer) => chunks.push(chunk));
			res.on('end', () => resolve({ signature: String(res.headers.signature ?? ''), answer: Buffer.concat(chunks) }));
			res.on('error', reject);
		});
		req.on('error', reject);
		req.end(body);
	});
}

export async function runBaseline(
	target: BenchTarget,
	cards: string[],
	concurrency: number,
	runId: string,
	policy: ConnectionPolicy,
): Promise<BaselineResult[]> {
	const privateKey = createPrivateKey(target.merchantPrivatePem);
	const platformKey = createPublicKey({ key: Buffer.from(target.platformPublicKeyBase64, 'base64'), format: 'der', type: 'spki' });
	const url = new URL(`${target.baseUrl}/v1/issuing/cards/cancel`);
	// `false`: a one-off agent per request, so a new connection each time (Connection: close).
	const Agent = url.protocol === 'https:' ? https.Agent : http.Agent;
	const agent = policy === 'keepalive' ? new Agent({ keepAlive: true, maxSockets: concurrency }) : false;

	const cancelOne = async (cardId: string, index: number): Promise<BaselineResult> => {
		const requestId = `n8n${createHash('sha256').update(`${runId}|${index}|${cardId}`).digest('hex').slice(0, 29)}`;
		const body = {
			charset: 'UTF-8',
			version: '2.0.0',
			signType: 'RSA',
			keyVersion: '1',
			memberId: MEMBER_ID,
			merchantId: MERCHANT_ID,
			transType: 'PAY',
			accessType: 's2s',
			cardId,
			requestId,
			requestTime: localTimestamp(new Date()),
		};
		const bytes = Buffer.from(JSON.stringify(body), 'utf8');
		const signature = sign('sha256', bytes, privateKey).toString('base64');
		const { signature: answerSignature, answer } = await post(url, agent, { 'Content-Type': 'application/json', signature }, bytes);
		if (!verify('sha256', answer, platformKey, Buffer.from(answerSignature, 'base64'))) throw new Error(`bad answer signature for ${cardId}`);
		const json = JSON.parse(answer.toString('utf8')) as { errCode?: string; traceId?: string };
		if (json.errCode !== '00000000' || !json.traceId) throw new Error(`${cardId}: ${answer.toString('utf8')}`);
		return { cardId, requestId, traceId: json.traceId };
	};

	const results: BaselineResult[] = new Array(cards.length);
	let next = 0;
	const worker = async () => {
		while (next < cards.length) {
			const i = next++;
			results[i] = await cancelOne(cards[i], i);
		}
	};
	try {
		await Promise.all(Array.from({ length: Math.min(concurrency, cards.length) }, worker));
	} finally {
		if (agent) agent.destroy();
	}
	return results;
}
