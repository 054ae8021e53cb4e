import { sleep } from 'n8n-workflow';
import type { IDataObject } from 'n8n-workflow';

import type { PayLocoOperation } from '../actions/operation';
import { queryTransaction } from '../actions/payment/query.operation';
import { VoidNotCompleted } from '../faults';
import { FINAL_STATUSES, orderOutcome, outcomeOf, statusKey } from '../outcome';
import { sentIds } from './errors';
import type { RunOptions } from './options';
import type { SentItem } from './summary';

/**
 * Wait for Final Status (Pre-Auth Void): a void PayLoco answered PENDING is followed, inside the
 * same run, by signed Transaction Queries for its merchantOrderId until PayLoco reports a final
 * status or the user's total wait ends. The queries go through the run's own request path (signed,
 * answer verified, clock-corrected) and its slots, so they never exceed the node's Concurrency.
 * Antom's guidance for unknown outcomes is to query 10-20 times a few seconds apart; the backoff
 * below starts at 2 s and grows to at most 10 s, which gives about 9 queries in the default 60 s.
 */

export { FINAL_STATUSES, VoidNotCompleted };
const FIRST_POLL_MS = 2_000;
const GROWTH = 1.5;
const MAX_GAP_MS = 10_000;

/** When each query goes out, in ms after the void's answer: 2 s, then growing gaps, the last one at the deadline. */
export function pollSchedule(maxWaitMs: number): number[] {
	const at: number[] = [];
	let gap = FIRST_POLL_MS;
	for (let next = Math.min(gap, maxWaitMs); ; next = Math.min(next + gap, maxWaitMs)) {
		at.push(next);
		if (next >= maxWaitMs) return at;
		gap = Math.min(MAX_GAP_MS, gap * GROWTH);
	}
}

export function waitsForFinal(op: PayLocoOperation, options: RunOptions, outcome: IDataObject | undefined): boolean {
	return options.waitForFinal && op.value === 'preAuthVoid' && outcome !== undefined && outcomeOf(outcome) === 'pending';
}

export interface FinalResult {
	outcome?: IDataObject;
	error?: unknown;
	/** Added to the item, whether it ended well or not. */
	extra: IDataObject;
}

type Query = (body: IDataObject) => Promise<{ outcome?: IDataObject; error?: unknown }>;

/** Follows one PENDING void until a final status, the deadline, or the run stopping. */
export async function followToFinal(
	voidBody: IDataObject,
	voidOutcome: IDataObject,
	maxWaitMs: number,
	query: Query,
	shouldStop: () => boolean,
): Promise<FinalResult> {
	const started = Date.now();
	const merchantOrderId = String(voidBody.merchantOrderId);
	const queryBody: IDataObject = { transType: 'QUERY', accessType: 's2s', merchantOrderId };
	const voidTraceId = voidOutcome.traceId;
	let polls = 0;
	let lastPollError: string | undefined;
	for (const at of pollSchedule(maxWaitMs)) {
		const wait = started + at - Date.now();
		if (wait > 0) await sleep(wait);
		if (shouldStop()) break;
		polls++;
		const answer = await query({ ...queryBody });
		const outcome = answer.outcome;
		// Only an answered query tells the order's status; a refused or failed one is tried again at the next poll.
		if (!outcome) {
			lastPollError = answer.error instanceof Error ? answer.error.message : String(answer.error);
			continue;
		}
		lastPollError = undefined;
		// The order's outcome by the one table: only SUCCESS, FAILED and CLOSED end the wait.
		const ended = orderOutcome(outcome.status);
		if (!FINAL_STATUSES.has(statusKey(outcome.status))) continue;
		const status = String(outcome.status);
		const extra: IDataObject = { final: true, voidTraceId, polls };
		const final: IDataObject = { success: ended === 'applied', status, code: outcome.code, message: outcome.message, traceId: outcome.traceId };
		if (outcome.data) final.data = outcome.data;
		if (ended === 'applied') return { outcome: final, extra };
		const error = new VoidNotCompleted(
			`The void ended ${status}: PayLoco's Transaction Query reports status ${status} for merchantOrderId ${merchantOrderId}`,
			`The void was first accepted as PENDING (traceId ${String(voidTraceId)}); ${polls} Transaction Quer${polls === 1 ? 'y' : 'ies'} later PayLoco reports ${status} (query traceId ${String(outcome.traceId)}). The pre-authorization's funds were not released by this void. Quote both traceIds to PayLoco support.`,
		);
		return { error, extra: { ...final, ...extra } };
	}
	const extra: IDataObject = { final: false, voidTraceId, polls };
	if (lastPollError) extra.lastPollError = lastPollError;
	return { outcome: { ...voidOutcome }, extra };
}

/** The options a query of a pending void is sent with: no retries of its own, because the next poll is the retry. */
export function pollOptions(options: RunOptions): RunOptions {
	return { ...options, retry: false, waitForFinal: false, preview: false };
}

export { queryTransaction };

/** Adds what the wait found to an item that failed: the final status, both traceIds, the polls, and why. */
export function withFinal(failure: { error: { description?: string | null }; json: IDataObject }, end: FinalResult): void {
	Object.assign(failure.json, end.extra);
	if (end.error instanceof VoidNotCompleted) failure.error.description = end.error.description;
}

/** For a stopped run's listing: a void that ended FAILED or CLOSED was not applied ("refused"), with the query's traceId. */
export function finalSentItem(op: PayLocoOperation, index: number, body: IDataObject, end: FinalResult): SentItem | undefined {
	if (!(end.error instanceof VoidNotCompleted)) return undefined;
	const detail = `accepted PENDING, then ended ${String(end.extra.status)} after ${String(end.extra.polls)} Transaction Queries`;
	return { index, ids: sentIds(op, body), outcome: 'refused', detail, traceId: String(end.extra.traceId) };
}
