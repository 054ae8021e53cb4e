/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
/**
 * Production is HTTPS: the PayLoco node's Cancel Card and n8n's own HTTP Request node (4.2, with
 * the PayLoco API credential) in real n8n 1.x and 2.x, against the sandbox in its HTTPS mode.
 *
 * The sandbox makes a throwaway CA and server certificate at start. n8n trusts that CA only
 * through NODE_EXTRA_CA_CERTS, as a company CA would be trusted; certificate verification stays
 * on. The second run of each line leaves NODE_EXTRA_CA_CERTS out, and nothing reaches the
 * gateway: the trust comes from the CA file and from nothing else.
 *
 * openssl, not this package, checks each signature over the bytes the sandbox received.
 * Needs `npm run build` (dist/ is what gets packed) and `node scripts/install-n8n.js all`.
 */
import * as fs from 'node:fs';
import type { IncomingMessage } from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TLSSocket } from 'node:tls';

import { startSandbox } from '../../sandbox/server';
import type { RequestRecord, Sandbox } from '../../sandbox/server';
import { rsaKeyPair } from '../helpers/keys';
import { sandboxCredentials, sentBody, verifiedByOpenssl } from '../helpers/payloco';
import { N8nHome, outputOf, packPackage } from '../../e2e/harness/n8n';
import type { N8nLine, RawRun } from '../../e2e/harness/n8n';
import { nodeBuilder } from './workflow';

const CREDENTIAL = { id: 'payLocoHttps', name: 'PayLoco Sandbox (HTTPS)' };
const WORKFLOW_ID = 'payLocoHttpsE2e1';

const merchant = rsaKeyPair();
let sandbox: Sandbox;
let tmp: string;
let tgz: string;
/** Per request the sandbox answered: did it come over TLS, and on a connection of its own? */
const transport: Array<{ encrypted: boolean; protocol: string | null }> = [];
let handshakes = 0;

beforeAll(async () => {
	sandbox = await startSandbox({ merchantPublicKey: merchant.publicPem, tls: true });
	sandbox.server.on('secureConnection', () => handshakes++);
	sandbox.server.on('request', (req: IncomingMessage) => {
		const socket = req.socket as TLSSocket;
		transport.push({ encrypted: socket.encrypted === true, protocol: socket.getProtocol?.() ?? null });
	});
	tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'payloco-https-e2e-'));
	tgz = packPackage(tmp);
}, 60_000);

afterAll(async () => {
	await sandbox?.close();
	if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

const { node, items, resetIds } = nodeBuilder('e2e7a000');

/** Manual Trigger → two cards → PayLoco Cancel Card; and Manual Trigger → HTTP Request Cancel Card. */
function workflowFor(tag: string) {
	resetIds();
	const continueOnFail = { onError: 'continueRegularOutput', credentials: { payLocoApi: CREDENTIAL } };
	const httpBody = JSON.stringify({ transType: 'PAY', accessType: 's2s', cardId: `C-${tag}-http`, requestId: `REQ-${tag}-http` });
	return {
		id: WORKFLOW_ID,
		name: 'PayLoco over HTTPS (e2e)',
		active: false,
		settings: { executionOrder: 'v1' },
		nodes: [
			node('Start', 'n8n-nodes-base.manualTrigger', 1, 0, 100),
			items('Cards', [{ card: `C-${tag}-1` }, { card: `C-${tag}-2` }], 220, 0),
			node('Cancel Card', 'n8n-nodes-payloco.payLoco', 1, 440, 0, {
				parameters: { resource: 'card', operation: 'cancel', cardId: '={{ $json.card }}', options: { retry: false } },
				...continueOnFail,
			}),
			node('HTTP Request Cancel', 'n8n-nodes-base.httpRequest', 4.2, 220, 200, {
				parameters: {
					method: 'POST',
					url: `${sandbox.baseUrl}/v1/issuing/cards/cancel`,
					authentication: 'predefinedCredentialType',
					nodeCredentialType: 'payLocoApi',
					sendBody: true,
					contentType: 'json',
					specifyBody: 'json',
					jsonBody: httpBody,
					options: {},
				},
				...continueOnFail,
			}),
		],
		connections: {
			Start: { main: [[{ node: 'Cards', type: 'main', index: 0 }, { node: 'HTTP Request Cancel', type: 'main', index: 0 }]] },
			Cards: { main: [[{ node: 'Cancel Card', type: 'main', index: 0 }]] },
		},
	};
}

function errorText(item: Record<string, unknown> | undefined): string {
	const error = item?.error;
	if (typeof error === 'string') return error;
	const e = (error ?? {}) as { message?: unknown; description?: unknown };
	return `${String(e.message ?? '')} ${String(e.description ?? '')}`;
}

describe.each([1, 2] as N8nLine[])('over HTTPS in real n8n %i.x', (line) => {
	let home: N8nHome;
	const tag = `TLS${line}`;
	let trusted: { exitCode: number; json?: RawRun };
	let untrusted: { exitCode: number; json?: RawRun };
	let received: RequestRecord[];
	let effects: Sandbox['effects'];
	let seen: typeof transport;
	let handshakesTrusted: number;
	let receivedUntrusted: RequestRecord[];
	let handshakesUntrusted: number;

	beforeAll(async () => {
		sandbox.reset();
		transport.length = 0;
		handshakes = 0;
		home = await N8nHome.create(line, { packageTgz: tgz });
		await home.importCredentials([{ ...CREDENTIAL, type: 'payLocoApi', data: sandboxCredentials(sandbox, merchant) }]);
		await home.importWorkflow(workflowFor(tag));
		trusted = await home.execute(WORKFLOW_ID, { NODE_EXTRA_CA_CERTS: String(sandbox.caCertFile) });
		received = [...sandbox.requests];
		effects = [...sandbox.effects];
		seen = [...transport];
		handshakesTrusted = handshakes;

		sandbox.reset();
		handshakes = 0;
		// The node's record in n8n's database would answer "applied earlier" for these cards without
		// sending anything; this run is about trusting the certificate, so it starts without a record.
		await home.query('DELETE FROM processed_data');
		untrusted = await home.execute(WORKFLOW_ID);
		receivedUntrusted = [...sandbox.requests];
		handshakesUntrusted = handshakes;
	}, 240_000);

	afterAll(async () => {
		await home?.dispose();
	}, 60_000);

	const explain = () => `n8n printed:\n${home.printed().slice(-6000)}`;

	test('trusting the throwaway CA, Cancel Card and the HTTP Request node both succeed', () => {
		if (trusted.exitCode !== 0 || !trusted.json) throw new Error(`n8n execute exited ${trusted.exitCode}. ${explain()}`);
		expect(outputOf(trusted.json, 'Cancel Card')).toEqual([
			expect.objectContaining({ success: true, status: 'SUCCESS', cardId: `C-${tag}-1`, traceId: expect.stringMatching(/\S/) }),
			expect.objectContaining({ success: true, status: 'SUCCESS', cardId: `C-${tag}-2`, traceId: expect.stringMatching(/\S/) }),
		]);
		expect(outputOf(trusted.json, 'HTTP Request Cancel')).toEqual([
			expect.objectContaining({ errCode: '00000000', status: 'SUCCESS', traceId: expect.stringMatching(/\S/) }),
		]);
	});

	test('every request crossed TLS, each on a connection and handshake of its own, signed over the bytes received (openssl)', () => {
		expect(received.map((r) => sentBody(r).cardId).sort()).toEqual([`C-${tag}-1`, `C-${tag}-2`, `C-${tag}-http`]);
		expect(seen).toHaveLength(3);
		for (const t of seen) expect(t).toEqual({ encrypted: true, protocol: expect.stringMatching(/^TLSv1\.[23]$/) });
		// n8n's request helpers open a new connection (a new agent) per request: one handshake each.
		expect(handshakesTrusted).toBe(3);
		for (const record of received) {
			expect({ card: sentBody(record).cardId, openssl: verifiedByOpenssl(record, merchant) }).toEqual({ card: sentBody(record).cardId, openssl: true });
		}
	});

	test('the sandbox applied each cancellation once', () => {
		expect(effects.map((e) => `${e.kind} ${e.id}`).sort()).toEqual([`cardCancelled C-${tag}-1`, `cardCancelled C-${tag}-2`, `cardCancelled C-${tag}-http`]);
	});

	test('without NODE_EXTRA_CA_CERTS the certificate is refused and nothing reaches the gateway', () => {
		expect(untrusted.json).toBeDefined();
		const cancel = outputOf(untrusted.json, 'Cancel Card');
		expect(cancel).toHaveLength(2);
		for (const item of cancel) expect(item).toMatchObject({ success: false });
		const http = outputOf(untrusted.json, 'HTTP Request Cancel');
		expect(errorText(http[0])).toMatch(/certificate|UNABLE_TO_VERIFY/i);
		expect({ requests: receivedUntrusted.length, handshakes: handshakesUntrusted }).toEqual({ requests: 0, handshakes: 0 });
	});
});
