import type { INodeParameters } from 'n8n-workflow';

import { startSandbox } from '../sandbox/server';
import type { RequestRecord, Sandbox } from '../sandbox/server';
import { rsaKeyPair } from './helpers/keys';
import { runPayLoco, sentBody, STRICT } from './helpers/payloco';

/**
 * Nothing applied is hidden, in-process: without Continue On Fail, no item is sent after one has
 * failed, and the error that stops the run lists every item already sent with its outcome and
 * traceId, and which were not sent. A retry after an unknown outcome tells the whole story.
 * The sandbox does not deduplicate, so a second send would show up as a refusal.
 */
const merchant = rsaKeyPair();
let sandbox: Sandbox;

beforeAll(async () => {
	sandbox = await startSandbox({ merchantPublicKey: merchant.publicPem, slowMs: 2500, ...STRICT });
});
afterAll(async () => sandbox.close());
beforeEach(() => sandbox.reset());

const cancel = (options: INodeParameters = {}) => ({ resource: 'card', operation: 'cancel', cardId: '={{ $json.card }}', options });
const traceIdOf = (record: RequestRecord) => JSON.parse(String(record.response)).traceId as string;
const recordFor = (card: string) => sandbox.requests.find((r) => sentBody(r).cardId === card) as RequestRecord;

describe('a run stopped by a failure lists every item it sent', () => {
	it('concurrency 1: items before the failure applied, the failure refused, the rest not sent', async () => {
		const cards = ['C-0', 'PENDING-C-1', 'FAIL-C-2', 'C-3', 'C-4', 'C-5'];
		const result = await runPayLoco(sandbox, merchant, cancel({ concurrency: 1 }), cards.map((card) => ({ card })), { executionId: 'stop-1' });
		expect(result.error?.message).toBe('PayLoco refused item 2: 50000001 Transaction declined');
		expect(sandbox.requests.map((r) => sentBody(r).cardId)).toEqual(cards.slice(0, 3));
		const description = String(result.error?.description);
		const id = (card: string) => String(sentBody(recordFor(card)).requestId);
		expect(description).toContain(
			[
				'3 item(s) had already been sent: 2 applied or pending, 0 with an unknown outcome:',
				`- item 0 (cardId C-0, requestId ${id('C-0')}): applied, status SUCCESS, traceId ${traceIdOf(recordFor('C-0'))}`,
				`- item 1 (cardId PENDING-C-1, requestId ${id('PENDING-C-1')}): pending, status PENDING, traceId ${traceIdOf(recordFor('PENDING-C-1'))}`,
				`- item 2 (cardId FAIL-C-2, requestId ${id('FAIL-C-2')}): refused, 50000001 Transaction declined, traceId ${traceIdOf(recordFor('FAIL-C-2'))}`,
				'3 item(s) were not sent: 3-5.',
			].join('\n'),
		);
		// The refusal's own explanation comes first.
		expect(description.startsWith('traceId ')).toBe(true);
		expect(sandbox.effects.map((e) => e.id)).toEqual(['C-0', 'PENDING-C-1']);
	});

	it('concurrency 4: items in flight when one fails are finished and listed; nothing new is sent', async () => {
		// Item 0 fails at once; items 1-3 are still in the sandbox (SLOW-, 2.5 s) and are applied.
		const cards = ['FAIL-C-0', 'SLOW-C-1', 'SLOW-C-2', 'HTML-C-3', ...Array.from({ length: 8 }, (_, i) => `C-${i + 4}`)];
		const result = await runPayLoco(sandbox, merchant, cancel({ concurrency: 4, retry: false }), cards.map((card) => ({ card })));
		expect(result.error?.message).toBe('PayLoco refused item 0: 50000001 Transaction declined');
		expect(sandbox.requests.map((r) => sentBody(r).cardId).sort()).toEqual(cards.slice(0, 4).sort());
		const description = String(result.error?.description);
		expect(description).toContain('4 item(s) had already been sent: 2 applied or pending, 1 with an unknown outcome:');
		expect(description).toMatch(/- item 0 \(cardId FAIL-C-0, requestId n8n\w+\): refused, 50000001 Transaction declined, traceId \w+\n/);
		expect(description).toContain(`- item 1 (cardId SLOW-C-1, requestId ${String(sentBody(recordFor('SLOW-C-1')).requestId)}): applied, status SUCCESS, traceId ${traceIdOf(recordFor('SLOW-C-1'))}`);
		expect(description).toContain(`- item 2 (cardId SLOW-C-2, requestId ${String(sentBody(recordFor('SLOW-C-2')).requestId)}): applied, status SUCCESS`);
		expect(description).toMatch(/- item 3 \(cardId HTML-C-3, requestId n8n\w+\): unknown, html, traceId \(none\)\n/);
		expect(description).toContain('8 item(s) were not sent: 4-11.');
		expect(sandbox.effects.map((e) => e.id).sort()).toEqual(['SLOW-C-1', 'SLOW-C-2']);
	}, 20_000);

	it('a void run lists merchantOrderId and oriMerchantOrderId', async () => {
		const params = { resource: 'payment', operation: 'preAuthVoid', merchantOrderId: '={{ $json.mo }}', oriMerchantOrderId: '={{ $json.ori }}', currency: 'USD', transAmt: '1.00', options: { concurrency: 1 } };
		const items = [{ mo: 'V-1', ori: 'PA-AUTO-1' }, { mo: 'FAIL-V-2', ori: 'PA-AUTO-2' }, { mo: 'V-3', ori: 'PA-AUTO-3' }];
		const result = await runPayLoco(sandbox, merchant, params, items);
		const description = String(result.error?.description);
		expect(description).toMatch(/- item 0 \(merchantOrderId V-1, oriMerchantOrderId PA-AUTO-1\): applied, status SUCCESS, traceId \w+\n/);
		expect(description).toMatch(/- item 1 \(merchantOrderId FAIL-V-2, oriMerchantOrderId PA-AUTO-2\): refused, 50000001 Transaction declined, traceId \w+\n/);
		expect(description).toContain('1 item(s) were not sent: 2.');
	});

	it('with Continue On Fail every item is sent and carries its own outcome; there is no stopping error', async () => {
		const result = await runPayLoco(sandbox, merchant, cancel({ concurrency: 1 }), ['C-a', 'FAIL-C-b', 'C-c'].map((card) => ({ card })), { continueOnFail: true });
		expect(result.error).toBeUndefined();
		expect(result.items.map((i) => i.json.success)).toEqual([true, false, true]);
		expect(sandbox.requests).toHaveLength(3);
	});
});

describe('retries tell the whole story', () => {
	it('TIMEOUTDUP-: a timeout, then the retry refused as a duplicate, is an unknown outcome, not a refusal', async () => {
		const result = await runPayLoco(sandbox, merchant, cancel({ timeout: 1000 }), [{ card: 'TIMEOUTDUP-C-1' }], { continueOnFail: true });
		const json = result.items[0].json;
		expect(json).toMatchObject({ success: false, outcomeUnknown: true, fault: 'timeout', code: '40050001', attempts: 2, cardId: 'TIMEOUTDUP-C-1' });
		expect(String(json.error)).toMatch(
			/^The outcome of item 0 is unknown: an earlier attempt \(timeout\) may have been applied, and PayLoco now answers 40050001 Duplicate request: requestId n8n\w+ was already processed \[item 0\]$/,
		);
		const [first, second] = sandbox.requests;
		expect(json.attemptResults).toEqual([
			{ attempt: 1, fault: 'timeout' },
			{ attempt: 2, status: 'FAILED', code: '40050001', traceId: traceIdOf(second) },
		]);
		// The same ID both times, and the first attempt really was applied: that is the truth the item tells.
		expect(sentBody(second).requestId).toBe(sentBody(first).requestId);
		expect(sandbox.effects).toEqual([expect.objectContaining({ id: 'TIMEOUTDUP-C-1', requestKey: sentBody(first).requestId })]);
	}, 20_000);

	it('without Continue On Fail the error says the first attempt may have been applied, what PayLoco now answers, and to confirm', async () => {
		const params = { resource: 'payment', operation: 'preAuthVoid', merchantOrderId: 'TIMEOUTDUP-V-1', oriMerchantOrderId: 'PA-AUTO-TD', currency: 'USD', transAmt: '1.00', options: { timeout: 1000 } };
		const result = await runPayLoco(sandbox, merchant, params, [{}]);
		expect(result.error?.message).toMatch(/outcome of item 0 is unknown: an earlier attempt \(timeout\) may have been applied, and PayLoco now answers 40050001/);
		const description = String(result.error?.description);
		expect(description).toMatch(/^The first attempt may have been applied: PayLoco did not answer within the timeout/);
		expect(description).toMatch(/Retrying the same merchantOrderId then got: 40050001 Duplicate request: merchantOrderId TIMEOUTDUP-V-1 was already processed, traceId \w+/);
		expect(description).toContain('Confirm with Payment > Query Transaction for merchantOrderId TIMEOUTDUP-V-1 before acting again.');
		expect(description).toMatch(/Attempts: 1 timeout, 2 FAILED 40050001 \(traceId \w+\)\./);
		expect(description).toMatch(/- item 0 \(merchantOrderId TIMEOUTDUP-V-1, oriMerchantOrderId PA-AUTO-TD\): unknown, timeout, then the retry got 40050001 Duplicate request/);
		expect(sandbox.effects).toHaveLength(1);
	}, 20_000);

	it('a retry that succeeds lists both attempts on the item', async () => {
		const result = await runPayLoco(sandbox, merchant, cancel(), [{ card: 'FLAKY500-C-1' }]);
		expect(result.items[0].json).toMatchObject({ success: true, attempts: 2, attemptResults: [{ attempt: 1, fault: 'http', httpStatus: 500 }, { attempt: 2, status: 'SUCCESS', code: '00000000', traceId: expect.any(String) }] });
		expect(sandbox.effects).toHaveLength(1);
	});

	it('a single attempt carries no attemptResults', async () => {
		const result = await runPayLoco(sandbox, merchant, cancel(), [{ card: 'C-once' }]);
		expect(result.items[0].json.attemptResults).toBeUndefined();
	});
});
