/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
import { sign } from 'node:crypto';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { startSandbox } from '../sandbox/server';
import type { Sandbox } from '../sandbox/server';
import { rsaKeyPair } from './helpers/keys';
import { runPayLoco } from './helpers/payloco';

/**
 * Each HTTP status and each kind of refusal gets its own message and advice, and n8n's httpCode
 * is always the HTTP status. Statuses the sandbox does not produce (401, 403, 413) and refusal
 * texts of PayLoco's that it does not use come from a small gateway stand-in on 127.0.0.1, which
 * signs its answers with its own platform key exactly as PayLoco does.
 */
const merchant = rsaKeyPair();
const platform = rsaKeyPair(2048, true);
let sandbox: Sandbox;
let gateway: Server;
let gatewayUrl: string;
let next: { status: number; body: string; headers?: Record<string, string> } = { status: 200, body: '{}' };
let received = 0;

beforeAll(async () => {
	sandbox = await startSandbox({ merchantPublicKey: merchant.publicPem });
	gateway = createServer((req, res) => {
		req.resume();
		req.on('end', () => {
			received++;
			const bytes = Buffer.from(next.body, 'utf8');
			const signature = sign('sha256', bytes, platform.privateKey).toString('base64');
			res.writeHead(next.status, { 'content-type': 'application/json', signature, ...next.headers });
			res.end(bytes);
		});
	});
	await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
	gatewayUrl = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}/gateway`;
});
afterAll(async () => {
	await sandbox.close();
	await new Promise((resolve) => gateway.close(resolve));
});
beforeEach(() => {
	sandbox.reset();
	received = 0;
});

const cancel = { resource: 'card', operation: 'cancel', cardId: 'C-1', options: { retry: false } };
const voidOrder = { resource: 'payment', operation: 'preAuthVoid', merchantOrderId: 'V-1', oriMerchantOrderId: 'PA-1', currency: 'USD', transAmt: '1.00', options: { retry: false } };
const viaStandIn = () => ({ credentials: { baseUrl: gatewayUrl, platformPublicKey: platform.publicBase64 } });

async function answer(status: number, body: object | string, parameters: object = cancel) {
	next = { status, body: typeof body === 'string' ? body : JSON.stringify(body) };
	const result = await runPayLoco(sandbox, merchant, parameters as never, [{}], viaStandIn());
	expect(received).toBe(1);
	return result.error as unknown as { message: string; description: string; httpCode: string | null };
}

describe('HTTP statuses', () => {
	it.each([401, 403])('HTTP %i: the key is not accepted, or this server is not allowlisted', async (status) => {
		const error = await answer(status, { message: 'Unauthorized' });
		expect(error.message).toBe(`PayLoco's gateway answered HTTP ${status}: it did not accept this request (the key, or this server's address) [item 0]`);
		expect(error.description).toMatch(/public key uploaded to PayLoco belongs to the Merchant Private Key/);
		expect(error.description).toMatch(/allowlist this n8n server's outgoing IP address/);
		expect(error.description).not.toMatch(/clock/);
		expect(error.httpCode).toBe(String(status));
	});

	it('HTTP 404: the base URL or the path', async () => {
		// The sandbox itself answers 404 for anything outside /gateway: a base URL missing /gateway.
		const result = await runPayLoco(sandbox, merchant, cancel as never, [{}], { credentials: { baseUrl: sandbox.baseUrl.replace(/\/gateway$/, '/api') } });
		const error = result.error as unknown as { message: string; description: string; httpCode: string };
		expect(error.message).toBe("PayLoco's gateway answered HTTP 404: there is no such endpoint; check the base URL and the path [item 0]");
		expect(error.description).toMatch(/Base URL: it must be the full gateway URL, including \/gateway .*the node adds \/v1\/issuing\/cards\/cancel/);
		expect(error.httpCode).toBe('404');
		expect(sandbox.requests).toHaveLength(1);
	});

	it('HTTP 413: the body is too large', async () => {
		const error = await answer(413, '<html>Request Entity Too Large</html>');
		expect(error.message).toBe("PayLoco's gateway answered HTTP 413: the request body is too large [item 0]");
		expect(error.description).toMatch(/Shorten the long fields of this item \(reqReserved, reserved, notifyUrl\)/);
		expect(error.httpCode).toBe('413');
	});

	it('HTTP 5xx: a server error whose outcome is unknown, checked before acting again', async () => {
		const error = await answer(502, '<html>Bad Gateway</html>', voidOrder);
		expect(error.message).toBe("PayLoco's gateway answered HTTP 502 [item 0]");
		expect(error.description).toMatch(/^A server error at PayLoco or at a proxy in front of it; the request may have been applied\. Check the result with Payment > Query Transaction for merchantOrderId V-1/);
		expect(error.httpCode).toBe('502');
	});
});

describe('refusals', () => {
	const refusal = (errMessage: string) => ({ success: false, errCode: '10010002', errMessage, status: 'FAILED', traceId: 'trace-1' });

	it('a refusal about requestTime gets the clock advice', async () => {
		const error = await answer(200, refusal('requestTime is outside the allowed 2-minute window'));
		expect(error.description).toMatch(/this n8n server's clock is probably wrong\. Sync it \(NTP\)/);
	});

	it('"Card expired" does not get the clock advice', async () => {
		const error = await answer(200, { ...refusal('Card expired'), errCode: '30020003' });
		expect(error.message).toBe('PayLoco refused item 0: 30020003 Card expired');
		expect(error.description).not.toMatch(/clock|NTP|requestTime/);
	});

	it('a requestTime format refusal is not a clock problem', async () => {
		const error = await answer(200, { ...refusal('Format error-requestTime cannot be empty'), errCode: '22070030' });
		expect(error.description).not.toMatch(/clock/);
	});

	it('a refusal about merchantOrderTime gets its own advice', async () => {
		const error = await answer(200, { code: '10010002', message: 'merchantOrderTime is outside the allowed 2-minute window', traceId: 't-2', data: { status: 'FAILED' } }, voidOrder);
		expect(error.description).toMatch(/PayLoco refused merchantOrderTime, the void order's own time: it must be yyyy-MM-ddTHH:mm:ss\.SSS/);
		expect(error.description).toMatch(/Leave Merchant Order Time empty/);
		expect(error.description).not.toMatch(/outside its 2-minute window: this n8n server's clock is probably wrong/);
	});

	it('httpCode on a refusal is the HTTP status, never PayLoco\'s status FAILED', async () => {
		const error = await answer(200, refusal('declined'));
		expect(error.httpCode).toBe('200');
		const sandboxed = await runPayLoco(sandbox, merchant, { ...cancel, cardId: 'FAIL-C-1' } as never, [{}]);
		expect((sandboxed.error as unknown as { httpCode: string }).httpCode).toBe('200');
	});

	it('with Continue On Fail, the item carries the HTTP status of a fault', async () => {
		next = { status: 403, body: '{}' };
		const result = await runPayLoco(sandbox, merchant, cancel as never, [{}], { ...viaStandIn(), continueOnFail: true });
		expect(result.items[0].json).toMatchObject({ success: false, fault: 'http', httpStatus: 403, outcomeUnknown: false });
	});
});
