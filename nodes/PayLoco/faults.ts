/**
 * What can go wrong with one PayLoco call after it was built, in words an operator can act on.
 * None of these carry request options, headers, keys or signatures: only what is safe to show.
 * Both transport/ (which raises faults) and engine/ (which reads replies and reports) use these,
 * so they live below both and import only the table of what an answer means.
 * Each carries its `outcome` (applied / pending / refused / unknown) for `outcomeOf`.
 */

import { isRequestTimeRefusal, OK, PENDING } from './outcome';
import type { Outcome } from './outcome';

export { OK, PENDING };

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
	| 'unclear'
	/** An earlier execution sent the same request and recorded no answer (engine/record.ts). */
	| 'earlierExecution'
	/** Another execution sent the same request at the same moment (engine/record.ts). */
	| 'concurrentExecution';

/** What PayLoco's answer said, when a fault has one (shown on the item; never trusted as a refusal). */
export interface FaultAnswer {
	code?: string;
	message?: string;
	traceId?: string;
	status?: string;
}

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
			/** PayLoco's code, message, traceId and status, when the answer had them. */
			answer?: FaultAnswer;
		},
	) {
		super(message);
		this.name = 'Fault';
	}

	get outcome(): Outcome {
		return this.details.outcomeUnknown ? 'unknown' : 'refused';
	}
}

/** PayLoco answered and positively said no (see the table in ./outcome.ts): nothing was applied. */
export class Refusal extends Error {
	constructor(
		readonly code: string,
		readonly payLocoMessage: string,
		readonly traceId: string | undefined,
		readonly status: string | undefined,
		readonly reply: Record<string, unknown>,
		/** The HTTP status it came with: 200, or a 4xx with a signed PayLoco body. */
		readonly httpStatus = 200,
	) {
		super(`PayLoco refused the request: ${code} ${payLocoMessage}`.trim());
		this.name = 'Refusal';
	}

	readonly outcome: Outcome = 'refused';

	/** PayLoco reports a `requestTime` outside its two-minute window the same way as any refusal. */
	get isClockSkew(): boolean {
		return isRequestTimeRefusal(this.payLocoMessage);
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
	// Only what PayLoco sent: a status it did not send is left out, never filled in.
	const answered = (out: AttemptResult, a: { status?: unknown; code?: unknown; traceId?: unknown } | undefined) => {
		if (a?.status !== undefined) out.status = String(a.status);
		if (a?.code !== undefined) out.code = String(a.code);
		if (a?.traceId !== undefined) out.traceId = String(a.traceId);
		return out;
	};
	if (result instanceof Fault) {
		const out: AttemptResult = { attempt, fault: result.kind };
		if (result.details.httpStatus) out.httpStatus = result.details.httpStatus;
		return answered(out, result.details.answer);
	}
	if (result instanceof Refusal) return answered({ attempt }, result);
	if (result instanceof Error) return { attempt };
	return answered({ attempt }, result);
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

	readonly outcome: Outcome = 'unknown';
}

/** A void that PayLoco's Transaction Query reports as FAILED or CLOSED: it did not release the funds. */
export class VoidNotCompleted extends Error {
	constructor(
		message: string,
		readonly description: string,
	) {
		super(message);
		this.name = 'VoidNotCompleted';
	}

	readonly outcome: Outcome = 'refused';
}
