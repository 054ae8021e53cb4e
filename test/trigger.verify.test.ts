/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
// PayLoco Trigger signature verification, as pure functions (the replay memory and rules: trigger.rules.test.ts). Notifications are built by the
// sandbox's own notify.js (what the sandbox sends over HTTP), so both sides agree on what is signed.
import { createHmac, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

import { loadPublicKey } from '../nodes/PayLoco/signing';
import {
	formSigningText,
	HMAC_TOLERANCE_MS,
	verifyFormNotification,
	verifyHmacNotification,
	verifyRsaNotification,
} from '../nodes/PayLoco/trigger/verify';
import type { RequestHeaders, VerifyResult } from '../nodes/PayLoco/trigger/verify';
import type { NotifyOptions } from '../sandbox/server';
import { rsaKeyPair } from './helpers/keys';

const { buildNotification } = require('../sandbox/notify') as {
	buildNotification(key: KeyObject, o: NotifyOptions): { style: string; body: string; headers: Record<string, string> };
};

const platform = rsaKeyPair();
const stranger = rsaKeyPair(2048, true);
const platformKey = loadPublicKey(platform.publicBase64);
const SECRET = 'whsec_3b1f0c9e2d7a4c58';

const payload = (extra: Record<string, unknown> = {}) => ({
	id: 'evt_5f0e6a3c-8c1d-4a7e-9d0b-2f4b7c1e9a10',
	notifyTime: '2024-05-24T14:29:32.682+08:00',
	merchantOrderId: 'PENDING-VOID-1',
	orderId: 'TR1716532172682',
	status: 'SUCCESS',
	currency: 'USD',
	transAmt: '100.01',
	reqReserved: '扩展 "quoted" \\ slash',
	...extra,
});

/** What the trigger gets from n8n: the raw bytes, and the headers with lower-case names (as Node gives them). */
function message(o: NotifyOptions) {
	const m = buildNotification(platform.privateKey, { payload: payload(), ...o });
	const headers: RequestHeaders = {};
	for (const [name, value] of Object.entries(m.headers)) headers[name.toLowerCase()] = value;
	return { raw: Buffer.from(m.body, 'utf8'), headers };
}

function flipByte(raw: Buffer, at = Math.floor(raw.length / 2)): Buffer {
	const copy = Buffer.from(raw);
	copy[at] ^= 0x01;
	return copy;
}

const rejected = (result: VerifyResult) => (result.ok ? 'ok' : result.reason);

describe('RSA notifications (header "signature")', () => {
	it('accepts a genuine notification and returns the parsed body', () => {
		const { raw, headers } = message({ style: 'rsa' });
		const result = verifyRsaNotification(raw, headers, platformKey);
		expect(result).toEqual({ ok: true, body: payload() });
	});

	it('verifies with the platform key in every form the credential accepts', () => {
		const { raw, headers } = message({ style: 'rsa' });
		for (const text of [platform.publicPem, platform.publicBase64, platform.publicPem.replace(/\n/g, '\\n')]) {
			expect(verifyRsaNotification(raw, headers, loadPublicKey(text)).ok).toBe(true);
		}
	});

	it('refuses a body with any single byte changed', () => {
		const { raw, headers } = message({ style: 'rsa' });
		for (const at of [0, 10, Math.floor(raw.length / 2), raw.length - 1]) {
			expect(rejected(verifyRsaNotification(flipByte(raw, at), headers, platformKey))).toBe('badSignature');
		}
	});

	it('refuses the sandbox tamper (a field added after signing)', () => {
		const { raw, headers } = message({ style: 'rsa', tamper: true });
		expect(rejected(verifyRsaNotification(raw, headers, platformKey))).toBe('badSignature');
	});

	it('refuses the same data re-serialized (only the exact bytes count)', () => {
		const { raw, headers } = message({ style: 'rsa' });
		const respaced = Buffer.from(JSON.stringify(JSON.parse(raw.toString('utf8')), null, 1));
		expect(rejected(verifyRsaNotification(respaced, headers, platformKey))).toBe('badSignature');
	});

	it('refuses a missing, empty, repeated or garbled signature header', () => {
		const { raw, headers } = message({ style: 'rsa' });
		const { signature, ...unsigned } = headers;
		expect(rejected(verifyRsaNotification(raw, unsigned, platformKey))).toBe('missingSignature');
		expect(rejected(verifyRsaNotification(raw, { ...unsigned, signature: '  ' }, platformKey))).toBe('missingSignature');
		expect(
			rejected(verifyRsaNotification(raw, { ...unsigned, signature: [String(signature), String(signature)] }, platformKey)),
		).toBe('missingSignature');
		expect(rejected(verifyRsaNotification(raw, { ...unsigned, signature: 'not base64!' }, platformKey))).toBe('badSignature');
		expect(rejected(verifyRsaNotification(raw, { ...unsigned, signature: 'AAAA' }, platformKey))).toBe('badSignature');
	});

	it('refuses a notification signed with another key (forged) and one checked with the wrong platform key', () => {
		const forged = message({ style: 'rsa', signWith: stranger.privateKey });
		expect(rejected(verifyRsaNotification(forged.raw, forged.headers, platformKey))).toBe('badSignature');
		const genuine = message({ style: 'rsa' });
		expect(rejected(verifyRsaNotification(genuine.raw, genuine.headers, stranger.publicKey))).toBe('badSignature');
	});

	it('refuses an empty body, and a correctly signed body that is not a JSON object', () => {
		expect(rejected(verifyRsaNotification(Buffer.alloc(0), { signature: 'AAAA' }, platformKey))).toBe('emptyBody');
		for (const text of ['not json', '[1,2]', 'null', '"text"']) {
			const raw = Buffer.from(text);
			const signature = sign('sha256', raw, platform.privateKey).toString('base64');
			expect(rejected(verifyRsaNotification(raw, { signature }, platformKey))).toBe('malformed');
		}
	});

	it('refuses signed bytes that are not valid UTF-8', () => {
		const raw = Buffer.concat([Buffer.from('{"id":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
		const signature = sign('sha256', raw, platform.privateKey).toString('base64');
		expect(rejected(verifyRsaNotification(raw, { signature }, platformKey))).toBe('malformed');
	});
});

describe('HMAC-SHA256 notifications (headers "x-signature", "x-timestamp")', () => {
	const now = 1_716_532_172_682;
	const hmac = (o: NotifyOptions = {}) => message({ style: 'hmac', secret: SECRET, timestamp: now, ...o });

	it('accepts a genuine notification', () => {
		const { raw, headers } = hmac();
		expect(headers['x-signature']).toMatch(/^[0-9a-f]{64}$/);
		expect(verifyHmacNotification(raw, headers, SECRET, now)).toEqual({ ok: true, body: payload() });
	});

	it('accepts an upper-case hex signature', () => {
		const { raw, headers } = hmac();
		const upper = { ...headers, 'x-signature': String(headers['x-signature']).toUpperCase() };
		expect(verifyHmacNotification(raw, upper, SECRET, now).ok).toBe(true);
	});

	it('refuses a body with one byte changed, and the sandbox tamper', () => {
		const { raw, headers } = hmac();
		expect(rejected(verifyHmacNotification(flipByte(raw), headers, SECRET, now))).toBe('badSignature');
		const tampered = hmac({ tamper: true });
		expect(rejected(verifyHmacNotification(tampered.raw, tampered.headers, SECRET, now))).toBe('badSignature');
	});

	it('refuses the wrong secret', () => {
		const { raw, headers } = hmac();
		expect(rejected(verifyHmacNotification(raw, headers, `${SECRET}x`, now))).toBe('badSignature');
		const other = hmac({ secret: 'another secret' });
		expect(rejected(verifyHmacNotification(other.raw, other.headers, SECRET, now))).toBe('badSignature');
	});

	it('refuses a missing or malformed signature without throwing', () => {
		const { raw, headers } = hmac();
		const { 'x-signature': signature, ...unsigned } = headers;
		expect(rejected(verifyHmacNotification(raw, unsigned, SECRET, now))).toBe('missingSignature');
		const short = String(signature).slice(0, 62);
		for (const bad of [short, `${signature}00`, 'zz'.repeat(32), Buffer.from(String(signature), 'hex').toString('base64')]) {
			expect(rejected(verifyHmacNotification(raw, { ...unsigned, 'x-signature': bad }, SECRET, now))).toBe('badSignature');
		}
	});

	it('refuses a missing or non-numeric timestamp', () => {
		const { raw, headers } = hmac();
		const { 'x-timestamp': _ts, ...noTimestamp } = headers;
		expect(_ts).toBe(String(now));
		expect(rejected(verifyHmacNotification(raw, noTimestamp, SECRET, now))).toBe('missingTimestamp');
		for (const bad of ['', 'abc', '1.7e12', '-1', '2024-05-24T14:29:32Z']) {
			expect(rejected(verifyHmacNotification(raw, { ...noTimestamp, 'x-timestamp': bad }, SECRET, now))).toBe(
				'missingTimestamp',
			);
		}
	});

	it('refuses a stale or future timestamp, and accepts one exactly at the 5 minute limit', () => {
		expect(HMAC_TOLERANCE_MS).toBe(5 * 60 * 1000);
		const at = (timestamp: number) => {
			const { raw, headers } = hmac({ timestamp });
			return verifyHmacNotification(raw, headers, SECRET, now);
		};
		expect(rejected(at(now - HMAC_TOLERANCE_MS - 1))).toBe('staleTimestamp');
		expect(rejected(at(now + HMAC_TOLERANCE_MS + 1))).toBe('staleTimestamp');
		expect(rejected(at(now - 24 * 3600e3))).toBe('staleTimestamp');
		expect(at(now - HMAC_TOLERANCE_MS).ok).toBe(true);
		expect(at(now + HMAC_TOLERANCE_MS).ok).toBe(true);
	});

	it('checks the HMAC over the raw bytes only (the timestamp is not part of what is signed)', () => {
		const raw = Buffer.from('{"id":"evt_1"}');
		const signature = createHmac('sha256', SECRET).update(raw).digest('hex');
		const result = verifyHmacNotification(raw, { 'x-signature': signature, 'x-timestamp': String(now) }, SECRET, now);
		expect(result).toEqual({ ok: true, body: { id: 'evt_1' } });
	});
});

describe('Form POST notifications (field "signature")', () => {
	const form = (o: NotifyOptions = {}) => message({ style: 'form', ...o });
	const asStrings = (p: Record<string, unknown>) =>
		Object.fromEntries(Object.entries(p).map(([k, v]) => [k, typeof v === 'object' ? JSON.stringify(v) : String(v)]));

	it('accepts a genuine notification; the body is the fields as strings, without the signature', () => {
		const { raw, headers } = form();
		expect(headers['content-type']).toBe('application/x-www-form-urlencoded');
		expect(verifyFormNotification(raw, headers, platformKey)).toEqual({ ok: true, body: asStrings(payload()), rawText: expect.any(String) });
	});

	it('accepts fields holding numbers, objects and an empty value (signed as the strings sent)', () => {
		const p = payload({ amount: 100.01, extra: { a: [1, '二'] }, empty: '' });
		const { raw, headers } = form({ payload: p });
		expect(verifyFormNotification(raw, headers, platformKey)).toEqual({ ok: true, body: asStrings(p), rawText: expect.any(String) });
	});

	it('signs exactly what the sandbox signs: fields sorted by name, JSON without spaces', () => {
		expect(formSigningText({ signature: 'x', status: 'SUCCESS', id: 'evt_1', amount: '1.00' })).toBe(
			'{"amount":"1.00","id":"evt_1","status":"SUCCESS"}',
		);
	});

	it('refuses a changed, added or removed field', () => {
		const { raw, headers } = form();
		const params = new URLSearchParams(raw.toString('utf8'));
		const variant = (edit: (p: URLSearchParams) => void) => {
			const copy = new URLSearchParams(params);
			edit(copy);
			return verifyFormNotification(Buffer.from(copy.toString()), headers, platformKey);
		};
		expect(rejected(variant((p) => p.set('transAmt', '100.02')))).toBe('badSignature');
		expect(rejected(variant((p) => p.set('status', 'FAILED')))).toBe('badSignature');
		expect(rejected(variant((p) => p.append('refund', 'true')))).toBe('badSignature');
		expect(rejected(variant((p) => p.delete('orderId')))).toBe('badSignature');
		const tampered = form({ tamper: true });
		expect(rejected(verifyFormNotification(tampered.raw, tampered.headers, platformKey))).toBe('badSignature');
	});

	it('refuses a missing signature field, another key, and a repeated field', () => {
		const unsigned = form({ omitSignature: true });
		expect(rejected(verifyFormNotification(unsigned.raw, unsigned.headers, platformKey))).toBe('missingSignature');
		const forged = form({ signWith: stranger.privateKey });
		expect(rejected(verifyFormNotification(forged.raw, forged.headers, platformKey))).toBe('badSignature');
		const { raw, headers } = form();
		const doubled = Buffer.from(`${raw.toString('utf8')}&status=FAILED`);
		expect(rejected(verifyFormNotification(doubled, headers, platformKey))).toBe('malformed');
	});

	it('refuses a body that is not form-encoded', () => {
		const { raw, headers } = form();
		expect(rejected(verifyFormNotification(raw, { ...headers, 'content-type': 'application/json' }, platformKey))).toBe(
			'malformed',
		);
		const { 'content-type': _ct, ...noType } = headers;
		expect(_ct).toBeDefined();
		expect(rejected(verifyFormNotification(raw, noType, platformKey))).toBe('malformed');
		expect(rejected(verifyFormNotification(Buffer.alloc(0), headers, platformKey))).toBe('emptyBody');
	});

	it('accepts a charset parameter, and a signature whose "+" arrived unencoded (as a space)', () => {
		const { raw, headers } = form();
		const params = new URLSearchParams(raw.toString('utf8'));
		const signature = String(params.get('signature'));
		params.delete('signature');
		const sloppy = `${params.toString()}&signature=${signature.replace(/\//g, '%2F').replace(/=/g, '%3D')}`;
		const result = verifyFormNotification(
			Buffer.from(sloppy),
			{ ...headers, 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' },
			platformKey,
		);
		expect(result.ok).toBe(true);
	});

	it('accepts a form whose "+" signs were left unencoded in any field, and emits exactly the text that was verified', () => {
		const p = payload({ notifyTime: '2024-05-24T14:29:32.682+08:00', reqReserved: 'a+b c', note: '1+1=2' });
		const { raw, headers } = form({ payload: p });
		const strict = raw.toString('utf8');
		expect(strict).toContain('notifyTime=2024-05-24T14%3A29%3A32.682%2B08%3A00');
		expect(verifyFormNotification(raw, headers, platformKey)).toMatchObject({ ok: true, body: { notifyTime: p.notifyTime, reqReserved: 'a+b c' } });
		// A sender that percent-encodes everything but "+" (spaces as %20).
		const loose = Buffer.from(
			strict
				.split('&')
				.map((pair) => pair.replace(/\+/g, '%20').replace(/%2B/g, '+'))
				.join('&'),
		);
		expect(loose.toString()).toContain('notifyTime=2024-05-24T14%3A29%3A32.682+08%3A00');
		const result = verifyFormNotification(loose, headers, platformKey);
		expect(result).toMatchObject({ ok: true, body: { notifyTime: '2024-05-24T14:29:32.682+08:00', reqReserved: 'a+b c', note: '1+1=2' } });
		expect(result.ok && result.rawText).toBe(loose.toString().split('&').filter((x) => !x.startsWith('signature=')).join('&'));
		// Either reading must verify on its own: changing a value still fails both.
		const changed = Buffer.from(loose.toString().replace('1+1%3D2', '1+2%3D3'));
		expect(rejected(verifyFormNotification(changed, headers, platformKey))).toBe('badSignature');
	});

	it('never returns the signature field in rawText', () => {
		const { raw, headers } = form();
		const result = verifyFormNotification(raw, headers, platformKey);
		expect(result.ok && result.rawText).toBe(raw.toString('utf8').replace(/&signature=[^&]*/, ''));
		expect(result.ok && result.rawText).not.toMatch(/signature/);
	});
});
