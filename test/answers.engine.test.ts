import { startSandbox } from '../sandbox/server';
import type { Sandbox } from '../sandbox/server';
import { rsaKeyPair } from './helpers/keys';
import { runPayLoco, sentBody, STRICT, verifiedByOpenssl } from './helpers/payloco';

/**
 * The table of what an answer means (nodes/PayLoco/outcome.ts), row by row through n8n-core's
 * WorkflowExecute against the sandbox: an answer that may mean "applied" is never reported as
 * refused, and no output shows a status the gateway did not send. Each scenario's effect is checked
 * against the sandbox's own record of what it applied.
 */
const merchant = rsaKeyPair();
let sandbox: Sandbox;

beforeAll(async () => {
	sandbox = await startSandbox({ merchantPublicKey: merchant.publicPem, notifyDelayMs: 60_000, slowMs: 16_000, ...STRICT });
});
afterAll(async () => sandbox.close());
beforeEach(() => sandbox.reset());

const cancel = (extra: Record<string, unknown> = {}) => ({ resource: 'card', operation: 'cancel', cardId: '={{ $json.card }}', ...extra });
const voidOf = (extra: Record<string, unknown> = {}) => ({
	resource: 'payment',
	operation: 'preAuthVoid',
	merchantOrderId: '={{ $json.mo }}',
	oriMerchantOrderId: '={{ "PA-AUTO-" + $json.mo }}',
	currency: 'USD',
	transAmt: '10.00',
	...extra,
});
const hintsOf = (result: Awaited<ReturnType<typeof runPayLoco>>) => Object.values(result.runData).flat().flatMap((task) => task.hints ?? []);
const answered = (i: number) => JSON.parse(String(sandbox.requests[i].response)) as Record<string, unknown>;
const applied = () => sandbox.effects.map((e) => e.requestKey ?? e.id);

describe('answers that may mean "applied" are never refusals', () => {
	it('MIXED-: 00000003 with success false is pending, not refused (the card is cancelled)', async () => {
		const result = await runPayLoco(sandbox, merchant, cancel(), [{ card: 'MIXED-C-1' }], { continueOnFail: true });
		expect(answered(0)).toMatchObject({ success: false, errCode: '00000003', status: 'PENDING' });
		expect(result.items[0].json).toMatchObject({ success: true, code: '00000003', status: 'PENDING', traceId: answered(0).traceId });
		expect(sandbox.effects.map((e) => e.id)).toEqual(['MIXED-C-1']);
	});

	it.each([
		['PROCESSING-: 00000000 with status PROCESSING', 'PROCESSING-C-1', { fault: 'unclear', code: '00000000', status: 'PROCESSING' }],
		['UNSIGNEDNO-: an unsigned "Transaction declined"', 'UNSIGNEDNO-C-1', { fault: 'missingSignature' }],
		['CONFLICT409-: HTTP 409', 'CONFLICT409-C-1', { fault: 'http', httpStatus: 409 }],
	])('%s is an unknown outcome, sent once, and shows no status PayLoco did not send', async (_name, card, fields) => {
		const result = await runPayLoco(sandbox, merchant, cancel(), [{ card }], { continueOnFail: true });
		const json = result.items[0].json;
		expect(json).toMatchObject({ success: false, outcomeUnknown: true, attempts: 1, ...fields });
		if (!('status' in fields)) expect(json).not.toHaveProperty('status');
		expect(String(json.error)).not.toMatch(/refused/);
		expect(sandbox.requests).toHaveLength(1);
		// The gateway did apply it: "refused" would have been the worst answer.
		expect(sandbox.effects.map((e) => e.id)).toEqual([card]);
	});

	it('without Continue On Fail, the stopped run lists an unclear answer as unknown, not refused', async () => {
		const result = await runPayLoco(sandbox, merchant, cancel({ options: { concurrency: 1 } }), [{ card: 'C-1' }, { card: 'PROCESSING-C-2' }, { card: 'C-3' }]);
		expect(result.error?.message).toMatch(/^PayLoco's answer does not say whether the request was applied \(code 00000000, status PROCESSING, success true\); the outcome is unknown \[item 1\]$/);
		expect(result.error?.description).toMatch(/item 1 \(cardId PROCESSING-C-2[^)]*\): unknown, unclear/);
		expect(result.error?.description).toMatch(/item 0 \(cardId C-1[^)]*\): applied, status SUCCESS/);
		expect(result.error?.description).toMatch(/Check the card in PayLoco before acting again/);
	});

	it('EMPTYSTATUS-: an empty top-level status hides nothing: data.status SUCCESS is read (cancel and void)', async () => {
		const c = await runPayLoco(sandbox, merchant, cancel(), [{ card: 'EMPTYSTATUS-C-1' }]);
		expect(answered(0)).toMatchObject({ status: '', data: { status: 'SUCCESS' } });
		expect(c.items[0].json).toMatchObject({ success: true, status: 'SUCCESS' });
		const v = await runPayLoco(sandbox, merchant, voidOf(), [{ mo: 'EMPTYSTATUS-V-1' }]);
		expect(answered(1)).toMatchObject({ status: '', data: { status: 'SUCCESS' } });
		expect(v.items[0].json).toMatchObject({ success: true, status: 'SUCCESS', merchantOrderId: 'EMPTYSTATUS-V-1' });
	});

	it('SIGNED400-: a signed PayLoco body on HTTP 400 is read like any answer', async () => {
		const result = await runPayLoco(sandbox, merchant, cancel(), [{ card: 'SIGNED400-C-1' }]);
		expect(result.error).toBeUndefined();
		expect(result.items[0].json).toMatchObject({ success: true, status: 'SUCCESS', code: '00000000', traceId: answered(0).traceId });
		expect(applied()).toHaveLength(1);
	});

	it('an unsigned refusal of the request signature is still believed (nothing applied)', async () => {
		const result = await runPayLoco(sandbox, merchant, cancel(), [{ card: 'C-SIG' }], {
			continueOnFail: true,
			credentials: { privateKey: rsaKeyPair(2048, true).pkcs8Pem },
		});
		expect(result.items[0].json).toMatchObject({ success: false, code: '10010001', status: 'FAILED' });
		expect(result.items[0].json).not.toHaveProperty('outcomeUnknown');
		expect(sandbox.effects).toEqual([]);
	});
});

describe('the clock rule matches only requestTime refusals', () => {
	afterEach(() => sandbox.setClockOffset(0));

	it('EXPIRED- on a clock 45 s off: "Card expired" is a refusal, sent once, no correction, no requestTime hint', async () => {
		sandbox.setClockOffset(45_000);
		const result = await runPayLoco(sandbox, merchant, cancel(), [{ card: 'EXPIRED-C-1' }], { continueOnFail: true });
		expect(sandbox.requests).toHaveLength(1);
		expect(verifiedByOpenssl(sandbox.requests[0], merchant)).toBe(true);
		const json = result.items[0].json;
		expect(json).toMatchObject({ success: false, code: '30020003', message: 'Card EXPIRED-C-1 expired', status: 'FAILED', attempts: 1 });
		expect(json).not.toHaveProperty('clockCorrected');
		expect(String(json.error)).toBe('PayLoco refused item 0: 30020003 Card EXPIRED-C-1 expired');
		const hints = hintsOf(result).map((h) => h.message);
		expect(hints).toHaveLength(1);
		expect(hints[0]).toMatch(/clock is 4[4-6] s behind PayLoco's/);
		expect(hints[0]).not.toMatch(/refused for their requestTime/);
	});

	it('the offset is measured from when a request left, not from when it queued for a slot', async () => {
		// PayLoco 27 s ahead: under the 30 s hint. Item 1 waits about 14 s for the only slot, which
		// a slow Transaction Query of item 0's PENDING void holds; measured from the queue, the
		// offset would read about 7 s more than it is, and the run would warn.
		sandbox.setClockOffset(27_000);
		const parameters = voidOf({ options: { concurrency: 1, batchInterval: 3000, waitForFinal: true, maxWaitSeconds: 2, retry: false } });
		const result = await runPayLoco(sandbox, merchant, parameters, [{ mo: 'SLOWPOLL-V-1' }, { mo: 'V-2' }]);
		expect(result.error).toBeUndefined();
		expect(result.items.map((i) => i.json.status)).toEqual(['PENDING', 'SUCCESS']);
		const order = sandbox.requests.map((r) => `${r.path.split('/').pop()} ${String(sentBody(r).merchantOrderId)}`);
		expect(order).toEqual(['preAuthVoid SLOWPOLL-V-1', 'query SLOWPOLL-V-1', 'preAuthVoid V-2']);
		// V-2 arrived only after the query had been answered: it did wait for the slot.
		expect(sandbox.requests[2].receivedAt - sandbox.requests[1].receivedAt).toBeGreaterThanOrEqual(10_000);
		expect(hintsOf(result)).toEqual([]);
	});
});
