/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
/**
 * The PayLoco Trigger in a real n8n (1.x and 2.x), installed from this repo's `npm pack` output as a
 * user would install it. One n8n start per line (the workflow activated through n8n's REST API);
 * the sandbox sends notifications over HTTP and n8n's own execution list is the judge of what
 * started.
 *
 * Needs `npm run build` (dist/ is what gets packed) and `node scripts/install-n8n.js all`.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { startSandbox } from '../../sandbox/server';
import type { NotifyOptions, Sandbox } from '../../sandbox/server';
import { rsaKeyPair } from '../helpers/keys';
import { opensslVerify } from '../helpers/openssl';
import { N8nHome, packPackage } from '../../e2e/harness/n8n';
import type { N8nLine, N8nServer } from '../../e2e/harness/n8n';
import { RestSession } from '../../e2e/harness/rest';

const ACK = '{"code":"00000000","message":"Success"}';
const REJECTION = '{"message":"Signature verification failed"}';
// n8n (1.x and 2.x) parses a JSON body before the node runs and answers 422 itself when it cannot.
const MALFORMED_STATUS = 422;
const SECRET = `whsec_${randomUUID()}`;
const WORKFLOW_ID = 'payLocoTrigE2e01'; // n8n 1.x keeps static data only for ids of at most 16 characters
const HOOKS = {
	rsa: 'c1a4e0f2-7d3b-4c55-9e61-0a9b8c7d6e01',
	hmac: 'c1a4e0f2-7d3b-4c55-9e61-0a9b8c7d6e02',
	form: 'c1a4e0f2-7d3b-4c55-9e61-0a9b8c7d6e03',
	confirm: 'c1a4e0f2-7d3b-4c55-9e61-0a9b8c7d6e04',
};
const NOT_CONFIRMED = '{"message":"Notification not confirmed"}';
const MERCHANT = 'M20230105586637';


const trigger = (key: keyof typeof HOOKS, y: number, parameters: object, credentials: object) => ({
	id: HOOKS[key].replace(/^c1a4e0f2/, 'd2b5f1a3'),
	name: `PayLoco ${key}`,
	type: 'n8n-nodes-payloco.payLocoTrigger',
	typeVersion: 1,
	position: [0, y],
	webhookId: HOOKS[key],
	parameters,
	credentials,
});

/** Three triggers (one per verification mode) feeding a No Op, in one workflow: one activation, one start. */
const workflow = {
	id: WORKFLOW_ID,
	name: 'PayLoco Trigger e2e',
	active: false,
	settings: { executionOrder: 'v1' },
	nodes: [
		trigger('rsa', 0, { options: {} }, { payLocoApi: { id: 'payLocoApiE2e01', name: 'PayLoco sandbox' } }),
		trigger('hmac', 200, { verification: 'hmac', options: {} }, {
			payLocoWebhookSecretApi: { id: 'payLocoSecret01', name: 'PayLoco webhook secret' },
		}),
		trigger('form', 400, { verification: 'form', options: {} }, { payLocoApi: { id: 'payLocoApiE2e01', name: 'PayLoco sandbox' } }),
		trigger('confirm', 600, { options: { confirmWithPayLoco: true } }, { payLocoApi: { id: 'payLocoApiE2e01', name: 'PayLoco sandbox' } }),
		{
			id: 'c1a4e0f2-7d3b-4c55-9e61-0a9b8c7d0000',
			name: 'Received',
			type: 'n8n-nodes-base.noOp',
			typeVersion: 1,
			position: [300, 200],
			parameters: {},
		},
	],
	connections: Object.fromEntries(
		Object.keys(HOOKS).map((k) => [`PayLoco ${k}`, { main: [[{ node: 'Received', type: 'main', index: 0 }]] }]),
	),
};

let sandbox: Sandbox;
let tmp: string;
let tgz: string;
const merchant = rsaKeyPair();
const stranger = rsaKeyPair(2048, true);

beforeAll(async () => {
	// notifyTimeoutMs: a generous wait for n8n's answer on a loaded machine (the default 5 s was
	// exceeded by n8n 2.x under a 10-copy burst at load 18 on 2 cores); the Trigger's own bound is
	// shown by its 503 for a query PayLoco does not answer, and its answer times are printed.
	sandbox = await startSandbox({ merchantPublicKey: merchant.publicPem, notifyDelayMs: 60_000, notifyTimeoutMs: 30_000 });
	tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'payloco-trigger-e2e-'));
	tgz = packPackage(tmp);
}, 60_000);

afterAll(async () => {
	await sandbox?.close();
	if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe.each([1, 2] as N8nLine[])('PayLoco Trigger in real n8n %i.x', (line) => {
	let home: N8nHome;
	let server: N8nServer;

	beforeAll(async () => {
		home = await N8nHome.create(line, { packageTgz: tgz });
		await home.importCredentials([
			{
				id: 'payLocoApiE2e01',
				name: 'PayLoco sandbox',
				type: 'payLocoApi',
				data: {
					environment: 'custom',
					baseUrl: sandbox.baseUrl,
					merchantId: 'M20230105586637',
					keyVersion: '1',
					privateKey: merchant.pkcs8Pem,
					platformPublicKey: sandbox.platformPublicKeyBase64,
				},
			},
			{ id: 'payLocoSecret01', name: 'PayLoco webhook secret', type: 'payLocoWebhookSecretApi', data: { secret: SECRET } },
		]);
		await home.importWorkflow(workflow);
		server = await home.start();
		// Activated on the running server, as the editor's toggle does: a CLI command would boot n8n once more.
		await (await RestSession.asOwner(server)).activate(home, [WORKFLOW_ID]);
	}, 240_000);

	afterAll(async () => {
		await server?.stop();
		await home?.dispose();
	}, 60_000);

	test('lets in only genuine notifications, acknowledges repeats, and starts one execution per genuine event', async () => {
		const url = (key: keyof typeof HOOKS) => `${server.url}/webhook/${HOOKS[key]}/payloco`;
		const event = (tag: string) => ({
			id: `evt_${line}_${tag}_${randomUUID()}`,
			notifyTime: new Date().toISOString(),
			merchantOrderId: `PENDING-${tag}`,
			orderId: `TR${Date.now()}`,
			status: 'SUCCESS',
			currency: 'USD',
			transAmt: '100.01',
			reqReserved: '扩展',
		});
		const send = async (key: keyof typeof HOOKS, payload: object, o: NotifyOptions = {}) =>
			await sandbox.sendNotification(url(key), { payload: payload as Record<string, unknown>, ...o });
		const accepted: string[] = [];
		const refused: string[] = [];
		const expectRefused = async (key: keyof typeof HOOKS, tag: string, o: NotifyOptions) => {
			const e = event(tag);
			refused.push(e.id);
			expect({ tag, ...(await send(key, e, o)) }).toEqual({ tag, status: 401, body: REJECTION });
		};

		// n8n 2.x may register a published workflow's webhooks just after it reports ready: probe each
		// URL with an unsigned request until it reaches the node (401) instead of n8n's 404.
		for (const key of Object.keys(HOOKS) as Array<keyof typeof HOOKS>) {
			const deadline = Date.now() + 30_000;
			let status = 404;
			while (status === 404 && Date.now() < deadline) {
				status = (await fetch(url(key), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status;
				if (status === 404) await new Promise((r) => setTimeout(r, 250));
			}
			expect({ key, status }).toEqual({ key, status: 401 });
		}

		// A genuine RSA notification: acknowledged, one execution.
		const genuine = event('genuine');
		accepted.push(genuine.id);
		expect(await send('rsa', genuine, { eventName: 'PRE_AUTH_VOID' })).toEqual({ status: 200, body: ACK });
		expect(await home.waitForExecutions(WORKFLOW_ID, 1)).toHaveLength(1);

		await expectRefused('rsa', 'forged', { signWith: stranger.privateKey });
		await expectRefused('rsa', 'unsigned', { omitSignature: true });
		await expectRefused('rsa', 'tampered', { tamper: true });
		await expectRefused('hmac', 'staleHmac', { style: 'hmac', secret: SECRET, timestamp: Date.now() - 10 * 60_000 });
		await expectRefused('hmac', 'wrongSecret', { style: 'hmac', secret: 'not the secret' });
		await expectRefused('form', 'tamperedForm', { style: 'form', tamper: true });

		// A body n8n cannot parse as the JSON its content type claims never reaches the node: n8n refuses it.
		const malformed = await fetch(url('rsa'), {
			method: 'POST',
			headers: { 'content-type': 'application/json', signature: 'AAAA' },
			body: '{"id":"evt_malformed',
		});
		expect(malformed.status).toBe(MALFORMED_STATUS);

		// PayLoco's retry of the genuine one: acknowledged (or PayLoco keeps retrying), nothing started.
		expect(await send('rsa', genuine)).toEqual({ status: 200, body: ACK });

		// Genuine HMAC and form notifications, then a last genuine RSA one: once its execution is
		// stored, anything the refused ones had started would be stored too.
		for (const [key, o] of [
			['hmac', { style: 'hmac', secret: SECRET }],
			['form', { style: 'form' }],
			['rsa', {}],
		] as Array<[keyof typeof HOOKS, NotifyOptions]>) {
			const e = event(`genuine-${key}`);
			accepted.push(e.id);
			expect({ key, ...(await send(key, e, o)) }).toEqual({ key, status: 200, body: ACK });
		}
		await home.waitForExecutions(WORKFLOW_ID, accepted.length);

		const executions = await home.listExecutions({ workflowId: WORKFLOW_ID, withData: true });
		expect(executions.map((e) => [e.mode, e.status])).toEqual(accepted.map(() => ['webhook', 'success']));
		const data = executions.map((e) => e.data ?? '');
		accepted.forEach((id, i) => expect(data[i]).toContain(id));
		for (const id of refused) expect(data.join('\n')).not.toContain(id);
		expect(data[0]).toContain('PRE_AUTH_VOID');
		expect(data.join('\n')).not.toContain(SECRET);

		// Every refusal reached the node (n8n's log has its reason) and no secret was logged.
		const printed = home.printed();
		expect(printed.split('PayLoco Trigger refused a notification').length - 1).toBeGreaterThanOrEqual(refused.length);
		expect(printed).not.toContain(SECRET);
	}, 120_000);

	test('only this merchant\'s fresh notifications start it, each once, even 10 identical ones at once, with no secret headers', async () => {
		const url = (key: keyof typeof HOOKS) => `${server.url}/webhook/${HOOKS[key]}/payloco`;
		const before = (await home.listExecutions({ workflowId: WORKFLOW_ID })).length;
		const run = randomUUID().slice(0, 8);
		const event = (tag: string, extra: object = {}) => ({
			id: `evt_${line}_${tag}_${run}`,
			notifyTime: new Date().toISOString(),
			merchantId: 'M20230105586637',
			merchantOrderId: `ORD-${line}-${tag}-${run}`,
			status: 'SUCCESS',
			...extra,
		});
		const send = async (key: keyof typeof HOOKS, payload: object, o: NotifyOptions = {}) =>
			await sandbox.sendNotification(url(key), { payload: payload as Record<string, unknown>, ...o });
		/** Markers (merchantOrderId) that must each be in exactly one execution, and those in none. */
		const once: string[] = [];
		const never: string[] = [];

		// Another merchant's notification, signed by the platform like every other: 401, nothing started.
		for (const [key, o, payload] of [
			['rsa', {}, event('otherTop', { merchantId: 'M-SOMEONE-ELSE' })],
			['rsa', {}, event('otherData', { data: { merchantId: 'M-SOMEONE-ELSE' } })],
			['form', { style: 'form' }, event('otherForm', { merchantId: 'M-SOMEONE-ELSE' })],
		] as Array<[keyof typeof HOOKS, NotifyOptions, ReturnType<typeof event>]>) {
			never.push(payload.merchantOrderId);
			expect({ m: payload.merchantOrderId, ...(await send(key, payload, o)) }).toEqual({ m: payload.merchantOrderId, status: 401, body: REJECTION });
		}

		// A captured notification sent again a day later (stale notifyTime) or dated ahead: 401.
		for (const [key, o, payload] of [
			['rsa', {}, event('staleRsa', { notifyTime: new Date(Date.now() - 25 * 3600_000).toISOString() })],
			['form', { style: 'form' }, event('staleForm', { notifyTime: '2024-05-24T14:29:32.682+08:00' })],
			['hmac', { style: 'hmac', secret: SECRET }, event('staleHmac', { notifyTime: new Date(Date.now() - 25 * 3600_000).toISOString() })],
			['rsa', {}, event('future', { notifyTime: new Date(Date.now() + 3600_000).toISOString() })],
		] as Array<[keyof typeof HOOKS, NotifyOptions, ReturnType<typeof event>]>) {
			never.push(payload.merchantOrderId);
			expect({ m: payload.merchantOrderId, ...(await send(key, payload, o)) }).toEqual({ m: payload.merchantOrderId, status: 401, body: REJECTION });
		}

		// An HMAC notification resent with a fresh x-timestamp (as PayLoco resends; the HMAC does not cover it): acknowledged, started once.
		const hmac = event('hmacOnce');
		once.push(hmac.merchantOrderId);
		expect(await send('hmac', hmac, { style: 'hmac', secret: SECRET, timestamp: Date.now() - 60_000 })).toEqual({ status: 200, body: ACK });
		expect(await send('hmac', hmac, { style: 'hmac', secret: SECRET, timestamp: Date.now() })).toEqual({ status: 200, body: ACK });

		// A notification without an id, delivered twice: one execution (deduplicated by its bytes).
		const noId: Record<string, unknown> = event('noId');
		delete noId.id;
		once.push(String(noId.merchantOrderId));
		expect(await send('rsa', noId)).toEqual({ status: 200, body: ACK });
		expect(await send('rsa', noId)).toEqual({ status: 200, body: ACK });

		// 10 identical deliveries fired at once, 20 rounds (RSA with id, RSA without id, form): one execution each.
		const rounds: string[] = [];
		for (let round = 0; round < 20; round++) {
			const key: keyof typeof HOOKS = round % 3 === 2 ? 'form' : 'rsa';
			const payload: Record<string, unknown> = event(`burst${round}`);
			if (round % 3 === 1) delete payload.id;
			const o: NotifyOptions = key === 'form' ? { style: 'form' } : {};
			const replies = await Promise.all(Array.from({ length: 10 }, async () => await send(key, payload, o)));
			expect({ round, replies }).toEqual({ round, replies: Array(10).fill({ status: 200, body: ACK }) });
			rounds.push(String(payload.merchantOrderId));
		}
		once.push(...rounds);

		// Cookies and authorization a proxy passed along stay out of the execution data.
		const proxied = event('proxied');
		once.push(proxied.merchantOrderId);
		const marks = { cookie: `n8n-auth=COOKIE${run}`, authorization: `Bearer AUTH${run}` };
		expect(await send('rsa', proxied, { headers: { Cookie: marks.cookie, Authorization: marks.authorization, 'X-N8N-Secret': `N8N${run}` } })).toEqual({
			status: 200,
			body: ACK,
		});

		// A last genuine one: once it is stored, anything the others started would be stored too.
		const last = event('last');
		once.push(last.merchantOrderId);
		expect(await send('rsa', last)).toEqual({ status: 200, body: ACK });
		await home.waitForExecutions(WORKFLOW_ID, before + once.length);

		const executions = (await home.listExecutions({ workflowId: WORKFLOW_ID, withData: true })).slice(before);
		const data = executions.map((e) => e.data ?? '');
		const count = (marker: string) => data.filter((d) => d.includes(marker)).length;
		expect(once.map((m) => [m, count(m)])).toEqual(once.map((m) => [m, 1]));
		expect(never.map((m) => [m, count(m)])).toEqual(never.map((m) => [m, 0]));
		expect(executions).toHaveLength(once.length);
		expect(executions.map((e) => e.status)).toEqual(once.map(() => 'success'));
		const all = data.join('\n');
		for (const secret of [`COOKIE${run}`, `AUTH${run}`, `N8N${run}`]) expect(all).not.toContain(secret);
		const proxiedRun = data.find((d) => d.includes(proxied.merchantOrderId)) ?? '';
		expect(proxiedRun).toContain('x-eventname');
		expect(proxiedRun).not.toContain('"cookie"');
		expect(proxiedRun).not.toContain('"authorization"');

		// Every refusal says why in n8n's log.
		const printed = home.printed();
		expect(printed).toContain("names another merchantId than the credential's");
		expect(printed).toContain('stale: notifyTime is older than the replay window');
	}, 240_000);

	test("every notifyTime form is let in once; under Confirm with PayLoco only this merchant's own orders start it, and a query PayLoco does not answer in time is not acknowledged", async () => {
		const url = (key: keyof typeof HOOKS) => `${server.url}/webhook/${HOOKS[key]}/payloco`;
		const before = (await home.listExecutions({ workflowId: WORKFLOW_ID })).length;
		const run = randomUUID().slice(0, 8);
		const send = async (key: keyof typeof HOOKS, payload: object, o: NotifyOptions = {}) =>
			await sandbox.sendNotification(url(key), { payload: payload as Record<string, unknown>, ...o });
		/** A pre-authorization of `owner`, and a notification about it that names no merchant (as PayLoco's documented body). */
		const order = (tag: string, owner = MERCHANT) => {
			const merchantOrderId = `ORD-${line}-${tag}-${run}`;
			const created = sandbox.addPreAuth({ merchantOrderId, currency: 'USD', transAmt: '10.00', merchantId: owner });
			return { id: `evt_${line}_${tag}_${run}`, merchantOrderId, orderId: created.orderId, status: 'SUCCESS', notifyTime: new Date().toISOString() };
		};
		const once: string[] = [];
		const never: string[] = [];

		// Every notifyTime form PayLoco may send, in each mode: acknowledged, one execution each.
		const now = Date.now();
		const forms: unknown[] = [new Date(now).toISOString(), now, String(Math.floor(now / 1000)), new Date(now + 8 * 3600_000).toISOString().replace('T', ' ').slice(0, 19), 'not a time'];
		for (const [key, o] of [['rsa', {}], ['form', { style: 'form' }], ['hmac', { style: 'hmac', secret: SECRET }]] as Array<[keyof typeof HOOKS, NotifyOptions]>) {
			for (const [i, notifyTime] of forms.entries()) {
				const e = { ...order(`time${key}${i}`), notifyTime };
				once.push(e.merchantOrderId);
				expect({ key, notifyTime, ...(await send(key, e, o)) }).toEqual({ key, notifyTime, status: 200, body: ACK });
				expect({ key, notifyTime, ...(await send(key, e, o)) }).toEqual({ key, notifyTime, status: 200, body: ACK });
			}
		}

		// This merchant's own order, confirmed by PayLoco: let in, with confirmed and the query's traceId.
		const mine = order('mine');
		once.push(mine.merchantOrderId);
		expect(await send('confirm', mine)).toEqual({ status: 200, body: ACK });

		// Another merchant's order, in a genuinely signed notification naming no merchant: refused under
		// Confirm with PayLoco (503, resent by PayLoco and refused again); let in by a trigger without it.
		const theirs = order('theirs', 'M-ANOTHER-MERCHANT');
		expect(await send('confirm', theirs)).toEqual({ status: 503, body: NOT_CONFIRMED });
		expect(await send('confirm', theirs)).toEqual({ status: 503, body: NOT_CONFIRMED });
		expect(await send('rsa', theirs)).toEqual({ status: 200, body: ACK });
		once.push(theirs.merchantOrderId); // exactly one execution: the unconfirmed trigger's

		// PayLoco does not answer the query in time (the sandbox holds a SLOW- order's answer for 30 s): not acknowledged.
		const slow = { ...order('slow'), merchantOrderId: `SLOW-${line}-${run}`, orderId: undefined };
		never.push(slow.merchantOrderId);
		const slowStarted = Date.now();
		expect(await send('confirm', slow)).toEqual({ status: 503, body: NOT_CONFIRMED });
		const slowTook = Date.now() - slowStarted;

		// Ten identical deliveries at once under Confirm with PayLoco: all 200, one execution.
		const burst = order('burst');
		once.push(burst.merchantOrderId);
		const replies = await Promise.all(Array.from({ length: 10 }, async () => await send('confirm', burst)));
		expect(replies).toEqual(Array(10).fill({ status: 200, body: ACK }));

		// What confirming costs: the answer time of new notifications with and without it (printed, not asserted).
		const timed: Record<string, number[]> = { rsa: [], confirm: [] };
		for (let i = 0; i < 5; i++) {
			for (const key of ['rsa', 'confirm'] as const) {
				const e = order(`timed${key}${i}`);
				once.push(e.merchantOrderId);
				const t = Date.now();
				expect(await send(key, e)).toEqual({ status: 200, body: ACK });
				timed[key].push(Date.now() - t);
			}
		}
		console.log(`n8n ${line}.x: answer times in ms, plain RSA ${timed.rsa.join(', ')}; Confirm with PayLoco ${timed.confirm.join(', ')}; unanswered query ${slowTook}`);

		await home.waitForExecutions(WORKFLOW_ID, before + once.length);
		const executions = (await home.listExecutions({ workflowId: WORKFLOW_ID, withData: true })).slice(before);
		const data = executions.map((e) => e.data ?? '');
		const count = (marker: string) => data.filter((d) => d.includes(marker)).length;
		expect(once.map((m) => [m, count(m)])).toEqual(once.map((m) => [m, 1]));
		expect(never.map((m) => [m, count(m)])).toEqual(never.map((m) => [m, 0]));
		expect(executions).toHaveLength(once.length);
		const confirmed = data.find((d) => d.includes(mine.merchantOrderId)) ?? '';
		expect(confirmed).toContain('confirmed');
		expect(confirmed).toContain('queryTraceId');
		// The query went out signed with this merchant's key and merchantId (openssl over the bytes received).
		const query = sandbox.requests.find((q) => q.path.endsWith('/query') && q.rawBody.toString('utf8').includes(mine.merchantOrderId));
		expect(query && opensslVerify(merchant.publicPem, query.rawBody, String(query.headers.signature))).toBe(true);
		expect(JSON.parse(query!.rawBody.toString('utf8'))).toMatchObject({ merchantId: MERCHANT, merchantOrderId: mine.merchantOrderId });
		expect(data.find((d) => d.includes(theirs.merchantOrderId))).not.toContain('queryTraceId');

		const printed = home.printed();
		expect(printed).toContain(`PayLoco does not confirm merchantOrderId ${theirs.merchantOrderId} for merchant ${MERCHANT}`);
		expect(printed).toContain(`did not answer the Transaction Query for merchantOrderId ${slow.merchantOrderId}`);
	}, 300_000);
});
