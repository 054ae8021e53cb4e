import { startSandbox } from '../sandbox/server';
import type { Sandbox } from '../sandbox/server';
import { rsaKeyPair } from './helpers/keys';
import { runPayLoco, sentBody, verifiedByOpenssl } from './helpers/payloco';

const merchant = rsaKeyPair();
let sandbox: Sandbox;

beforeAll(async () => {
	sandbox = await startSandbox({ merchantPublicKey: merchant.publicPem, notifyDelayMs: 50 });
});
afterAll(async () => sandbox.close());
beforeEach(() => sandbox.reset());

const MIN3 = 3 * 60 * 1000;
const hintsOf = (result: Awaited<ReturnType<typeof runPayLoco>>) => Object.values(result.runData).flat().flatMap((task) => task.hints ?? []);
const cancel = { resource: 'card', operation: 'cancel', cardId: '={{ $json.card }}', requestId: '={{ $json.req }}' };
const voidPreAuth = (extra: Record<string, unknown> = {}) => ({
	resource: 'payment',
	operation: 'preAuthVoid',
	merchantOrderId: '={{ $json.mo }}',
	oriMerchantOrderId: '={{ $json.ori }}',
	currency: 'USD',
	transAmt: '100.01',
	...extra,
});
const requestsFor = (field: string, id: string) => sandbox.requests.filter((r) => sentBody(r)[field] === id);
/** How far a sent time is from the sandbox's (shifted) clock when it arrived. */
const offGateway = (time: unknown, receivedAt: number) => Math.abs(Date.parse(String(time)) - (receivedAt + sandbox.clockOffsetMs()));

describe.each([
	['ahead of this server (this server +3 min behind)', MIN3],
	['behind this server (this server 3 min ahead)', -MIN3],
])('PayLoco clock %s', (_, offset) => {
	beforeEach(() => sandbox.setClockOffset(offset));

	it('every item succeeds after one correction: same ID, requestTime on PayLoco\'s clock, signed bytes verified; the run warns', async () => {
		const items = [1, 2, 3].map((n) => ({ card: `C-${n}`, req: `R-${offset}-${n}` }));
		const result = await runPayLoco(sandbox, merchant, { ...cancel, options: { concurrency: 2 } }, items);
		expect(result.error).toBeUndefined();
		for (const [n, item] of result.items.entries()) {
			expect(item.json).toMatchObject({ success: true, status: 'SUCCESS', cardId: `C-${n + 1}`, attempts: 2, clockCorrected: true });
			// The Date header has whole seconds and the round trip blurs it: the measured offset is within a few seconds.
			expect(Math.abs(Number(item.json.clockCorrectionMs) - offset)).toBeLessThan(5000);
			const sent = requestsFor('requestId', `R-${offset}-${n + 1}`);
			expect(sent.map((r) => r.outcome)).toEqual(['rejected:10010002', 'success']);
			expect(sent.every((r) => verifiedByOpenssl(r, merchant))).toBe(true);
			const [first, second] = sent.map(sentBody);
			expect(second.cardId).toBe(first.cardId);
			expect(offGateway(first.requestTime, sent[0].receivedAt)).toBeGreaterThan(2 * 60 * 1000);
			expect(offGateway(second.requestTime, sent[1].receivedAt)).toBeLessThan(5000);
			// The corrected time goes where the credential puts a stamped one: last, so the bodies differ only in it.
			expect(Object.keys(second)).toEqual(Object.keys(first));
			expect({ ...second, requestTime: '' }).toEqual({ ...first, requestTime: '' });
		}
		expect(sandbox.effects).toHaveLength(3);
		const hints = hintsOf(result);
		expect(hints).toEqual([expect.objectContaining({ type: 'warning' })]);
		const [, seconds, direction, shown] = /clock is (\d+) s (behind|ahead of) PayLoco's \(offset ([+-]\d+) s/.exec(hints[0].message) ?? [];
		expect(Math.abs(Number(seconds) - 180)).toBeLessThanOrEqual(5);
		expect(Number(shown)).toBe(Math.sign(offset) * Number(seconds));
		expect(direction).toBe(offset > 0 ? 'behind' : 'ahead of');
		expect(hints[0].message).toMatch(/more than 120 s off its clock\. 3 item\(s\) .* sent once more/);
	});

	it('a void with an empty Merchant Order Time gets both times on PayLoco\'s clock; Query is corrected too', async () => {
		const result = await runPayLoco(sandbox, merchant, voidPreAuth(), [{ mo: `V-${offset}`, ori: `PA-AUTO-${offset}` }]);
		expect(result.error).toBeUndefined();
		expect(result.items[0].json).toMatchObject({ success: true, status: 'SUCCESS', attempts: 2, clockCorrected: true });
		const sent = requestsFor('merchantOrderId', `V-${offset}`);
		expect(sent.map((r) => r.outcome)).toEqual(['rejected:10010002', 'success']);
		const second = sentBody(sent[1]);
		expect(offGateway(second.merchantOrderTime, sent[1].receivedAt)).toBeLessThan(5000);

		const q = await runPayLoco(sandbox, merchant, { resource: 'payment', operation: 'query', merchantOrderId: `V-${offset}` }, [{}]);
		expect(q.items[0].json).toMatchObject({ success: true, status: 'SUCCESS', attempts: 2, clockCorrected: true });
	});

	it('never changes a Merchant Order Time the user set: the corrected resend is refused for it, and the error says why', async () => {
		const mine = new Date().toISOString();
		const result = await runPayLoco(sandbox, merchant, voidPreAuth({ merchantOrderTime: mine }), [{ mo: `VU-${offset}`, ori: `PA-AUTO-U-${offset}` }], { continueOnFail: true });
		const sent = requestsFor('merchantOrderId', `VU-${offset}`);
		expect(sent.map((r) => r.outcome)).toEqual(['rejected:10010002', 'rejected:10010002']);
		expect(sent.map((r) => sentBody(r).merchantOrderTime)).toEqual([mine, mine]);
		expect(result.items[0].json).toMatchObject({ success: false, attempts: 2, clockCorrected: true, code: '10010002', message: expect.stringMatching(/^merchantOrderTime is outside/) });
		const stopped = await runPayLoco(sandbox, merchant, voidPreAuth({ merchantOrderTime: new Date().toISOString() }), [{ mo: `VS-${offset}`, ori: `PA-AUTO-S-${offset}` }]);
		expect(stopped.error?.description).toMatch(/never changes a Merchant Order Time you set/);
		expect(sandbox.effects).toHaveLength(0);
	});

	it('a refusal that stays is sent once more only (STALE- refuses every requestTime)', async () => {
		const result = await runPayLoco(sandbox, merchant, cancel, [{ card: 'STALE-C-1', req: `RS-${offset}` }], { continueOnFail: true });
		expect(requestsFor('requestId', `RS-${offset}`)).toHaveLength(2);
		expect(result.items[0].json).toMatchObject({ success: false, code: '10010002', attempts: 2, clockCorrected: true });
	});
});

describe('PayLoco clock under 30 s off', () => {
	beforeEach(() => sandbox.setClockOffset(20_000));

	it('no hint and no correction; a time refusal is then not resent', async () => {
		const ok = await runPayLoco(sandbox, merchant, cancel, [{ card: 'C-1', req: 'R20-1' }, { card: 'C-2', req: 'R20-2' }]);
		expect(ok.error).toBeUndefined();
		for (const item of ok.items) {
			expect(item.json).toMatchObject({ success: true, attempts: 1 });
			expect(item.json).not.toHaveProperty('clockCorrected');
		}
		expect(hintsOf(ok)).toEqual([]);
		const stale = await runPayLoco(sandbox, merchant, cancel, [{ card: 'STALE-C-2', req: 'R20-S' }], { continueOnFail: true });
		expect(requestsFor('requestId', 'R20-S')).toHaveLength(1);
		expect(stale.items[0].json).toMatchObject({ success: false, code: '10010002', attempts: 1 });
		expect(stale.items[0].json).not.toHaveProperty('clockCorrected');
		expect(hintsOf(stale)).toEqual([]);
	});
});
