import type { IHttpRequestOptions } from 'n8n-workflow';

import { PayLocoApi } from '../credentials/PayLocoApi.credentials';
import { startSandbox } from '../sandbox/server';
import type { Sandbox } from '../sandbox/server';
import { rsaKeyPair } from './helpers/keys';
import { sandboxCredentials, sentBody, verifiedByOpenssl } from './helpers/payloco';

/**
 * What n8n's credential "Test" button does: run the credential's own test request through its
 * authenticate() and send it. A key problem fails in authenticate with the key's own message;
 * a good key reaches the gateway, which answers.
 */
const merchant = rsaKeyPair();
const credential = new PayLocoApi();
let sandbox: Sandbox;

beforeAll(async () => {
	sandbox = await startSandbox({ merchantPublicKey: merchant.publicPem });
});
afterAll(async () => sandbox.close());

async function runCredentialTest(data: Record<string, unknown>) {
	const request = await credential.authenticate(data as never, { ...(credential.test.request as IHttpRequestOptions) });
	const response = await fetch(String(request.url), {
		method: request.method,
		headers: request.headers as Record<string, string>,
		body: request.body as Buffer,
	});
	return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

it('a good credential reaches the gateway with a signed Transaction Query', async () => {
	const { status, json } = await runCredentialTest(sandboxCredentials(sandbox, merchant));
	expect(status).toBe(200);
	expect(json).toMatchObject({ errCode: '40040001' }); // the order cannot exist; the answer proves the gateway and signature
	const [record] = sandbox.requests;
	expect(record.path).toBe('/gateway/v1/payments/open/api/query');
	expect(verifiedByOpenssl(record, merchant)).toBe(true);
	expect(sentBody(record)).toMatchObject({ merchantOrderId: 'n8n-credential-test', keyVersion: '1' });
});

it.each([
	['a public key', { privateKey: merchant.publicPem }, /holds a public key/],
	['a short key', { privateKey: rsaKeyPair(1024).pkcs8Pem }, /1024 bits; PayLoco needs 2048/],
	['no key', { privateKey: '' }, /private key is empty/],
	['a bad base URL', { baseUrl: 'http://gate.example.com/gateway' }, /must use https/],
])('%s fails the test with a message that says so', async (_name, override, message) => {
	await expect(runCredentialTest(sandboxCredentials(sandbox, merchant, override))).rejects.toThrow(message);
});
