/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
/**
 * Cancel Card inside n8n-core's WorkflowExecute, via the shared n8n harness, by three peers:
 * - node: the built node (dist/), with the harness's stand-in for n8n's deduplication store
 *   (a fresh one per run, as for new cards in n8n), so the node keeps its record as in n8n;
 * - node-without-record: the same with no store at all (engine/record.ts then keeps none);
 * - n8n-floor: bench/floor/, the least a community node can do to send the same bodies;
 * - n8n-floor-signed: the same, its credential signing each body at send time (bare crypto.sign).
 * Each is timed by its own execution time in n8n's run data.
 */
import './env';

import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { ProcessedStore, runNode } from '../e2e/harness/engine';
import type { RunNodeResult } from '../e2e/harness/engine';
import type { PayLocoCredentials } from '../nodes/PayLoco/environment';
import { envelopedBody, signBody } from '../nodes/PayLoco/signing';
import { cancelParameters, credentialsFor, packageRoot } from './common';
import type { BenchTarget } from './common';

export type HarnessPeer = 'node' | 'node-without-record' | 'n8n-floor' | 'n8n-floor-signed';

export interface HarnessRun {
	/** The peer's execution time from n8n's run data. */
	ms: number;
	/** node only: calls to the deduplication store per item. */
	storeCallsPerItem?: number;
}

/** The floor's package folder: bench/floor compiled, with the package.json n8n's loader reads. */
function floorPackage(): string {
	const dir = join(__dirname, 'floor');
	const manifest = { name: 'n8n-nodes-payloco-floor', version: '0.0.0', n8n: { n8nNodesApiVersion: 1, nodes: ['PayLocoFloor.node.js'], credentials: ['PayLocoFloorApi.credentials.js'] } };
	writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest));
	return dir;
}
let floorDir: string | undefined;

function executionTime(result: RunNodeResult): number {
	const task = Object.entries(result.runData).find(([name]) => name !== 'Input Items')?.[1]?.[0];
	if (!task?.executionTime) throw new Error('the run data has no execution time for the node');
	return task.executionTime;
}

/**
 * Everything a run needs, made before it is timed (for the floor: its bodies and their
 * signatures); `run` then runs it once.
 */
export function prepareRun(peer: HarnessPeer, target: BenchTarget, cards: string[], concurrency: number, executionId: string): () => Promise<HarnessRun> {
	if (peer === 'n8n-floor' || peer === 'n8n-floor-signed') {
		const credentials = credentialsFor(target) as PayLocoCredentials;
		const signatures: Record<string, string> = {};
		const items = cards.map((card, i) => {
			const requestId = `n8n${createHash('sha256').update(`${executionId}|${i}|${card}`).digest('hex').slice(0, 29)}`;
			const fields = { transType: 'PAY', accessType: 's2s', cardId: card, requestId };
			// The node's own envelope and serialization (signing/), so the bytes match the node's.
			// n8n-floor-signed signs at send: signatures made here would go unused, and 10,000 RSA
			// signatures just before the memory child's baseline change how V8 sizes its heap for the run.
			if (peer === 'n8n-floor-signed') return { card, body: JSON.stringify(envelopedBody(credentials, fields, new Date())) };
			const signed = signBody(credentials, fields);
			const body = signed.bytes.toString('utf8');
			signatures[body] = signed.signature;
			return { card, body };
		});
		floorDir ??= floorPackage();
		return async () => {
			const result = await runNode({
				packageDir: floorDir as string,
				nodeType: 'payLocoFloor',
				parameters: { url: `${target.baseUrl}/v1/issuing/cards/cancel`, concurrency },
				items,
				credentials: { payLocoFloorApi: peer === 'n8n-floor' ? { signatures } : { privateKey: target.merchantPrivatePem } },
				executionId,
				processedStore: false,
			});
			if (result.error) throw new Error(`the floor failed: ${result.error.message}`);
			if (result.items.length !== cards.length || result.items.some((item, i) => item.json.cardId !== cards[i])) {
				throw new Error(`the floor returned ${result.items.length} items for ${cards.length}, or out of order`);
			}
			return { ms: executionTime(result) };
		};
	}
	return async () => {
		const store = peer === 'node' ? new ProcessedStore() : false;
		const result = await runNode({
			packageDir: packageRoot(),
			nodeType: 'payLoco',
			parameters: cancelParameters(concurrency),
			items: cards.map((card) => ({ card })),
			credentials: { payLocoApi: credentialsFor(target) },
			executionId,
			processedStore: store,
		});
		if (result.error) throw new Error(`the node failed: ${result.error.message}`);
		const failed = result.items.filter((item, i) => item.json.success !== true || item.json.cardId !== cards[i]);
		if (result.items.length !== cards.length || failed.length) {
			throw new Error(`the node returned ${result.items.length} items for ${cards.length}, ${failed.length} not successful or out of order`);
		}
		return { ms: executionTime(result), storeCallsPerItem: store ? store.calls / cards.length : undefined };
	};
}

/** Runs the node on one item per card; returns the node's own execution time from n8n's run data. */
export async function runNodeCancel(target: BenchTarget, cards: string[], concurrency: number, executionId: string): Promise<number> {
	return (await prepareRun('node', target, cards, concurrency, executionId)()).ms;
}
