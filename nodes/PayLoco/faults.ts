/**
 * What can go wrong with one PayLoco call after it was built, in words an operator can act on.
 * None of these carry request options, headers, keys or signatures: only what is safe to show.
 * Both transport/ (which raises faults) and engine/ (which reads replies and reports) use these,
 * so they live below both and import nothing.
 */

export type FaultKind =
	| 'settings'
	| 'connection'
	| 'dns'
	| 'timeout'
	| 'reset'
	| 'http'
	| 'rateLimited'
	| 'html'
	| 'empty'
	| 'notJson'
	| 'malformed'
	| 'badSignature'
	| 'missingSignature';

/** A call whose answer could not be read. */
export class Fault extends Error {
	constructor(
		readonly kind: FaultKind,
		message: string,
		readonly details: {
			/** Safe to send again with the same ID (transport faults, 5xx, 429). */
			retryable: boolean;
			/** The request may have been applied: confirm before acting again. */
			outcomeUnknown: boolean;
			httpStatus?: number;
			retryAfterMs?: number;
			/** The socket error code. Kept out of the message: n8n replaces any message naming one with its own generic text. */
			socketCode?: string;
		},
	) {
		super(message);
		this.name = 'Fault';
	}
}

export const OK = '00000000';
export const PENDING = '00000003';

/** PayLoco answered and said no. */
export class Refusal extends Error {
	constructor(
		readonly code: string,
		readonly payLocoMessage: string,
		readonly traceId: string | undefined,
		readonly status: string | undefined,
		readonly reply: Record<string, unknown>,
	) {
		super(`PayLoco refused the request: ${code} ${payLocoMessage}`.trim());
		this.name = 'Refusal';
	}

	/** PayLoco reports a `requestTime` outside its two-minute window the same way as any refusal. */
	get isClockSkew(): boolean {
		return /request\s*time|requestTime|timestamp|expired|时间/i.test(this.payLocoMessage);
	}
}
