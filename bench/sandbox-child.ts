/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
/**
 * The sandbox in a process of its own, once over plain HTTP and once over HTTPS (throwaway CA),
 * so its work (verifying each request, signing each answer, TLS) does not share an event loop
 * with the client being measured. The parent asks over IPC; it stops the child by disconnecting.
 *
 * Per run label (the middle of card IDs `C-<label>-<n>`) it counts what the gateway saw: items,
 * new connections, TLS handshakes (full and resumed), and the most requests in flight at once.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';

import type * as SandboxModule from '../sandbox/server';
import type { Sandbox } from '../sandbox/server';
import { MEMBER_ID, packageRoot } from './common';
import type { GatewayStats, SandboxReply, SandboxRequest, Scheme } from './sandbox';

const labelOf = (card: unknown) => (typeof card === 'string' ? card.replace(/^C-/, '').replace(/-\d+$/, '') : '?');

interface Counted extends GatewayStats {
	inFlight: number;
}

function countAt(sandbox: Sandbox): Map<string, Counted> {
	const stats = new Map<string, Counted>();
	const handshake = new WeakMap<Socket, 'full' | 'resumed'>();
	const seen = new WeakSet<Socket>();
	sandbox.server.on('secureConnection', (socket: TLSSocket) => handshake.set(socket, socket.isSessionReused() ? 'resumed' : 'full'));
	sandbox.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
		const chunks: Buffer[] = [];
		req.on('data', (chunk: Buffer) => chunks.push(chunk));
		req.on('end', () => {
			let card: unknown;
			try {
				card = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { cardId?: unknown }).cardId;
			} catch {
				card = undefined;
			}
			const label = labelOf(card);
			let s = stats.get(label);
			if (!s) stats.set(label, (s = { items: 0, connections: 0, tlsHandshakes: 0, tlsResumed: 0, peakInFlight: 0, inFlight: 0 }));
			s.items++;
			const socket = req.socket;
			if (!seen.has(socket)) {
				seen.add(socket);
				s.connections++;
				const kind = handshake.get(socket);
				if (kind === 'full') s.tlsHandshakes++;
				if (kind === 'resumed') s.tlsResumed++;
			}
			s.inFlight++;
			s.peakInFlight = Math.max(s.peakInFlight, s.inFlight);
			const counted = s;
			res.once('close', () => counted.inFlight--);
		});
	});
	return stats;
}

async function main() {
	const { startSandbox } = require(join(packageRoot(), 'sandbox', 'server.js')) as typeof SandboxModule;
	// No idempotent replays, and only this merchant's memberId: one effect per card is then the clients' doing, not the sandbox's.
	const options = { merchantPublicKey: String(process.env.BENCH_MERCHANT_PUBLIC_PEM), latencyMs: Number(process.env.BENCH_LATENCY_MS ?? 0), replays: false, memberId: MEMBER_ID };
	const http = await startSandbox(options);
	// The same platform key for both, so one credential's platform key verifies either.
	const https = await startSandbox({ ...options, platformPrivateKey: http.platformPrivateKey, tls: true });
	const sandboxes: Record<Scheme, Sandbox> = { http, https };
	const stats: Record<Scheme, Map<string, Counted>> = { http: countAt(http), https: countAt(https) };

	process.on('message', (message: SandboxRequest) => {
		const sandbox = sandboxes[message.scheme];
		let reply: SandboxReply;
		if (message.op === 'stats') {
			const s = stats[message.scheme].get(message.label) ?? { items: 0, connections: 0, tlsHandshakes: 0, tlsResumed: 0, peakInFlight: 0 };
			reply = { id: message.id, stats: { items: s.items, connections: s.connections, tlsHandshakes: s.tlsHandshakes, tlsResumed: s.tlsResumed, peakInFlight: s.peakInFlight } };
		} else {
			// Exactly one business effect per card, and none for anything else; then empty the sandbox.
			const counts = new Map<string, number>();
			for (const effect of sandbox.effects) counts.set(effect.id, (counts.get(effect.id) ?? 0) + 1);
			const wanted = new Set(message.cards);
			const missing = message.cards.filter((card) => counts.get(card) !== 1);
			const extra = [...counts.keys()].filter((card) => !wanted.has(card));
			const failed = sandbox.requests.filter((r) => r.outcome !== 'success').length;
			reply = {
				id: message.id,
				problem:
					missing.length || extra.length || failed
						? `expected one effect for each of ${message.cards.length} cards; ${missing.length} without exactly one, ${extra.length} others, ${failed} requests not successful`
						: undefined,
			};
			sandbox.reset();
			stats[message.scheme].clear();
		}
		process.send?.(reply);
	});
	process.once('disconnect', () => void Promise.all([http.close(), https.close()]).then(() => process.exit(0)));
	process.send?.({
		http: { baseUrl: http.baseUrl, platformPublicKeyBase64: http.platformPublicKeyBase64 },
		https: { baseUrl: https.baseUrl, platformPublicKeyBase64: https.platformPublicKeyBase64 },
		caCertFile: https.caCertFile,
	});
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});
