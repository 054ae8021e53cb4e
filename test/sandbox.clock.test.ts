// The sandbox's clock offset: its Date header and its requestTime window follow the shifted clock.
import * as crypto from 'node:crypto';

import { startSandbox, CODES } from '../sandbox/server';
import type { Sandbox } from '../sandbox/server';

const merchant = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const MIN3 = 180_000;
let sb: Sandbox;

beforeAll(async () => {
	sb = await startSandbox({ merchantPublicKey: merchant.publicKey, clockOffsetMs: MIN3 });
});
afterAll(async () => sb.close());

const at = (shiftMs: number) => new Date(Date.now() + shiftMs).toISOString();
async function cancelAt(requestTime: string) {
	const body = JSON.stringify({ charset: 'UTF-8', version: '2.0.0', signType: 'RSA', keyVersion: '1', merchantId: 'M1', requestTime,
		transType: 'PAY', accessType: 's2s', cardId: `C-${crypto.randomUUID()}`, requestId: crypto.randomUUID() });
	const res = await fetch(`${sb.baseUrl}/v1/issuing/cards/cancel`, {
		method: 'POST',
		headers: { 'content-type': 'application/json', signature: crypto.sign('sha256', Buffer.from(body), merchant.privateKey).toString('base64') },
		body,
	});
	return { date: Date.parse(res.headers.get('date') ?? ''), json: (await res.json()) as { errCode: string; errMessage: string } };
}

test('clockOffsetMs shifts the Date header and the requestTime window; the admin endpoint changes it; reset restores it', async () => {
	const now = await cancelAt(at(0));
	expect(now.json.errCode).toBe(CODES.BAD_TIME);
	expect(now.json.errMessage).toMatch(/^requestTime is outside the allowed 2-minute window/);
	expect(Math.abs(now.date - (Date.now() + MIN3))).toBeLessThan(3000);
	expect((await cancelAt(at(MIN3))).json.errCode).toBe(CODES.SUCCESS);

	const admin = sb.baseUrl.replace(/\/gateway$/, '/__sandbox/clock');
	const set = await fetch(admin, { method: 'POST', body: JSON.stringify({ offsetMs: -MIN3 }) });
	expect(await set.json()).toEqual({ offsetMs: -MIN3 });
	const behind = await cancelAt(at(-MIN3));
	expect(behind.json.errCode).toBe(CODES.SUCCESS);
	expect(Math.abs(behind.date - (Date.now() - MIN3))).toBeLessThan(3000);
	expect(await (await fetch(admin)).json()).toEqual({ offsetMs: -MIN3 });
	sb.reset();
	expect(sb.clockOffsetMs()).toBe(MIN3);
});
