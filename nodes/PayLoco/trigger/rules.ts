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

/**
 * Freshness: `notifyTime` (top level, else in `data`), RFC 3339, must not be older than
 * `oldestMs` nor more than FUTURE_TOLERANCE_MS ahead of `now`. A notification without notifyTime
 * passes here unless `required`: only the replay memory then stands between it and a replay.
 */
export function checkNotifyTime(body: Body, now: number, oldestMs: number, required = false): FailureReason | undefined {
	const [value] = valuesOf(body, 'notifyTime');
	if (value === undefined || value === null || value === '') return required ? 'noNotifyTime' : undefined;
	const at = typeof value === 'string' ? parseRfc3339(value.trim())?.getTime() : undefined;
	if (at === undefined) return 'badNotifyTime';
	if (at < oldestMs) return 'staleNotifyTime';
	if (at - now > FUTURE_TOLERANCE_MS) return 'futureNotifyTime';
	return undefined;
}
