import type { INodeParameters } from 'n8n-workflow';

import { startSandbox } from '../sandbox/server';
import type { Sandbox } from '../sandbox/server';
import { ProcessedStore } from '../e2e/harness/engine';
import { rsaKeyPair } from './helpers/keys';
import { executionsOf, sentBody, STRICT, verifiedByOpenssl } from './helpers/payloco';

/**
 * The node's record across executions (issue #19, item 2), inside n8n-core's WorkflowExecute with
 * the harness's stand-in for n8n's deduplication store (same rules: md5 membership, a check
 * records what it did not find). Each run is a new execution; runs given the same store share
 * it, as executions share n8n's database. The sandbox does not deduplicate.
 */
const merchant = rsaKeyPair();
let sandbox: Sandbox;

beforeAll(async () => {
	sandbox = await startSandbox({ merchantPublicKey: merchant.publicPem, slowMs: 2500, ...STRICT });
});
afterAll(async () => sandbox.close());
beforeEach(() => sandbox.reset());

const cancel = (extra: INodeParameters = {}): INodeParameters => ({ resource: 'card', operation: 'cancel', cardId: '={{ $json.card }}', ...extra });
const NODE_ID = '0f5532f9-36ba-4bef-86c7-30d607400b15';
const { run, cancelsOf } = executionsOf(() => sandbox, merchant);

describe('a rerun in a new execution', () => {
	it('does not send what the record says was applied: it comes out as applied earlier', async () => {
		const store = new ProcessedStore();
		const first = await run(store, cancel(), ['C-A1', 'C-A2']);
		expect(first.items.map((i) => i.json.success)).toEqual([true, true]);
		expect(sandbox.requests).toHaveLength(2);
		// Two strings per applied request (sent, applied); the check's own strings were taken out again.
		expect(store.size('test-workflow', NODE_ID)).toBe(4);

		const rerun = await run(store, cancel(), ['C-A2', 'C-A1', 'C-A3']);
		expect(sandbox.requests).toHaveLength(3);
		expect(sentBody(sandbox.requests[2]).cardId).toBe('C-A3');
		expect(rerun.items.map((i) => i.json)).toEqual([
			expect.objectContaining({ success: true, appliedEarlier: true, sent: false, cardId: 'C-A2', requestId: first.items[1].json.requestId }),
			expect.objectContaining({ success: true, appliedEarlier: true, sent: false, cardId: 'C-A1', requestId: first.items[0].json.requestId }),
			expect.objectContaining({ success: true, status: 'SUCCESS', cardId: 'C-A3', attempts: 1 }),
		]);
		expect(rerun.items[2].json.appliedEarlier).toBeUndefined();
		expect(sandbox.effects.map((e) => e.id)).toEqual(['C-A1', 'C-A2', 'C-A3']);
		expect(store.size('test-workflow', NODE_ID)).toBe(6);
	});

	it('with Request ID mapped, too; the record belongs to the workflow and node', async () => {
		const store = new ProcessedStore();
		const mapped = cancel({ requestId: '={{ $json.card }}-alert' });
		await run(store, mapped, ['C-M1']);
		const rerun = await run(store, mapped, ['C-M1']);
		expect(rerun.items[0].json).toMatchObject({ appliedEarlier: true, requestId: 'C-M1-alert' });
		// Another workflow has its own record (and its own IDs): it sends, and meets the cancelled card.
		const other = await run(store, mapped, ['C-M1'], { workflowId: 'another-workflow' });
		expect(other.items[0].json).toMatchObject({ success: false, code: '30020002' });
		expect(cancelsOf('C-M1')).toHaveLength(2);
	});

	it('without a store (n8n without the helper) it says so in a hint and sends as before', async () => {
		const first = await run(false, cancel(), ['C-N1']);
		const rerun = await run(false, cancel(), ['C-N1']);
		expect(rerun.items[0].json).toMatchObject({ success: false, code: '30020002', requestId: first.items[0].json.requestId });
		const hints = JSON.stringify(rerun.runData['Node Under Test']?.at(-1)?.hints ?? []);
		expect(hints).toMatch(/keeps no record across executions here \(n8n's deduplication store failed: Manager needs to initialized/);
	});
});

describe('sent earlier with an unknown outcome', () => {
	it('a timeout in one execution, then a duplicate refusal in the next: outcome unknown, same ID', async () => {
		const store = new ProcessedStore();
		// TIMEOUTDUP-: applied at once, answered after 2.5 s; the node gives up after 1 s.
		const first = await run(store, cancel({ options: { timeout: 1000, retry: false } }), ['TIMEOUTDUP-C1']);
		expect(first.items[0].json).toMatchObject({ success: false, outcomeUnknown: true, fault: 'timeout' });
		const rerun = await run(store, cancel(), ['TIMEOUTDUP-C1']);
		expect(rerun.items[0].json).toMatchObject({
			success: false, outcomeUnknown: true, fault: 'earlierExecution', code: '40050001', sentEarlier: true, probablyAppliedEarlier: true,
		});
		expect(String(rerun.items[0].json.error)).toMatch(/^The outcome of item 0 is unknown/);
		const sent = cancelsOf('TIMEOUTDUP-C1');
		expect(sent).toHaveLength(2);
		expect(new Set(sent.map((r) => sentBody(r).requestId)).size).toBe(1);
		expect(sent.every((r) => verifiedByOpenssl(r, merchant))).toBe(true);
	});

	it('a timeout, the card cancelled meanwhile, then "already cancelled": outcome unknown, not refused', async () => {
		const store = new ProcessedStore();
		// SLOW-: the node gives up first and the sandbox applies nothing; then the card is cancelled by another workflow.
		await run(store, cancel({ options: { timeout: 1000, retry: false } }), ['SLOW-C2']);
		await run(new ProcessedStore(), cancel({ requestId: 'elsewhere-1' }), ['SLOW-C2'], { workflowId: 'another-workflow' });
		const rerun = await run(store, cancel(), ['SLOW-C2']);
		expect(rerun.items[0].json).toMatchObject({ success: false, outcomeUnknown: true, code: '30020002', probablyAppliedEarlier: true });
		expect(rerun.items[0].json.status).toBeUndefined();
	});

	it('the same ID applied now: success, and the output says it was sent before', async () => {
		const store = new ProcessedStore();
		await run(store, cancel({ options: { timeout: 1000, retry: false } }), ['SLOW-C3']);
		const rerun = await run(store, cancel(), ['SLOW-C3']);
		expect(rerun.items[0].json).toMatchObject({ success: true, status: 'SUCCESS', sentEarlier: true });
		expect(new Set(cancelsOf('SLOW-C3').map((r) => sentBody(r).requestId)).size).toBe(1);
	});

	it('a stopped run records nothing for the items it never sent', async () => {
		const store = new ProcessedStore();
		const stopped = await run(store, cancel({ options: { concurrency: 1 } }), ['C-T1', 'UNKNOWN-T2', 'C-T3'], { continueOnFail: false });
		expect(stopped.error).toBeDefined();
		expect(cancelsOf('C-T3')).toHaveLength(0);
		const rerun = await run(store, cancel(), ['C-T1', 'C-T3']);
		expect(rerun.items.map((i) => i.json)).toEqual([
			expect.objectContaining({ appliedEarlier: true }),
			expect.objectContaining({ success: true, status: 'SUCCESS' }),
		]);
		expect(rerun.items[1].json.sentEarlier).toBeUndefined();
	});
});

describe('what the record costs', () => {
	it('a batch makes few store calls: "sent" written ahead for many items at once, answers written together', async () => {
		const store = new ProcessedStore();
		const cards = Array.from({ length: 200 }, (_, i) => `C-W${i}`);
		const result = await run(store, cancel(), cards);
		expect(result.items.every((i) => i.json.success === true)).toBe(true);
		// Each call reads and rewrites the node's whole row in n8n: one per item would grow with the row.
		// "sent" goes 32 items at a time; answers share a call when they come within 10 ms, so their
		// share depends on the machine (0.06-0.4 per item measured). One call per answer would be >= 1.
		expect(store.calls / cards.length).toBeLessThan(1);
		expect(store.size('test-workflow', NODE_ID)).toBe(2 * cards.length);
		const rerun = await run(store, cancel(), cards);
		expect(rerun.items.every((i) => i.json.appliedEarlier === true)).toBe(true);
		expect(cancelsOf('C-W0')).toHaveLength(1);
	});
});

describe('refused earlier', () => {
	it('a generated ID that PayLoco definitely refused is replaced by a new one in the next execution, and only then', async () => {
		const store = new ProcessedStore();
		const first = await run(store, cancel(), ['FAIL-C4']);
		expect(first.items[0].json).toMatchObject({ success: false, code: '50000001' });
		const second = await run(store, cancel(), ['FAIL-C4']);
		const third = await run(store, cancel(), ['FAIL-C4']);
		const ids = cancelsOf('FAIL-C4').map((r) => sentBody(r).requestId);
		expect(ids).toEqual([first, second, third].map((r) => r.items[0].json.requestId));
		expect(new Set(ids).size).toBe(3);
		expect(ids.every((id) => /^n8n[0-9a-f]{29}$/.test(String(id)))).toBe(true);
	});

	it('an ID with an unknown outcome is never replaced', async () => {
		const store = new ProcessedStore();
		await run(store, cancel({ options: { timeout: 1000, retry: false } }), ['TIMEOUTDUP-C5']);
		await run(store, cancel(), ['TIMEOUTDUP-C5']);
		await run(store, cancel(), ['TIMEOUTDUP-C5']);
		expect(new Set(cancelsOf('TIMEOUTDUP-C5').map((r) => sentBody(r).requestId)).size).toBe(1);
	});

	it('a mapped ID refused earlier stays the user\'s and is sent as usual', async () => {
		const store = new ProcessedStore();
		await run(store, cancel({ requestId: 'R-6' }), ['FAIL-C6']);
		const again = await run(store, cancel({ requestId: 'R-6' }), ['FAIL-C6']);
		expect(again.items[0].json).toMatchObject({ success: false, code: '50000001', requestId: 'R-6' });
		expect(again.items[0].json.sentEarlier).toBeUndefined();
	});
});

describe('n8n\'s store has no lock', () => {
	/** As when another execution's write, based on a read made in between, puts the check's strings back. */
	class PutBack extends ProcessedStore {
		override remove() {
			this.calls++;
		}
	}

	it('strings a concurrent write put back never make a refused card look applied', async () => {
		const store = new PutBack();
		const first = await run(store, cancel({ requestId: 'R-7' }), ['FAIL-C7']);
		expect(first.items[0].json).toMatchObject({ success: false, code: '50000001' });
		// The row now holds what the check added (applied, sent, refused) and the refusal.
		const again = await run(store, cancel({ requestId: 'R-7' }), ['FAIL-C7']);
		expect(again.items[0].json.appliedEarlier).toBeUndefined();
		expect(again.items[0].json).toMatchObject({ success: false, outcomeUnknown: true, code: '50000001' });
		expect(cancelsOf('FAIL-C7')).toHaveLength(2);
	});
});

describe('Pre-Auth Void', () => {
	it('a void applied in an earlier execution is not sent again', async () => {
		const store = new ProcessedStore();
		const params: INodeParameters = { resource: 'payment', operation: 'preAuthVoid', merchantOrderId: '={{ $json.card }}-VOID', oriMerchantOrderId: '=PA-AUTO-{{ $json.card }}', currency: 'USD', transAmt: '5.00' };
		await run(store, params, ['O1']);
		const rerun = await run(store, params, ['O1']);
		expect(rerun.items[0].json).toMatchObject({ appliedEarlier: true, merchantOrderId: 'O1-VOID', oriMerchantOrderId: 'PA-AUTO-O1' });
		expect(sandbox.requests).toHaveLength(1);
	});
});
