import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import type { PayLocoOperation } from '../actions/operation';
import { Refusal } from '../faults';
import { headerValue, isOrderTimeRefusal } from '../outcome';
import { CLOCK_WINDOW_MS, rfc3339 } from '../signing';
import type { RawReply } from '../transport/request';

/**
 * This server's clock against PayLoco's. PayLoco refuses a `requestTime` more than two minutes
 * from its own clock, and a drifting n8n server (broken NTP, a paused VM) would otherwise fail
 * every call with nothing telling the operator why. Every answer's `Date` header gives PayLoco's
 * clock; the run warns when the two differ by more than 30 s, and an item PayLoco refused for its
 * requestTime is sent once more, with the same ID and requestTime taken from PayLoco's clock.
 *
 * The corrected requestTime is put into the body the node hands to the credential, which keeps a
 * requestTime it is given and signs exactly the bytes it sends: the signature stays over what goes
 * on the wire, and the HTTP Request node's path through the credential is untouched.
 */

/** Offsets up to this are normal (NTP jitter, the Date header's whole seconds): no hint, no correction. */
export const CLOCK_HINT_MS = 30_000;

/**
 * PayLoco's clock minus this server's, in ms, from one answer. The Date header has whole seconds
 * and was written while the request was in flight, so PayLoco's time is taken as the middle of
 * that second against the middle of the request's round trip: good to about half a second plus
 * half the round trip, plenty against a two-minute window. `sentAt` is when the request left,
 * after it got its concurrency slot: time spent queued for a slot is not part of the round trip.
 */
export function measureOffset(reply: RawReply, sentAt: number, receivedAt: number): number | undefined {
	const text = headerValue(reply.headers, 'date');
	const at = text ? Date.parse(text) : NaN;
	if (Number.isNaN(at)) return undefined;
	return Math.round(at + 500 - (sentAt + receivedAt) / 2);
}

/** "+180 s" / "-45 s". */
export function formatOffset(ms: number): string {
	return `${ms < 0 ? '-' : '+'}${Math.round(Math.abs(ms) / 1000)} s`;
}

/** PayLoco's requestTime window refusal, as opposed to any other refusal (which is never resent). The rule is ../outcome.ts's. */
function isRequestTimeRefusal(error: unknown): error is Refusal {
	return error instanceof Refusal && error.isClockSkew;
}

/** What one run learned about the clocks. Shared by every item of the run. */
export class RunClock {
	private lastOffset: number | undefined;
	private corrections = 0;

	observe(reply: RawReply, sentAt: number, receivedAt = Date.now()): number | undefined {
		const offset = measureOffset(reply, sentAt, receivedAt);
		if (offset !== undefined) this.lastOffset = offset;
		return offset;
	}

	get offsetMs(): number | undefined {
		return this.lastOffset;
	}

	item(): ItemClock {
		return new ItemClock(this, () => this.corrections++);
	}

	/** The warning the operator sees when the clocks are far apart, with or without corrections. */
	addHint(fns: IExecuteFunctions): void {
		const offset = this.lastOffset;
		if (offset === undefined || Math.abs(offset) <= CLOCK_HINT_MS) return;
		const direction = offset > 0 ? 'behind' : 'ahead of';
		const corrected = this.corrections
			? ` ${this.corrections} item(s) that PayLoco refused for their requestTime were sent once more with requestTime corrected by ${formatOffset(offset)}.`
			: '';
		fns.addExecutionHints?.({
			message: `This n8n server's clock is ${Math.round(Math.abs(offset) / 1000)} s ${direction} PayLoco's (offset ${formatOffset(offset)}, from the Date header of PayLoco's answers). PayLoco refuses requests whose requestTime is more than ${CLOCK_WINDOW_MS / 1000} s off its clock.${corrected} Sync this server's clock (NTP).`,
			type: 'warning',
			location: 'outputPane',
		});
	}
}

/** One item's clock: once corrected, every later attempt of the item stamps its times on PayLoco's clock. */
export class ItemClock {
	private correctionMs: number | undefined;
	private stamped: string[] = [];

	constructor(
		private readonly run: RunClock,
		private readonly onCorrection: () => void,
	) {}

	/** Stamps the operation's send-time fields (a void's empty merchantOrderTime) and remembers which they were. */
	stampOnFirstSend(op: PayLocoOperation, body: IDataObject): void {
		const before = new Set(Object.keys(body));
		op.stampOnFirstSend?.(body, new Date(this.now()));
		this.stamped = Object.keys(body).filter((field) => !before.has(field));
	}

	/** Now on the clock this item's requests are stamped with. */
	now(): number {
		return Date.now() + (this.correctionMs ?? 0);
	}

	/** The body of the next attempt: as built, or with requestTime stamped on PayLoco's clock, last as the credential puts it. */
	bodyToSend(body: IDataObject): IDataObject {
		if (this.correctionMs === undefined) return body;
		return { ...body, requestTime: rfc3339(new Date(this.now())) };
	}

	observe(reply: RawReply, sentAt: number): number | undefined {
		return this.run.observe(reply, sentAt);
	}

	/**
	 * After a failed attempt: true when PayLoco refused the request for its requestTime, the
	 * refusal is trustworthy (signed and verified, unless verification is off), the answer's Date
	 * header shows an offset that explains it, and this item was not corrected before. A refusal of
	 * the envelope means nothing was applied, so the same request (same ID) may go once more.
	 * Times the node stamped itself are restamped; a merchantOrderTime the user set never changes.
	 */
	correctAfter(op: PayLocoOperation, body: IDataObject, error: unknown, reply: RawReply | undefined, sentAt: number, verifying: boolean): boolean {
		if (this.correctionMs !== undefined || !reply || !isRequestTimeRefusal(error)) return false;
		if (verifying && !headerValue(reply.headers, 'signature')) return false;
		const offset = measureOffset(reply, sentAt, Date.now()) ?? this.run.offsetMs;
		if (offset === undefined || Math.abs(offset) <= CLOCK_HINT_MS) return false;
		this.correctionMs = offset;
		this.onCorrection();
		if (this.stamped.length) {
			for (const field of this.stamped) delete body[field];
			op.stampOnFirstSend?.(body, new Date(this.now()));
		}
		return true;
	}

	/** Fields for the item's output: whether its clock was corrected, and by how much. */
	output(): IDataObject {
		return this.correctionMs === undefined ? {} : { clockCorrected: true, clockCorrectionMs: this.correctionMs };
	}

	/** Advice for an item that still failed after a correction because of a time the user set. */
	advice(error: unknown): string | undefined {
		if (this.correctionMs === undefined || !(error instanceof Refusal) || !isOrderTimeRefusal(error.payLocoMessage)) return undefined;
		return `This server's clock is ${formatOffset(this.correctionMs)} off PayLoco's. The node corrected requestTime but never changes a Merchant Order Time you set: leave it empty (the node then stamps it on PayLoco's clock) or sync this server's clock (NTP).`;
	}
}

/** Adds an item's clock correction (and advice, when a time the user set still failed) to its failure. */
export function withClock(failure: { error: { description?: string | null }; json: IDataObject }, clock: ItemClock, cause: unknown): void {
	Object.assign(failure.json, clock.output());
	const advice = clock.advice(cause);
	if (advice) failure.error.description = [failure.error.description, advice].filter(Boolean).join(' ');
}
