import type { IDataObject } from 'n8n-workflow';

import type { PayLocoOperation } from '../actions/operation';
import { Fault, Refusal, UnknownAfterRetry } from '../faults';
import { outcomeOf } from '../outcome';
import type { Outcome } from '../outcome';
import { refusalSummary, sentIds } from './errors';

/**
 * What happened to every item sent, for the error that stops a run without Continue On Fail.
 * An operator who sees only "failed" reruns the workflow; this listing tells them which cards
 * are already cancelled and which orders already voided, so they rerun only what is left.
 */

/** The table's outcome (../outcome.ts), or `answered` for a query, which changes nothing. */
export type SentOutcome = Outcome | 'answered';

export interface SentItem {
	index: number;
	ids: IDataObject;
	outcome: SentOutcome;
	detail: string;
	traceId?: string;
}

/** A sent item that PayLoco answered with success (or PENDING). */
export function sentSuccess(op: PayLocoOperation, index: number, body: IDataObject, outcome: IDataObject): SentItem {
	const kind: SentOutcome = !op.changesState ? 'answered' : outcomeOf(outcome);
	const detail = outcome.status === undefined ? `code ${String(outcome.code ?? '')}, no status` : `status ${String(outcome.status)}`;
	return { index, ids: sentIds(op, body), outcome: kind, detail, traceId: String(outcome.traceId ?? '') || undefined };
}

/** A sent item that failed: refused by PayLoco, or a fault whose outcome is or is not known. */
export function sentFailure(op: PayLocoOperation, index: number, body: IDataObject, cause: unknown): SentItem {
	const ids = sentIds(op, body);
	const outcome = outcomeOf(cause);
	if (cause instanceof UnknownAfterRetry) {
		const last = cause.last instanceof Refusal ? refusalSummary(cause.last) : cause.last.kind;
		const traceId = cause.last instanceof Refusal ? cause.last.traceId : undefined;
		return { index, ids, outcome, detail: `${cause.earlier.kind}, then the retry got ${last}`, traceId };
	}
	if (cause instanceof Refusal) return { index, ids, outcome, detail: refusalSummary(cause), traceId: cause.traceId };
	if (cause instanceof Fault) {
		const detail = `${cause.kind}${cause.details.httpStatus ? ` HTTP ${cause.details.httpStatus}` : ''}`;
		return { index, ids, outcome, detail, traceId: cause.details.answer?.traceId };
	}
	return { index, ids, outcome, detail: cause instanceof Error ? cause.message : String(cause) };
}

/** "3-5, 8": item indexes as ranges, so a thousand unsent items stay one line. */
export function indexRanges(indexes: number[]): string {
	const sorted = [...indexes].sort((a, b) => a - b);
	const parts: string[] = [];
	for (let i = 0; i < sorted.length; i++) {
		let j = i;
		while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
		parts.push(j > i ? `${sorted[i]}-${sorted[j]}` : `${sorted[i]}`);
		i = j;
	}
	return parts.join(', ');
}

const idText = (ids: IDataObject) =>
	Object.entries(ids)
		.map(([field, value]) => `${field} ${String(value)}`)
		.join(', ');

/** The listing appended to the stopping error's description. */
export function stoppedRunListing(sent: SentItem[], notSent: number[]): string {
	const lines = [...sent]
		.sort((a, b) => a.index - b.index)
		.map((s) => `- item ${s.index} (${idText(s.ids)}): ${s.outcome}, ${s.detail}, traceId ${s.traceId ?? '(none)'}`);
	const applied = sent.filter((s) => s.outcome === 'applied' || s.outcome === 'pending').length;
	const unknown = sent.filter((s) => s.outcome === 'unknown').length;
	const head =
		`The run stopped at the first failure, so no further item was sent. ${sent.length} item(s) had already been sent: ` +
		`${applied} applied or pending, ${unknown} with an unknown outcome:`;
	const tail = notSent.length
		? `${notSent.length} item(s) were not sent: ${indexRanges(notSent)}. Rerun only those, and confirm the unknown ones first (see the README, "After a stopped run").`
		: 'No item is left unsent.';
	return [head, ...lines, tail].join('\n');
}
