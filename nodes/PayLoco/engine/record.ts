import { sleep } from 'n8n-workflow';
import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import type { PayLocoOperation } from '../actions/operation';
import { Fault, Refusal, UnknownAfterRetry } from '../faults';
import type { AttemptResult } from '../faults';
import type { IdGenerator } from './ids';
import { CHECK, LATER_MS, StoreQueue } from './storeQueue';
import type { Store } from './storeQueue';
import { VoidNotCompleted } from './waitForFinal';

/**
 * The node's record of what it sent and what came back, across executions, kept in n8n's own
 * database through n8n's deduplication store (`helpers.checkProcessedAndRecord`, scope "node").
 * It is written when each call returns, not when the execution ends, so it survives a crash and
 * is shared by every worker in queue mode.
 *
 * The store keeps md5 hashes of strings: it answers "was this string recorded?", nothing more,
 * and checking records the string. So each state is a string of its own, per request:
 * `s|…` sent (written before the request leaves), `a|…` applied, `r|…` definitely refused
 * (written after the answer), `d|…` sent while another execution was sending it too. A check
 * records what it did not find; the node then removes those strings again. The store reads,
 * changes and writes one row with no lock: every call of a run goes through one queue, and writes
 * are batched. Between executions nothing is serialized: two executions of the same work at the
 * same moment can both send it (under the same ID); beforeSend and settle make the one PayLoco
 * then refuses find out (docs/crashes-reruns-redeliveries.md).
 */

/** Refused generations looked through before giving up (each is one round trip to the store). */
const MAX_GENERATIONS = 20;
/** Before a refusal asks the record again: a floor, and a ceiling for a slow database. */
const PROBE_WAIT_MS = 25 + LATER_MS;
const PROBE_WAIT_MAX_MS = 2000;
/** How often a run's end writes its strings again while some were found lost since the last write. */
const KEEP_ROUNDS = 5;
/** Before each time a refusal with no other sender seen asks the record again, in waits (waitMs). */
const PROBE_WAITS = [1, 2, 4];
/** How many items one call writes "sent" for, ahead of sending them (sendOrder). */
const SENT_AHEAD = 32;

/** What the record says about an item before it is sent. */
export type Earlier = 'applied' | 'sent' | undefined;

/** Why an item counts as sent before this execution's request: an earlier execution, or one running now. */
type SentBy = 'earlier' | 'concurrent';

export class RunRecord {
	private readonly earlier = new Map<number, Earlier>();
	private readonly sentBy = new Map<number, SentBy>();
	/** Items whose "sent" the read found (with any answer): finding it again before sending is no news. */
	private readonly sentSeen = new Set<number>();
	private readonly queue: StoreQueue | undefined;
	/** The items in the order they will be sent, and how many "sent" strings one call writes ahead. */
	private order: number[] = [];
	private readonly position = new Map<number, number>();
	private window = 1;
	/** Per item, the call that wrote its "sent"; items written ahead and not sent (yet). */
	private readonly sentWrite = new Map<number, Promise<Set<string>>>();
	private readonly ahead = new Set<number>();

	private constructor(
		private readonly op: PayLocoOperation,
		private readonly bodies: Array<IDataObject | undefined>,
		private readonly store: Store | undefined,
		/** Why there is no record, for the hint; undefined when there is one. */
		readonly missing: string | undefined,
	) {
		this.queue = store ? new StoreQueue(store) : undefined;
	}

	/**
	 * Reads what earlier executions recorded for every item about to be sent. A generated ID whose
	 * request was definitely refused is replaced by the card's next generation (a new ID).
	 */
	static async open(
		fns: IExecuteFunctions,
		op: PayLocoOperation,
		bodies: Array<IDataObject | undefined>,
		generated: Map<number, string>,
		generate: IdGenerator,
	): Promise<RunRecord> {
		if (!op.idField || !op.workKey) return new RunRecord(op, bodies, undefined, undefined);
		const helpers = fns.helpers as Partial<Store> | undefined;
		if (typeof helpers?.checkProcessedAndRecord !== 'function' || typeof helpers.removeProcessed !== 'function') {
			return new RunRecord(op, bodies, undefined, 'this n8n gives nodes no deduplication store (helpers.checkProcessedAndRecord)');
		}
		const store = helpers as Store;
		let failure: unknown;
		// Twice: a node's first executions create its row in the store, and two at the same moment
		// both insert it; one insert fails on the row's key. The row is there then.
		for (let attempt = 0; attempt < 2; attempt++) {
			for (const [i, key] of generated) (bodies[i] as IDataObject)[op.idField] = generate(key, 0);
			const record = new RunRecord(op, bodies, store, undefined);
			try {
				await record.read(generated, generate);
				return record;
			} catch (error) {
				failure = error;
			}
		}
		return new RunRecord(op, bodies, undefined, `n8n's deduplication store failed: ${failure instanceof Error ? failure.message : String(failure)}`);
	}

	private key(kind: 's' | 'a' | 'r' | 'd', i: number): string {
		const body = this.bodies[i] as IDataObject;
		const op = this.op;
		return JSON.stringify([kind, `${op.resource}/${op.value}`, String(body[op.workKey as string]), String(body[op.idField as string])]);
	}

	private async read(generated: Map<number, string>, generate: IdGenerator): Promise<void> {
		const store = this.store as Store;
		const generation = new Map<number, number>();
		let pending = this.bodies.flatMap((body, i) => (body ? [i] : []));
		for (let round = 0; pending.length > 0 && round <= MAX_GENERATIONS; round++) {
			const keys = pending.flatMap((i) => [this.key('a', i), this.key('s', i), this.key('r', i)]);
			const seen = await store.checkProcessedAndRecord(keys, 'node', CHECK);
			// A check records what it did not find: take those out again, before anything else runs.
			if (seen.new.length > 0) await store.removeProcessed(seen.new, 'node', CHECK);
			const found = new Set(seen.processed.map(String));
			const next: number[] = [];
			for (const i of pending) {
				const [applied, sent, refused] = (['a', 's', 'r'] as const).map((kind) => found.has(this.key(kind, i)));
				if (sent) this.sentSeen.add(i);
				else this.sentSeen.delete(i);
				// "Applied" and "refused" together is never what one request left: it is what a concurrent
				// execution's write does when it puts back strings another check had just taken out again.
				// So neither counts: the item is sent again under its ID, and a refusal is then outcome unknown.
				if (applied && refused) this.earlier.set(i, 'sent');
				else if (applied) this.earlier.set(i, 'applied');
				else if (refused && generated.has(i) && round < MAX_GENERATIONS) {
					const body = this.bodies[i] as IDataObject;
					const g = (generation.get(i) ?? 0) + 1;
					generation.set(i, g);
					body[this.op.idField as string] = generate(generated.get(i) as string, g);
					next.push(i);
				} else if (sent && !refused) this.earlier.set(i, 'sent');
			}
			pending = next;
		}
	}

	get available(): boolean {
		return this.store !== undefined;
	}

	earlierOf(i: number): Earlier {
		return this.earlier.get(i);
	}

	/**
	 * The items about to be sent, in the order they will be: "sent" is written for the next `window`
	 * of them in one call (one read and write of the node's row for many items, not one per item).
	 * A crash leaves at most that many items "sent" that were not: a rerun sends them under the same
	 * ID and reports a refusal as outcome unknown, never as refused. close() takes out again those
	 * of a run that stopped before sending them.
	 */
	sendOrder(order: number[], window = SENT_AHEAD): void {
		this.order = order;
		this.window = Math.max(1, window);
		order.forEach((i, at) => this.position.set(i, at));
	}

	/**
	 * "Sent" is recorded before the request leaves, so a crash after it is seen by the next
	 * execution. When "sent" is there already though the read found none, another execution is
	 * sending this work under this ID right now (the same alert delivered to two processes). Then
	 * this one also records "d" before sending: should PayLoco refuse the other's request because of
	 * this one, the other finds "d" (see settle) and knows its refusal is not the card's truth.
	 */
	async beforeSend(i: number): Promise<void> {
		if (!this.queue) return;
		let written = this.sentWrite.get(i);
		if (!written) {
			const batch = [i];
			const at = this.position.get(i);
			for (let k = at === undefined ? this.order.length : at + 1; k < this.order.length && batch.length < this.window; k++) {
				if (!this.sentWrite.has(this.order[k])) batch.push(this.order[k]);
			}
			written = this.queue.record(batch.map((j) => this.key('s', j)));
			for (const j of batch) {
				this.sentWrite.set(j, written);
				this.ahead.add(j);
			}
		}
		this.ahead.delete(i);
		const sent = this.key('s', i);
		if (!(await written).has(sent) || this.sentSeen.has(i)) return;
		this.earlier.set(i, 'sent');
		this.sentBy.set(i, 'concurrent');
		await this.queue.record([this.key('d', i)]);
	}

	/**
	 * Records the answer and says what to report. A refusal of a request that another execution
	 * sent under the same ID (an earlier one whose answer was lost, or one running at the same
	 * moment) is not a refusal: that other request may have been applied.
	 */
	async settle(i: number, outcome: IDataObject | undefined, error: unknown, history: AttemptResult[]): Promise<{ error: unknown; extra: IDataObject }> {
		if (!this.queue) return { error, extra: {} };
		let sentBy = this.earlier.get(i) === 'sent' ? (this.sentBy.get(i) ?? 'earlier') : undefined;
		const extra: IDataObject = sentBy ? { sentEarlier: true } : {};
		if (!error) {
			// PENDING is not recorded as applied: it may still fail, so a rerun asks again under the same ID.
			if (String(outcome?.status ?? '') === 'SUCCESS') this.queue.later([this.key('a', i)]);
			return { error, extra };
		}
		// A Transaction Query's FAILED or CLOSED is the order's own final status, whoever sent it.
		const definite = error instanceof Refusal || error instanceof VoidNotCompleted || (error instanceof Fault && !error.details.outcomeUnknown);
		if (!definite) return { error, extra };
		if (!sentBy && !(error instanceof VoidNotCompleted)) {
			// No other sender was seen before sending. Ask again: an execution that wrote "sent" at the
			// same moment as this one (no lock: neither saw the other's) leaves "applied" once PayLoco
			// applied its request, or "d". Wait for that write first (as long as two of this run's calls
			// took), else this check reads the row before it and writes it back without it; then twice
			// more, each wait longer: a third execution's write can lose that "applied" for a while (the
			// other's close writes it again), and the other's process can be slower than this one.
			const [sent, applied, other, refused] = [this.key('s', i), this.key('a', i), this.key('d', i), this.key('r', i)];
			for (let k = 0; k < PROBE_WAITS.length && !sentBy; k++) {
				await sleep(PROBE_WAITS[k] * this.waitMs());
				// This run's own "sent" is written again with the check (it is kept).
				const [found] = await Promise.all([this.queue.probe([applied, other, refused]), this.queue.record([sent])]);
				// "Applied" with "refused" is a concurrent check's leftovers (see read), not an answer, but
				// still a sign: this run's read found neither, so another execution read this work since
				// (and one that reads, sends). So the refusal may be its doing: outcome unknown.
				const appliedByOther = found.has(applied) && !found.has(refused);
				if (found.has(other) || found.has(applied)) sentBy = 'concurrent';
				// Kept by this run too (and written again at its end): the other's may yet be lost.
				if (appliedByOther) this.queue.later([applied]);
			}
		}
		if (!sentBy || error instanceof VoidNotCompleted) {
			this.queue.later([this.key('r', i)]);
			return { error, extra };
		}
		const why =
			sentBy === 'concurrent'
				? 'another execution of this node sent this request under the same ID at the same moment (the same alert or notification delivered twice at once)'
				: 'an earlier execution sent this request under the same ID, or was about to, and recorded no answer (it stopped, crashed or timed out)';
		const other = new Fault(sentBy === 'concurrent' ? 'concurrentExecution' : 'earlierExecution', why, { retryable: false, outcomeUnknown: true });
		return { error: new UnknownAfterRetry(other, error as Refusal | Fault, history), extra: { ...extra, sentEarlier: true, probablyAppliedEarlier: true } };
	}

	/** As long as two of this run's store calls took, and a floor: what another execution's call may take. */
	private waitMs(): number {
		return Math.min(PROBE_WAIT_MAX_MS, PROBE_WAIT_MS + 2 * (this.queue?.slowestMs ?? 0));
	}

	/**
	 * Writes every string of this run again, in one call: the store has no lock, so another
	 * execution's write based on an older read, or its check taking out a string it did not find,
	 * loses this run's. Then again after a wait (as long as two such calls: another's call in flight
	 * has landed by then), until two writes in a row find nothing lost (one can be fooled: another's
	 * check puts the string there for a moment). A string lost after the last write is lost for
	 * good: a lost "applied" makes a later delivery send the card again.
	 */
	private async keepWritten(queue: StoreQueue): Promise<void> {
		const strings = [...queue.written];
		const intact = (found: Set<string>) => strings.every((key) => found.has(key));
		let clean = intact(await queue.record(strings)) ? 1 : 0;
		for (let round = 0; round < KEEP_ROUNDS && clean < 2 && !queue.failure; round++) {
			await sleep(Math.min(PROBE_WAIT_MAX_MS, LATER_MS + 2 * queue.lastMs));
			clean = intact(await queue.record(strings)) ? clean + 1 : 0;
		}
	}

	/** Waits for every write; says, as a hint, when there is no record or it could not be written. */
	async close(fns: IExecuteFunctions): Promise<void> {
		await this.queue?.idle();
		if (this.queue && this.ahead.size > 0) {
			// Written ahead and never sent (the run stopped first): taken out again, where this run put
			// them there (another execution's "sent" stays).
			const mine: string[] = [];
			for (const i of this.ahead) {
				const key = this.key('s', i);
				this.queue.written.delete(key);
				if (!(await this.sentWrite.get(i))?.has(key)) mine.push(key);
			}
			await this.queue.forget(mine);
		}
		if (this.queue && this.queue.written.size > 0) await this.keepWritten(this.queue);
		await this.queue?.idle();
		const problem = this.missing ?? (this.queue?.failure ? `writing it failed: ${this.queue.failure}` : undefined);
		if (!problem || !this.op.changesState) return;
		fns.addExecutionHints?.({
			message: `The node keeps no record across executions here (${problem}). Generated Request IDs are still the same on a rerun, but a rerun cannot tell which items were applied before: it sends them again under the same ID.`,
			type: 'warning',
			location: 'outputPane',
		});
	}
}

/** The output of an item the record says was applied in an earlier execution: it is not sent again. */
export function appliedEarlier(ids: IDataObject): IDataObject {
	return {
		success: true,
		status: 'SUCCESS',
		appliedEarlier: true,
		sent: false,
		message: "Applied in an earlier execution of this workflow (the node's record in n8n's database says so); not sent again.",
		...ids,
	};
}
