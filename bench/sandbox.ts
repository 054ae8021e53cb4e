/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
/** The bench's side of the sandbox process (see sandbox-child.ts): start it, ask it over IPC. */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';

import type { SandboxInfo } from './common';

export type Scheme = 'http' | 'https';

/** What the gateway saw for one run. */
export interface GatewayStats {
	items: number;
	/** New TCP connections (counted at their first request). */
	connections: number;
	/** Full TLS handshakes, and abbreviated ones (session resumption). */
	tlsHandshakes: number;
	tlsResumed: number;
	peakInFlight: number;
}

type Question = { op: 'stats'; scheme: Scheme; label: string } | { op: 'check'; scheme: Scheme; cards: string[] };
export type SandboxRequest = Question & { id: number };

export interface SandboxReply {
	id: number;
	stats?: GatewayStats;
	problem?: string;
}

export interface Sandboxes {
	http: SandboxInfo;
	https: SandboxInfo;
	/** The throwaway CA that signed the HTTPS sandbox's certificate: for NODE_EXTRA_CA_CERTS. */
	caCertFile: string;
	stats(scheme: Scheme, label: string): Promise<GatewayStats>;
	/** Throws unless the sandbox applied exactly one effect per card; then empties it. */
	expectOneEffectEach(scheme: Scheme, cards: string[]): Promise<void>;
	stop(): void;
}

export async function startSandboxes(merchantPublicPem: string, latencyMs: number): Promise<Sandboxes> {
	const child: ChildProcess = fork(join(__dirname, 'sandbox-child.js'), [], {
		env: { ...process.env, BENCH_MERCHANT_PUBLIC_PEM: merchantPublicPem, BENCH_LATENCY_MS: String(latencyMs) },
		stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
	});
	const info = await new Promise<{ http: SandboxInfo; https: SandboxInfo; caCertFile: string }>((resolve, reject) => {
		child.once('message', (message) => resolve(message as never));
		child.once('error', reject);
		child.once('exit', (code) => reject(new Error(`the sandbox process exited with ${code}`)));
	});
	let next = 0;
	const pending = new Map<number, (reply: SandboxReply) => void>();
	child.on('message', (reply: SandboxReply) => pending.get(reply.id)?.(reply));
	const ask = (request: Question) =>
		new Promise<SandboxReply>((resolve) => {
			const id = ++next;
			pending.set(id, (reply) => {
				pending.delete(id);
				resolve(reply);
			});
			child.send({ ...request, id });
		});
	return {
		...info,
		stats: async (scheme, label) => (await ask({ op: 'stats', scheme, label })).stats as GatewayStats,
		expectOneEffectEach: async (scheme, cards) => {
			const { problem } = await ask({ op: 'check', scheme, cards });
			if (problem) throw new Error(`sandbox over ${scheme}: ${problem}`);
		},
		stop: () => child.disconnect(),
	};
}
