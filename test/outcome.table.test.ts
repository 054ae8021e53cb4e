import type { IDataObject } from 'n8n-workflow';

import { attemptResult, Fault, Refusal, UnknownAfterRetry, VoidNotCompleted } from '../nodes/PayLoco/faults';
import { normalize, readReply } from '../nodes/PayLoco/engine/reply';
import type { RawReply } from '../nodes/PayLoco/transport/request';
import {
	actionOutcome,
	headerValue,
	isOrderTimeRefusal,
	isRequestTimeRefusal,
	orderOutcome,
	outcomeOf,
	queryOutcome,
	readAnswer,
	refusesSignatureOrEnvelope,
} from '../nodes/PayLoco/outcome';
import { loadPrivateKey, loadPublicKey, signBytes } from '../nodes/PayLoco/signing';
import { rsaKeyPair } from './helpers/keys';

/** The table of what a PayLoco answer means (nodes/PayLoco/outcome.ts), row by row, in-process. */

function thrown(fn: () => unknown): unknown {
	try {
		fn();
	} catch (error) {
		return error;
	}
	throw new Error('expected a throw');
}

const A = (errCode: string | undefined, success: unknown, status?: string) => ({ errCode, success, status, errMessage: 'm', traceId: 't' });
const B = (code: string | undefined, success: unknown, status?: string) => ({
	code,
	message: 'm',
	traceId: 't',
	...(success === undefined ? {} : { success }),
	data: status === undefined ? {} : { status },
});

describe('Cancel Card and Pre-Auth Void: every row, in both dialects', () => {
	const rows: Array<[string | undefined, unknown, string | undefined, string]> = [
		[undefined, true, 'SUCCESS', 'unknown'],
		['00000003', undefined, undefined, 'pending'],
		['00000003', true, 'PENDING', 'pending'],
		['00000003', false, 'PENDING', 'pending'],
		['00000003', 'false', undefined, 'pending'],
		['00000003', true, 'PROCESSING', 'pending'],
		['00000003', true, 'FAILED', 'unknown'],
		['00000003', undefined, 'CLOSED', 'unknown'],
		['00000000', true, 'SUCCESS', 'applied'],
		['00000000', undefined, undefined, 'applied'],
		['00000000', true, 'success', 'applied'],
		['00000000', true, 'PENDING', 'pending'],
		['00000000', true, 'FAILED', 'refused'],
		['00000000', undefined, 'CLOSED', 'refused'],
		['00000000', false, 'FAILED', 'refused'],
		['00000000', false, 'SUCCESS', 'unknown'],
		['00000000', 'false', undefined, 'unknown'],
		['00000000', false, 'PENDING', 'unknown'],
		['00000000', true, 'PROCESSING', 'unknown'],
		['00000000', undefined, 'REVERSING', 'unknown'],
		['50000001', false, 'FAILED', 'refused'],
		['50000001', undefined, undefined, 'refused'],
		['50000001', undefined, 'CLOSED', 'refused'],
		['50000001', true, 'FAILED', 'unknown'],
		['50000001', false, 'SUCCESS', 'unknown'],
		['50000001', false, 'PENDING', 'unknown'],
		['50000001', undefined, 'PROCESSING', 'unknown'],
	];
	it.each(rows)('code %s, success %s, status %s: %s', (code, success, status, outcome) => {
		expect(actionOutcome(readAnswer(A(code, success, status)))).toBe(outcome);
		expect(actionOutcome(readAnswer(B(code, success, status)))).toBe(outcome);
	});

	it.each(rows)('the node reports code %s, success %s, status %s as %s, with the status as sent', (code, success, status, outcome) => {
		for (const json of [A(code, success, status), B(code, success, status)]) {
			const result = (() => {
				try {
					return normalize(json);
				} catch (error) {
					return error;
				}
			})();
			expect(outcomeOf(result)).toBe(outcome);
			if (outcome === 'applied' || outcome === 'pending') expect((result as IDataObject).status).toBe(status);
			if (outcome === 'refused') expect(result).toMatchObject({ name: 'Refusal', status });
			if (outcome === 'unknown') expect(result).toMatchObject({ name: 'Fault', details: { outcomeUnknown: true } });
		}
	});

	it('an empty top-level status does not hide data.status', () => {
		expect(readAnswer({ code: '00000000', status: '', data: { status: 'FAILED' } }).status).toBe('FAILED');
		expect(readAnswer({ code: '00000000', status: '  ', data: { status: 'SUCCESS' } }).status).toBe('SUCCESS');
		expect(actionOutcome(readAnswer({ code: '00000000', status: '', data: { status: 'SUCCESS' } }))).toBe('applied');
		expect(readAnswer({ code: '00000000', status: '', data: { status: '' } }).status).toBeUndefined();
	});
});

describe('Transaction Query', () => {
	it.each([
		['00000000', undefined, 'answered'],
		['00000003', true, 'answered'],
		['00000003', false, 'unknown'],
		['00000000', false, 'unknown'],
		['40040001', false, 'refused'],
		['40040001', undefined, 'refused'],
		['40040001', true, 'unknown'],
		[undefined, true, 'unknown'],
	])('code %s, success %s: %s', (code, success, outcome) => {
		expect(queryOutcome(readAnswer(A(code, success, 'SUCCESS')))).toBe(outcome);
	});

	it.each([
		['SUCCESS', 'applied'],
		['PENDING', 'pending'],
		['FAILED', 'refused'],
		['CLOSED', 'refused'],
		['PROCESSING', 'unknown'],
		[undefined, 'unknown'],
	])("the order's status %s: %s", (status, outcome) => {
		expect(orderOutcome(status)).toBe(outcome);
		const answered = normalize({ errCode: '00000000', traceId: 't', ...(status ? { status } : {}) }, { sent: {}, readOnly: true });
		expect(outcomeOf(answered)).toBe(outcome);
	});
});

describe('the HTTP layer', () => {
	const platform = rsaKeyPair();
	const key = loadPublicKey(platform.publicBase64);
	const sign = (body: Buffer) => signBytes(loadPrivateKey(platform.pkcs8Pem), body);
	const reply = (statusCode: number, text: string, headers: RawReply['headers'] = {}): RawReply => ({ statusCode, headers, body: Buffer.from(text) });
	const signed = (statusCode: number, text: string) => reply(statusCode, text, { signature: sign(Buffer.from(text)) });
	const success = '{"success":true,"errCode":"00000000","errMessage":"Success","status":"SUCCESS","traceId":"t"}';
	const declined = '{"success":false,"errCode":"50000001","errMessage":"Transaction declined","status":"FAILED","traceId":"t"}';

	it.each([
		[408, true],
		[409, false],
	])('HTTP %i is an unknown outcome, not "check the base URL"', (status, retryable) => {
		const error = thrown(() => readReply(reply(status, '{"error":"x"}'), key)) as Fault;
		expect(error).toMatchObject({ kind: 'http', details: { outcomeUnknown: true, retryable, httpStatus: status } });
		expect(error.message).not.toMatch(/base URL/);
		expect(outcomeOf(error)).toBe('unknown');
	});

	it('no HTTP status code (read as 0) is an unknown outcome', () => {
		expect(thrown(() => readReply(reply(0, success), key))).toMatchObject({ details: { outcomeUnknown: true } });
		expect(thrown(() => readReply(reply(Number.NaN, success), key))).toMatchObject({ details: { outcomeUnknown: true } });
	});

	it('other 4xx without a signed PayLoco body are not applied; 429 is rate limiting; 5xx unknown', () => {
		expect(outcomeOf(thrown(() => readReply(reply(404, '{"code":"40400000"}'), key)))).toBe('refused');
		expect(outcomeOf(thrown(() => readReply(reply(400, declined), key)))).toBe('refused');
		expect(thrown(() => readReply(reply(429, '{}'), key))).toMatchObject({ kind: 'rateLimited', details: { retryable: true } });
		expect(outcomeOf(thrown(() => readReply(reply(502, '<html></html>'), key)))).toBe('unknown');
	});

	it('a signed PayLoco body on a 4xx is read like any answer', () => {
		expect(readReply(signed(400, success), key)).toMatchObject({ success: true, status: 'SUCCESS' });
		const refusal = thrown(() => readReply(signed(422, declined), key)) as Refusal;
		expect(refusal).toBeInstanceOf(Refusal);
		expect(refusal.httpStatus).toBe(422);
		// Signed with another key: the answer cannot be trusted, so the outcome is unknown.
		const forged = reply(400, success, { signature: signBytes(rsaKeyPair(2048, true).privateKey, Buffer.from(success)) });
		expect(thrown(() => readReply(forged, key))).toMatchObject({ kind: 'badSignature', details: { outcomeUnknown: true } });
	});

	it.each([
		['10010001', 'Signature verification failed: signature header is missing'],
		['10010001', 'sign error'],
		['22070033', 'Format error-Content-Type must be application/json'],
		['10010003', 'keyVersion 2 is not registered for this merchant'],
		['22070031', 'Format error-merchantId is too long'],
		['10010009', '验签失败'],
	])('an unsigned refusal of the signature or envelope is believed: %s %s', (code, message) => {
		const text = JSON.stringify({ success: false, errCode: code, errMessage: message, status: 'FAILED', traceId: 't' });
		expect(thrown(() => readReply(reply(200, text), key))).toBeInstanceOf(Refusal);
	});

	it.each([
		['50000001', 'Transaction declined'],
		['30020003', 'Card C-1 expired'],
		['40050001', 'Duplicate request: requestId R-1 was already processed'],
		['22070030', 'Format error-transType cannot be empty'],
		['00000000', 'Success'],
	])('any other unsigned answer is a fault with outcome unknown: %s %s', (code, message) => {
		const text = JSON.stringify({ success: code === '00000000', errCode: code, errMessage: message, status: 'FAILED', traceId: 't' });
		const error = thrown(() => readReply(reply(200, text), key)) as Fault;
		expect(error).toMatchObject({ kind: 'missingSignature', details: { outcomeUnknown: true } });
		expect(error.message).toContain(`${code} ${message}`);
		// Without verification the same answer is simply read.
		expect(refusesSignatureOrEnvelope(message)).toBe(false);
	});
});

describe('the clock rule: requestTime refusals only', () => {
	it.each([
		['requestTime is outside the allowed 2-minute window (off by 180s); stamp the time at send', true],
		['request time expired', true],
		['请求时间超出允许范围', true],
		['merchantOrderTime is outside the allowed 2-minute window', false],
		['订单时间超出允许范围', false],
		['Card expired', false],
		['timestamp expired', false],
		['时间错误', false],
		['Format error-requestTime must be RFC 3339 with milliseconds and offset', false],
		['Format error-requestTime cannot be empty', false],
	])('%s: %s', (message, clock) => {
		expect(isRequestTimeRefusal(message)).toBe(clock);
		expect(new Refusal('10010002', message, 't', 'FAILED', {}).isClockSkew).toBe(clock);
	});

	it('merchantOrderTime refusals are recognised as such', () => {
		expect(isOrderTimeRefusal('merchantOrderTime is outside the allowed 2-minute window')).toBe(true);
		expect(isOrderTimeRefusal('订单时间超出允许范围')).toBe(true);
		expect(isOrderTimeRefusal('requestTime is outside the allowed 2-minute window')).toBe(false);
	});
});

describe('one header reader', () => {
	it('a repeated header counts as absent; one copy is its value', () => {
		expect(headerValue({ signature: 'abc' }, 'Signature')).toBe('abc');
		expect(headerValue({ signature: ['abc'] }, 'signature')).toBe('abc');
		expect(headerValue({ signature: ['abc', 'def'] }, 'signature')).toBeUndefined();
		expect(headerValue({}, 'signature')).toBeUndefined();
	});
});

describe('outcomeOf, for a record of what was sent', () => {
	it('errors carry their own outcome', () => {
		const refusal = new Refusal('50000001', 'declined', 't', 'FAILED', {});
		const unknown = new Fault('timeout', 'x', { retryable: true, outcomeUnknown: true });
		const notSent = new Fault('connection', 'x', { retryable: true, outcomeUnknown: false });
		expect(outcomeOf(refusal)).toBe('refused');
		expect(outcomeOf(unknown)).toBe('unknown');
		expect(outcomeOf(notSent)).toBe('refused');
		expect(outcomeOf(new UnknownAfterRetry(unknown, refusal, []))).toBe('unknown');
		expect(outcomeOf(new VoidNotCompleted('x', 'y'))).toBe('refused');
		expect(outcomeOf(new Error('bug'))).toBe('unknown');
		expect(outcomeOf(undefined)).toBe('unknown');
	});

	it("items of the node's output", () => {
		expect(outcomeOf({ success: true, status: 'SUCCESS', code: '00000000', traceId: 't', attempts: 1 })).toBe('applied');
		expect(outcomeOf({ success: true, status: 'PENDING', code: '00000003', traceId: 't', attempts: 1 })).toBe('pending');
		expect(outcomeOf({ success: false, error: 'x', code: '50000001', status: 'FAILED', attempts: 1 })).toBe('refused');
		expect(outcomeOf({ success: false, error: 'x', code: '00000000', status: 'PROCESSING', outcomeUnknown: true, attempts: 1 })).toBe('unknown');
		expect(outcomeOf({ success: false, error: 'x', fault: 'http', outcomeUnknown: false, attempts: 1 })).toBe('refused');
		expect(outcomeOf({ success: false, error: 'x', status: 'FAILED', final: true, attempts: 1 })).toBe('refused');
		expect(outcomeOf({ success: true, status: 'PENDING', final: false, attempts: 1 })).toBe('pending');
	});
});

describe('no status PayLoco did not send', () => {
	it('an attempt of a refusal without status has none', () => {
		const result = attemptResult(1, new Refusal('22070030', 'Format error-transType cannot be empty', 't', undefined, {}));
		expect(result).toEqual({ attempt: 1, code: '22070030', traceId: 't' });
	});
});
