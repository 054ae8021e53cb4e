/**
 * The fields every PayLoco request carries, and the clock format PayLoco reads.
 */

export interface EnvelopeSettings {
	memberId?: string;
	merchantId: string;
	keyVersion?: string;
}

export const PAYLOCO_VERSION = '2.0.0';

/** In body order: PayLoco does not care about key order, but a stable order makes bodies easy to read. */
export function envelopeFields(settings: EnvelopeSettings): Record<string, string> {
	const fields: Record<string, string> = {
		charset: 'UTF-8',
		version: PAYLOCO_VERSION,
		signType: 'RSA',
		keyVersion: String(settings.keyVersion ?? '1').trim() || '1',
	};
	const memberId = String(settings.memberId ?? '').trim();
	if (memberId) fields.memberId = memberId;
	fields.merchantId = String(settings.merchantId ?? '').trim();
	return fields;
}

/**
 * The object that is serialized and signed: the envelope fields first, then the caller's fields
 * (a field the caller set is kept as set), and a `requestTime` stamped at `now` unless the caller
 * gave one. The signer and the node's Preview both use this, so a preview shows the exact bytes.
 */
export function envelopedBody(settings: EnvelopeSettings, body: Record<string, unknown>, now: Date): Record<string, unknown> {
	const filled: Record<string, unknown> = { ...envelopeFields(settings), ...body };
	if (filled.requestTime === undefined || filled.requestTime === '') filled.requestTime = rfc3339(now);
	return filled;
}

const pad = (n: number, width = 2) => String(Math.abs(n)).padStart(width, '0');

/**
 * RFC 3339 with milliseconds and a numeric offset (`2024-05-24T14:29:32.682+08:00`), in this
 * machine's time zone, as PayLoco's samples show. `Z` is avoided on purpose: the vendor's format
 * string shows a numeric offset and some parsers of it do not take `Z`.
 */
export function rfc3339(date: Date = new Date()): string {
	const offset = -date.getTimezoneOffset();
	const sign = offset < 0 ? '-' : '+';
	return (
		`${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
		`T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}` +
		`${sign}${pad(Math.trunc(offset / 60))}:${pad(offset % 60)}`
	);
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** Parses an RFC 3339 date-time strictly (a calendar date and an offset are required). */
export function parseRfc3339(text: string): Date | undefined {
	const m = RFC3339.exec(text);
	if (!m) return undefined;
	const date = new Date(text);
	if (Number.isNaN(date.getTime())) return undefined;
	const [month, day, hour, minute, second] = [m[2], m[3], m[4], m[5], m[6]].map(Number);
	if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return undefined;
	return date;
}

/** PayLoco refuses a `requestTime` or `merchantOrderTime` more than two minutes from its clock. */
export const CLOCK_WINDOW_MS = 2 * 60 * 1000;
