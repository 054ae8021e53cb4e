/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
import type { KeyObject } from 'node:crypto';

import type { INodeParameters } from 'n8n-workflow';

import { startSandbox } from '../sandbox/server';
import type { RequestRecord, Sandbox } from '../sandbox/server';
import { rsaKeyPair } from './helpers/keys';
import type { TestKeyPair } from './helpers/keys';
import { runPayLoco, sentBody, STRICT, verifiedByOpenssl } from './helpers/payloco';

/**
 * Safe retries and throughput, in-process: the compiled node inside n8n-core's WorkflowExecute
 * against the sandbox on 127.0.0.1. A retry is the same request (same ID) with a fresh
 * requestTime and signature, applied once; output order follows input order at any concurrency.
 */

// The real module object: the compiled node's `(0, node_crypto_1.createPrivateKey)(...)` reads its
// property at call time, so a spy on it sees the node's calls (`import * as` would give a copy).
const nodeCrypto = require('node:crypto') as typeof import('node:crypto');

const merchant = rsaKeyPair();
const TWO_MINUTES = 2 * 60 * 1000;
let sandbox: Sandbox;

beforeAll(async () => {
	sandbox = await startSandbox({ merchantPublicKey: merchant.publicPem, slowMs: 2500, ...STRICT });
});
afterAll(async () => sandbox.close());
beforeEach(() => sandbox.reset());

const cancel = (options: INodeParameters = {}) => ({ resource: 'card', operation: 'cancel', cardId: '={{ $json.card }}', options });
const voidParams = (options: INodeParameters = {}) => ({
	resource: 'payment',
	operation: 'preAuthVoid',
	merchantOrderId: '={{ $json.order }}',
	oriMerchantOrderId: '={{ $json.preauth }}',
	currency: 'USD',
	transAmt: '10.00',
	options,
});

const requestTimeOf = (record: RequestRecord) => Date.parse(String(sentBody(record).requestTime));

/** Every check a retried item must pass, given all requests the sandbox recorded for it. */
function expectSafeRetry(records: RequestRecord[], idField: 'requestId' | 'merchantOrderId', firstOutcome: string, signer: TestKeyPair = merchant) {
	expect(records.map((r) => r.outcome)).toEqual([firstOutcome, 'success']);
	const bodies = records.map(sentBody);
	// The same request for PayLoco: same ID, and for a void the same order time.
	expect(bodies[1][idField]).toBe(bodies[0][idField]);
	if (idField === 'merchantOrderId') expect(bodies[1].merchantOrderTime).toBe(bodies[0].merchantOrderTime);
	// A fresh requestTime per attempt, stamped just before that attempt was sent.
	// An order, not a time limit (a loaded machine may take any time between stamp and arrival):
	// each attempt was stamped before it arrived, and the retry after the first attempt had arrived.
	const [first, second] = records.map(requestTimeOf);
	expect(second).toBeGreaterThan(first);
	expect(second).toBeGreaterThanOrEqual(records[0].receivedAt);
	for (const record of records) {
		expect(record.receivedAt - requestTimeOf(record)).toBeGreaterThanOrEqual(-5);
		// Signed anew over exactly the bytes that attempt carried.
		expect(record.signatureValid).toBe(true);
		expect(verifiedByOpenssl(record, signer)).toBe(true);
	}
	expect(records[1].headers.signature).not.toBe(records[0].headers.signature);
}

const FLAKY: Array<[string, string, INodeParameters]> = [
	['FLAKY500', 'fault:ERR500', {}],
	['FLAKY429', 'fault:RATE429', {}],
	['FLAKYRESET', 'fault:RESET', {}],
	// The sandbox holds the first attempt for slowMs (2.5 s); the node gives up after 1 s.
	['FLAKYSLOW', 'fault:FLAKYSLOW', { timeout: 1000 }],
];

describe('a transient failure on the first attempt is retried once, safely', () => {
	it.each(FLAKY)('%s: Cancel Card succeeds on attempt 2, the card is cancelled once', async (prefix, firstOutcome, options) => {
		const cards = [`${prefix}-C-1`, 'C-plain', `${prefix}-C-2`];
		const result = await runPayLoco(sandbox, merchant, cancel({ concurrency: 3, ...options }), cards.map((card) => ({ card })));
		expect(result.error).toBeUndefined();
		expect(result.items.map((item) => item.json)).toEqual([
			expect.objectContaining({ success: true, status: 'SUCCESS', cardId: cards[0], attempts: 2 }),
			expect.objectContaining({ success: true, status: 'SUCCESS', cardId: cards[1], attempts: 1 }),
			expect.objectContaining({ success: true, status: 'SUCCESS', cardId: cards[2], attempts: 2 }),
		]);
		expect(result.items.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		for (const [i, card] of cards.entries()) {
			const records = sandbox.requests.filter((r) => sentBody(r).cardId === card);
			if (i !== 1) expectSafeRetry(records, 'requestId', firstOutcome);
			expect(records.every((r) => sentBody(r).requestId === result.items[i].json.requestId)).toBe(true);
			expect(sandbox.effects.filter((e) => e.id === card)).toHaveLength(1);
		}
		expect(sandbox.effects).toHaveLength(3);
		if (prefix === 'FLAKY429') {
			// Retry-After: 1 is honoured, not the shorter exponential backoff.
			const [first, second] = sandbox.requests.filter((r) => sentBody(r).cardId === cards[0]);
			expect(second.receivedAt - first.receivedAt).toBeGreaterThanOrEqual(990);
		}
	});

	it.each(FLAKY)('%s: Pre-Auth Void succeeds on attempt 2 with the same merchantOrderId and order time, voided once', async (prefix, firstOutcome, options) => {
		const items = [1, 2].map((n) => ({ order: `${prefix}-V-${n}`, preauth: `PA-AUTO-${prefix}-${n}` }));
		const result = await runPayLoco(sandbox, merchant, voidParams({ concurrency: 2, ...options }), items);
		expect(result.error).toBeUndefined();
		expect(result.items.map((item) => item.json)).toEqual(
			items.map(({ order, preauth }) =>
				expect.objectContaining({ success: true, status: 'SUCCESS', merchantOrderId: order, oriMerchantOrderId: preauth, attempts: 2 }),
			),
		);
		for (const { order, preauth } of items) {
			expectSafeRetry(sandbox.requests.filter((r) => sentBody(r).merchantOrderId === order), 'merchantOrderId', firstOutcome);
			expect(sandbox.effects.filter((e) => e.id === preauth)).toEqual([expect.objectContaining({ kind: 'preAuthVoided', requestKey: order })]);
		}
	});
});

describe('what is not retried, and how far retries go', () => {
	it('a business failure (FAIL-) is not retried: one request', async () => {
		const result = await runPayLoco(sandbox, merchant, cancel(), [{ card: 'FAIL-C-1' }], { continueOnFail: true });
		expect(result.items[0].json).toMatchObject({ success: false, code: '50000001', attempts: 1 });
		expect(sandbox.requests).toHaveLength(1);
		expect(sandbox.effects).toHaveLength(0);
	});

	it('with retries off, a transient failure is one attempt and an error', async () => {
		const result = await runPayLoco(sandbox, merchant, cancel({ retry: false }), [{ card: 'FLAKY500-C-off' }]);
		expect(result.error?.message).toMatch(/answered HTTP 500 \[item 0\]/);
		expect(result.error?.message).not.toMatch(/attempts/);
		expect(sandbox.requests).toHaveLength(1);
		expect(sandbox.effects).toHaveLength(0);

		sandbox.reset();
		const kept = await runPayLoco(sandbox, merchant, cancel({ retry: false }), [{ card: 'FLAKY500-C-off2' }], { continueOnFail: true });
		expect(kept.items[0].json).toMatchObject({ success: false, fault: 'http', httpStatus: 500, attempts: 1 });
		expect(sandbox.requests).toHaveLength(1);
	});

	it.each([1, 2, 4])('maxAttempts %i bounds the attempts on a gateway that always answers 503', async (maxAttempts) => {
		const result = await runPayLoco(sandbox, merchant, cancel({ maxAttempts }), [{ card: 'ERR503-C-1' }], { continueOnFail: true });
		expect(result.items[0].json).toMatchObject({ success: false, httpStatus: 503, attempts: maxAttempts });
		if (maxAttempts > 1) expect(String(result.items[0].json.error)).toContain(`after ${maxAttempts} attempts`);
		expect(sandbox.requests).toHaveLength(maxAttempts);
		expect(new Set(sandbox.requests.map((r) => sentBody(r).requestId)).size).toBe(1);
		expect(new Set(sandbox.requests.map((r) => sentBody(r).requestTime)).size).toBe(maxAttempts);
		expect(sandbox.effects).toHaveLength(0);
	}, 15_000);
});

describe('order at concurrency 8', () => {
	let uneven: Sandbox;
	beforeAll(async () => {
		uneven = await startSandbox({ merchantPublicKey: merchant.publicPem, slowMs: 150, latencyMs: 2, ...STRICT });
	});
	afterAll(async () => uneven.close());

	it('output and pairedItem follow input order even when items finish out of order', async () => {
		// Every third item is slow (150 ms), every fifth is retried after a 500, one is declined.
		const cards = Array.from({ length: 40 }, (_, i) =>
			i === 17 ? 'FAIL-C-17' : i % 3 === 0 ? `SLOW-C-${i}` : i % 5 === 0 ? `FLAKY500-C-${i}` : `C-${i}`,
		);
		const result = await runPayLoco(uneven, merchant, cancel({ concurrency: 8 }), cards.map((card) => ({ card })), { continueOnFail: true });
		expect(result.error).toBeUndefined();
		expect(result.items.map((item) => item.json.cardId)).toEqual(cards);
		expect(result.items.map((item) => item.pairedItem)).toEqual(cards.map((_, item) => ({ item })));
		expect(result.items.map((item) => item.json.success)).toEqual(cards.map((card) => !card.startsWith('FAIL-')));
		// The test means something only if the sandbox really applied them out of input order.
		const applied = uneven.effects.map((e) => e.id);
		expect(applied).toHaveLength(39);
		expect(applied).not.toEqual(cards.filter((card) => !card.startsWith('FAIL-')));
	});
});

describe('1,000 items at concurrency 8', () => {
	let volume: Sandbox;
	beforeAll(async () => {
		volume = await startSandbox({ merchantPublicKey: merchant.publicPem, latencyMs: 3, ...STRICT });
	});
	afterAll(async () => volume.close());
	beforeEach(() => volume.reset());

	const expectFresh = (record: RequestRecord, field: 'requestTime' | 'merchantOrderTime') => {
		const stamped = Date.parse(String(sentBody(record)[field]));
		expect(Number.isNaN(stamped)).toBe(false);
		if (Math.abs(record.receivedAt - stamped) >= TWO_MINUTES) {
			throw new Error(`${field} ${String(sentBody(record)[field])} is ${record.receivedAt - stamped} ms from its receipt`);
		}
	};

	it('Cancel Card: every requestTime within 2 minutes of its receipt, one effect per item', async () => {
		const cards = Array.from({ length: 1000 }, (_, i) => `C-VOL-${i}`);
		const result = await runPayLoco(volume, merchant, cancel({ concurrency: 8 }), cards.map((card) => ({ card })), { executionId: 'volume-cancel' });
		expect(result.error).toBeUndefined();
		expect(result.items.map((item) => item.json.cardId)).toEqual(cards);
		expect(result.items.every((item) => item.json.success === true && item.json.attempts === 1)).toBe(true);
		expect(volume.requests).toHaveLength(1000);
		for (const record of volume.requests) expectFresh(record, 'requestTime');
		expect(volume.requests.every((r) => r.outcome === 'success')).toBe(true);
		expect(new Set(volume.effects.map((e) => e.id)).size).toBe(1000);
		expect(volume.effects).toHaveLength(1000);
	}, 120_000);

	it('Pre-Auth Void: every requestTime and merchantOrderTime within 2 minutes of its receipt, one void per item', async () => {
		const items = Array.from({ length: 1000 }, (_, i) => ({ order: `V-VOL-${i}`, preauth: `PA-AUTO-VOL-${i}` }));
		const result = await runPayLoco(volume, merchant, voidParams({ concurrency: 8 }), items, { executionId: 'volume-void' });
		expect(result.error).toBeUndefined();
		expect(result.items.map((item) => item.json.merchantOrderId)).toEqual(items.map((item) => item.order));
		expect(result.items.every((item) => item.json.success === true)).toBe(true);
		expect(volume.requests).toHaveLength(1000);
		for (const record of volume.requests) {
			expectFresh(record, 'requestTime');
			expectFresh(record, 'merchantOrderTime');
		}
		expect(volume.requests.every((r) => r.outcome === 'success')).toBe(true);
		expect(volume.effects).toHaveLength(1000);
		expect(new Set(volume.effects.map((e) => e.id)).size).toBe(1000);
	}, 120_000);
});

describe('the merchant key is parsed once per execution', () => {
	// A key no other test used, so the signing module's process-wide cache cannot already hold it.
	const fresh = rsaKeyPair(2048, true);
	let own: Sandbox;
	beforeAll(async () => {
		own = await startSandbox({ merchantPublicKey: fresh.publicPem, ...STRICT });
	});
	afterAll(async () => own.close());

	it('one createPrivateKey call for 50 items and their retries, and every request signed with that one KeyObject', async () => {
		const parse = jest.spyOn(nodeCrypto, 'createPrivateKey');
		const sign = jest.spyOn(nodeCrypto, 'sign');
		let signers: unknown[][];
		try {
			const cards = Array.from({ length: 50 }, (_, i) => (i % 10 === 0 ? `FLAKY500-C-${i}` : `C-${i}`));
			const result = await runPayLoco(own, fresh, cancel({ concurrency: 8 }), cards.map((card) => ({ card })));
			expect(result.error).toBeUndefined();
			expect(own.requests).toHaveLength(55);
			// The sandbox runs in this process too, but holds KeyObjects made before the spy.
			expect(parse).toHaveBeenCalledTimes(1);
			signers = sign.mock.calls;
		} finally {
			parse.mockRestore();
			sign.mockRestore();
		}
		// The sandbox's answers are signed here as well (with the platform key): keep the merchant's.
		const merchantPublic = fresh.publicKey.export({ format: 'der', type: 'spki' });
		const isMerchant = (key: unknown) =>
			(key as KeyObject)?.type === 'private' &&
			nodeCrypto.createPublicKey(key as KeyObject).export({ format: 'der', type: 'spki' }).equals(merchantPublic);
		const merchantKeys = signers.map((args) => args[2]).filter(isMerchant);
		expect(merchantKeys).toHaveLength(55);
		expect(new Set(merchantKeys).size).toBe(1);
		expect(own.requests.every((r) => verifiedByOpenssl(r, fresh))).toBe(true);

		// A second execution with the same credential finds the parsed key in the cache.
		own.reset();
		const again = jest.spyOn(nodeCrypto, 'createPrivateKey');
		try {
			const result = await runPayLoco(own, fresh, cancel(), [{ card: 'C-again' }], { executionId: 'second-execution' });
			expect(result.error).toBeUndefined();
			expect(again).not.toHaveBeenCalled();
		} finally {
			again.mockRestore();
		}
	});
});
