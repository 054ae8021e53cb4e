import type { Fault } from '../faults';

const BASE_MS = 500;
const MAX_BACKOFF_MS = 10_000;
const MAX_RETRY_AFTER_MS = 60_000;

/**
 * How long to wait before the next attempt: the server's Retry-After when it gave one, else
 * exponential backoff with full jitter, so a thousand items hitting a 429 do not retry in step.
 */
export function backoffMs(failedAttempts: number, fault: Fault, random: () => number = Math.random): number {
	if (fault.details.retryAfterMs !== undefined) return Math.min(fault.details.retryAfterMs, MAX_RETRY_AFTER_MS);
	const ceiling = Math.min(MAX_BACKOFF_MS, BASE_MS * 2 ** (failedAttempts - 1));
	return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
