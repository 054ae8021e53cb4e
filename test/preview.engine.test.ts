import { startSandbox } from '../sandbox/server';
import type { Sandbox } from '../sandbox/server';
import { rsaKeyPair } from './helpers/keys';
import { opensslSign } from './helpers/openssl';
import { runPayLoco, sentBody, verifiedByOpenssl } from './helpers/payloco';

const merchant = rsaKeyPair();
let sandbox: Sandbox;

beforeAll(async () => {
	sandbox = await startSandbox({ merchantPublicKey: merchant.publicPem, notifyDelayMs: 50 });
});
afterAll(async () => sandbox.close());
beforeEach(() => sandbox.reset());

const RFC3339_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{2}:\d{2}$/;
const hintsOf = (result: Awaited<ReturnType<typeof runPayLoco>>) => Object.values(result.runData).flat().flatMap((task) => task.hints ?? []);

const cancel = (extra: Record<string, unknown> = {}) => ({
	resource: 'card',
	operation: 'cancel',
	cardId: '={{ $json.card }}',
	requestId: '={{ $json.alert }}',
	...extra,
});
const voidPreAuth = (extra: Record<string, unknown> = {}) => ({
	resource: 'payment',
	operation: 'preAuthVoid',
	merchantOrderId: '={{ $json.mo }}',
	oriMerchantOrderId: '={{ $json.ori }}',
	currency: 'CNY',
	transAmt: '88.00',
	additionalFields: { reqReserved: '客户取消订单' },
	...extra,
});
const query = (extra: Record<string, unknown> = {}) => ({ resource: 'payment', operation: 'query', merchantOrderId: '={{ $json.mo }}', ...extra });
const preview = { options: { preview: true } };

/** The preview's body with the send-time fields the real run stamped, serialized as the signer serializes it. */
function stampedLike(previewBody: Record<string, unknown>, fields: string[], real: Record<string, unknown>): Buffer {
	const copy = { ...previewBody };
	for (const field of fields) copy[field] = real[field];
	return Buffer.from(JSON.stringify(copy), 'utf8');
}

describe('Preview (Send Nothing)', () => {
	it('Cancel Card: one item per input with the enveloped body and endpoint, nothing sent, a preview hint', async () => {
		const before = Date.now();
		const result = await runPayLoco(sandbox, merchant, cancel(preview), [{ card: 'C-1', alert: 'A-1' }, { card: 'C-2', alert: 'A-2' }]);
		expect(result.error).toBeUndefined();
		expect(sandbox.requests).toHaveLength(0);
		expect(result.items.map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
		expect(result.items.map((i) => i.json)).toEqual([1, 2].map((n) => ({
			preview: true,
			sent: false,
			method: 'POST',
			endpoint: `${sandbox.baseUrl}/v1/issuing/cards/cancel`,
			cardId: `C-${n}`,
			requestId: `A-${n}`,
			body: {
				charset: 'UTF-8', version: '2.0.0', signType: 'RSA', keyVersion: '1', memberId: '2023010558663764', merchantId: 'M20230105586637',
				transType: 'PAY', accessType: 's2s', cardId: `C-${n}`, requestId: `A-${n}`, requestTime: expect.stringMatching(RFC3339_MS),
			},
			stampedAtSend: ['requestTime'],
			note: expect.stringMatching(/^Preview: nothing was sent and nothing was signed/),
		})));
		const stamped = Date.parse(String((result.items[0].json.body as Record<string, unknown>).requestTime));
		expect(stamped).toBeGreaterThanOrEqual(before - 5);
		// No signature was computed for the output: no field holds anything signature-like.
		expect(JSON.stringify(result.items)).not.toMatch(/signature"|[A-Za-z0-9+/]{300,}/);
		expect(hintsOf(result)).toEqual([expect.objectContaining({ type: 'info', message: expect.stringMatching(/^Preview: nothing was sent to PayLoco\. 2 of 2 item\(s\).*\/v1\/issuing\/cards\/cancel/) })]);
	});

	it('a preview body, once stamped and signed, is byte for byte what a real run sends (Cancel, Void with Chinese text, Query)', async () => {
		const cases = [
			{ parameters: cancel(), item: { card: 'C-bytes', alert: 'A-bytes' } },
			{ parameters: voidPreAuth(), item: { mo: 'V-bytes', ori: 'PA-AUTO-bytes' } },
			// A set merchantOrderTime is sent as given (an item field: {{ $now }} would differ between the two runs).
			{ parameters: voidPreAuth({ merchantOrderTime: '={{ $json.at }}' }), item: { mo: 'V-bytes-2', ori: 'PA-AUTO-bytes-2', at: new Date().toISOString() } },
			{ parameters: query(), item: { mo: 'PA-AUTO-bytes' } },
		];
		for (const { parameters, item } of cases) {
			sandbox.requests.length = 0;
			const shown = await runPayLoco(sandbox, merchant, { ...parameters, ...preview }, [item]);
			expect(sandbox.requests).toHaveLength(0);
			const real = await runPayLoco(sandbox, merchant, parameters, [item]);
			expect(real.error).toBeUndefined();
			expect(sandbox.requests).toHaveLength(1);
			const [record] = sandbox.requests;
			const { body, stampedAtSend } = shown.items[0].json as { body: Record<string, unknown>; stampedAtSend: string[] };
			const bytes = stampedLike(body, stampedAtSend, sentBody(record));
			expect(bytes.toString('utf8')).toBe(record.rawBody.toString('utf8'));
			expect(bytes.equals(record.rawBody)).toBe(true);
			expect(opensslSign(merchant.pkcs8Pem, bytes)).toBe(String(record.headers.signature));
			expect(verifiedByOpenssl(record, merchant)).toBe(true);
		}
	});

	it('a void left without merchantOrderTime lists it as stamped at send; a set one is shown as given', async () => {
		const [empty, set] = await Promise.all([
			runPayLoco(sandbox, merchant, { ...voidPreAuth(), ...preview }, [{ mo: 'V-1', ori: 'PA-AUTO-1' }]),
			runPayLoco(sandbox, merchant, { ...voidPreAuth({ merchantOrderTime: '={{ $now }}' }), ...preview }, [{ mo: 'V-2', ori: 'PA-AUTO-2' }]),
		]);
		expect(empty.items[0].json).toMatchObject({ merchantOrderId: 'V-1', oriMerchantOrderId: 'PA-AUTO-1', stampedAtSend: ['requestTime', 'merchantOrderTime'], endpoint: `${sandbox.baseUrl}/v1/payments/open/api/preAuthVoid` });
		expect((empty.items[0].json.body as Record<string, unknown>).merchantOrderTime).toMatch(RFC3339_MS);
		expect(set.items[0].json.stampedAtSend).toEqual(['requestTime']);
		expect(sandbox.requests).toHaveLength(0);
	});

	it('validates exactly as a real run: a bad item stops the preview naming field and item; with Continue On Fail it is an error item', async () => {
		const items = [{ card: 'C-ok', alert: 'A-1' }, { card: ' ', alert: 'A-2' }, { card: 'C-dup', alert: 'A-1' }];
		const stopped = await runPayLoco(sandbox, merchant, cancel(preview), items);
		const real = await runPayLoco(sandbox, merchant, cancel(), items);
		expect(stopped.error?.message).toMatch(/cardId is empty.*\[item 1\]/);
		expect(stopped.error?.message).toBe(real.error?.message);
		const kept = await runPayLoco(sandbox, merchant, cancel(preview), items, { continueOnFail: true });
		const realKept = await runPayLoco(sandbox, merchant, cancel(), items, { continueOnFail: true });
		expect(kept.items.map((i) => i.json.preview ?? i.json.error)).toEqual([true, realKept.items[1].json.error, realKept.items[2].json.error]);
		expect(kept.items[2].json.error).toMatch(/requestId "A-1" is already used by item 0.*\[item 2\]/);
		expect(kept.items[1].json).toMatchObject({ success: false, sent: false, field: 'cardId' });
		expect(hintsOf(kept)).toEqual([expect.objectContaining({ message: expect.stringMatching(/1 of 3 item\(s\) passed validation/) })]);
		// Only the real runs' valid item reached the sandbox (the stopped run sent nothing): the previews sent nothing.
		expect(sandbox.requests.map((r) => sentBody(r).cardId)).toEqual(['C-ok']);
	});

	it('the credential is still checked: a broken key stops the preview before anything', async () => {
		const result = await runPayLoco(sandbox, merchant, cancel(preview), [{ card: 'C-1', alert: 'A-1' }], { credentials: { privateKey: 'not a key' } });
		expect(result.error?.message).toMatch(/^PayLoco API credential: /);
		expect(result.items).toEqual([]);
		expect(sandbox.requests).toHaveLength(0);
	});
});
