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

export function requiredId(field: string, value: string, max = MAX_ID_LENGTH): string {
	if (!value) throw new InputError(field, `${field} is empty. Map it from the incoming item or enter a value.`);
	return optionalId(field, value, max);
}

export function optionalId(field: string, value: string, max = MAX_ID_LENGTH): string {
	if (value.length > max) throw new InputError(field, `${field} is ${value.length} characters long; at most ${max} are allowed.`);
	if (/\p{Cc}/u.test(value)) throw new InputError(field, `${field} contains control characters (line breaks or tabs).`);
	return value;
}

export function oneOf(field: string, value: string, allowed: readonly string[]): string {
	if (!allowed.includes(value)) {
		throw new InputError(field, `${field} "${value.slice(0, 40)}" is not one of PayLoco's values: ${allowed.join(', ')}.`);
	}
	return value;
}

export function currency(field: string, value: string): string {
	if (!/^[A-Z]{3}$/.test(value)) {
		throw new InputError(field, `${field} must be a three-letter uppercase ISO 4217 code such as USD; got "${value.slice(0, 20)}".`);
	}
	if (currencyMinorUnits(value) === undefined) throw new InputError(field, `${field} "${value}" is not an ISO 4217 currency code.`);
	return value;
}

/** A positive plain decimal with no more decimals than the currency has minor units: `100`, `100.01`. */
export function amount(field: string, value: string, currencyCode: string): string {
	const digits = currencyMinorUnits(currencyCode) ?? 2;
	const shape = digits === 0 ? /^\d+$/ : new RegExp(`^\\d+(\\.\\d{1,${digits}})?$`);
	if (!shape.test(value)) {
		const example = digits === 0 ? '100' : `100.${'01'.padStart(digits, '0')}`;
		throw new InputError(
			field,
			`${field} must be a positive decimal like ${example} (at most ${digits} decimals for ${currencyCode}, a dot, no sign, no thousands separator); got "${value.slice(0, 20)}".`,
		);
	}
	if (!/[1-9]/.test(value)) throw new InputError(field, `${field} must be greater than zero; got "${value}".`);
	return value;
}

export function recentTime(field: string, value: string, now: Date = new Date()): string {
	const date = parseRfc3339(value);
	if (!date) {
		throw new InputError(field, `${field} must be an RFC 3339 date-time with an offset, e.g. 2024-05-24T14:29:32.682+08:00; got "${value.slice(0, 40)}".`);
	}
	if (Math.abs(date.getTime() - now.getTime()) > CLOCK_WINDOW_MS) {
		throw new InputError(field, `${field} ${value} is more than 2 minutes from now; PayLoco refuses it. Leave it empty to use the send time.`);
	}
	return value;
}

export function httpUrl(field: string, value: string): string {
	const url = URL.canParse(value) ? new URL(value) : undefined;
	if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
		throw new InputError(field, `${field} must be an http(s) URL that PayLoco can reach; got "${value.slice(0, 60)}".`);
	}
	return value;
}
