/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer as createTcpServer } from 'node:net';

import type { ICredentialsDecrypted, ICredentialTestFunctions, INodeCredentialTestResult } from 'n8n-workflow';

import { PayLocoApi } from '../credentials/PayLocoApi.credentials';
import { PayLoco } from '../nodes/PayLoco/PayLoco.node';
import { PayLocoTrigger } from '../nodes/PayLoco/PayLocoTrigger.node';
import { startSandbox } from '../sandbox/server';
import type { Sandbox } from '../sandbox/server';
import { rsaKeyPair } from './helpers/keys';
import { opensslFingerprint } from './helpers/openssl';
import { sandboxCredentials, sentBody, verifiedByOpenssl } from './helpers/payloco';

/**
 * The credential's Test button, in-process: n8n finds the test through the PayLoco node's
 * `testedBy` (the credential has no `test` of its own, which would win and cannot check a
 * signature) and calls it with n8n-core's own CredentialTestContext, whose only HTTP helper is the
 * legacy `request`. It passes only when PayLoco's answer is signed with the platform key, which
 * PayLoco does only after accepting the request's signature.
 */
const { CredentialTestContext } = require('n8n-core') as { CredentialTestContext: new () => ICredentialTestFunctions };

const merchant = rsaKeyPair();
const stranger = rsaKeyPair(2048, true);
let registered: Sandbox;
let unregistered: Sandbox;
let standIn: Server;
let standInUrl: string;
let standInStatus = 200;
let fingerprint: string;

beforeAll(async () => {
	registered = await startSandbox({ merchantPublicKey: merchant.publicPem });
	unregistered = await startSandbox({ merchantPublicKey: stranger.publicPem });
	standIn = createServer((req, res) => {
		req.resume();
		req.on('end', () => res.writeHead(standInStatus, { 'content-type': 'application/json' }).end('{"message":"no"}'));
	});
	await new Promise<void>((resolve) => standIn.listen(0, '127.0.0.1', resolve));
	standInUrl = `http://127.0.0.1:${(standIn.address() as AddressInfo).port}/gateway`;
	fingerprint = opensslFingerprint(merchant.pkcs8Pem);
});
afterAll(async () => {
	await registered.close();
	await unregistered.close();
	await new Promise((resolve) => standIn.close(resolve));
});
beforeEach(() => {
	registered.reset();
	unregistered.reset();
});

function runTest(data: Record<string, unknown>, node: { methods: { credentialTest: Record<string, unknown> } } = new PayLoco()): Promise<INodeCredentialTestResult> {
	const test = node.methods.credentialTest.payLocoApiTest as (this: ICredentialTestFunctions, c: ICredentialsDecrypted) => Promise<INodeCredentialTestResult>;
	return test.call(new CredentialTestContext(), { id: 'c1', name: 'PayLoco', type: 'payLocoApi', data } as ICredentialsDecrypted);
}

describe('how n8n finds the test', () => {
	it('the credential has no test of its own; every node using it names the same testedBy', () => {
		expect((new PayLocoApi() as { test?: unknown }).test).toBeUndefined();
		for (const node of [new PayLoco(), new PayLocoTrigger()]) {
			const entry = node.description.credentials?.find((c) => c.name === 'payLocoApi');
			expect(entry?.testedBy).toBe('payLocoApiTest');
			expect(typeof node.methods.credentialTest.payLocoApiTest).toBe('function');
		}
	});
});

describe('against the sandbox', () => {
	it('key registered: "Connected: PayLoco accepted this key", with the fingerprint openssl prints', async () => {
		const result = await runTest(sandboxCredentials(registered, merchant));
		expect(result).toEqual({ status: 'OK', message: `Connected: PayLoco accepted this key. Merchant public key fingerprint: ${fingerprint}, Key Version 1.` });
		const [record] = registered.requests;
		expect(registered.requests).toHaveLength(1);
		expect(record.path).toBe('/gateway/v1/payments/open/api/query');
		expect(verifiedByOpenssl(record, merchant)).toBe(true);
		expect(sentBody(record)).toMatchObject({ transType: 'QUERY', accessType: 's2s', keyVersion: '1', merchantOrderId: expect.stringMatching(/^n8n-credential-test-[0-9a-f]{24}$/) });
		expect(record.outcome).toMatch(/40040001|not.?found/i); // an order that cannot exist: nothing changes
	});

	it('the same from the trigger node, which uses the same credential', async () => {
		const result = await runTest(sandboxCredentials(registered, merchant), new PayLocoTrigger());
		expect(result.status).toBe('OK');
	});

	it('a different key registered: fails, PayLoco did not accept the request signature, check the uploaded key', async () => {
		const result = await runTest(sandboxCredentials(unregistered, merchant));
		expect(result.status).toBe('Error');
		// The refusal's own words are the sandbox's; the node's sentence around them is fixed.
		expect(result.message.startsWith('PayLoco did not accept the request signature: its answer is unsigned (10010001 ')).toBe(true);
		expect(result.message.endsWith(`). Check that the public key uploaded to PayLoco is the one with fingerprint ${fingerprint}, and that Key Version 1 is the version PayLoco registered for it.`)).toBe(true);
		expect(unregistered.requests).toHaveLength(1);
	});

	it('a wrong Key Version is named in the advice', async () => {
		const result = await runTest(sandboxCredentials(unregistered, merchant, { keyVersion: '2' }));
		expect(result.message).toContain(`fingerprint ${fingerprint}, and that Key Version 2 is the version PayLoco registered for it.`);
	});

	it('the platform key is wrong: fails, naming the platform key and the merchant key to check', async () => {
		const result = await runTest(sandboxCredentials(registered, merchant, { platformPublicKey: stranger.publicBase64 }));
		expect(result.status).toBe('Error');
		expect(result.message).toBe(
			`PayLoco's answer carries a signature that does not verify with the PayLoco Platform Public Key in this credential. Either that platform key is wrong (paste PayLoco's platform public key for this environment), or PayLoco did not accept the request signature. Check that the public key uploaded to PayLoco is the one with fingerprint ${fingerprint}, and that Key Version 1 is the version PayLoco registered for it.`,
		);
	});
});

describe('other answers, each with the fingerprint', () => {
	it.each([
		[401, /^PayLoco did not accept the request \(HTTP 401, unsigned\): either it did not accept the request signature, or this server's IP address is not allowlisted/],
		[403, /^PayLoco did not accept the request \(HTTP 403, unsigned\)/],
		[404, /^PayLoco's gateway answered HTTP 404 at http:\/\/127\.0\.0\.1:\d+\/gateway\/v1\/payments\/open\/api\/query: check the Base URL, including \/gateway/],
		[502, /^PayLoco's gateway answered HTTP 502, unsigned, so the test cannot tell whether PayLoco accepts this key/],
	])('HTTP %i', async (status, message) => {
		standInStatus = status;
		const result = await runTest(sandboxCredentials(registered, merchant, { baseUrl: standInUrl }));
		expect(result.status).toBe('Error');
		expect(result.message).toMatch(message);
		expect(result.message).toContain(fingerprint);
	});

	it('an unsigned 200 that is not PayLoco JSON', async () => {
		standInStatus = 200;
		const result = await runTest(sandboxCredentials(registered, merchant, { baseUrl: standInUrl }));
		expect(result).toMatchObject({ status: 'Error', message: expect.stringMatching(/^The answer from \S+ is JSON without a PayLoco code, unsigned: it does not look like PayLoco's gateway/) });
		expect(result.message).toContain(fingerprint);
	});

	it('nobody listening: could not reach PayLoco, nothing else claimed', async () => {
		const tcp = createTcpServer();
		await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
		const { port } = tcp.address() as AddressInfo;
		await new Promise((resolve) => tcp.close(resolve));
		const result = await runTest(sandboxCredentials(registered, merchant, { baseUrl: `http://127.0.0.1:${port}/gateway` }));
		expect(result.message).toBe(`Could not reach PayLoco at http://127.0.0.1:${port}/gateway/v1/payments/open/api/query (network error ECONNREFUSED): check the Base URL and this server's network. Merchant public key fingerprint: ${fingerprint}.`);
	});
});

describe('the local checks stay, and nothing is sent', () => {
	it.each([
		['a public key', { privateKey: merchant.publicPem }, /^PayLoco API credential: The private key field holds a public key/, false],
		['a short key', { privateKey: rsaKeyPair(1024).pkcs8Pem }, /1024 bits; PayLoco needs 2048/, false],
		['no key', { privateKey: '' }, /private key is empty/, false],
		['a bad base URL', { baseUrl: 'http://gate.example.com/gateway' }, /must use https/, true],
		['no platform key on Custom', { platformPublicKey: '' }, /^PayLoco Platform Public Key is empty, so the test cannot check that PayLoco accepted this key/, true],
		['a private key as platform key', { platformPublicKey: stranger.pkcs8Pem }, /platform public key field holds a private key/, true],
	])('%s fails the test with a message that says so', async (_name, override, message, withFingerprint) => {
		const result = await runTest(sandboxCredentials(registered, merchant, override));
		expect(result.status).toBe('Error');
		expect(result.message).toMatch(message);
		if (withFingerprint) expect(result.message).toContain(`Merchant public key fingerprint: ${fingerprint}.`);
		expect(registered.requests).toHaveLength(0);
	});

	it('never shows the private key', async () => {
		const result = await runTest(sandboxCredentials(unregistered, merchant));
		const body = merchant.pkcs8Pem.replace(/-----[A-Z ]+-----|\s/g, '');
		for (let i = 0; i + 16 <= body.length; i += 16) expect(result.message).not.toContain(body.slice(i, i + 16));
	});
});
