import { parseRfc3339 } from '../signing';
import { FUTURE_TOLERANCE_MS } from './replay';
import type { FailureReason } from './verify';

/**
 * Checks on a notification whose signature already verified. A signature proves only that PayLoco's
 * platform key signed the bytes: every merchant's notifications, and PayLoco's API answers, are
 * signed with it. These checks make a verified notification also this merchant's, and fresh. Pure.
 */

type Body = Record<string, unknown>;

/** `data` as an object: a JSON object, or (form notifications) a JSON object sent as text. */
function dataOf(body: Body): Body | undefined {
	let data = body.data;
	if (typeof data === 'string') {
		try {
			data = JSON.parse(data);
		} catch {
			return undefined;
		}
	}
	return data !== null && typeof data === 'object' && !Array.isArray(data) ? (data as Body) : undefined;
}

/** A field's values, top level first, then in `data`. */
function valuesOf(body: Body, name: string): unknown[] {
	const values: unknown[] = [];
	if (Object.prototype.hasOwnProperty.call(body, name)) values.push(body[name]);
	const data = dataOf(body);
	if (data && Object.prototype.hasOwnProperty.call(data, name)) values.push(data[name]);
	return values;
}

/**
 * Merchant binding: every `merchantId` the body names (top level or in `data`) must be `merchantId`.
 * A body that names none passes (nothing to compare) unless `required`; so does any body when
 * `merchantId` is empty.
 */
export function checkMerchant(body: Body, merchantId: string | undefined, required = false): FailureReason | undefined {
	const expected = (merchantId ?? '').trim();
	if (!expected) return undefined;
	const values = valuesOf(body, 'merchantId');
	if (required && !values.length) return 'noMerchant';
	for (const value of values) {
		const named = typeof value === 'string' || typeof value === 'number' ? String(value).trim() : undefined;
		if (named !== expected) return 'otherMerchant';
	}
	return undefined;
}

/** How a notifyTime was read: `checked` (an instant), `noZone` (a local time, its zone unknown), `unreadable`, `absent`. */
export type NotifyTimeCheck = 'checked' | 'noZone' | 'unreadable' | 'absent';

/** A notifyTime as an instant range: one instant, or for a local time every instant it can be in some zone. */
export interface NotifyTimeReading {
	check: NotifyTimeCheck;
	/** Earliest and latest instant it can stand for (ms); absent unless checked or noZone. */
	earliest?: number;
	latest?: number;
}

// Zones run from UTC-12:00 to UTC+14:00: a local time stands for an instant up to 14 h before and 12 h after its UTC reading.
const ZONE_AHEAD_MS = 14 * 3600_000;
const ZONE_BEHIND_MS = 12 * 3600_000;
// Below this an epoch number is in seconds (1e11 s is the year 5138; 1e11 ms is March 1973).
const EPOCH_SECONDS_BELOW = 1e11;
const EPOCH_TEXT = /^\d{9,13}(\.\d{1,6})?$/;
const LOCAL_TIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?$/;

function epoch(value: number): NotifyTimeReading {
	// Before 2001 in seconds (or 1970 in ms): no notification time, more likely some other number.
	if (!Number.isFinite(value) || value < 1e9) return { check: 'unreadable' };
	const at = Math.round(value < EPOCH_SECONDS_BELOW ? value * 1000 : value);
	return { check: 'checked', earliest: at, latest: at };
}

/** Reads the forms PayLoco may send: RFC 3339, epoch seconds or milliseconds (number or digits), `yyyy-MM-dd HH:mm:ss`. */
export function readNotifyTime(value: unknown): NotifyTimeReading {
	if (value === undefined || value === null || value === '') return { check: 'absent' };
	if (typeof value === 'number') return epoch(value);
	if (typeof value !== 'string') return { check: 'unreadable' };
	const text = value.trim();
	if (EPOCH_TEXT.test(text)) return epoch(Number(text));
	const instant = parseRfc3339(text)?.getTime();
	if (instant !== undefined) return { check: 'checked', earliest: instant, latest: instant };
	const m = LOCAL_TIME.exec(text);
	if (!m) return { check: 'unreadable' };
	const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
	const utc = Date.UTC(year, month - 1, day, hour, minute, second, Math.round(Number(m[7] ?? 0) * 1000));
	const back = new Date(utc);
	if (back.getUTCMonth() !== month - 1 || back.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) return { check: 'unreadable' };
	return { check: 'noZone', earliest: utc - ZONE_AHEAD_MS, latest: utc + ZONE_BEHIND_MS };
}

/**
 * Freshness: `notifyTime` (top level, else in `data`) must not be older than `oldestMs` nor more
 * than FUTURE_TOLERANCE_MS ahead of `now`. A local time without a zone is judged by every instant
 * it can stand for: stale only when even its latest is too old, future only when even its earliest
 * is too far ahead. A time that cannot be read, or none, is no reason to refuse (only the replay
 * memory then stands between it and a replay); `required` refuses a body without one.
 */
export function checkNotifyTime(
	body: Body,
	now: number,
	oldestMs: number,
	required = false,
): { failure?: FailureReason; reading: NotifyTimeReading } {
	const [value] = valuesOf(body, 'notifyTime');
	const reading = readNotifyTime(value);
	if (reading.check === 'absent') return required ? { failure: 'noNotifyTime', reading } : { reading };
	if (reading.latest !== undefined && reading.latest < oldestMs) return { failure: 'staleNotifyTime', reading };
	if (reading.earliest !== undefined && reading.earliest - now > FUTURE_TOLERANCE_MS) return { failure: 'futureNotifyTime', reading };
	return { reading };
}

/** The first value of a field, top level first, then in `data`; text and numbers only, trimmed. */
export function fieldText(body: Body, name: string): string | undefined {
	for (const value of valuesOf(body, name)) {
		if (typeof value === 'string' && value.trim()) return value.trim();
		if (typeof value === 'number' && Number.isFinite(value)) return String(value);
	}
	return undefined;
}
