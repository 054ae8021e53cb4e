/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
/**
 * The two example workflows in examples/, exactly as shipped, in real n8n 1.x and 2.x: one
 * long-running `n8n start` per line with both imported and activated, alerts POSTed to their
 * webhooks as an alert sender would. What is checked is what a sender that reads only the HTTP
 * status learns, against what the sandbox did to the card or the pre-authorization:
 *
 *   200  applied, or applied earlier (a resend that PayLoco answers "already cancelled / voided");
 *   400  the alert lacks its card / order ID (or a field is malformed): nothing reaches PayLoco;
 *   422  PayLoco refused: nothing applied;
 *   503 + Retry-After  pending or outcome unknown: the sender sends the same alert again.
 *
 * The sandbox runs without idempotent replays (a repeated ID is processed afresh, as PayLoco
 * may), so a resend that cancelled a second time would show. Every request's signature is
 * checked with the openssl command line over the bytes that crossed the socket.
 *
 * Needs `npm run build` (dist/ is what gets packed) and the n8n runtimes (PAYLOCO_E2E_CACHE).
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { startSandbox } from '../../sandbox/server';
import type { Sandbox } from '../../sandbox/server';
import { rsaKeyPair } from '../helpers/keys';
import { sandboxCredentials, sentBody, STRICT, verifiedByOpenssl } from '../helpers/payloco';
import { N8nHome, packPackage } from '../../e2e/harness/n8n';
import type { N8nLine } from '../../e2e/harness/n8n';
import type { N8nServer } from '../../e2e/harness/server';
import { chargeback, EXAMPLE_CREDENTIAL, HOOK_CREDENTIAL, HOOK_HEADER, voidExample } from './examples';

const HOOK_KEY = randomBytes(24).toString('base64url');
const CREDENTIAL = EXAMPLE_CREDENTIAL;

const merchant = rsaKeyPair();
let sandbox: Sandbox;
let tmp: string;
let tgz: string;

beforeAll(async () => {
	sandbox = await startSandbox({ merchantPublicKey: merchant.publicPem, notifyDelayMs: 300, ...STRICT });
	tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'payloco-examples-e2e-'));
	tgz = packPackage(tmp);
}, 60_000);

afterAll(async () => {
	await sandbox?.close();
	if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

interface Answer {
	status: number;
	retryAfter: string | null;
	json: Record<string, unknown>;
}

const idOf = (r: { rawBody: Buffer }) => {
	const body = sentBody(r);
	return String(body.cardId ?? body.merchantOrderId);
};

describe.each([1, 2] as N8nLine[])('the example workflows answer their senders truthfully in real n8n %i.x', (line) => {
	const tag = `X${line}`;
	let home: N8nHome;
	let server: N8nServer;

	const post = async (hookPath: string, body: object, auth: Record<string, string> = { [HOOK_HEADER]: HOOK_KEY }): Promise<Answer> => {
		const res = await fetch(`${server.url}/webhook/${hookPath}`, {
			method: 'POST',
			headers: { 'content-type': 'application/json', ...auth },
			body: JSON.stringify(body),
		});
		const text = await res.text();
		let json: Record<string, unknown>;
		try {
			json = JSON.parse(text);
		} catch {
			json = { text };
		}
		return { status: res.status, retryAfter: res.headers.get('retry-after'), json };
	};
	const alert = (body: object) => post('payloco-chargeback-alert', body);
	const order = (body: object) => post('payloco-order-cancelled', body);
	/** What the sandbox received for one card / void order, in order, each with its signature checked by openssl. */
	const seen = (id: string) => {
		const records = sandbox.requests.filter((r) => r.rawBody.length && idOf(r) === id);
		for (const r of records) expect({ id, signed: verifiedByOpenssl(r, merchant) }).toEqual({ id, signed: true });
		return records.map((r) => `${r.path.split('/').pop()} ${String(sentBody(r).requestId ?? sentBody(r).merchantOrderId)}`);
	};
	const effects = (id: string) => sandbox.effects.filter((e) => e.id === id).map((e) => e.requestKey);

	beforeAll(async () => {
		if (!tgz) throw new Error('no package to install (see the first error)');
		home = await N8nHome.create(line, { packageTgz: tgz });
		await home.importCredentials([
			{ ...CREDENTIAL, type: 'payLocoApi', data: sandboxCredentials(sandbox, merchant) },
			{ ...HOOK_CREDENTIAL, type: 'httpHeaderAuth', data: { name: HOOK_HEADER, value: HOOK_KEY } },
		]);
		// Imported and activated with n8n's CLI, as an operator deploying the examples would (one
		// import for both: each CLI command boots a whole n8n).
		await home.importWorkflow([chargeback, voidExample]);
		await home.activateWorkflow(chargeback.id);
		await home.activateWorkflow(voidExample.id);
		server = await home.start();
	}, 300_000);

	afterAll(async () => {
		await home?.dispose();
	}, 60_000);

	test('strangers get 403 from n8n\'s Header Auth before anything runs: no header, a wrong value, the key under another name', async () => {
		sandbox.reset();
		const strangers: Array<Record<string, string>> = [
			{},
			{ [HOOK_HEADER]: `${HOOK_KEY}x` },
			{ [HOOK_HEADER]: '' },
			{ 'X-Other-Key': HOOK_KEY },
			{ authorization: `Bearer ${HOOK_KEY}` },
		];
		for (const auth of strangers) {
			const cancel = await post('payloco-chargeback-alert', { alertId: `ALERT-${tag}-0`, cardId: `CARD-${tag}-00` }, auth);
			const voided = await post('payloco-order-cancelled', { orderId: `ORD-${tag}-0`, preAuthOrderId: `PA-AUTO-${tag}-ex0`, currency: 'USD', amount: '100.01' }, auth);
			expect({ auth: Object.keys(auth), cancel: cancel.status, voided: voided.status }).toEqual({ auth: Object.keys(auth), cancel: 403, voided: 403 });
		}
		expect(sandbox.requests).toEqual([]);
		expect(sandbox.effects).toEqual([]);
	}, 120_000);

	test('chargeback: applied 200, refused 422, pending / unknown 503 and a resend 200, missing ID 400 with nothing sent', async () => {
		// Applied: 200 with status and traceId; the alert's ID is the request ID.
		const card = `CARD-${tag}-1`;
		const applied = await alert({ alertId: `ALERT-${tag}-1`, cardId: card });
		expect(applied).toEqual({
			status: 200,
			retryAfter: null,
			json: expect.objectContaining({ outcome: 'applied', cardId: card, requestId: `ALERT-${tag}-1`, status: 'SUCCESS', traceId: expect.stringMatching(/\S/) }),
		});
		// The same alert again (a sender that did not get the first answer): the node's record says
		// the card was cancelled, so nothing is sent: 200, applied earlier. Cancelled once.
		const again = await alert({ alertId: `ALERT-${tag}-1`, cardId: card });
		expect(again).toEqual({
			status: 200,
			retryAfter: null,
			json: expect.objectContaining({ outcome: 'appliedEarlier', cardId: card, requestId: `ALERT-${tag}-1`, status: 'SUCCESS' }),
		});
		expect(seen(card)).toEqual([`cancel ALERT-${tag}-1`]);
		expect(effects(card)).toEqual([`ALERT-${tag}-1`]);

		// Refused: 422 with PayLoco's code, message and traceId; the card is not cancelled.
		const declined = `FAIL-${tag}-2`;
		const refused = await alert({ alertId: `ALERT-${tag}-2`, cardId: declined });
		expect(refused).toEqual({
			status: 422,
			retryAfter: null,
			json: expect.objectContaining({ outcome: 'refused', cardId: declined, status: 'FAILED', code: '50000001', traceId: expect.stringMatching(/\S/) }),
		});
		expect(effects(declined)).toEqual([]);

		// Unknown: the card was cancelled, but the answer's signature does not verify, so nobody can
		// know: 503 + Retry-After. A resend gets PayLoco's "already cancelled", but signed just as
		// badly, so it is still unknown: never 200 on an answer that cannot be trusted, never a
		// second cancellation.
		const unverifiable = `BADSIG-${tag}-3`;
		const unknown = await alert({ alertId: `ALERT-${tag}-3`, cardId: unverifiable });
		expect(unknown).toEqual({
			status: 503,
			retryAfter: '60',
			json: expect.objectContaining({ outcome: 'unknown', cardId: unverifiable, requestId: `ALERT-${tag}-3`, fault: 'badSignature' }),
		});
		const resent = await alert({ alertId: `ALERT-${tag}-3`, cardId: unverifiable });
		expect(resent).toEqual({ status: 503, retryAfter: '60', json: expect.objectContaining({ outcome: 'unknown', fault: 'badSignature' }) });
		expect(seen(unverifiable)).toEqual([`cancel ALERT-${tag}-3`, `cancel ALERT-${tag}-3`]);
		expect(effects(unverifiable)).toEqual([`ALERT-${tag}-3`]);

		// Unknown, not applied: the gateway answered HTTP 503 to every attempt (the node's retries
		// included). The sender is told to send again, not that it is done or refused.
		const down = `ERR503-${tag}-4`;
		const unavailable = await alert({ alertId: `ALERT-${tag}-4`, cardId: down });
		expect(unavailable).toEqual({
			status: 503,
			retryAfter: '60',
			json: expect.objectContaining({ outcome: 'unknown', cardId: down, fault: 'http' }),
		});
		expect(seen(down).every((s) => s === `cancel ALERT-${tag}-4`)).toBe(true);
		expect(effects(down)).toEqual([]);

		// Pending: accepted, still processing: 503. The sender's resend (same alert) is sent again under
		// the same ID (a PENDING answer is not recorded as applied); PayLoco's "already cancelled" to
		// a request sent before is the truth about the card: applied earlier.
		const slow = `PENDING-${tag}-5`;
		const pending = await alert({ alertId: `ALERT-${tag}-5`, cardId: slow });
		expect(pending).toEqual({
			status: 503,
			retryAfter: '60',
			json: expect.objectContaining({ outcome: 'pending', cardId: slow, status: 'PENDING', traceId: expect.stringMatching(/\S/) }),
		});
		expect((await alert({ alertId: `ALERT-${tag}-5`, cardId: slow })).json.outcome).toBe('appliedEarlier');
		expect(effects(slow)).toEqual([`ALERT-${tag}-5`]);

		// Missing or malformed IDs: 400, and nothing reaches PayLoco.
		const before = sandbox.requests.length;
		const noCard = await alert({ alertId: `ALERT-${tag}-6`, reason: 'chargeback' });
		expect(noCard).toEqual({ status: 400, retryAfter: null, json: expect.objectContaining({ outcome: 'invalid', sent: false }) });
		const blankCard = await alert({ alertId: `ALERT-${tag}-7`, cardId: '  ' });
		expect(blankCard.status).toBe(400);
		const noAlertId = await alert({ cardId: `CARD-${tag}-8` });
		expect(noAlertId).toEqual({ status: 400, retryAfter: null, json: expect.objectContaining({ outcome: 'invalid', sent: false }) });
		const tooLong = await alert({ alertId: `ALERT-${tag}-9`, cardId: 'C'.repeat(80) });
		expect(tooLong).toEqual({
			status: 400,
			retryAfter: null,
			json: expect.objectContaining({ outcome: 'invalid', sent: false, field: 'cardId', error: expect.stringMatching(/80 characters/) }),
		});
		expect(sandbox.requests.length).toBe(before);

		const executions = await home.waitForExecutions(chargeback.id, 12);
		expect(executions.map((e) => e.status)).toEqual(Array(12).fill('success'));
	}, 240_000);

	test('void: applied 200 (directly, or after waiting for the final status), refused 422, still pending / unknown 503, no orderId 400 with nothing sent', async () => {
		const body = (orderId: string | undefined, n: number) => ({ orderId, preAuthOrderId: `PA-AUTO-${tag}-${n}`, currency: 'USD', amount: '100.01', reason: '客户取消订单' });

		const direct = await order(body(`ORD-${tag}-1`, 1));
		expect(direct).toEqual({
			status: 200,
			retryAfter: null,
			json: expect.objectContaining({ outcome: 'applied', merchantOrderId: `ORD-${tag}-1-VOID`, status: 'SUCCESS', traceId: expect.stringMatching(/\S/) }),
		});
		// The same message again: the node's record says it was voided, nothing is sent: 200, applied earlier; voided once.
		const sentBefore = sandbox.requests.length;
		const again = await order(body(`ORD-${tag}-1`, 1));
		expect(again).toEqual({ status: 200, retryAfter: null, json: expect.objectContaining({ outcome: 'appliedEarlier', status: 'SUCCESS' }) });
		expect(sandbox.requests.length).toBe(sentBefore);
		expect(effects(`PA-AUTO-${tag}-1`)).toEqual([`ORD-${tag}-1-VOID`]);

		// PENDING, then SUCCESS within the wait: Wait for Final Status answers the final status.
		const waited = await order(body(`PENDING-${tag}-2`, 2));
		expect(waited).toEqual({
			status: 200,
			retryAfter: null,
			json: expect.objectContaining({ outcome: 'applied', status: 'SUCCESS', voidTraceId: expect.stringMatching(/\S/), traceId: expect.stringMatching(/\S/) }),
		});
		expect(seen(`PENDING-${tag}-2-VOID`)[0]).toBe(`preAuthVoid PENDING-${tag}-2-VOID`);
		expect(seen(`PENDING-${tag}-2-VOID`).slice(1).every((s) => s === `query PENDING-${tag}-2-VOID`)).toBe(true);

		// Refused at once, and refused after waiting (PENDING, then FAILED): 422, funds not released.
		const refused = await order(body(`FAIL-${tag}-3`, 3));
		expect(refused).toEqual({ status: 422, retryAfter: null, json: expect.objectContaining({ outcome: 'refused', code: '50000001', traceId: expect.stringMatching(/\S/) }) });
		const failedLater = await order(body(`PENDINGFAIL-${tag}-4`, 4));
		expect(failedLater).toEqual({
			status: 422,
			retryAfter: null,
			json: expect.objectContaining({ outcome: 'refused', status: 'FAILED', voidTraceId: expect.stringMatching(/\S/) }),
		});

		// Still PENDING when the example's 20 s Max Wait ends: 503, send again later.
		const stuck = await order(body(`PENDINGSTUCK-${tag}-5`, 5));
		expect(stuck).toEqual({ status: 503, retryAfter: '60', json: expect.objectContaining({ outcome: 'pending', status: 'PENDING', final: false }) });

		// Unknown (an HTML page instead of PayLoco's answer): 503.
		const unknown = await order(body(`HTML-${tag}-6`, 6));
		expect(unknown).toEqual({ status: 503, retryAfter: '60', json: expect.objectContaining({ outcome: 'unknown', fault: 'html' }) });

		// No orderId: 400, and no "undefined-VOID" (or anything else) reaches PayLoco.
		const before = sandbox.requests.length;
		const noOrder = await order(body(undefined, 7));
		expect(noOrder).toEqual({ status: 400, retryAfter: null, json: expect.objectContaining({ outcome: 'invalid', sent: false }) });
		const noPreAuth = await order({ orderId: `ORD-${tag}-8`, currency: 'USD', amount: '100.01' });
		expect(noPreAuth.status).toBe(400);
		const badAmount = await order({ ...body(`ORD-${tag}-9`, 9), amount: '1,00' });
		expect(badAmount).toEqual({ status: 400, retryAfter: null, json: expect.objectContaining({ outcome: 'invalid', field: 'transAmt' }) });
		expect(sandbox.requests.length).toBe(before);
		expect(sandbox.requests.some((r) => r.rawBody.includes(Buffer.from('undefined')))).toBe(false);

		const executions = await home.waitForExecutions(voidExample.id, 10);
		expect(executions.map((e) => e.status)).toEqual(Array(10).fill('success'));
	}, 240_000);
});
