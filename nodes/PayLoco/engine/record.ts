import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import type { PayLocoOperation } from '../actions/operation';
import { Fault, Refusal, UnknownAfterRetry } from '../faults';
import type { AttemptResult } from '../faults';
import type { IdGenerator } from './ids';
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
 * (written after the answer). A check records what it did not find; the node then removes those
 * strings again. The store reads, changes and writes one row with no lock: every call of a run
 * goes through one queue, and writes are batched.
 */

/** Strings kept per node: about half as many requests (each leaves "sent" and its answer). */
const MAX_ENTRIES = 20_000;
/** Refused generations looked through before giving up (each is one round trip to the store). */
const MAX_GENERATIONS = 20;
const CHECK = { mode: 'entries' as const };
const KEEP = { mode: 'entries' as const, maxEntries: MAX_ENTRIES };

/** What the record says about an item before it is sent. */
export type Earlier = 'applied' | 'sent' | undefined;

type Store = Pick<IExecuteFunctions['helpers'], 'checkProcessedAndRecord' | 'removeProcessed'>;

/** One queue for every write of a run: whatever waits while a write is in flight goes in the next one. */
class Writer {
	private queue: string[] = [];
	private waiters: Array<() => void> = [];
	private busy: Promise<void> | undefined;
	failure: string | undefined;

	constructor(private readonly write: (keys: string[]) => Promise<unknown>) {}

	add(keys: string[]): Promise<void> {
		if (this.failure) return Promise.resolve();
		this.queue.push(...keys);
		const written = new Promise<void>((resolve) => this.waiters.push(resolve));
		this.busy ??= this.drain();
		return written;
	}

	private async drain(): Promise<void> {
		await Promise.resolve();
		while (this.queue.length > 0) {
			const keys = this.queue.splice(0);
			const waiters = this.waiters.splice(0);
			try {
				if (!this.failure) await this.write(keys);
			} catch (error) {
				this.failure = error instanceof Error ? error.message : String(error);
			}
			for (const resolve of waiters) resolve();
		}
		this.busy = undefined;
	}

	async idle(): Promise<void> {
		while (this.busy) await this.busy;
	}
}

export class RunRecord {
	private readonly earlier = new Map<number, Earlier>();
	private readonly writer: Writer | undefined;

	private constructor(
		private readonly op: PayLocoOperation,
		private readonly bodies: Array<IDataObject | undefined>,
		private readonly store: Store | undefined,
		/** Why there is no record, for the hint; undefined when there is one. */
		readonly missing: string | undefined,
	) {
		this.writer = store ? new Writer(async (keys) => await store.checkProcessedAndRecord(keys, 'node', KEEP)) : undefined;
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
		const record = new RunRecord(op, bodies, store, undefined);
		try {
			await record.read(generated, generate);
			return record;
		} catch (error) {
			return new RunRecord(op, bodies, undefined, `n8n's deduplication store failed: ${error instanceof Error ? error.message : String(error)}`);
		}
	}

	private key(kind: 's' | 'a' | 'r', i: number): string {
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

	/** Recorded before the request leaves, so a crash after it is seen by the next execution. */
	async beforeSend(i: number): Promise<void> {
		await this.writer?.add([this.key('s', i)]);
	}

	/**
	 * Records the answer and says what to report. A refusal of a request an earlier execution
	 * sent with an unknown outcome is not a refusal: that earlier request may have been applied.
	 */
	settle(i: number, outcome: IDataObject | undefined, error: unknown, history: AttemptResult[]): { error: unknown; extra: IDataObject } {
		if (!this.writer) return { error, extra: {} };
		const sentEarlier = this.earlier.get(i) === 'sent';
		const extra: IDataObject = sentEarlier ? { sentEarlier: true } : {};
		if (!error) {
			// PENDING is not recorded as applied: it may still fail, so a rerun asks again under the same ID.
			if (String(outcome?.status ?? '') === 'SUCCESS') void this.writer.add([this.key('a', i)]);
			return { error, extra };
		}
		// A Transaction Query's FAILED or CLOSED is the order's own final status, whoever sent it.
		const definite = error instanceof Refusal || error instanceof VoidNotCompleted || (error instanceof Fault && !error.details.outcomeUnknown);
		if (!definite) return { error, extra };
		if (!sentEarlier || error instanceof VoidNotCompleted) {
			void this.writer.add([this.key('r', i)]);
			return { error, extra };
		}
		const earlier = new Fault('earlierExecution', 'an earlier execution sent this request under the same ID and recorded no answer (it stopped, crashed or timed out)', {
			retryable: false,
			outcomeUnknown: true,
		});
		return { error: new UnknownAfterRetry(earlier, error as Refusal | Fault, history), extra: { ...extra, probablyAppliedEarlier: true } };
	}

	/** Waits for every write; says, as a hint, when there is no record or it could not be written. */
	async close(fns: IExecuteFunctions): Promise<void> {
		await this.writer?.idle();
		const problem = this.missing ?? (this.writer?.failure ? `writing it failed: ${this.writer.failure}` : undefined);
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
