import { startSandbox } from '../sandbox/server';
import type { Sandbox } from '../sandbox/server';
import { rsaKeyPair } from './helpers/keys';
import { runPayLoco, sentBody, verifiedByOpenssl } from './helpers/payloco';
import { pollSchedule } from '../nodes/PayLoco/engine/waitForFinal';

const merchant = rsaKeyPair();
let sandbox: Sandbox;

beforeAll(async () => {
	// Pending voids settle 50 ms after they are accepted; the first query goes 2 s after the void's answer.
	sandbox = await startSandbox({ merchantPublicKey: merchant.publicPem, notifyDelayMs: 50, latencyMs: 20 });
});
afterAll(async () => sandbox.close());
beforeEach(() => sandbox.reset());

const QUERY_PATH = '/gateway/v1/payments/open/api/query';
const VOID_PATH = '/gateway/v1/payments/open/api/preAuthVoid';
const voidPreAuth = (options: Record<string, string | number | boolean> = { waitForFinal: true }) => ({
	resource: 'payment',
	operation: 'preAuthVoid',
	merchantOrderId: '={{ $json.mo }}',
	oriMerchantOrderId: '={{ $json.ori }}',
	currency: 'USD',
	transAmt: '100.01',
	options,
});
const queriesFor = (id: string) => sandbox.requests.filter((r) => r.path === QUERY_PATH && sentBody(r).merchantOrderId === id);

describe('the poll schedule', () => {
	it('starts at 2 s, grows to gaps of at most 10 s, and ends at the total wait', () => {
		expect(pollSchedule(60_000)).toEqual([2000, 5000, 9500, 16250, 26250, 36250, 46250, 56250, 60000]);
		expect(pollSchedule(1000)).toEqual([1000]);
		const longest = pollSchedule(300_000);
		expect(longest.at(-1)).toBe(300_000);
		expect(longest.length).toBeLessThan(40);
	});
});

describe('Wait for Final Status (Pre-Auth Void)', () => {
	it('a PENDING void resolved in time ends SUCCESS inside the run: query traceId and data, the void traceId, polls', async () => {
		const result = await runPayLoco(sandbox, merchant, voidPreAuth(), [{ mo: 'PENDING-W-1', ori: 'PA-AUTO-W-1' }]);
		expect(result.error).toBeUndefined();
		const json = result.items[0].json;
		expect(json).toMatchObject({
			success: true, status: 'SUCCESS', final: true, code: '00000000', merchantOrderId: 'PENDING-W-1', oriMerchantOrderId: 'PA-AUTO-W-1', attempts: 1,
			data: expect.objectContaining({ merchantOrderId: 'PENDING-W-1', orderId: expect.stringMatching(/^TR/) }),
		});
		const voids = sandbox.requests.filter((r) => r.path === VOID_PATH);
		const queries = queriesFor('PENDING-W-1');
		expect(voids.map((r) => r.outcome)).toEqual(['pending']);
		expect(queries.length).toBe(json.polls);
		expect(queries.at(-1)?.outcome).toBe('success');
		// Every query is signed like any request (openssl over the bytes received) and its answer verified.
		expect(queries.every((r) => r.signatureValid && verifiedByOpenssl(r, merchant))).toBe(true);
		expect(sentBody(queries[0])).toMatchObject({ transType: 'QUERY', accessType: 's2s', merchantOrderId: 'PENDING-W-1', merchantId: 'M20230105586637' });
		expect(json.voidTraceId).toEqual(expect.any(String));
		expect(json.traceId).not.toBe(json.voidTraceId);
		expect(sandbox.effects).toHaveLength(1);
	});

	it('still pending at the deadline: the item stays PENDING with final: false', async () => {
		const result = await runPayLoco(sandbox, merchant, voidPreAuth({ waitForFinal: true, maxWaitSeconds: 3 }), [{ mo: 'PENDINGSTUCK-W-2', ori: 'PA-AUTO-W-2' }]);
		expect(result.error).toBeUndefined();
		const json = result.items[0].json;
		expect(json).toMatchObject({ success: true, status: 'PENDING', code: '00000003', final: false, polls: 2 });
		expect(json.traceId).toBe(json.voidTraceId);
		expect(queriesFor('PENDINGSTUCK-W-2').map((r) => r.outcome)).toEqual(['pending', 'pending']);
	});

	it('resolved to FAILED: the item fails with the final status, both traceIds and polls', async () => {
		const kept = await runPayLoco(sandbox, merchant, voidPreAuth(), [{ mo: 'PENDINGFAIL-W-3', ori: 'PA-AUTO-W-3' }], { continueOnFail: true });
		expect(kept.error).toBeUndefined();
		expect(kept.items[0].json).toMatchObject({
			success: false, status: 'FAILED', final: true, voidTraceId: expect.any(String), traceId: expect.any(String), polls: expect.any(Number),
			merchantOrderId: 'PENDINGFAIL-W-3', error: expect.stringMatching(/^The void ended FAILED: .*merchantOrderId PENDINGFAIL-W-3 \[item 0\]$/),
		});
		expect(sandbox.effects).toHaveLength(0);

		const stopped = await runPayLoco(sandbox, merchant, voidPreAuth(), [{ mo: 'PENDINGFAIL-W-4', ori: 'PA-AUTO-W-4' }]);
		expect(stopped.error?.message).toMatch(/^The void ended FAILED/);
		expect(stopped.error?.description).toMatch(/first accepted as PENDING \(traceId \S+\); \d+ Transaction Quer(y|ies) later PayLoco reports FAILED/);
		// The stopped run's listing counts it as not applied, with the query's traceId.
		expect(stopped.error?.description).toMatch(/accepted PENDING, then ended FAILED after \d+ Transaction Queries/);
	});

	it('without the option, or for a void answered SUCCESS, nothing is queried', async () => {
		const off = await runPayLoco(sandbox, merchant, voidPreAuth({}), [{ mo: 'PENDING-W-5', ori: 'PA-AUTO-W-5' }]);
		expect(off.items[0].json).toMatchObject({ success: true, status: 'PENDING' });
		expect(off.items[0].json).not.toHaveProperty('final');
		const done = await runPayLoco(sandbox, merchant, voidPreAuth(), [{ mo: 'W-6', ori: 'PA-AUTO-W-6' }]);
		expect(done.items[0].json).toMatchObject({ success: true, status: 'SUCCESS' });
		expect(sandbox.requests.filter((r) => r.path === QUERY_PATH)).toHaveLength(0);
	});

	it('queries for many items stay within the node\'s concurrency, and every item is followed to its end', async () => {
		const items = Array.from({ length: 6 }, (_, n) => ({ mo: `${n % 3 === 2 ? 'PENDINGFAIL' : 'PENDING'}-M-${n}`, ori: `PA-AUTO-M-${n}` }));
		const result = await runPayLoco(sandbox, merchant, voidPreAuth({ waitForFinal: true, concurrency: 2 }), items, { continueOnFail: true });
		expect(result.items.map((i) => [i.json.merchantOrderId, i.json.status, i.json.final])).toEqual(
			items.map((item, n) => [item.mo, n % 3 === 2 ? 'FAILED' : 'SUCCESS', true]),
		);
		expect(result.items.map((i) => i.pairedItem)).toEqual(items.map((_, n) => ({ item: n })));
		expect(sandbox.peakInFlight()).toBeLessThanOrEqual(2);
	});
});
