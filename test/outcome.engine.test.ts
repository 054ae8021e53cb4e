import { startSandbox } from '../sandbox/server';
import type { Sandbox } from '../sandbox/server';
import { rsaKeyPair } from './helpers/keys';
import { runPayLoco, sentBody, STRICT } from './helpers/payloco';

/**
 * Every item tells the truth about the money, in-process (n8n-core WorkflowExecute against the
 * sandbox): a reply PayLoco marks as failed, or one about another order, is never `success: true`;
 * a query's `success` says PayLoco answered, its `status` and `final` say where the order is.
 */
const merchant = rsaKeyPair();
let sandbox: Sandbox;

beforeAll(async () => {
	sandbox = await startSandbox({ merchantPublicKey: merchant.publicPem, notifyDelayMs: 60_000, ...STRICT });
});
afterAll(async () => sandbox.close());
beforeEach(() => sandbox.reset());

const cancel = (extra: Record<string, unknown> = {}) => ({ resource: 'card', operation: 'cancel', cardId: '={{ $json.card }}', ...extra });
const voidOf = (merchantOrderId: string, ori: string) => ({
	resource: 'payment',
	operation: 'preAuthVoid',
	merchantOrderId,
	oriMerchantOrderId: ori,
	currency: 'USD',
	transAmt: '10.00',
});
const query = (extra: Record<string, unknown>) => ({ resource: 'payment', operation: 'query', ...extra });
/** The traceId the sandbox put in the answer to this request, so the output's can be compared with it. */
const answeredTraceId = (i: number) => JSON.parse(String(sandbox.requests[i].response)).traceId as string;

describe('Cancel Card and Pre-Auth Void succeed only when code, status and success all say so', () => {
	it.each([
		['OKFAILED', 'FAILED', /^PayLoco refused item 1: status FAILED \(code 00000000 Success\)$/],
		// PayLoco's own success: false against code and status SUCCESS: not positively a refusal, so unknown.
		['FALSEOK', 'SUCCESS', /^PayLoco's answer does not say whether the request was applied \(code 00000000, status SUCCESS, success false\); the outcome is unknown \[item 1\]$/],
	])('%s- with Continue On Fail: a failed item carrying code, status, message and traceId', async (prefix, status, error) => {
		const cards = ['C-ok', `${prefix}-C-1`, 'C-ok2'];
		const result = await runPayLoco(sandbox, merchant, cancel(), cards.map((card) => ({ card })), { continueOnFail: true });
		expect(result.error).toBeUndefined();
		expect(result.items.map((i) => i.json.success)).toEqual([true, false, true]);
		expect(result.items[1].json).toEqual(
			expect.objectContaining({ success: false, code: '00000000', status, message: 'Success', traceId: answeredTraceId(1), cardId: cards[1], attempts: 1 }),
		);
		expect(String(result.items[1].json.error)).toMatch(error);
		// The sandbox applied nothing for it: the node's output agrees with the gateway's state.
		expect(sandbox.effects.map((e) => e.id)).toEqual(['C-ok', 'C-ok2']);
	});

	it('OKFAILED- without Continue On Fail: a NodeApiError naming status, code and traceId', async () => {
		const result = await runPayLoco(sandbox, merchant, cancel(), [{ card: 'OKFAILED-C-2' }]);
		expect(result.error?.message).toBe('PayLoco refused item 0: status FAILED (code 00000000 Success)');
		expect(result.error?.description).toContain(`traceId ${answeredTraceId(0)}; status FAILED`);
		expect(result.items).toEqual([]);
	});

	it.each([['OKFAILED', 'FAILED'], ['FALSEOK', 'SUCCESS']])('%s- void: not voided, and not reported as voided', async (prefix, status) => {
		const result = await runPayLoco(sandbox, merchant, voidOf(`${prefix}-V-1`, `PA-AUTO-${prefix}`), [{}], { continueOnFail: true });
		expect(result.items[0].json).toEqual(
			expect.objectContaining({ success: false, code: '00000000', status, traceId: answeredTraceId(0), merchantOrderId: `${prefix}-V-1` }),
		);
		expect(sandbox.effects).toEqual([]);
	});

	it('PENDING and SUCCESS still succeed', async () => {
		const result = await runPayLoco(sandbox, merchant, cancel(), [{ card: 'C-1' }, { card: 'PENDING-C-1' }]);
		expect(result.items.map((i) => [i.json.success, i.json.status, i.json.code])).toEqual([
			[true, 'SUCCESS', '00000000'],
			[true, 'PENDING', '00000003'],
		]);
		expect(result.items[0].json.final).toBeUndefined();
	});
});

describe('the answer must be about this request', () => {
	it('OTHERID- cancel: the signed answer names another card, so the item fails with an unknown outcome', async () => {
		const result = await runPayLoco(sandbox, merchant, cancel(), [{ card: 'OTHERID-C-1' }], { continueOnFail: true });
		const json = result.items[0].json;
		expect(json).toMatchObject({ success: false, fault: 'otherRequest', outcomeUnknown: true, cardId: 'OTHERID-C-1' });
		expect(String(json.error)).toMatch(/^PayLoco's answer is about another request \(cardId "ANOTHER-[0-9a-f]+", but "OTHERID-C-1" was sent\).*the outcome is unknown \[item 0\]$/);
		expect(json.status).toBeUndefined();
		// The sandbox applied it and said so for another card: only a query can tell.
		expect(sandbox.effects).toHaveLength(1);
		expect(sandbox.requests[0].signatureValid).toBe(true);
	});

	it('OTHERID- void: the error says the outcome is unknown and to confirm with Query', async () => {
		const result = await runPayLoco(sandbox, merchant, voidOf('OTHERID-V-1', 'PA-AUTO-O1'), [{}]);
		expect(result.error?.message).toMatch(/about another request \(merchantOrderId "ANOTHER-[0-9a-f]+", but "OTHERID-V-1" was sent\).*outcome is unknown/);
		expect(result.error?.description).toMatch(/Query Transaction for merchantOrderId OTHERID-V-1/);
	});

	it('OTHERID- query: an answer about another order is not this order\'s status', async () => {
		const result = await runPayLoco(sandbox, merchant, query({ merchantOrderId: 'OTHERID-Q-1' }), [{}], { continueOnFail: true });
		expect(result.items[0].json).toMatchObject({ success: false, fault: 'otherRequest', merchantOrderId: 'OTHERID-Q-1' });
	});
});

describe('Transaction Query: success means PayLoco answered; status and final say where the order is', () => {
	it('a failed, a closed, a pending and a successful order', async () => {
		sandbox.addPreAuth({ merchantOrderId: 'PA-Q1', currency: 'USD', transAmt: '10.00' });
		const voids = await runPayLoco(sandbox, merchant, { ...voidOf('={{ $json.mo }}', '={{ $json.ori }}') }, [
			{ mo: 'OKFAILED-Q-1', ori: 'PA-AUTO-Q0' },
			{ mo: 'V-Q-2', ori: 'PA-Q1' },
			{ mo: 'PENDING-Q-3', ori: 'PA-AUTO-Q3' },
		], { continueOnFail: true });
		expect(voids.items.map((i) => i.json.success)).toEqual([false, true, true]);
		const lookups = ['OKFAILED-Q-1', 'PA-Q1', 'PENDING-Q-3', 'V-Q-2'].map((mo) => ({ mo }));
		const result = await runPayLoco(sandbox, merchant, query({ merchantOrderId: '={{ $json.mo }}' }), lookups);
		expect(result.error).toBeUndefined();
		expect(result.items.map((i) => [i.json.merchantOrderId, i.json.success, i.json.status, i.json.final])).toEqual([
			['OKFAILED-Q-1', true, 'FAILED', true],
			['PA-Q1', true, 'CLOSED', true],
			['PENDING-Q-3', true, 'PENDING', false],
			['V-Q-2', true, 'SUCCESS', true],
		]);
	});

	it('an order PayLoco does not know is a failed query, not a final status', async () => {
		const result = await runPayLoco(sandbox, merchant, query({ merchantOrderId: 'MISSING-1' }), [{}], { continueOnFail: true });
		expect(result.items[0].json).toMatchObject({ success: false, code: '40040001' });
		expect(result.items[0].json.final).toBeUndefined();
	});
});

describe('generated request IDs include the card', () => {
	it('the same execution, node, run and item with another card gets another requestId', async () => {
		// As after a database restore: the execution ID comes round again, with other data.
		const run = (card: string) => runPayLoco(sandbox, merchant, cancel(), [{ card }], { executionId: 'restored-7', continueOnFail: true });
		const first = await run('C-restore-A');
		const again = await run('C-restore-A');
		const other = await run('C-restore-B');
		expect(again.items[0].json.requestId).toBe(first.items[0].json.requestId);
		expect(other.items[0].json.requestId).not.toBe(first.items[0].json.requestId);
		expect(sandbox.requests.map((r) => sentBody(r).requestId)).toEqual([first, again, other].map((r) => r.items[0].json.requestId));
		// No deduplication in this sandbox: the repeat meets the card already cancelled, and says so.
		expect(again.items[0].json).toMatchObject({ success: false, code: '30020002' });
		expect(other.items[0].json).toMatchObject({ success: true, cardId: 'C-restore-B' });
	});
});
