/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
/**
 * The PayLoco API credential signing requests made by n8n's own HTTP Request node ("Predefined
 * Credential Type" mode, typeVersion 4.2) in a real n8n 1.x and 2.x, installed from this repo's
 * `npm pack` output. One N8nHome and one `n8n execute` per line. The sandbox records the bytes that
 * crossed the socket; openssl, not this package, checks the signatures over them.
 *
 * The workflow is examples/http-request-any-endpoint.json (pointed at the sandbox) plus:
 * - a Cancel Card call whose body sets its own memberId, with Response Format JSON (`json: true`
 *   on n8n's legacy request path; the example's Autodetect sends `json: false`);
 * - three calls that must not deliver a signature anywhere else: a URL outside the credential's
 *   gateway (refused by the credential before anything is sent), a relative URL (refused by the
 *   HTTP Request node), and a gateway that answers 307 to another host (not followed).
 *
 * Needs `npm run build` (dist/ is what gets packed) and `node scripts/install-n8n.js all`.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

import { startSandbox } from '../../sandbox/server';
import type { RequestRecord, Sandbox } from '../../sandbox/server';
import { rsaKeyPair } from '../helpers/keys';
import { sentBody, verifiedByOpenssl } from '../helpers/payloco';
import { N8nHome, outputOf, packPackage } from '../../e2e/harness/n8n';
import type { N8nLine, RawRun } from '../../e2e/harness/n8n';

const REPO = path.resolve(__dirname, '..', '..');
const EXAMPLE = path.join(REPO, 'examples', 'http-request-any-endpoint.json');
const DEV_GATEWAY = 'https://gate.dev.payloco.com/gateway';
const CREDENTIAL = { id: 'payLocoSandbox', name: 'PayLoco Sandbox' };
const REDIRECTING_CREDENTIAL = { id: 'payLocoRedirect', name: 'PayLoco Redirecting Gateway' };
const MEMBER_ID = '2023010558663764';
const MERCHANT_ID = 'M20230105586637';
const USER_MEMBER_ID = 'INST-SET-BY-USER';
const REQUEST_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{2}:\d{2}$/;


interface WorkflowNode {
	id: string;
	name: string;
	type: string;
	typeVersion: number;
	position: number[];
	parameters: Record<string, unknown>;
	credentials?: Record<string, { id: string; name: string }>;
	onError?: string;
}

const httpNode = (n: number, name: string, url: string, jsonBody: string, extra: Partial<WorkflowNode> = {}, options = {}): WorkflowNode => ({
	id: `3d7e2a10-6b1c-4f0a-9e5d-2c4b8a1f7f0${n}`,
	name,
	type: 'n8n-nodes-base.httpRequest',
	typeVersion: 4.2,
	position: [240 * n, 200],
	parameters: {
		method: 'POST',
		url,
		authentication: 'predefinedCredentialType',
		nodeCredentialType: 'payLocoApi',
		sendBody: true,
		contentType: 'json',
		specifyBody: 'json',
		jsonBody,
		options,
	},
	credentials: { payLocoApi: CREDENTIAL },
	...extra,
});

/** The example, pointed at the sandbox, plus Cancel Card and the two calls that must be refused. */
function workflowFor(sandbox: Sandbox, line: N8nLine, strangerUrl: string, redirectorUrl: string) {
	const example = JSON.parse(fs.readFileSync(EXAMPLE, 'utf8')) as { nodes: WorkflowNode[]; connections: Record<string, unknown> };
	const nodes = example.nodes.map((node) =>
		node.name === 'Transaction Query'
			? { ...node, parameters: { ...node.parameters, url: String(node.parameters.url).replace(DEV_GATEWAY, sandbox.baseUrl) } }
			: node,
	);
	const cancelBody = JSON.stringify({ transType: 'PAY', accessType: 's2s', cardId: `C-HTTP-${line}`, requestId: `REQ-HTTP-${line}`, memberId: USER_MEMBER_ID, reqReserved: '扩展' }, null, 2);
	const refusedBody = JSON.stringify({ transType: 'PAY', accessType: 's2s', cardId: 'C-NEVER', requestId: 'REQ-NEVER' });
	const continueOnFail = { onError: 'continueRegularOutput' };
	nodes.push(
		httpNode(1, 'Cancel Card', `${sandbox.baseUrl}/v1/issuing/cards/cancel`, cancelBody, {}, { response: { response: { responseFormat: 'json' } } }),
		httpNode(2, 'Outside The Gateway', `${strangerUrl}/gateway/v1/issuing/cards/cancel`, refusedBody, continueOnFail),
		httpNode(3, 'Relative URL', '/v1/issuing/cards/cancel', refusedBody, continueOnFail),
		httpNode(4, 'Redirected', `${redirectorUrl}/gateway/v1/issuing/cards/cancel`, refusedBody, {
			...continueOnFail,
			credentials: { payLocoApi: REDIRECTING_CREDENTIAL },
		}),
	);
	return {
		id: 'plHttpE2eWf01',
		name: 'PayLoco credential in the HTTP Request node (e2e)',
		active: false,
		settings: { executionOrder: 'v1' },
		nodes,
		connections: {
			...example.connections,
			'Transaction Query': { main: [[{ node: 'Cancel Card', type: 'main', index: 0 }]] },
			Start: { main: [[{ node: 'Transaction Query', type: 'main', index: 0 }, { node: 'Outside The Gateway', type: 'main', index: 0 }]] },
			'Outside The Gateway': { main: [[{ node: 'Relative URL', type: 'main', index: 0 }]] },
			'Relative URL': { main: [[{ node: 'Redirected', type: 'main', index: 0 }]] },
		},
	};
}

/** The error text of a continue-on-fail item, whatever shape the n8n line gives it. */
function errorText(item: Record<string, unknown> | undefined): string {
	const error = item?.error;
	if (typeof error === 'string') return error;
	const e = (error ?? {}) as { message?: unknown; description?: unknown };
	return `${String(e.message ?? '')} ${String(e.description ?? '')}`;
}

let sandbox: Sandbox;
let stranger: http.Server;
let strangerUrl: string;
const strangerHits: string[] = [];
let redirector: http.Server;
let redirectorUrl: string;
const redirectorHits: string[] = [];
let tmp: string;
let tgz: string;
const merchant = rsaKeyPair();

beforeAll(async () => {
	sandbox = await startSandbox({ merchantPublicKey: merchant.publicPem, preAuths: [{ merchantOrderId: 'PA-1001', currency: 'USD', transAmt: '100.01' }] });
	// Another host: anything the credential signed for it would land here.
	stranger = http.createServer((req, res) => {
		strangerHits.push(`${req.method} ${req.url}`);
		res.end('{}');
	});
	await new Promise<void>((resolve) => stranger.listen(0, '127.0.0.1', resolve));
	strangerUrl = `http://127.0.0.1:${(stranger.address() as AddressInfo).port}`;
	// A "gateway" that sends every request on to the other host, keeping method and body (307).
	redirector = http.createServer((req, res) => {
		redirectorHits.push(`${req.method} ${req.url} signature=${req.headers.signature ? 'yes' : 'no'}`);
		req.resume();
		res.writeHead(307, { location: `${strangerUrl}${req.url}` }).end();
	});
	await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
	redirectorUrl = `http://127.0.0.1:${(redirector.address() as AddressInfo).port}`;
	tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'payloco-http-e2e-'));
	tgz = packPackage(tmp);
}, 60_000);

afterAll(async () => {
	await sandbox?.close();
	await new Promise((resolve) => stranger?.close(resolve));
	await new Promise((resolve) => redirector?.close(resolve));
	if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe.each([1, 2] as N8nLine[])('HTTP Request node with the PayLoco API credential in real n8n %i.x', (line) => {
	let home: N8nHome;
	let result: RawRun | undefined;
	let exitCode: number;
	let received: RequestRecord[];

	beforeAll(async () => {
		sandbox.reset();
		strangerHits.length = 0;
		redirectorHits.length = 0;
		home = await N8nHome.create(line, { packageTgz: tgz });
		await home.importCredentials([
			{
				...CREDENTIAL,
				type: 'payLocoApi',
				data: {
					environment: 'custom',
					baseUrl: sandbox.baseUrl,
					memberId: MEMBER_ID,
					merchantId: MERCHANT_ID,
					keyVersion: '1',
					privateKey: merchant.pkcs8Pem,
					platformPublicKey: sandbox.platformPublicKeyBase64,
				},
			},
			{
				...REDIRECTING_CREDENTIAL,
				type: 'payLocoApi',
				data: { environment: 'custom', baseUrl: `${redirectorUrl}/gateway`, merchantId: MERCHANT_ID, keyVersion: '1', privateKey: merchant.pkcs8Pem },
			},
		]);
		const workflow = workflowFor(sandbox, line, strangerUrl, redirectorUrl);
		await home.importWorkflow(workflow);
		const run = await home.execute(workflow.id);
		result = run.json;
		exitCode = run.exitCode;
		received = [...sandbox.requests];
	}, 240_000);

	afterAll(async () => {
		await home?.dispose();
	}, 60_000);

	const byPath = (suffix: string) => received.filter((r) => r.path.endsWith(suffix));
	const explain = () => `n8n printed:\n${home.printed().slice(-6000)}`;

	test('the workflow ran to the end', () => {
		if (exitCode !== 0 || !result) throw new Error(`n8n execute exited ${exitCode}. ${explain()}`);
		expect({ exitCode, error: result?.data.resultData.error?.message }).toEqual({ exitCode: 0, error: undefined });
	});

	test('Transaction Query (the example) returns the seeded pre-authorization', () => {
		const out = outputOf(result, 'Transaction Query');
		expect(out).toHaveLength(1);
		expect(out[0]).toMatchObject({ success: true, errCode: '00000000', traceId: expect.any(String) });
		expect(out[0].data).toMatchObject({ merchantId: MERCHANT_ID, merchantOrderId: 'PA-1001', currency: 'USD', transAmt: '100.01' });
	});

	test('Cancel Card succeeds', () => {
		const out = outputOf(result, 'Cancel Card');
		expect(out).toEqual([expect.objectContaining({ success: true, errCode: '00000000', status: 'SUCCESS', traceId: expect.any(String) })]);
		expect(sandbox.effects).toEqual([expect.objectContaining({ kind: 'cardCancelled', id: `C-HTTP-${line}`, requestKey: `REQ-HTTP-${line}` })]);
	});

	test('the sandbox received exactly two requests, each signed over the exact bytes received (openssl)', () => {
		expect(received.map((r) => `${r.method} ${r.path}`)).toEqual([
			'POST /gateway/v1/payments/open/api/query',
			'POST /gateway/v1/issuing/cards/cancel',
		]);
		for (const record of received) {
			expect({ path: record.path, openssl: verifiedByOpenssl(record, merchant), sandbox: record.signatureValid }).toEqual({
				path: record.path,
				openssl: true,
				sandbox: true,
			});
			expect(String(record.headers['content-type'])).toMatch(/^application\/json\b/);
			// Serialized once, compactly, UTF-8 as is: no re-serialization on the way.
			const text = record.rawBody.toString('utf8');
			expect(JSON.stringify(JSON.parse(text))).toBe(text);
		}
	});

	test('the credential filled in the envelope and a fresh requestTime, and kept what the user set', () => {
		const [query] = byPath('/query');
		const [cancel] = byPath('/cancel');
		const envelope = { charset: 'UTF-8', version: '2.0.0', signType: 'RSA', keyVersion: '1', merchantId: MERCHANT_ID };
		expect(sentBody(query)).toEqual({ ...envelope, memberId: MEMBER_ID, requestTime: expect.stringMatching(REQUEST_TIME), transType: 'QUERY', accessType: 's2s', merchantOrderId: 'PA-1001' });
		expect(sentBody(cancel)).toEqual({
			...envelope,
			memberId: USER_MEMBER_ID,
			requestTime: expect.stringMatching(REQUEST_TIME),
			transType: 'PAY',
			accessType: 's2s',
			cardId: `C-HTTP-${line}`,
			requestId: `REQ-HTTP-${line}`,
			reqReserved: '扩展',
		});
		expect(cancel.rawBody.includes(Buffer.from('"reqReserved":"扩展"', 'utf8'))).toBe(true);
		for (const record of [query, cancel]) {
			const stamped = Date.parse(String(sentBody(record).requestTime));
			expect(Math.abs(record.receivedAt - stamped)).toBeLessThan(10_000);
		}
	});

	test('a URL outside the credential\'s gateway is refused before anything is sent', () => {
		const out = outputOf(result, 'Outside The Gateway');
		expect(out).toHaveLength(1);
		expect(errorText(out[0])).toContain(`signs only requests to its own gateway, ${sandbox.baseUrl}`);
		expect(strangerHits).toEqual([]);
	});

	test('a redirect answered to a signed request is not followed: the signature stays with the gateway', () => {
		const out = outputOf(result, 'Redirected');
		expect(out).toHaveLength(1);
		expect(errorText(out[0])).toMatch(/307/);
		expect(redirectorHits).toEqual(['POST /gateway/v1/issuing/cards/cancel signature=yes']);
		expect(strangerHits).toEqual([]);
	});

	test('the HTTP Request node itself refuses a relative URL (so users write the full URL)', () => {
		const out = outputOf(result, 'Relative URL');
		expect({ error: errorText(out[0]) }).toEqual({ error: expect.stringContaining('URL must start with "http" or "https"') });
	});
});
