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
	| 'missingSignature'
	| 'otherRequest'
	/** An earlier execution sent the same request and recorded no answer (engine/record.ts). */
	| 'earlierExecution';

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

/** PayLoco answered and said no, by its code, its status or its own `success: false`. */
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

/** What one attempt came to: PayLoco's status and code, or the kind of fault. Shown on the item. */
export interface AttemptResult {
	attempt: number;
	status?: string;
	code?: string;
	traceId?: string;
	fault?: FaultKind;
	httpStatus?: number;
}

/** The result of one attempt, from what it returned or threw. */
export function attemptResult(attempt: number, result: { status?: unknown; code?: unknown; traceId?: unknown } | Error): AttemptResult {
	if (result instanceof Fault) {
		const out: AttemptResult = { attempt, fault: result.kind };
		if (result.details.httpStatus) out.httpStatus = result.details.httpStatus;
		return out;
	}
	if (result instanceof Refusal) {
		const out: AttemptResult = { attempt, status: result.status ?? 'FAILED', code: result.code };
		if (result.traceId) out.traceId = result.traceId;
		return out;
	}
	if (result instanceof Error) return { attempt };
	return { attempt, status: String(result.status), code: String(result.code), traceId: String(result.traceId) };
}

/**
 * An attempt whose outcome was unknown (timeout, reset, 5xx after the body was sent), then a
 * retry of the same ID that did not succeed. PayLoco's later answer ("already cancelled", a
 * duplicate, a 429) is about the retry, not the first attempt, which may have been applied.
 */
export class UnknownAfterRetry extends Error {
	constructor(
		readonly earlier: Fault,
		readonly last: Refusal | Fault,
		readonly attempts: AttemptResult[],
	) {
		super(`An earlier attempt may have been applied (${earlier.kind}); the retry got: ${last.message}`);
		this.name = 'UnknownAfterRetry';
	}
}
