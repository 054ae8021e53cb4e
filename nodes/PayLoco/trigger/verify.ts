import { createHmac, timingSafeEqual } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

import { headerValue } from '../outcome';
import { verifyBytes } from '../signing';

/**
 * Verification of PayLoco notifications, one function per signing style. Pure: no n8n, no I/O.
 * Every check works on the exact bytes that arrived, never on a re-serialization of parsed data.
 * A failure reason is for the operator's log; the sender only ever learns "verification failed".
 */

export type RequestHeaders = Record<string, string | string[] | undefined>;

export type FailureReason =
	| 'emptyBody'
	| 'missingSignature'
	| 'badSignature'
	| 'missingTimestamp'
	| 'staleTimestamp'
	| 'malformed'
	// After verification (rules.ts):
	| 'otherMerchant'
	| 'noMerchant'
	| 'noNotifyTime'
	| 'staleNotifyTime'
	| 'futureNotifyTime';

/** `rawText`: the received text as it may be shown (form: without its signature field). */
export type Verified = { ok: true; body: Record<string, unknown>; rawText?: string };
export type Rejected = { ok: false; reason: FailureReason };
export type VerifyResult = Verified | Rejected;

/** HMAC notifications must carry an `x-timestamp` within this distance of our clock, either way. */
export const HMAC_TOLERANCE_MS = 5 * 60 * 1000;

export const FAILURE_DESCRIPTIONS: Record<FailureReason, string> = {
	emptyBody: 'empty request body',
	missingSignature: 'no signature',
	badSignature: 'signature does not verify (wrong key or secret, forged or modified body)',
	missingTimestamp: 'no valid x-timestamp header',
	staleTimestamp: 'x-timestamp is more than 5 minutes away from this server clock',
	malformed: 'malformed request (not the expected content type or encoding)',
	otherMerchant: "the notification names another merchantId than the credential's",
	noMerchant: 'the notification names no merchantId (option Require Merchant ID)',
	noNotifyTime: 'the notification has no notifyTime (option Require Notify Time)',
	staleNotifyTime: 'stale: notifyTime is older than the replay window (24 hours)',
	futureNotifyTime: 'notifyTime is more than 5 minutes ahead of this server clock',
};

const reject = (reason: FailureReason): Rejected => ({ ok: false, reason });

/** One header value; a header sent twice is treated as absent (it cannot be checked unambiguously). */
const header = headerValue;

/** UTF-8 text of the body, or undefined when the bytes are not valid UTF-8. A leading BOM is dropped. */
function utf8(rawBody: Buffer): string | undefined {
	const text = rawBody.toString('utf8');
	if (!Buffer.from(text, 'utf8').equals(rawBody)) return undefined;
	return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function parseJsonObject(rawBody: Buffer): VerifyResult {
	const text = utf8(rawBody);
	if (text === undefined) return reject('malformed');
	try {
		const body: unknown = JSON.parse(text);
		if (body === null || typeof body !== 'object' || Array.isArray(body)) return reject('malformed');
		return { ok: true, body: body as Record<string, unknown> };
	} catch {
		return reject('malformed');
	}
}

/** RSA style: header `signature` = Base64 SHA256withRSA over the raw body, made with PayLoco's platform key. */
export function verifyRsaNotification(rawBody: Buffer, headers: RequestHeaders, platformKey: KeyObject): VerifyResult {
	if (!rawBody.length) return reject('emptyBody');
	const signature = header(headers, 'signature')?.trim();
	if (!signature) return reject('missingSignature');
	if (!verifyBytes(platformKey, rawBody, signature)) return reject('badSignature');
	return parseJsonObject(rawBody);
}

/**
 * HMAC style: header `x-signature` = hex HMAC-SHA256(secret, raw body), and `x-timestamp` (ms since
 * the epoch) within HMAC_TOLERANCE_MS of `now` in either direction.
 */
export function verifyHmacNotification(
	rawBody: Buffer,
	headers: RequestHeaders,
	secret: string,
	now: number,
	toleranceMs = HMAC_TOLERANCE_MS,
): VerifyResult {
	if (!rawBody.length) return reject('emptyBody');
	const signature = header(headers, 'x-signature')?.trim();
	if (!signature) return reject('missingSignature');
	const timestamp = header(headers, 'x-timestamp')?.trim() ?? '';
	if (!/^\d{1,16}$/.test(timestamp)) return reject('missingTimestamp');
	if (Math.abs(now - Number(timestamp)) > toleranceMs) return reject('staleTimestamp');
	if (!/^[0-9a-fA-F]{64}$/.test(signature)) return reject('badSignature');
	const expected = createHmac('sha256', secret).update(rawBody).digest();
	const given = Buffer.from(signature, 'hex');
	if (given.length !== expected.length || !timingSafeEqual(given, expected)) return reject('badSignature');
	return parseJsonObject(rawBody);
}

/**
 * The text PayLoco signs for a form notification: every field except `signature`, keys sorted,
 * as a JSON object of strings with no spaces. Built as an object exactly as the sender builds it,
 * so the key order JSON.stringify produces is the same on both sides.
 */
export function formSigningText(fields: Record<string, string>): string {
	const sorted: Record<string, string> = {};
	for (const name of Object.keys(fields).filter((k) => k !== 'signature').sort()) {
		Object.defineProperty(sorted, name, { value: fields[name], enumerable: true, writable: true, configurable: true });
	}
	return JSON.stringify(sorted);
}

/** The fields of a form body; `plusIsSpace` false keeps a "+" as "+" (senders that leave it unencoded). */
function formFields(text: string, plusIsSpace: boolean): Record<string, string> | undefined {
	const fields: Record<string, string> = {};
	for (const [name, value] of new URLSearchParams(plusIsSpace ? text : text.replace(/\+/g, '%2B'))) {
		// A repeated field could be read two ways; PayLoco never sends one.
		if (Object.prototype.hasOwnProperty.call(fields, name)) return undefined;
		Object.defineProperty(fields, name, { value, enumerable: true, writable: true, configurable: true });
	}
	return fields;
}

/** The form text without its `signature` field, as it may be emitted (a signature never goes into the output). */
function withoutSignature(text: string): string {
	return text
		.split('&')
		.filter((pair) => new URLSearchParams(pair.replace(/\+/g, '%2B')).keys().next().value !== 'signature')
		.join('&');
}

/**
 * Form style: `application/x-www-form-urlencoded`, RSA signature of formSigningText() in the field
 * `signature`. A strictly encoded form ("+" means a space) is tried first; when that does not verify
 * and the text has a "+", it is read again with every "+" as a literal "+", as a sender that does not
 * percent-encode it meant. The body returned is the reading that verified, exactly as signed.
 */
export function verifyFormNotification(rawBody: Buffer, headers: RequestHeaders, platformKey: KeyObject): VerifyResult {
	if (!rawBody.length) return reject('emptyBody');
	const contentType = (header(headers, 'content-type') ?? '').split(';')[0].trim().toLowerCase();
	if (contentType !== 'application/x-www-form-urlencoded') return reject('malformed');
	const text = utf8(rawBody);
	if (text === undefined) return reject('malformed');
	let failure: FailureReason = 'missingSignature';
	for (const plusIsSpace of text.includes('+') ? [true, false] : [true]) {
		const fields = formFields(text, plusIsSpace);
		if (!fields) return reject('malformed');
		// Base64 contains '+', which a sender that does not percent-encode turns into a space.
		const signature = fields.signature?.trim().replace(/ /g, '+');
		if (!signature) return reject('missingSignature');
		if (!verifyBytes(platformKey, Buffer.from(formSigningText(fields), 'utf8'), signature)) {
			failure = 'badSignature';
			continue;
		}
		const body: Record<string, unknown> = {};
		for (const [name, value] of Object.entries(fields)) {
			if (name !== 'signature') Object.defineProperty(body, name, { value, enumerable: true, writable: true, configurable: true });
		}
		return { ok: true, body, rawText: withoutSignature(text) };
	}
	return reject(failure);
}
