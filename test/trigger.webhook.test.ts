/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
// The PayLoco Trigger's webhook() driven through n8n-core's real WebhookContext (parameters with their
// defaults, credentials with displayOptions, workflow static data), behind a real HTTP server that the
// sandbox sends notifications to. The server does what n8n's webhook handler does with the result:
// nothing when the node answered itself (noWebhookResponse), otherwise HTTP 200 with webhookResponse,
// and an execution only when workflowData is returned. The real n8n is in test/e2e/trigger.e2e.test.ts.
import type { INodeType } from 'n8n-workflow';

import { startSandbox } from '../sandbox/server';
import type { NotifyOptions, Sandbox } from '../sandbox/server';
import { rsaKeyPair } from './helpers/keys';
import { Receiver, trigger } from './helpers/triggerReceiver';
import type { Setup } from './helpers/triggerReceiver';

const ACK = '{"code":"00000000","message":"Success"}';
const REJECTION = '{"message":"Signature verification failed"}';
const SECRET = 'whsec_e2d7a4c583b1f0c9';

const merchant = rsaKeyPair();

let sandbox: Sandbox;
const receivers: Receiver[] = [];

beforeAll(async () => {
	sandbox = await startSandbox({ merchantPublicKey: merchant.publicPem, notifyDelayMs: 10_000 });
});
afterAll(async () => {
	await Promise.all(receivers.map(async (r) => await r.close()));
	await sandbox.close();
});

const payLocoApi = () => ({
	environment: 'custom',
	baseUrl: sandbox.baseUrl,
	merchantId: 'M20230105586637',
	privateKey: merchant.pkcs8Pem,
	platformPublicKey: sandbox.platformPublicKeyBase64,
});

async function receiver(setup: Partial<Setup> = {}): Promise<Receiver> {
	const r = await new Receiver({ credentials: { payLocoApi: payLocoApi() }, ...setup }).start();
	receivers.push(r);
	return r;
}

let counter = 0;
const payload = (extra: Record<string, unknown> = {}) => ({
	id: `evt_webhook_${++counter}_${Date.now()}`,
	notifyTime: new Date().toISOString(),
	merchantId: 'M20230105586637',
	merchantOrderId: 'PENDING-VOID-7',
	orderId: 'TR1716532172682',
	status: 'SUCCESS',
	currency: 'CNY',
	transAmt: '88.00',
	reqReserved: '扩展',
	...extra,
});

const send = async (r: Receiver, o: NotifyOptions) => await sandbox.sendNotification(r.url, { payload: payload(), ...o });

describe('RSA mode (default)', () => {
	it('acknowledges a genuine notification and starts one execution with body, headers and event name', async () => {
		const r = await receiver();
		const p = payload();
		const reply = await send(r, { payload: p, eventName: 'PRE_AUTH_VOID', eventType: 'NOTIFY' });
		expect(reply).toEqual({ status: 200, body: ACK });
		expect(r.executions).toHaveLength(1);
		const [[item]] = r.executions[0];
		expect(item.json.eventName).toBe('PRE_AUTH_VOID');
		expect(item.json.eventType).toBe('NOTIFY');
		expect(item.json.body).toEqual(p);
		expect(item.json.headers).toMatchObject({ 'x-eventname': 'PRE_AUTH_VOID', 'content-type': 'application/json;charset=UTF-8' });
		expect(item.json).not.toHaveProperty('rawBody');
		expect(r.errors).toEqual([]);
	});

	it('refuses unsigned, forged and tampered notifications with 401 and starts nothing', async () => {
		const r = await receiver();
		const stranger = rsaKeyPair(2048, true);
		for (const o of [{ omitSignature: true }, { signWith: stranger.privateKey }, { tamper: true }] as NotifyOptions[]) {
			expect(await send(r, o)).toEqual({ status: 401, body: REJECTION });
		}
		expect(r.executions).toEqual([]);
		expect(await r.saved()).toBe('{}');
		expect(r.warnings).toEqual([
			'PayLoco Trigger refused a notification: no signature',
			expect.stringContaining('signature does not verify'),
			expect.stringContaining('signature does not verify'),
		]);
	});

	it('refuses a notification checked against another platform key (wrong key in the credential)', async () => {
		const r = await receiver({ credentials: { payLocoApi: { ...payLocoApi(), platformPublicKey: rsaKeyPair().publicBase64 } } });
		expect((await send(r, {})).status).toBe(401);
		expect(r.executions).toEqual([]);
	});

	it('acknowledges a repeated event id without starting the workflow again', async () => {
		const r = await receiver();
		const p = payload();
		expect(await send(r, { payload: p })).toEqual({ status: 200, body: ACK });
		expect(await send(r, { payload: p })).toEqual({ status: 200, body: ACK });
		expect(await send(r, { payload: { ...p, notifyTime: new Date(Date.now() + 1000).toISOString() } })).toEqual({ status: 200, body: ACK });
		expect(r.executions).toHaveLength(1);
		expect(await send(r, { payload: payload() })).toEqual({ status: 200, body: ACK });
		expect(r.executions).toHaveLength(2);
		const stored = JSON.parse(await r.saved())['node:PayLoco Trigger'].seenEvents;
		expect(stored.events).toHaveLength(2);
		// Digests only: the IDs themselves are not stored.
		expect(await r.saved()).not.toContain(p.id);
	});

	it('starts the workflow for every repeat when "Drop Repeated Events" is off, and in test (manual) mode', async () => {
		const off = await receiver({ parameters: { options: { dropRepeatedEvents: false } } });
		const manual = await receiver({ mode: 'manual' });
		for (const r of [off, manual]) {
			const p = payload();
			await send(r, { payload: p });
			await send(r, { payload: p });
			expect(r.executions).toHaveLength(2);
			expect(await r.saved()).toBe('{}');
		}
	});

	it('adds the raw body when asked, and answers with a custom acknowledgement', async () => {
		const r = await receiver({
			parameters: { options: { includeRawBody: true, acknowledgement: '{"errCode":"0","errMessage":"OK"}' } },
		});
		const p = payload();
		const reply = await send(r, { payload: p });
		expect(reply).toEqual({ status: 200, body: '{"errCode":"0","errMessage":"OK"}' });
		expect(r.executions[0][0][0].json.rawBody).toBe(JSON.stringify(p));
	});

	it('uses PayLoco\'s published test key on Dev when the credential has none (so a sandbox-signed one fails)', async () => {
		const r = await receiver({ credentials: { payLocoApi: { ...payLocoApi(), environment: 'dev', platformPublicKey: '' } } });
		expect((await send(r, {})).status).toBe(401);
		expect(r.errors).toEqual([]);
	});

	it('fails the workflow with a clear error, and no key text, when the credential has no usable key', async () => {
		const none = await receiver({ credentials: { payLocoApi: { ...payLocoApi(), environment: 'uat', platformPublicKey: '' } } });
		expect((await send(none, {})).status).toBe(500);
		expect(none.errors[0].message).toBe('The PayLoco API credential has no platform public key');
		const garbage = 'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAgAuG27kWX9WFmVnlZvDoZhxUhupkA3mb';
		const bad = await receiver({ credentials: { payLocoApi: { ...payLocoApi(), platformPublicKey: garbage } } });
		expect((await send(bad, {})).status).toBe(500);
		expect(bad.errors[0].message).toMatch(/^PayLoco API credential: The platform public key/);
		expect(bad.errors[0].message).not.toContain(garbage.slice(0, 20));
		expect(none.executions.length + bad.executions.length).toBe(0);
	});

	it('refuses an invalid acknowledgement option with a clear error', async () => {
		const r = await receiver({ parameters: { options: { acknowledgement: '{code: 0}' } } });
		expect((await send(r, {})).status).toBe(500);
		expect(r.errors[0].message).toBe('The option Acknowledgement Body is not valid JSON');
	});
});

describe('HMAC-SHA256 mode', () => {
	const hmacReceiver = async (secret = SECRET) =>
		await receiver({ parameters: { verification: 'hmac' }, credentials: { payLocoWebhookSecretApi: { secret } } });

	it('accepts a genuine notification with only the webhook secret credential attached', async () => {
		const r = await hmacReceiver();
		const p = payload();
		expect(await send(r, { style: 'hmac', secret: SECRET, payload: p })).toEqual({ status: 200, body: ACK });
		expect(r.executions[0][0][0].json.body).toEqual(p);
		expect(JSON.stringify(r.executions)).not.toContain(SECRET);
	});

	it('refuses stale, future, tampered, unsigned and wrongly keyed notifications', async () => {
		const r = await hmacReceiver();
		const now = Date.now();
		const cases: NotifyOptions[] = [
			{ timestamp: now - 6 * 60_000 },
			{ timestamp: now + 6 * 60_000 },
			{ tamper: true },
			{ omitSignature: true },
			{ secret: 'another secret' },
		];
		for (const o of cases) {
			expect(await send(r, { style: 'hmac', secret: SECRET, ...o })).toEqual({ status: 401, body: REJECTION });
		}
		expect(r.executions).toEqual([]);
		expect(r.warnings.join('\n')).not.toContain(SECRET);
	});

	it('refuses an RSA-signed notification (no HMAC headers)', async () => {
		const r = await hmacReceiver();
		expect((await send(r, { style: 'rsa' })).status).toBe(401);
	});

	it('fails with a clear error when the secret is empty', async () => {
		const r = await hmacReceiver('');
		expect((await send(r, { style: 'hmac', secret: SECRET })).status).toBe(500);
		expect(r.errors[0].message).toBe('The PayLoco Webhook Secret credential has an empty secret');
	});
});

describe('Form POST mode', () => {
	it('accepts a genuine form notification; the item body holds the form fields', async () => {
		const r = await receiver({ parameters: { verification: 'form' } });
		const p = payload({ extra: { a: 1 } });
		expect(await send(r, { style: 'form', payload: p })).toEqual({ status: 200, body: ACK });
		expect(r.executions[0][0][0].json.body).toEqual({ ...p, extra: '{"a":1}' });
	});

	it('refuses tampered, unsigned, forged and JSON notifications', async () => {
		const r = await receiver({ parameters: { verification: 'form' } });
		for (const o of [{ tamper: true }, { omitSignature: true }, { signWith: rsaKeyPair(2048, true).privateKey }, { style: 'rsa' }] as NotifyOptions[]) {
			expect(await send(r, { style: 'form', ...o })).toEqual({ status: 401, body: REJECTION });
		}
		expect(r.executions).toEqual([]);
	});
});

describe('only this merchant\'s fresh notifications, once', () => {
	const hour = 3600_000;

	it('refuses another merchant\'s notification (top level or in data) with 401 and says why in the log', async () => {
		const r = await receiver();
		expect(await send(r, { payload: payload({ merchantId: 'M-SOMEONE-ELSE' }) })).toEqual({ status: 401, body: REJECTION });
		expect(await send(r, { payload: payload({ data: { merchantId: 'M-SOMEONE-ELSE' } }) })).toEqual({ status: 401, body: REJECTION });
		expect(await send(r, { style: 'form', payload: payload({ merchantId: 'M-SOMEONE-ELSE' }) })).toEqual({ status: 401, body: REJECTION });
		expect(r.executions).toEqual([]);
		expect(await r.saved()).toBe('{}');
		expect(r.warnings[0]).toBe("PayLoco Trigger refused a notification: the notification names another merchantId than the credential's");
		// Naming none is let in (there is nothing to compare).
		const anonymous: Record<string, unknown> = payload();
		delete anonymous.merchantId;
		expect(await send(r, { payload: anonymous })).toEqual({ status: 200, body: ACK });
		expect(r.executions).toHaveLength(1);
	});

	it('with Require Merchant ID and Require Notify Time, refuses a signed body naming no merchant or no time (e.g. an API answer)', async () => {
		const r = await receiver({ parameters: { options: { requireMerchantId: true, requireNotifyTime: true } } });
		const answer = { success: true, errCode: '00000000', errMessage: 'Success', status: 'SUCCESS', traceId: 'T1' };
		expect(await send(r, { payload: answer })).toEqual({ status: 401, body: REJECTION });
		expect(await send(r, { payload: { ...answer, merchantId: 'M20230105586637' } })).toEqual({ status: 401, body: REJECTION });
		expect(await send(r, { payload: payload() })).toEqual({ status: 200, body: ACK });
		expect(r.executions).toHaveLength(1);
		expect(r.warnings).toEqual([expect.stringMatching(/names no merchantId/), expect.stringMatching(/has no notifyTime/)]);
		// Off (the default), the same answer is let in: nothing names another merchant or dates it.
		const lax = await receiver();
		expect((await send(lax, { payload: answer })).status).toBe(200);
	});

	it('binds HMAC notifications to the Merchant ID of the webhook secret credential, when set', async () => {
		const bound = await receiver({ parameters: { verification: 'hmac' }, credentials: { payLocoWebhookSecretApi: { secret: SECRET, merchantId: 'M20230105586637' } } });
		expect((await send(bound, { style: 'hmac', secret: SECRET, payload: payload({ merchantId: 'M-OTHER' }) })).status).toBe(401);
		expect((await send(bound, { style: 'hmac', secret: SECRET })).status).toBe(200);
		expect(bound.executions).toHaveLength(1);
	});

	it('refuses a stale or far-future notifyTime in every mode (RSA, form, HMAC), in every form', async () => {
		const rsa = await receiver();
		const form = await receiver({ parameters: { verification: 'form' } });
		const hmac = await receiver({ parameters: { verification: 'hmac' }, credentials: { payLocoWebhookSecretApi: { secret: SECRET } } });
		const at = (ms: number) => new Date(Date.now() + ms).toISOString();
		for (const notifyTime of [at(-25 * hour), '2024-05-24T14:29:32.682+08:00', at(10 * 60_000), String(Date.now() - 25 * hour), '2024-05-24 14:29:32']) {
			for (const [r, o] of [[rsa, {}], [form, { style: 'form' }], [hmac, { style: 'hmac', secret: SECRET }]] as Array<[Receiver, NotifyOptions]>) {
				expect({ notifyTime, ...(await send(r, { ...o, payload: payload({ notifyTime }) })) }).toEqual({ notifyTime, status: 401, body: REJECTION });
			}
		}
		expect([rsa, form, hmac].map((r) => r.executions.length)).toEqual([0, 0, 0]);
		expect(rsa.warnings).toEqual([
			expect.stringMatching(/stale: notifyTime is older than the replay window/),
			expect.stringMatching(/stale/),
			expect.stringMatching(/more than 5 minutes ahead/),
			expect.stringMatching(/stale/),
			expect.stringMatching(/stale/),
		]);
		// In data too; and one without notifyTime is let in (only the memory guards it).
		expect((await send(rsa, { payload: { id: `evt_d_${Date.now()}`, data: { notifyTime: at(-25 * hour) } } })).status).toBe(401);
		expect((await send(rsa, { payload: { id: `evt_n_${Date.now()}`, status: 'SUCCESS' } })).status).toBe(200);
	});

	it('acknowledges an HMAC resend (same body, fresh x-timestamp) and starts nothing, even with Drop Repeated Events off', async () => {
		for (const options of [{}, { dropRepeatedEvents: false }]) {
			const r = await receiver({ parameters: { verification: 'hmac', options }, credentials: { payLocoWebhookSecretApi: { secret: SECRET } } });
			const p = payload();
			expect(await send(r, { style: 'hmac', secret: SECRET, payload: p, timestamp: Date.now() - 60_000 })).toEqual({ status: 200, body: ACK });
			expect(await send(r, { style: 'hmac', secret: SECRET, payload: p, timestamp: Date.now() })).toEqual({ status: 200, body: ACK });
			// Ten more copies at once: all acknowledged, nothing started.
			const copies = await Promise.all(Array.from({ length: 10 }, async () => await send(r, { style: 'hmac', secret: SECRET, payload: p })));
			expect(copies).toEqual(Array(10).fill({ status: 200, body: ACK }));
			expect(r.executions).toHaveLength(1);
			expect(r.warnings).toEqual([]);
			expect(await r.saved()).not.toContain(p.id);
		}
	});

	it('acknowledges a resend in every verification mode (RSA, form, HMAC): 200, one execution', async () => {
		for (const [setup, o] of [
			[{}, {}],
			[{ parameters: { verification: 'form' } }, { style: 'form' }],
			[{ parameters: { verification: 'hmac' }, credentials: { payLocoWebhookSecretApi: { secret: SECRET } } }, { style: 'hmac', secret: SECRET }],
		] as Array<[Partial<Setup>, NotifyOptions]>) {
			const r = await receiver(setup);
			const p = payload();
			for (let i = 0; i < 3; i++) expect(await send(r, { ...o, payload: p })).toEqual({ status: 200, body: ACK });
			expect({ o, executions: r.executions.length }).toEqual({ o, executions: 1 });
		}
	});

	it('lets in every notifyTime form PayLoco may send, in every mode, and says how it was read', async () => {
		const now = Date.now();
		const forms: Array<[unknown, string]> = [
			[new Date(now).toISOString(), 'checked'],
			[new Date(now).toISOString().replace('Z', '+00:00'), 'checked'],
			[now, 'checked'],
			[String(now), 'checked'],
			[Math.floor(now / 1000), 'checked'],
			[String(Math.floor(now / 1000)), 'checked'],
			[new Date(now + 8 * hour).toISOString().replace('T', ' ').slice(0, 19), 'noZone'], // Beijing wall-clock time
			['yesterday', 'unreadable'],
			['24/05/2026 14:29', 'unreadable'],
		];
		for (const [setup, o] of [
			[{}, {}],
			[{ parameters: { verification: 'form' } }, { style: 'form' }],
			[{ parameters: { verification: 'hmac' }, credentials: { payLocoWebhookSecretApi: { secret: SECRET } } }, { style: 'hmac', secret: SECRET }],
		] as Array<[Partial<Setup>, NotifyOptions]>) {
			const r = await receiver(setup);
			for (const [notifyTime, check] of forms) {
				expect({ notifyTime, ...(await send(r, { ...o, payload: payload({ notifyTime }) })) }).toEqual({ notifyTime, status: 200, body: ACK });
				expect({ notifyTime, check: r.executions.at(-1)?.[0][0].json.notifyTimeCheck }).toEqual({ notifyTime, check });
			}
			expect(r.executions).toHaveLength(forms.length);
			const noTime: Record<string, unknown> = payload();
			delete noTime.notifyTime;
			expect(await send(r, { ...o, payload: noTime })).toEqual({ status: 200, body: ACK });
			expect(r.executions.at(-1)?.[0][0].json.notifyTimeCheck).toBe('absent');
			expect(r.warnings).toEqual([]);
		}
	});

	it('acknowledges, without starting, a notification older than what a full replay memory still holds (never a refusal)', async () => {
		const r = await receiver();
		const now = Date.now();
		// As left by more than 20,000 notifications in a day: entries dropped for room up to 2 hours ago.
		r.staticData = JSON.stringify({ 'node:PayLoco Trigger': { seenEvents: { v: 2, events: [], horizon: now - 2 * hour } } });
		for (let i = 0; i < 3; i++) {
			expect(await send(r, { payload: payload({ notifyTime: new Date(now - 3 * hour).toISOString() }) })).toEqual({ status: 200, body: ACK });
		}
		expect(r.executions).toHaveLength(0);
		expect(r.warnings).toEqual(Array(3).fill(expect.stringMatching(/older than what the replay memory still holds/)));
		// Newer than the horizon: let in.
		expect(await send(r, { payload: payload({ notifyTime: new Date(now - hour).toISOString() }) })).toEqual({ status: 200, body: ACK });
		expect(r.executions).toHaveLength(1);
	});

	it('dedupes a notification without id by its bytes (same bytes: one execution; other bytes: another)', async () => {
		const r = await receiver();
		const noId: Record<string, unknown> = payload();
		delete noId.id;
		expect(await send(r, { payload: noId })).toEqual({ status: 200, body: ACK });
		expect(await send(r, { payload: noId })).toEqual({ status: 200, body: ACK });
		expect(r.executions).toHaveLength(1);
		expect(await send(r, { payload: { ...noId, status: 'FAILED' } })).toEqual({ status: 200, body: ACK });
		expect(r.executions).toHaveLength(2);
	});

	it('starts exactly one execution for 10 identical deliveries at the same moment (with and without id)', async () => {
		for (const withId of [true, false]) {
			const r = await receiver();
			const { id, ...rest } = payload();
			const p = withId ? { id, ...rest } : rest;
			const replies = await Promise.all(Array.from({ length: 10 }, async () => await send(r, { payload: p })));
			expect(replies).toEqual(Array(10).fill({ status: 200, body: ACK }));
			expect({ withId, executions: r.executions.length }).toEqual({ withId, executions: 1 });
		}
	});

	it('keeps cookies, authorization, signatures and x-n8n-* headers out of the output; the user can add more', async () => {
		const r = await receiver({ parameters: { options: { excludeHeaders: 'X-Acme-User, x-internal-*' } } });
		const headers = {
			Cookie: 'n8n-auth=abc',
			Authorization: 'Bearer t0k3n',
			'Proxy-Authorization': 'Basic eDp5',
			'X-N8N-API-KEY': 'k',
			'X-Forwarded-Access-Token': 't',
			'X-Forwarded-For': '10.0.0.1',
			'X-Acme-User': 'alice',
			'X-Internal-Route': 'r',
		};
		expect((await send(r, { headers })).status).toBe(200);
		expect((await send(r, { headers, style: 'hmac', secret: SECRET })).status).toBe(401); // wrong mode: nothing emitted
		const emitted = r.executions[0][0][0].json.headers as Record<string, string>;
		expect(Object.keys(emitted).sort()).toEqual(['connection', 'content-length', 'content-type', 'host', 'x-eventname', 'x-eventtype', 'x-forwarded-for']);
		expect(JSON.stringify(r.executions)).not.toMatch(/t0k3n|n8n-auth|eDp5/);
	});

	it('accepts a form whose "+" signs arrived unencoded; the body is the text that was verified', async () => {
		const r = await receiver({ parameters: { verification: 'form', options: { includeRawBody: true } } });
		const notifyTime = new Date().toISOString().replace('Z', '+00:00');
		const p = payload({ notifyTime, reqReserved: 'a+b c' });
		expect(await send(r, { style: 'form', payload: p, plusUnencoded: true })).toEqual({ status: 200, body: ACK });
		const [[item]] = r.executions[0];
		expect(item.json.body).toMatchObject({ notifyTime, reqReserved: 'a+b c' });
		expect(String(item.json.rawBody)).toContain(`reqReserved=a+b%20c`);
		expect(String(item.json.rawBody)).not.toContain('signature');
		expect(sandbox.notifications.at(-1)?.body).toContain('&signature=');
	});
});

describe('node description', () => {
	it('is a POST webhook on path "payloco" that answers by itself, with credentials per mode', () => {
		const d = (trigger as INodeType).description;
		expect(d.webhooks).toEqual([{ name: 'default', httpMethod: 'POST', responseMode: 'onReceived', path: 'payloco' }]);
		expect(d.credentials).toEqual([
			// Shown for every mode but HMAC (rsa, form); `hide` keeps Verification on the node's form (see the node).
			expect.objectContaining({ name: 'payLocoApi', displayOptions: { hide: { verification: ['hmac'] } } }),
			expect.objectContaining({ name: 'payLocoWebhookSecretApi', displayOptions: { show: { verification: ['hmac'] } } }),
		]);
	});
});
