/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
import { startSandbox } from '../sandbox/server';
import type { Sandbox } from '../sandbox/server';
import { rsaKeyPair } from './helpers/keys';
import { runPayLoco, sentBody, STRICT, verifiedByOpenssl } from './helpers/payloco';

const merchant = rsaKeyPair();
let sandbox: Sandbox;

beforeAll(async () => {
	sandbox = await startSandbox({ merchantPublicKey: merchant.publicPem, slowMs: 3000, notifyDelayMs: 50, ...STRICT });
});
afterAll(async () => sandbox.close());
beforeEach(() => sandbox.reset());

const RFC3339_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{2}:\d{2}$/;
const cancel = (extra: Record<string, unknown> = {}) => ({ resource: 'card', operation: 'cancel', cardId: '={{ $json.card }}', ...extra });

describe('Cancel Card inside n8n-core WorkflowExecute', () => {
	it('sends one signed request per item, verified by openssl over the bytes received', async () => {
		const started = Date.now();
		const result = await runPayLoco(sandbox, merchant, cancel(), [{ card: 'C-1001' }, { card: 'C-1002' }, { card: 'C-1003' }]);
		expect(result.error).toBeUndefined();
		expect(result.items.map((item) => item.json)).toEqual([1, 2, 3].map((n) => expect.objectContaining({
			success: true, status: 'SUCCESS', code: '00000000', traceId: expect.any(String), cardId: `C-100${n}`, requestId: expect.stringMatching(/^n8n[0-9a-f]{29}$/), attempts: 1,
		})));
		expect(result.items.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);

		expect(sandbox.requests).toHaveLength(3);
		for (const record of sandbox.requests) {
			expect(record.path).toBe('/gateway/v1/issuing/cards/cancel');
			expect(record.headers['content-type']).toBe('application/json');
			expect(verifiedByOpenssl(record, merchant)).toBe(true);
			const body = sentBody(record);
			expect(body).toMatchObject({
				charset: 'UTF-8', version: '2.0.0', signType: 'RSA', keyVersion: '1', memberId: '2023010558663764', merchantId: 'M20230105586637',
				transType: 'PAY', accessType: 's2s',
			});
			expect(body.requestTime).toMatch(RFC3339_MS);
			const stamped = Date.parse(String(body.requestTime));
			expect(stamped).toBeGreaterThanOrEqual(started - 5);
			expect(stamped).toBeLessThanOrEqual(record.receivedAt + 5);
		}
		const ids = result.items.map((item) => item.json.requestId);
		expect(new Set(ids).size).toBe(3);
		expect(sandbox.effects).toHaveLength(3);
	});

	it('uses a mapped requestId and transType as given', async () => {
		const result = await runPayLoco(sandbox, merchant, cancel({ requestId: '={{ $json.alert }}', transType: 'VCC' }), [{ card: 'C-2001', alert: 'ALERT-77' }]);
		expect(result.items[0].json).toMatchObject({ requestId: 'ALERT-77', success: true });
		expect(sentBody(sandbox.requests[0])).toMatchObject({ requestId: 'ALERT-77', transType: 'VCC', cardId: 'C-2001' });
	});

	it('reports PENDING (00000003) as accepted, not as an error', async () => {
		const result = await runPayLoco(sandbox, merchant, cancel(), [{ card: 'PENDING-C-1' }]);
		expect(result.error).toBeUndefined();
		expect(result.items[0].json).toMatchObject({ success: true, status: 'PENDING', code: '00000003' });
	});

	it('turns a PayLoco failure code into an error naming code, message, traceId and item', async () => {
		const result = await runPayLoco(sandbox, merchant, cancel(), [{ card: 'C-ok' }, { card: 'FAIL-C-1' }]);
		expect(result.error).toBeDefined();
		expect(result.error?.message).toMatch(/PayLoco refused item 1: 50000001/);
		expect(result.error?.description).toMatch(/traceId \S+/);
		expect((result.error as unknown as { context: { itemIndex: number } }).context.itemIndex).toBe(1);
	});

	it('with Continue On Fail, the failed item carries error, code and traceId and the others still run', async () => {
		const result = await runPayLoco(sandbox, merchant, cancel(), [{ card: 'C-a' }, { card: 'FAIL-C-2' }, { card: 'C-b' }], { continueOnFail: true });
		expect(result.error).toBeUndefined();
		expect(result.items).toHaveLength(3);
		expect(result.items[0].json).toMatchObject({ success: true, cardId: 'C-a' });
		expect(result.items[1].json).toMatchObject({ success: false, code: '50000001', status: 'FAILED', traceId: expect.any(String), error: expect.stringMatching(/50000001/), cardId: 'FAIL-C-2' });
		expect(result.items[2].json).toMatchObject({ success: true, cardId: 'C-b' });
		expect(result.items.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
	});

	it('a bad input names the field and the item, and nothing is sent', async () => {
		const result = await runPayLoco(sandbox, merchant, cancel(), [{ card: 'C-x' }, { card: '  ' }, { card: 'C-y' }]);
		expect(result.error?.message).toMatch(/cardId is empty.*\[item 1\]/);
		expect(sandbox.requests).toHaveLength(0);
	});

	it("n8n's Retry On Fail does not resend a card the first try cancelled (the node's record), so it is cancelled once", async () => {
		const result = await runPayLoco(sandbox, merchant, cancel(), [{ card: 'C-retry' }, { card: 'FAIL-C-3' }], {
			retryOnFail: true, maxTries: 2, waitBetweenTries: 10, executionId: 'exec-retry-1',
		});
		expect(result.error).toBeDefined();
		const forCard = sandbox.requests.filter((r) => sentBody(r).cardId === 'C-retry');
		expect(forCard).toHaveLength(1);
		expect(forCard.every((r) => verifiedByOpenssl(r, merchant))).toBe(true);
		expect(sandbox.effects.filter((e) => e.id === 'C-retry')).toHaveLength(1);
	});

	it("without n8n's deduplication store, Retry On Fail resends the same generated requestId", async () => {
		const result = await runPayLoco(sandbox, merchant, cancel(), [{ card: 'C-retry' }, { card: 'FAIL-C-3' }], {
			retryOnFail: true, maxTries: 2, waitBetweenTries: 10, executionId: 'exec-retry-2', processedStore: false,
		});
		expect(result.error).toBeDefined();
		const forCard = sandbox.requests.filter((r) => sentBody(r).cardId === 'C-retry');
		expect(forCard).toHaveLength(2);
		expect(sentBody(forCard[0]).requestId).toBe(sentBody(forCard[1]).requestId);
		expect(sandbox.effects.filter((e) => e.id === 'C-retry')).toHaveLength(1);
	});

	it('another execution generates other requestIds', async () => {
		const first = await runPayLoco(sandbox, merchant, cancel(), [{ card: 'C-e1' }], { executionId: 'exec-a' });
		const second = await runPayLoco(sandbox, merchant, cancel(), [{ card: 'C-e2' }], { executionId: 'exec-b' });
		expect(first.items[0].json.requestId).not.toBe(second.items[0].json.requestId);
	});

	it('refuses two items with the same requestId before sending anything', async () => {
		const result = await runPayLoco(sandbox, merchant, cancel({ requestId: 'SAME' }), [{ card: 'C-1' }, { card: 'C-2' }]);
		expect(result.error?.message).toMatch(/requestId "SAME" is already used by item 0.*\[item 1\]/);
		expect(sandbox.requests).toHaveLength(0);
	});
});

describe('Pre-Auth Void inside n8n-core WorkflowExecute', () => {
	const voidParams = (extra: Record<string, unknown> = {}) => ({
		resource: 'payment',
		operation: 'preAuthVoid',
		merchantOrderId: '={{ $json.order }}',
		oriMerchantOrderId: '={{ $json.preauth }}',
		currency: '={{ $json.currency }}',
		transAmt: '={{ $json.amount }}',
		...extra,
	});

	it('voids with Chinese reqReserved signed over its UTF-8 bytes', async () => {
		sandbox.addPreAuth({ merchantOrderId: 'PA-1', currency: 'USD', transAmt: '100.01' });
		sandbox.addPreAuth({ merchantOrderId: 'PA-2', currency: 'CNY', transAmt: '88.00' });
		const result = await runPayLoco(
			sandbox,
			merchant,
			voidParams({ additionalFields: { reqReserved: '={{ $json.note }}', notifyUrl: 'https://n8n.example.com/webhook/payloco' } }),
			[
				{ order: 'V-1', preauth: 'PA-1', currency: 'USD', amount: '100.01', note: '扩展 撤销' },
				{ order: 'V-2', preauth: 'PA-2', currency: 'CNY', amount: 88, note: '保留' },
			],
		);
		expect(result.error).toBeUndefined();
		expect(result.items.map((item) => item.json)).toEqual([
			expect.objectContaining({ success: true, status: 'SUCCESS', merchantOrderId: 'V-1', oriMerchantOrderId: 'PA-1', traceId: expect.any(String), data: expect.objectContaining({ status: 'SUCCESS' }) }),
			expect.objectContaining({ success: true, status: 'SUCCESS', merchantOrderId: 'V-2' }),
		]);
		const [first, second] = sandbox.requests;
		expect(first.path).toBe('/gateway/v1/payments/open/api/preAuthVoid');
		expect(first.rawBody.includes(Buffer.from('扩展 撤销', 'utf8'))).toBe(true);
		expect(verifiedByOpenssl(first, merchant)).toBe(true);
		expect(verifiedByOpenssl(second, merchant)).toBe(true);
		const body = sentBody(first);
		expect(body).toMatchObject({ keyVersion: '1', merchantOrderId: 'V-1', currency: 'USD', transAmt: '100.01', oriMerchantOrderId: 'PA-1', reqReserved: '扩展 撤销' });
		expect(body.merchantOrderTime).toMatch(RFC3339_MS);
		expect(sentBody(second).transAmt).toBe('88');
	});

	it('reports a pending void and a mismatched amount', async () => {
		sandbox.addPreAuth({ merchantOrderId: 'PA-3', currency: 'USD', transAmt: '5.00' });
		sandbox.addPreAuth({ merchantOrderId: 'PA-4', currency: 'USD', transAmt: '5.00' });
		const result = await runPayLoco(sandbox, merchant, voidParams(), [
			{ order: 'PENDING-V-3', preauth: 'PA-3', currency: 'USD', amount: '5.00' },
			{ order: 'V-4', preauth: 'PA-4', currency: 'USD', amount: '6.00' },
		], { continueOnFail: true });
		expect(result.items[0].json).toMatchObject({ success: true, status: 'PENDING', code: '00000003' });
		expect(result.items[1].json).toMatchObject({ success: false, code: '40030003', merchantOrderId: 'V-4' });
	});

	it.each([
		[{ amount: '1,00' }, 'transAmt'],
		[{ amount: '-1' }, 'transAmt'],
		[{ currency: 'usd' }, 'currency'],
		[{ order: '' }, 'merchantOrderId'],
	])('refuses %j naming %s, sending nothing', async (override, field) => {
		const item = { order: 'V-9', preauth: 'PA-9', currency: 'USD', amount: '1.00', ...override };
		const result = await runPayLoco(sandbox, merchant, voidParams(), [item]);
		expect(result.error?.message).toContain(field);
		expect(result.error?.message).toContain('[item 0]');
		expect(sandbox.requests).toHaveLength(0);
	});
});

describe('Transaction Query and response verification', () => {
	it('follows a pending void to its final status', async () => {
		sandbox.addPreAuth({ merchantOrderId: 'PA-Q', currency: 'USD', transAmt: '10.00' });
		await runPayLoco(sandbox, merchant, { resource: 'payment', operation: 'preAuthVoid', merchantOrderId: 'PENDING-Q-1', oriMerchantOrderId: 'PA-Q', currency: 'USD', transAmt: '10.00' }, [{}]);
		await new Promise((r) => setTimeout(r, 300));
		const result = await runPayLoco(sandbox, merchant, { resource: 'payment', operation: 'query', merchantOrderId: '={{ $json.order }}' }, [{ order: 'PENDING-Q-1' }]);
		expect(result.error).toBeUndefined();
		expect(result.items[0].json).toMatchObject({ success: true, status: 'SUCCESS', merchantOrderId: 'PENDING-Q-1', data: expect.objectContaining({ orderId: expect.any(String), transAmt: '10.00', currency: 'USD' }) });
		expect(verifiedByOpenssl(sandbox.requests[1], merchant)).toBe(true);
	});

	it.each([
		['BADSIG-C-1', /failed signature verification.*outcome is unknown/],
		['NOSIG-C-1', /no signature header.*outcome is unknown/],
	])('%s is refused with a message that says the outcome is unknown', async (card, message) => {
		const result = await runPayLoco(sandbox, merchant, cancel(), [{ card }]);
		expect(result.error?.message).toMatch(message);
		expect(result.error?.description).toMatch(/Do not resend under a new ID/);
	});

	it('accepts the same answers when verification is turned off', async () => {
		const result = await runPayLoco(sandbox, merchant, cancel({ options: { verifyResponses: false } }), [{ card: 'BADSIG-C-2' }]);
		expect(result.error).toBeUndefined();
		expect(result.items[0].json).toMatchObject({ success: true });
		// and the run carries a warning the editor shows above the output
		const hints = Object.values(result.runData).flat().flatMap((task) => task.hints ?? []);
		expect(hints).toEqual([expect.objectContaining({ type: 'warning', message: expect.stringMatching(/Response signatures are not verified/) })]);
	});

	it('refuses a response signed by another platform key', async () => {
		const other = rsaKeyPair(2048, true);
		const result = await runPayLoco(sandbox, merchant, cancel(), [{ card: 'C-otherkey' }], { credentials: { platformPublicKey: other.publicBase64 } });
		expect(result.error?.message).toMatch(/failed signature verification/);
	});
});

describe('credential problems stop the run before anything is sent', () => {
	it.each([
		['text that is no key', { privateKey: 'not a key' }, /PayLoco API credential: The private key is not a key/],
		['a public key as private key', { privateKey: rsaKeyPair().publicPem }, /holds a public key/],
		['plain http to a remote host', { baseUrl: 'http://gate.example.com/gateway' }, /must use https/],
		['no merchant ID', { merchantId: '' }, /Merchant ID is empty/],
	])('%s', async (_name, override, message) => {
		const result = await runPayLoco(sandbox, merchant, cancel(), [{ card: 'C-1' }], { credentials: override });
		expect(result.error?.message).toMatch(message);
		expect(sandbox.requests).toHaveLength(0);
	});
});

describe('credential problems with Continue On Fail', () => {
	it('every item carries the credential error and nothing is sent', async () => {
		const result = await runPayLoco(sandbox, merchant, cancel(), [{ card: 'C-1' }, { card: 'C-2' }], {
			continueOnFail: true,
			credentials: { privateKey: 'not a key' },
		});
		expect(result.error).toBeUndefined();
		expect(result.items.map((item) => item.json)).toEqual([0, 1].map(() => ({ error: expect.stringMatching(/PayLoco API credential: The private key is not a key/), success: false, sent: false })));
		expect(result.items.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
		expect(sandbox.requests).toHaveLength(0);
	});
});
