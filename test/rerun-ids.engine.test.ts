import { startSandbox } from '../sandbox/server';
import type { Sandbox } from '../sandbox/server';
import { rsaKeyPair } from './helpers/keys';
import { runPayLoco, sentBody, STRICT } from './helpers/payloco';

/**
 * Request IDs across executions (issue #19, item 1) and the checks that run before anything is
 * sent: a mapping that resolves to empty (issue #25, item 2) and the same card or pre-authorization
 * twice in one run (issue #19, item 3). The sandbox does not deduplicate: a repeat meets the state
 * the first request left.
 */
const merchant = rsaKeyPair();
let sandbox: Sandbox;

beforeAll(async () => {
	sandbox = await startSandbox({ merchantPublicKey: merchant.publicPem, ...STRICT });
});
afterAll(async () => sandbox.close());
beforeEach(() => sandbox.reset());

const cancel = (extra: Record<string, unknown> = {}) => ({ resource: 'card', operation: 'cancel', cardId: '={{ $json.card }}', ...extra });
const voidOf = (extra: Record<string, unknown> = {}) => ({
	resource: 'payment',
	operation: 'preAuthVoid',
	merchantOrderId: '={{ $json.order }}',
	oriMerchantOrderId: '={{ $json.preauth }}',
	currency: 'USD',
	transAmt: '10.00',
	...extra,
});
const idOf = (result: { items: Array<{ json: Record<string, unknown> }> }, i = 0) => result.items[i].json.requestId;

describe('a generated Request ID is the same work\'s in every execution', () => {
	it('the same card from the same workflow and node gets the same ID in another execution, in another position', async () => {
		const first = await runPayLoco(sandbox, merchant, cancel(), [{ card: 'C-R1' }, { card: 'C-R2' }], { executionId: 'run-1', continueOnFail: true });
		const rerun = await runPayLoco(sandbox, merchant, cancel(), [{ card: 'C-R2' }, { card: 'C-R1' }], { executionId: 'run-2', continueOnFail: true });
		expect(idOf(first, 0)).toMatch(/^n8n[0-9a-f]{29}$/);
		expect(idOf(rerun, 1)).toBe(idOf(first, 0));
		expect(idOf(rerun, 0)).toBe(idOf(first, 1));
		expect(idOf(first, 0)).not.toBe(idOf(first, 1));
		// What crossed the socket: every card under one ID only.
		const ids = new Map<unknown, Set<unknown>>();
		for (const r of sandbox.requests) ids.set(sentBody(r).cardId, (ids.get(sentBody(r).cardId) ?? new Set()).add(sentBody(r).requestId));
		expect([...ids.values()].map((s) => s.size)).toEqual([1, 1]);
	});

	it('another card, another workflow or another node never shares an ID', async () => {
		const base = await runPayLoco(sandbox, merchant, cancel(), [{ card: 'C-S1' }], { continueOnFail: true });
		const otherCard = await runPayLoco(sandbox, merchant, cancel(), [{ card: 'C-S2' }], { continueOnFail: true });
		const otherWorkflow = await runPayLoco(sandbox, merchant, cancel(), [{ card: 'C-S1' }], { workflowId: 'copy-of-it', continueOnFail: true });
		const otherNode = await runPayLoco(sandbox, merchant, cancel(), [{ card: 'C-S1' }], { nodeId: 'a-second-node', continueOnFail: true });
		const all = [base, otherCard, otherWorkflow, otherNode].map((r) => idOf(r));
		expect(new Set(all).size).toBe(4);
	});

	it('a mapped Request ID stays the user\'s', async () => {
		const result = await runPayLoco(sandbox, merchant, cancel({ requestId: '={{ $json.alert }}' }), [{ card: 'C-M1', alert: 'ALERT-9' }]);
		expect(result.error).toBeUndefined();
		expect(sentBody(sandbox.requests[0]).requestId).toBe('ALERT-9');
	});
});

describe('a mapping that resolves to empty is refused, naming the expression (#25)', () => {
	it('Request ID: the item is refused and nothing is sent, not given a generated ID', async () => {
		const result = await runPayLoco(sandbox, merchant, cancel({ requestId: '={{ $json.alertId }}' }), [
			{ card: 'C-E1', alertId: 'A-1' },
			{ card: 'C-E2', body: { alertId: 'A-2' } },
		]);
		expect(result.error?.message).toBe(
			'requestId is empty: its expression {{ $json.alertId }} gave nothing for this item. Fix the mapping (a Webhook node puts the payload under body, e.g. {{ $json.body.alertId }}) or clear Request ID to let the node generate one. [item 1]',
		);
		expect(sandbox.requests).toHaveLength(0);
	});

	it('with Continue On Fail only that item is refused; the others are sent with their own IDs', async () => {
		const result = await runPayLoco(sandbox, merchant, cancel({ requestId: '={{ $json.alertId }}' }), [
			{ card: 'C-E3', alertId: 'A-3' },
			{ card: 'C-E4' },
		], { continueOnFail: true });
		expect(result.items[1].json).toMatchObject({ success: false, sent: false, field: 'requestId' });
		expect(String(result.items[1].json.error)).toContain('{{ $json.alertId }}');
		expect(sandbox.requests.map((r) => sentBody(r).requestId)).toEqual(['A-3']);
	});

	it('Merchant Order ID (never generated): its empty expression is named too', async () => {
		const result = await runPayLoco(sandbox, merchant, voidOf(), [{ preauth: 'PA-AUTO-E1' }]);
		expect(result.error?.message).toMatch(/^merchantOrderId is empty: its expression \{\{ \$json\.order \}\} gave nothing for this item\..*\[item 0\]$/);
		expect(sandbox.requests).toHaveLength(0);
	});

	it('a fixed empty Request ID still generates one', async () => {
		const result = await runPayLoco(sandbox, merchant, cancel({ requestId: '' }), [{ card: 'C-E5' }]);
		expect(result.error).toBeUndefined();
		expect(idOf(result)).toMatch(/^n8n[0-9a-f]{29}$/);
	});
});

describe('one run, one card (#19 item 3)', () => {
	it('two items for the same card are refused before anything is sent, naming the earlier item', async () => {
		const result = await runPayLoco(sandbox, merchant, cancel(), [{ card: 'C-D1' }, { card: 'C-D2' }, { card: 'C-D1' }]);
		expect(result.error?.message).toBe('cardId "C-D1" is already in item 0 of this run; one run changes it once. Remove the repeated item. [item 2]');
		expect(sandbox.requests).toHaveLength(0);
	});

	it('even under two mapped Request IDs', async () => {
		const result = await runPayLoco(sandbox, merchant, cancel({ requestId: '={{ $json.alert }}' }), [
			{ card: 'C-D3', alert: 'A-1' },
			{ card: 'C-D3', alert: 'A-2' },
		], { continueOnFail: true });
		expect(result.items[1].json).toMatchObject({ success: false, sent: false, field: 'cardId' });
		expect(String(result.items[1].json.error)).toContain('already in item 0');
		expect(sandbox.requests.map((r) => sentBody(r).requestId)).toEqual(['A-1']);
	});

	it('two voids of the same pre-authorization are refused before anything is sent', async () => {
		const result = await runPayLoco(sandbox, merchant, voidOf(), [
			{ order: 'V-D1', preauth: 'PA-AUTO-D1' },
			{ order: 'V-D2', preauth: 'PA-AUTO-D1' },
		]);
		expect(result.error?.message).toBe('oriMerchantOrderId "PA-AUTO-D1" is already in item 0 of this run; one run changes it once. Remove the repeated item. [item 1]');
		expect(sandbox.requests).toHaveLength(0);
	});
});
