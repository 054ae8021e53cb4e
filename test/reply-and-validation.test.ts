import { InputError, amount, currency, httpUrl, recentTime, requiredId } from '../nodes/PayLoco/actions/validate';
import { Fault, Refusal } from '../nodes/PayLoco/faults';
import { normalize, readReply } from '../nodes/PayLoco/engine/reply';
import { backoffMs } from '../nodes/PayLoco/engine/retry';
import { rfc3339, signBytes, loadPublicKey } from '../nodes/PayLoco/signing';
import { resolveBaseUrl, SettingsError } from '../nodes/PayLoco/environment';
import { rsaKeyPair } from './helpers/keys';

function thrown(fn: () => unknown): unknown {
	try {
		fn();
	} catch (error) {
		return error;
	}
	throw new Error('expected a throw');
}

describe('both response dialects normalize to one shape', () => {
	it('dialect A (Cancel Card, Query)', () => {
		expect(normalize({ success: true, errCode: '00000003', errMessage: '处理中', status: 'PENDING', traceId: 't1' })).toEqual({
			success: true, status: 'PENDING', code: '00000003', message: '处理中', traceId: 't1',
		});
	});
	it('dialect B (Pre-Auth Void) with data.status', () => {
		expect(normalize({ code: '00000000', message: 'ok', traceId: 't2', data: { status: 'SUCCESS', orderId: 'O1' } })).toEqual({
			success: true, status: 'SUCCESS', code: '00000000', message: 'ok', traceId: 't2', data: { status: 'SUCCESS', orderId: 'O1' },
		});
	});
	it('shows no status when PayLoco sends none (never one it did not send)', () => {
		expect(normalize({ code: '00000000', message: '', traceId: 't' })).not.toHaveProperty('status');
		expect(normalize({ code: '00000003', message: '', traceId: 't' })).not.toHaveProperty('status');
	});
	it('any other code is a refusal carrying code, message, traceId and status', () => {
		const error = thrown(() => normalize({ code: '22070030', message: 'Format error-transType cannot be empty', traceId: 't3', data: { status: 'FAILED' } }));
		expect(error).toBeInstanceOf(Refusal);
		expect(error).toMatchObject({ code: '22070030', traceId: 't3', status: 'FAILED' });
	});
	it('a refusal about requestTime is recognised as clock skew', () => {
		expect((thrown(() => normalize({ errCode: '10010002', errMessage: 'requestTime expired', traceId: 't' })) as Refusal).isClockSkew).toBe(true);
		expect((thrown(() => normalize({ errCode: '50000001', errMessage: 'declined', traceId: 't' })) as Refusal).isClockSkew).toBe(false);
	});
	it('a success without traceId is not trusted', () => {
		expect(thrown(() => normalize({ code: '00000000', message: 'ok' }))).toMatchObject({ kind: 'malformed' });
	});
});

describe('reading a raw reply', () => {
	const platform = rsaKeyPair(2048);
	const key = loadPublicKey(platform.publicBase64);
	const reply = (statusCode: number, text: string, headers: Record<string, string> = {}) => ({ statusCode, headers, body: Buffer.from(text, 'utf8') });
	const okBody = '{"success":true,"errCode":"00000000","errMessage":"成功","status":"SUCCESS","traceId":"t"}';

	it.each([
		[reply(503, 'down'), 'http', true],
		[reply(429, '', { 'retry-after': '2' }), 'rateLimited', true],
		[reply(404, 'nope'), 'http', false],
		[reply(200, '<html><body>Bad gateway</body></html>'), 'html', false],
		[reply(200, ''), 'empty', false],
		[reply(200, 'garbage'), 'notJson', false],
	])('%# faults with the right kind and retryability', (raw, kind, retryable) => {
		const fault = thrown(() => readReply(raw, undefined)) as Fault;
		expect(fault).toBeInstanceOf(Fault);
		expect(fault.kind).toBe(kind);
		expect(fault.details.retryable).toBe(retryable);
	});
	it('honours Retry-After', () => {
		expect((thrown(() => readReply(reply(429, '', { 'retry-after': '2' }), undefined)) as Fault).details.retryAfterMs).toBe(2000);
	});
	it('accepts a correctly signed answer and refuses a tampered or unsigned one', () => {
		const signature = signBytes(platform.privateKey, Buffer.from(okBody, 'utf8'));
		expect(readReply(reply(200, okBody, { signature }), key).status).toBe('SUCCESS');
		expect(thrown(() => readReply(reply(200, okBody.replace('SUCCESS', 'SUCCEED'), { signature }), key))).toMatchObject({ kind: 'badSignature' });
		expect(thrown(() => readReply(reply(200, okBody), key))).toMatchObject({ kind: 'missingSignature' });
	});
	it('shows an unsigned refusal as the refusal it is', () => {
		expect(thrown(() => readReply(reply(200, '{"errCode":"10010001","errMessage":"sign error","traceId":"t"}'), key))).toBeInstanceOf(Refusal);
	});
});

describe('input validation', () => {
	it.each(['100', '100.01', '0.5', '1.1'])('amount %s is accepted for USD', (value) => expect(amount('transAmt', value, 'USD')).toBe(value));
	it.each(['1,00', '-1', 'abc', '1e3', '0', '0.00', '100.001', ' 1', '', '.5'])('amount "%s" is refused for USD', (value) => {
		expect(thrown(() => amount('transAmt', value, 'USD'))).toMatchObject({ field: 'transAmt' });
	});
	it('uses the currency minor units', () => {
		expect(thrown(() => amount('transAmt', '100.5', 'JPY'))).toBeInstanceOf(InputError);
		expect(amount('transAmt', '100.005', 'KWD')).toBe('100.005');
	});
	it.each(['usd', 'US', 'USDX', 'ABC', '12A'])('currency %s is refused', (value) => {
		expect(thrown(() => currency('currency', value))).toMatchObject({ field: 'currency' });
	});
	it('requires IDs and bounds them', () => {
		expect(thrown(() => requiredId('cardId', ''))).toMatchObject({ field: 'cardId' });
		expect(thrown(() => requiredId('cardId', 'x'.repeat(65)))).toMatchObject({ field: 'cardId' });
		expect(thrown(() => requiredId('cardId', 'a\nb'))).toMatchObject({ field: 'cardId' });
	});
	it('checks times are RFC 3339 and within two minutes', () => {
		const now = new Date();
		expect(recentTime('merchantOrderTime', rfc3339(now), now)).toBeTruthy();
		expect(thrown(() => recentTime('merchantOrderTime', rfc3339(new Date(now.getTime() - 180_000)), now))).toBeInstanceOf(InputError);
		expect(thrown(() => recentTime('merchantOrderTime', '2024-05-24 14:29:32', now))).toBeInstanceOf(InputError);
	});
	it('notifyUrl must be http(s)', () => {
		expect(thrown(() => httpUrl('notifyUrl', 'ftp://x'))).toBeInstanceOf(InputError);
		expect(httpUrl('notifyUrl', 'https://n8n.example.com/webhook/x')).toBeTruthy();
	});
});

describe('base URL', () => {
	it('maps environments and refuses plain http except to loopback', () => {
		expect(resolveBaseUrl({ environment: 'dev' })).toBe('https://gate.dev.payloco.com/gateway');
		expect(resolveBaseUrl({ environment: 'uat' })).toBe('https://gate.uat.payloco.com/gateway');
		expect(resolveBaseUrl({ environment: 'custom', baseUrl: 'http://127.0.0.1:8787/gateway/' })).toBe('http://127.0.0.1:8787/gateway');
		expect(thrown(() => resolveBaseUrl({ environment: 'custom', baseUrl: 'http://gate.example.com/gateway' }))).toBeInstanceOf(SettingsError);
		expect(thrown(() => resolveBaseUrl({ environment: 'custom', baseUrl: 'not a url' }))).toBeInstanceOf(SettingsError);
		expect(thrown(() => resolveBaseUrl({ environment: 'custom', baseUrl: '' }))).toBeInstanceOf(SettingsError);
	});
});

describe('retry backoff', () => {
	const fault = (retryAfterMs?: number) => new Fault('http', 'x', { retryable: true, outcomeUnknown: true, retryAfterMs });
	it('grows exponentially with jitter and is capped', () => {
		expect(backoffMs(1, fault(), () => 0)).toBe(250);
		expect(backoffMs(1, fault(), () => 1)).toBe(500);
		expect(backoffMs(3, fault(), () => 1)).toBe(2000);
		expect(backoffMs(20, fault(), () => 1)).toBe(10_000);
	});
	it('follows Retry-After, capped at a minute', () => {
		expect(backoffMs(1, fault(1500))).toBe(1500);
		expect(backoffMs(1, fault(3_600_000))).toBe(60_000);
	});
});
