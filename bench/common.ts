/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The package folder (the one whose package.json is n8n-nodes-payloco), wherever the bench was compiled to. */
export function packageRoot(from: string = __dirname): string {
	for (let dir = from; ; dir = dirname(dir)) {
		const manifest = join(dir, 'package.json');
		if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'n8n-nodes-payloco') return dir;
		if (dirname(dir) === dir) throw new Error(`No n8n-nodes-payloco package.json above ${from}`);
	}
}

export const MEMBER_ID = '2023010558663764';
export const MERCHANT_ID = 'M20230105586637';

export interface SandboxInfo {
	baseUrl: string;
	platformPublicKeyBase64: string;
}

/** What a child process needs to talk to the sandbox as the merchant. */
export interface BenchTarget extends SandboxInfo {
	merchantPrivatePem: string;
}

/** The PayLoco API credential, decrypted, as n8n hands it to the node. */
export function credentialsFor(target: BenchTarget) {
	return {
		environment: 'custom',
		baseUrl: target.baseUrl,
		memberId: MEMBER_ID,
		merchantId: MERCHANT_ID,
		keyVersion: '1',
		privateKey: target.merchantPrivatePem,
		platformPublicKey: target.platformPublicKeyBase64,
	};
}

/** Card IDs `C-<label>-<n>`: the sandbox counts connections and handshakes per label. */
export const cardsFor = (label: string, count: number) => Array.from({ length: count }, (_, i) => `C-${label}-${i}`);

export const cancelParameters = (concurrency: number) => ({
	resource: 'card',
	operation: 'cancel',
	cardId: '={{ $json.card }}',
	options: { concurrency },
});

/** Items in the memory child's warm-up run (BENCH_RSS_WARM, for profiling by hand; 50 by default). */
export const rssWarmItems = (): number => Number(process.env.BENCH_RSS_WARM ?? 50);
