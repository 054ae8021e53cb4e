/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
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

/**
 * Starts the sandbox in its own process, so its work (verifying each request, signing each answer)
 * does not share an event loop with the client being measured.
 */
export async function startSandboxProcess(merchantPublicPem: string, latencyMs: number): Promise<{ info: SandboxInfo; child: ChildProcess }> {
	const child = fork(join(__dirname, 'sandbox-child.js'), [], {
		env: { ...process.env, BENCH_MERCHANT_PUBLIC_PEM: merchantPublicPem, BENCH_LATENCY_MS: String(latencyMs) },
		stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
	});
	const info = await new Promise<SandboxInfo>((resolve, reject) => {
		child.once('message', (message) => resolve(message as SandboxInfo));
		child.once('error', reject);
		child.once('exit', (code) => reject(new Error(`sandbox process exited with ${code}`)));
	});
	return { info, child };
}

/** The sandbox's admin endpoints (unsigned, unrecorded, no latency). */
export async function sandboxAdmin<T>(info: SandboxInfo, method: 'GET' | 'POST', name: string): Promise<T> {
	const url = `${new URL(info.baseUrl).origin}/__sandbox/${name}`;
	const response = await fetch(url, { method });
	if (!response.ok) throw new Error(`${method} ${url}: HTTP ${response.status}`);
	return (await response.json()) as T;
}

/** Checks that the sandbox applied exactly one effect per card, then empties it for the next run. */
export async function expectOneEffectEach(info: SandboxInfo, cards: string[]): Promise<void> {
	const effects = await sandboxAdmin<Array<{ id: string }>>(info, 'GET', 'effects');
	const ids = new Set(effects.map((e) => e.id));
	const missing = cards.filter((card) => !ids.has(card));
	if (effects.length !== cards.length || missing.length) {
		throw new Error(`expected ${cards.length} effects, one per card; got ${effects.length}, ${missing.length} cards without one`);
	}
	await sandboxAdmin(info, 'POST', 'reset');
}

export const cardsFor = (label: string, count: number) => Array.from({ length: count }, (_, i) => `C-${label}-${i}`);

export const cancelParameters = (concurrency: number) => ({
	resource: 'card',
	operation: 'cancel',
	cardId: '={{ $json.card }}',
	options: { concurrency },
});
