import { CLOCK_WINDOW_MS, parseRfc3339 } from '../signing';
import { currencyMinorUnits } from './currencies';

/** A bad parameter value, named by its API field, found before anything is sent. */
export class InputError extends Error {
	constructor(
		readonly field: string,
		message: string,
	) {
		super(message);
		this.name = 'InputError';
	}
}

// PayLoco publishes no limit for most IDs; this only stops pasted blobs and runaway expressions.
export const MAX_ID_LENGTH = 64;
/** The node's own caps (PayLoco publishes none), documented in the README. */
export const MAX_FREE_TEXT_BYTES = 1024;
export const MAX_URL_LENGTH = 256;
export const MAX_AMOUNT_DIGITS = 12;

/** How a field reads a value that is not text: what an expression gave is never stringified blindly. */
export type FieldKind = 'id' | 'text' | 'amount' | 'code' | 'time' | 'url';

interface LuxonLike {
	isLuxonDateTime: true;
	toMillis(): number;
	offset: number;
}

function isLuxonDateTime(value: object): value is LuxonLike {
	return (value as Partial<LuxonLike>).isLuxonDateTime === true && typeof (value as LuxonLike).toMillis === 'function';
}

const pad = (n: number, width = 2) => String(Math.abs(Math.trunc(n))).padStart(width, '0');

/** `yyyy-MM-ddTHH:mm:ss.SSS±HH:MM` for an instant seen at a given offset (minutes east of UTC). */
function formatAtOffset(ms: number, offsetMinutes: number): string {
	const d = new Date(ms + offsetMinutes * 60_000);
	const sign = offsetMinutes < 0 ? '-' : '+';
	return (
		`${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}` +
		`T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}` +
		`${sign}${pad(Math.abs(offsetMinutes) / 60)}:${pad(Math.abs(offsetMinutes) % 60)}`
	);
}

function preview(value: unknown): string {
	let text: string;
	try {
		text = JSON.stringify(value) ?? String(value);
	} catch {
		text = String(value);
	}
	return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

function wrongType(field: string, got: string, value: unknown, hint: string): InputError {
	return new InputError(field, `${field} must be text, but the expression gave ${got} (${preview(value)}). ${hint}`);
}

// Trims what copy-paste and templates leave at the edges. Not U+FEFF, U+2028 or U+2029: those
// are invisible characters that make a different ID, so they are refused below, not hidden.
const EDGE_SPACE = /^[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+|[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+$/g;

/**
 * A parameter's value as the text to send. n8n hands expressions' results over as they are, so
 * `{{ ["C-1","C-2"] }}` arrives as an array and `{{ $now }}` as a Luxon DateTime: a list, an
 * object or a boolean is refused, a date-time becomes PayLoco's time format (for time fields),
 * and a number is taken only where it cannot have lost digits.
 */
export function textOf(field: string, value: unknown, kind: FieldKind): string {
	if (value === undefined || value === null) return '';
	if (typeof value === 'string') return value.replace(EDGE_SPACE, '');
	if (typeof value === 'boolean') throw wrongType(field, `the boolean ${value}`, value, 'Map a text value.');
	if (typeof value === 'number' || typeof value === 'bigint') return numberText(field, value, kind);
	if (typeof value === 'object') {
		const isDate = value instanceof Date || isLuxonDateTime(value);
		if (isDate && kind === 'time') {
			const ms = value instanceof Date ? value.getTime() : value.toMillis();
			if (!Number.isFinite(ms)) throw new InputError(field, `${field} is an invalid date-time.`);
			const offset = value instanceof Date ? -value.getTimezoneOffset() : value.offset;
			return formatAtOffset(ms, offset);
		}
		if (isDate) throw wrongType(field, 'a date-time', value, 'Map a text value.');
		if (Array.isArray(value)) {
			throw wrongType(field, `a list (array) of ${value.length} value${value.length === 1 ? '' : 's'}`, value, 'Map one value, e.g. {{ $json.ids[0] }}, or split the list into items first.');
		}
		throw wrongType(field, 'an object', value, 'Map one of its fields, e.g. {{ $json.order.id }}.');
	}
	throw wrongType(field, `a ${typeof value}`, value, 'Map a text value.');
}

/** One field of one item, read as text of its kind. */
export function read(item: { value(field: string): unknown }, field: string, kind: FieldKind): string {
	return textOf(field, item.value(field), kind);
}

function numberText(field: string, value: number | bigint, kind: FieldKind): string {
	if (kind === 'id') {
		if (typeof value === 'bigint') return value.toString();
		if (Number.isSafeInteger(value)) return String(value);
		if (Number.isInteger(value)) {
			throw new InputError(
				field,
				`${field} is the number ${value}, above 2^53 (9007199254740991): JavaScript has already lost digits of it. Map the ID as text, e.g. from the original JSON string.`,
			);
		}
		throw new InputError(field, `${field} is the number ${value}, not a whole number; an ID must be text or a whole number.`);
	}
	if (kind === 'amount' || kind === 'text') {
		if (typeof value === 'number' && !Number.isFinite(value)) throw new InputError(field, `${field} is the number ${value}.`);
		return String(value);
	}
	throw wrongType(field, `the number ${value}`, value, 'Map a text value.');
}

// Control characters, Unicode format characters (zero-width space, BOM, bidi overrides such as
// U+202E), line and paragraph separators, and lone surrogates: invisible in the editor, and they
// make IDs that look the same but are not.
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u;

function refuseInvisible(field: string, value: string): void {
	const match = INVISIBLE.exec(value);
	if (!match) return;
	const code = `U+${(match[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
	throw new InputError(
		field,
		`${field} contains an invisible or control character (${code} at position ${match.index + 1}): line breaks, tabs, zero-width spaces, byte order marks and bidi controls are not allowed.`,
	);
}

export function requiredId(field: string, value: string, max = MAX_ID_LENGTH): string {
	if (!value) throw new InputError(field, `${field} is empty. Map it from the incoming item or enter a value.`);
	return optionalId(field, value, max);
}

/**
 * An ID field whose expression resolved to nothing for this item: a mistyped mapping (a Webhook
 * node puts the payload under `body`) must not fall back to a generated ID without a word.
 */
export function emptyExpression(field: string, expression: string, fallback: string): InputError {
	const shown = expression.length > 80 ? `${expression.slice(0, 80)}…` : expression;
	return new InputError(field, `${field} is empty: its expression ${shown} gave nothing for this item. Fix the mapping (a Webhook node puts the payload under body, e.g. {{ $json.body.alertId }}) ${fallback}.`);
}

export function optionalId(field: string, value: string, max = MAX_ID_LENGTH): string {
	if (value.length > max) throw new InputError(field, `${field} is ${value.length} characters long; at most ${max} are allowed.`);
	refuseInvisible(field, value);
	return value;
}

/** Free text such as reqReserved (any language), capped in UTF-8 bytes, as a gateway stores it. */
export function freeText(field: string, value: string, maxBytes = MAX_FREE_TEXT_BYTES): string {
	const bytes = Buffer.byteLength(value, 'utf8');
	if (bytes > maxBytes) {
		throw new InputError(field, `${field} is ${bytes} bytes long in UTF-8; this node sends at most ${maxBytes} (about ${Math.floor(maxBytes / 3)} Chinese characters).`);
	}
	refuseInvisible(field, value);
	return value;
}

export function oneOf(field: string, value: string, allowed: readonly string[]): string {
	if (!allowed.includes(value)) {
		throw new InputError(field, `${field} ${JSON.stringify(value.slice(0, 40))} is not one of PayLoco's values: ${allowed.join(', ')}.`);
	}
	return value;
}

export function currency(field: string, value: string): string {
	if (!/^[A-Z]{3}$/.test(value)) {
		throw new InputError(field, `${field} must be a three-letter uppercase ISO 4217 code such as USD; got ${JSON.stringify(value.slice(0, 20))}.`);
	}
	if (currencyMinorUnits(value) === undefined) throw new InputError(field, `${field} "${value}" is not an ISO 4217 currency code.`);
	return value;
}

/**
 * A positive plain decimal, as PayLoco's amounts are written: no leading zeros, at most 12 digits
 * before the dot (the node's own cap), and no more decimals than the currency has: `100`, `100.01`.
 */
export function amount(field: string, value: string, currencyCode: string): string {
	const digits = currencyMinorUnits(currencyCode) ?? 2;
	const shown = JSON.stringify(value.slice(0, 24));
	const example = digits === 0 ? '100' : `100.${'01'.padStart(digits, '0')}`;
	const shape = digits === 0 ? /^\d+$/ : new RegExp(`^\\d+(\\.\\d{1,${digits}})?$`);
	if (!shape.test(value)) {
		throw new InputError(
			field,
			`${field} must be a positive decimal like ${example} (at most ${digits} decimals for ${currencyCode}, a dot, no sign, no thousands separator); got ${shown}.`,
		);
	}
	const integer = value.split('.')[0];
	if (integer.length > 1 && integer.startsWith('0')) {
		throw new InputError(field, `${field} must not start with a zero (got ${shown}); write it like ${example} or 0.50.`);
	}
	if (integer.length > MAX_AMOUNT_DIGITS) {
		throw new InputError(field, `${field} has ${integer.length} digits before the decimal point; at most ${MAX_AMOUNT_DIGITS} are allowed (got ${shown}).`);
	}
	if (!/[1-9]/.test(value)) throw new InputError(field, `${field} must be greater than zero; got ${shown}.`);
	return value;
}

/** The form the API documents for merchantOrderTime: milliseconds and an offset, nothing else. */
const ORDER_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}(Z|[+-](\d{2}):(\d{2}))$/;
const ORDER_TIME_FORM = 'yyyy-MM-ddTHH:mm:ss.SSS followed by Z or ±HH:MM (exactly 3 fraction digits), e.g. 2024-05-24T14:29:32.682+08:00';

export function recentTime(field: string, value: string, now: Date = new Date()): string {
	const shape = ORDER_TIME.exec(value);
	const date = shape && Number(shape[2] ?? 0) <= 23 && Number(shape[3] ?? 0) <= 59 ? parseRfc3339(value) : undefined;
	if (!date) throw new InputError(field, `${field} must be ${ORDER_TIME_FORM}; got ${JSON.stringify(value.slice(0, 40))}.`);
	if (Math.abs(date.getTime() - now.getTime()) > CLOCK_WINDOW_MS) {
		throw new InputError(field, `${field} ${value} is more than 2 minutes from now; PayLoco refuses it. Leave it empty to use the send time.`);
	}
	return value;
}

export function httpUrl(field: string, value: string): string {
	if (value.length > MAX_URL_LENGTH) throw new InputError(field, `${field} is ${value.length} characters long; this node sends at most ${MAX_URL_LENGTH}.`);
	// Checked before parsing: the URL parser silently drops tabs and line breaks.
	if (/[\s\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u.test(value)) {
		throw new InputError(field, `${field} contains whitespace or invisible characters; enter the URL alone, e.g. https://n8n.example.com/webhook/…`);
	}
	const url = URL.canParse(value) ? new URL(value) : undefined;
	if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || !url.hostname) {
		throw new InputError(field, `${field} must be an http(s) URL that PayLoco can reach; got ${JSON.stringify(value.slice(0, 60))}.`);
	}
	if (url.username || url.password) {
		throw new InputError(field, `${field} must not contain a user name or password (user@host); PayLoco would send them in clear to every notification.`);
	}
	return value;
}
