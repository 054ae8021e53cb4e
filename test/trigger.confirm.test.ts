/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
// Confirm with PayLoco, in process: the Trigger's webhook() in n8n-core's real WebhookContext asks the
// sandbox with a Transaction Query signed by the PayLoco API credential's own authenticate (checked by
// openssl over the bytes the sandbox received), verifies the answer's signature, and lets a notification
// in only when this merchant has the order with the notified status. The sandbox tells a merchant only
// about its own orders. The same in real n8n 1.x and 2.x: test/e2e/trigger.e2e.test.ts.
import type { INodeParameters } from 'n8n-workflow';

import { startSandbox } from '../sandbox/server';
import type { NotifyOptions, Sandbox } from '../sandbox/server';
import { rsaKeyPair } from './helpers/keys';
import { sentBody, verifiedByOpenssl } from './helpers/payloco';
import { Receiver } from './helpers/triggerReceiver';
import type { Setup } from './helpers/triggerReceiver';

const ACK = '{"code":"00000000","message":"Success"}';
const NOT_CONFIRMED = '{"message":"Notification not confirmed"}';
const MERCHANT = 'M20230105586637';
const OTHER = 'M-ANOTHER-MERCHANT';

const merchant = rsaKeyPair();
let sandbox: Sandbox;
const receivers: Receiver[] = [];

beforeAll(async () => {
	// slowMs: a query named SLOW-… is answered only after a minute, far past the Trigger's bound.
	sandbox = await startSandbox({ merchantPublicKey: merchant.publicPem, notifyDelayMs: 60_000, slowMs: 60_000 });
});
afterAll(async () => {
	await Promise.all(receivers.map(async (r) => await r.close()));
	await sandbox.close();
});

const payLocoApi = () => ({
	environment: 'custom',
	baseUrl: sandbox.baseUrl,
	merchantId: MERCHANT,
	privateKey: merchant.pkcs8Pem,
	platformPublicKey: sandbox.platformPublicKeyBase64,
});

async function receiver(options: INodeParameters = { confirmWithPayLoco: true }, setup: Partial<Setup> = {}): Promise<Receiver> {
	const r = await new Receiver({ credentials: { payLocoApi: payLocoApi() }, parameters: { options }, ...setup }).start();
	receivers.push(r);
	return r;
}

let counter = 0;
/** A pre-authorization of `owner` and PayLoco's documented-style notification about it: it names no merchant. */
function order(owner = MERCHANT, prefix = 'PA') {
	const merchantOrderId = `${prefix}-${++counter}-${Date.now()}`;
	const created = sandbox.addPreAuth({ merchantOrderId, currency: 'USD', transAmt: '10.00', merchantId: owner });
	const notification = { id: `evt_${merchantOrderId}`, merchantOrderId, orderId: created.orderId, status: 'SUCCESS', notifyTime: new Date().toISOString() };
	return { merchantOrderId, notification };
}

const send = async (r: Receiver, payload: Record<string, unknown>, o: NotifyOptions = {}) => await sandbox.sendNotification(r.url, { payload, ...o });
const queriesFor = (merchantOrderId: string) =>
	sandbox.requests.filter((q) => q.path.endsWith('/v1/payments/open/api/query') && q.rawBody.toString('utf8').includes(merchantOrderId));

describe('Confirm with PayLoco', () => {
	it("lets in a notification about this merchant's order with the status PayLoco reports, with confirmed and the query's traceId", async () => {
		const r = await receiver();
		const { merchantOrderId, notification } = order();
		expect(await send(r, notification)).toEqual({ status: 200, body: ACK });
		expect(r.executions).toHaveLength(1);
		const [query] = queriesFor(merchantOrderId);
		// Signed with the merchant's own key over the exact bytes sent, with its own merchantId.
		expect(verifiedByOpenssl(query, merchant)).toBe(true);
		expect(sentBody(query)).toMatchObject({ merchantId: MERCHANT, merchantOrderId, transType: 'QUERY', accessType: 's2s' });
		const traceId = JSON.parse(query.response ?? '{}').traceId;
		expect(traceId).toEqual(expect.any(String));
		expect(r.executions[0][0][0].json).toMatchObject({ confirmed: true, queryTraceId: traceId, body: notification });
		// A resend of it is acknowledged without asking PayLoco again.
		expect(await send(r, notification)).toEqual({ status: 200, body: ACK });
		expect(queriesFor(merchantOrderId)).toHaveLength(1);
		expect(r.executions).toHaveLength(1);
		expect(r.warnings).toEqual([]);
	});

	it("refuses another merchant's genuinely signed notification (503, nothing started, reason logged); without the option it is let in", async () => {
		const { merchantOrderId, notification } = order(OTHER);
		const confirming = await receiver();
		expect(await send(confirming, notification)).toEqual({ status: 503, body: NOT_CONFIRMED });
		expect(confirming.executions).toHaveLength(0);
		expect(await confirming.saved()).toBe('{}');
		expect(confirming.warnings).toEqual([
			`PayLoco Trigger did not acknowledge a notification: not confirmed by PayLoco, PayLoco does not confirm merchantOrderId ${merchantOrderId} for merchant ${MERCHANT}: 40040001 Order ${merchantOrderId} not found`,
		]);
		// PayLoco resends it: refused again, never acknowledged.
		expect((await send(confirming, notification)).status).toBe(503);
		expect(confirming.executions).toHaveLength(0);
		// The documented gap without Confirm with PayLoco: the platform key signs every merchant's notifications.
		const trusting = await receiver({});
		expect(await send(trusting, notification)).toEqual({ status: 200, body: ACK });
		expect(trusting.executions).toHaveLength(1);
	});

	it('refuses a notification whose status PayLoco does not report, an unknown order, and one naming no order or no status', async () => {
		const r = await receiver();
		const { notification } = order();
		const cases: Array<[Record<string, unknown>, RegExp]> = [
			[{ ...notification, id: 'evt_status', status: 'FAILED' }, /reports status SUCCESS for merchantOrderId .*, the notification says FAILED/],
			[{ ...notification, id: 'evt_unknown', merchantOrderId: `NOPE-${Date.now()}`, orderId: undefined }, /does not confirm merchantOrderId NOPE-.*not found/],
			[{ id: 'evt_noorder', status: 'SUCCESS', traceId: 'T1', name: 'PAYMENT' }, /names no merchantOrderId or orderId/],
			[{ ...notification, id: 'evt_nostatus', status: undefined }, /names no status/],
		];
		for (const [payload, why] of cases) {
			expect({ why: String(why), ...(await send(r, payload)) }).toEqual({ why: String(why), status: 503, body: NOT_CONFIRMED });
		}
		expect(r.executions).toHaveLength(0);
		expect(r.warnings).toEqual(cases.map(([, why]) => expect.stringMatching(why)));
	});

	it("refuses when PayLoco's answer is not signed with the platform key, or its signature does not verify", async () => {
		const r = await receiver();
		for (const prefix of ['NOSIG', 'BADSIG']) {
			const { notification } = order(MERCHANT, prefix);
			expect(await send(r, notification)).toEqual({ status: 503, body: NOT_CONFIRMED });
		}
		expect(r.executions).toHaveLength(0);
		expect(r.warnings).toEqual([expect.stringMatching(/has no signature header/), expect.stringMatching(/failed signature verification/)]);
	});

	it('gives up on a query PayLoco does not answer in time: 503 well before the answer would come, nothing started', async () => {
		const r = await receiver();
		const merchantOrderId = `SLOW-${Date.now()}`;
		const started = Date.now();
		const reply = await send(r, { id: `evt_${merchantOrderId}`, merchantOrderId, status: 'SUCCESS' });
		const took = Date.now() - started;
		expect(reply).toEqual({ status: 503, body: NOT_CONFIRMED });
		expect(r.executions).toHaveLength(0);
		expect(r.warnings).toEqual([expect.stringMatching(/PayLoco did not answer the Transaction Query for merchantOrderId SLOW-\d+ within 3000 ms/)]);
		// Not a measurement: the sandbox would answer after 60 s.
		expect(took).toBeLessThan(60_000);
		console.log(`confirmation timeout: the Trigger answered 503 after ${took} ms; ${r.warnings[0]}`);
	});

	it('ten identical deliveries at once: all 200, one query, one execution', async () => {
		const r = await receiver();
		const { merchantOrderId, notification } = order();
		const replies = await Promise.all(Array.from({ length: 10 }, async () => await send(r, notification)));
		expect(replies).toEqual(Array(10).fill({ status: 200, body: ACK }));
		expect(r.executions).toHaveLength(1);
		expect(queriesFor(merchantOrderId)).toHaveLength(1);
	});

	it('confirms form notifications too, and names orderId alone when that is all the notification has', async () => {
		const r = await receiver({ confirmWithPayLoco: true }, { parameters: { verification: 'form', options: { confirmWithPayLoco: true } } });
		const { notification } = order();
		const { merchantOrderId, ...byOrderId } = notification;
		expect(await send(r, byOrderId, { style: 'form' })).toEqual({ status: 200, body: ACK });
		expect(r.executions[0][0][0].json).toMatchObject({ confirmed: true });
		expect(sentBody(sandbox.requests.at(-1)!)).toMatchObject({ orderId: notification.orderId });
		expect(sentBody(sandbox.requests.at(-1)!)).not.toHaveProperty('merchantOrderId');
		expect(merchantOrderId).toBeTruthy();
	});
});
