/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
// The sandbox is at least as strict as PayLoco's Java gateway, over real HTTP on 127.0.0.1, and the
// openssl test helper decodes signatures as strictly as the sandbox does.
import * as crypto from 'node:crypto';
import * as http from 'node:http';

import { startSandbox, CODES } from '../sandbox/server';
import type { Sandbox } from '../sandbox/server';
import { rsaKeyPair } from './helpers/keys';
import { opensslVerify, strictBase64 } from './helpers/openssl';

const CANCEL = '/v1/issuing/cards/cancel';
const VOID = '/v1/payments/open/api/preAuthVoid';
const MEMBER = 'MEMBER-77';
const merchant = rsaKeyPair();
let sb: Sandbox;

beforeAll(async () => {
	sb = await startSandbox({ merchantPublicKey: merchant.publicPem, replays: false, memberId: MEMBER, keyVersion: '1' });
});
afterAll(() => sb.close());
beforeEach(() => sb.reset());

const rfc3339 = () => new Date(Date.now() + 8 * 3600e3).toISOString().replace('Z', '+08:00');
const cancelBody = (cardId: string, extra: Record<string, unknown> = {}) => ({
	charset: 'UTF-8', version: '2.0.0', signType: 'RSA', keyVersion: '1', memberId: MEMBER, merchantId: 'M1',
	requestTime: rfc3339(), transType: 'PAY', accessType: 's2s', cardId, requestId: `REQ-${crypto.randomUUID()}`, ...extra,
});
const sign = (text: string) => crypto.sign('sha256', Buffer.from(text), merchant.privateKey).toString('base64');

function post(path: string, text: string, headers: Record<string, string>): Promise<{ status: number; json: Record<string, unknown>; signed: boolean }> {
	return new Promise((resolve, reject) => {
		const req = http.request(sb.baseUrl + path, { method: 'POST', headers, agent: false }, (res) => {
			const chunks: Buffer[] = [];
			res.on('data', (c) => chunks.push(c));
			res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8')), signed: typeof res.headers.signature === 'string' }));
		});
		req.on('error', reject);
		req.end(text);
	});
}
const postSigned = (body: object, headers: Record<string, string> = {}, path = CANCEL) => {
	const text = JSON.stringify(body);
	return post(path, text, { 'Content-Type': 'application/json', signature: sign(text), ...headers });
};

/** The same signature in every form a lenient decoder takes and Java's Base64.getDecoder() (or we) refuse. */
function nonStandardForms(signature: string): Array<[string, string]> {
	const url = signature.replace(/\+/g, '-').replace(/\//g, '_');
	return [
		['base64url', url === signature ? `${signature.slice(0, -2)}-_` : url],
		['unpadded', signature.replace(/=+$/, '')],
		['embedded space', `${signature.slice(0, 40)} ${signature.slice(40)}`],
		['line break', `${signature.slice(0, 64)}\n${signature.slice(64)}`],
		['leading space', ` ${signature}`],
		['trailing junk', `${signature}!!`],
		['extra padding', `${signature}==`],
		['junk inside', `${signature.slice(0, 10)}*${signature.slice(11)}`],
	];
}

describe('the signature header is decoded as strictly as Java would', () => {
	const text = JSON.stringify(cancelBody('C-b64'));
	const signature = sign(text);

	it('the standard, padded form verifies with the sandbox and with openssl', async () => {
		expect(signature).toMatch(/=$/); // 256 bytes: one padding character
		expect(opensslVerify(merchant.publicPem, Buffer.from(text), signature)).toBe(true);
		const r = await post(CANCEL, text, { 'Content-Type': 'application/json', signature });
		expect(r.json).toMatchObject({ errCode: CODES.SUCCESS });
	});

	it.each(nonStandardForms(signature))('%s: refused by the sandbox and by the openssl helper', async (_name, form) => {
		// Node's own decoder would have taken most of these as the same bytes.
		expect(strictBase64(form)).toBeUndefined();
		expect(opensslVerify(merchant.publicPem, Buffer.from(text), form)).toBe(false);
		// HTTP strips whitespace around a header value and cannot carry a line break: those two
		// forms never reach a server as such, so only the helper is asked about them.
		if (form !== form.trim() || form.includes('\n')) return;
		const r = await post(CANCEL, text, { 'Content-Type': 'application/json', signature: form });
		expect(r.json).toMatchObject({ errCode: CODES.BAD_SIGNATURE, errMessage: expect.stringMatching(/not standard Base64/) });
		expect(r.signed).toBe(false);
		expect(sb.effects).toEqual([]);
	});
});

describe('Content-Type, keyVersion and memberId', () => {
	it.each(['application/json', 'application/json;charset=UTF-8', 'application/json; charset=utf-8'])('%s is accepted', async (type) => {
		expect((await postSigned(cancelBody(`C-${type.length}`), { 'Content-Type': type })).json).toMatchObject({ errCode: CODES.SUCCESS });
	});

	it.each(['text/plain', 'application/x-www-form-urlencoded', 'application/json-patch+json', 'application/json; charset=ISO-8859-1', ''])('"%s" is refused, unsigned, nothing applied', async (type) => {
		const r = await postSigned(cancelBody('C-type'), { 'Content-Type': type });
		expect(r.json).toMatchObject({ errCode: CODES.BAD_CONTENT_TYPE, status: 'FAILED' });
		expect(r.signed).toBe(false);
		expect(sb.effects).toEqual([]);
	});

	it.each([
		['missing keyVersion', { keyVersion: undefined }, CODES.EMPTY_FIELD],
		['keyVersion 2', { keyVersion: '2' }, CODES.BAD_KEY_VERSION],
		['another memberId', { memberId: 'MEMBER-78' }, CODES.BAD_MEMBER],
	])('%s is refused', async (_name, override, code) => {
		const r = await postSigned(cancelBody('C-env', override));
		expect(r.json).toMatchObject({ errCode: code, success: false });
		expect(sb.effects).toEqual([]);
	});

	it('no memberId at all is accepted (it is optional in the envelope)', async () => {
		expect((await postSigned(cancelBody('C-nomember', { memberId: undefined }))).json).toMatchObject({ errCode: CODES.SUCCESS });
	});
});

describe('without idempotent replays, a repeated ID meets the state the first one left', () => {
	it('a cancel sent twice with the same requestId: applied once, the second refused', async () => {
		const body = cancelBody('C-twice');
		const first = await postSigned(body);
		const second = await postSigned({ ...body, requestTime: rfc3339() });
		expect(first.json).toMatchObject({ errCode: CODES.SUCCESS });
		expect(second.json).toMatchObject({ errCode: CODES.CARD_CANCELLED, success: false });
		expect(sb.requests.map((r) => r.outcome)).toEqual(['success', `failed:${CODES.CARD_CANCELLED}`]);
		expect(sb.effects).toHaveLength(1);
	});

	it('a void sent twice: voided once, the second refused', async () => {
		const body = { ...cancelBody(''), merchantOrderId: 'V-twice', merchantOrderTime: rfc3339(), currency: 'USD', transAmt: '1.00', oriMerchantOrderId: 'PA-AUTO-twice' };
		for (const f of ['transType', 'accessType', 'cardId', 'requestId'] as const) delete (body as Record<string, unknown>)[f];
		expect((await postSigned(body, {}, VOID)).json).toMatchObject({ code: CODES.SUCCESS });
		expect((await postSigned(body, {}, VOID)).json).toMatchObject({ code: CODES.PREAUTH_VOIDED });
		expect(sb.effects).toHaveLength(1);
	});

	it('with replays on (the default), the same repeat gets the first answer again', async () => {
		const lenient = await startSandbox({ merchantPublicKey: merchant.publicPem });
		try {
			const body = cancelBody('C-replayed');
			const text = JSON.stringify(body);
			const again = async () => JSON.parse(await new Promise<string>((resolve, reject) => {
				const req = http.request(`${lenient.baseUrl}${CANCEL}`, { method: 'POST', headers: { 'Content-Type': 'application/json', signature: sign(text) }, agent: false }, (res) => {
					let out = '';
					res.on('data', (c) => (out += c));
					res.on('end', () => resolve(out));
				});
				req.on('error', reject);
				req.end(text);
			}));
			const [a, b] = [await again(), await again()];
			expect(b).toEqual(a);
			expect(lenient.requests.map((r) => r.outcome)).toEqual(['success', 'replayed:success']);
		} finally {
			await lenient.close();
		}
	});
});

describe('scenarios for the node to be honest about', () => {
	it.each([
		['OKFAILED-C-1', { success: true, errCode: CODES.SUCCESS, status: 'FAILED' }],
		['FALSEOK-C-1', { success: false, errCode: CODES.SUCCESS, status: 'SUCCESS' }],
		['OTHERID-C-1', { success: true, errCode: CODES.SUCCESS, cardId: expect.stringMatching(/^ANOTHER-/) }],
	])('%s answers a signed %j', async (card, shape) => {
		const r = await postSigned(cancelBody(card));
		expect(r.json).toMatchObject(shape);
		expect(r.signed).toBe(true);
	});
});
