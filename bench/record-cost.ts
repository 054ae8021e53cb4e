/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
/**
 * What the node's record across executions (engine/record.ts) costs per item: Cancel Card on
 * fresh cards at concurrency 8, in-process, with the harness's stand-in for n8n's deduplication
 * store and without any store, alternating, median of the node's own execution time. Also how
 * many store calls a run makes per item: in real n8n each is one read and one write of the
 * node's processed_data row in n8n's database, which the stand-in (in memory) does not cost.
 *
 *   npx tsc -p bench/tsconfig.json && node .cache/bench/bench/record-cost.js [items] [rounds]
 *
 * `npm run bench` measures the same in its record section (`--only record`): the node with and
 * without the store against the bench's sandbox (own process, 20 ms latency), over HTTP and
 * HTTPS, in the rotation with the other peers. This script is the quick variant: no latency, the
 * sandbox in this process, so the record's CPU shows more than it would behind a network.
 */
import './env';

import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';

import { ProcessedStore, runNode } from '../e2e/harness/engine';
import type * as SandboxModule from '../sandbox/server';
import { cancelParameters, credentialsFor, packageRoot } from './common';

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main(): Promise<void> {
	const items = Number(process.argv[2] ?? 500);
	const rounds = Number(process.argv[3] ?? 5);
	const merchant = generateKeyPairSync('rsa', { modulusLength: 2048 });
	const { startSandbox } = require(join(packageRoot(), 'sandbox', 'server.js')) as typeof SandboxModule;
	const sandbox = await startSandbox({ merchantPublicKey: merchant.publicKey, replays: false, log: () => {} });
	const target = {
		baseUrl: sandbox.baseUrl,
		platformPublicKeyBase64: sandbox.platformPublicKeyBase64,
		merchantPrivatePem: merchant.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
	};
	const times: Record<'with' | 'without', number[]> = { with: [], without: [] };
	const callsPerItem: number[] = [];
	try {
		for (let round = 0; round < rounds + 1; round++) {
			for (const mode of round % 2 === 0 ? (['with', 'without'] as const) : (['without', 'with'] as const)) {
				const store = mode === 'with' ? new ProcessedStore() : false;
				const cards = Array.from({ length: items }, (_, i) => `C-rec-${mode}-${round}-${i}`);
				const result = await runNode({
					packageDir: packageRoot(),
					nodeType: 'payLoco',
					parameters: cancelParameters(8),
					items: cards.map((card) => ({ card })),
					credentials: { payLocoApi: credentialsFor(target) },
					executionId: `record-cost-${mode}-${round}`,
					processedStore: store,
				});
				if (result.error || result.items.some((i) => i.json.success !== true)) throw new Error(`run failed: ${result.error?.message}`);
				const task = Object.entries(result.runData).find(([name]) => name !== 'Input Items')?.[1]?.[0];
				// Round 0 warms up (key parsing, JIT) and is not counted.
				if (round > 0) times[mode].push(task?.executionTime ?? NaN);
				if (store && round > 0) callsPerItem.push(store.calls / items);
				sandbox.reset();
			}
		}
	} finally {
		await sandbox.close();
	}
	const withMs = median(times.with);
	const withoutMs = median(times.without);
	console.log(JSON.stringify({ items, rounds, concurrency: 8, withRecordMs: withMs, withoutRecordMs: withoutMs, perItemUs: ((withMs - withoutMs) * 1000) / items, slower: withMs / withoutMs - 1, storeCallsPerItem: median(callsPerItem), all: times }, null, 1));
}

main().catch((error) => {
	console.error(error);
	process.exitCode = 1;
});
