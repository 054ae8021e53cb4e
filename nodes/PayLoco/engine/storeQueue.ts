import { sleep } from 'n8n-workflow';
import type { IExecuteFunctions } from 'n8n-workflow';

/** n8n's deduplication store as a node sees it (helpers, scope "node", mode "entries"). */
export type Store = Pick<IExecuteFunctions['helpers'], 'checkProcessedAndRecord' | 'removeProcessed'>;

/** Strings kept per node: about half as many requests (each leaves "sent" and its answer). */
const MAX_ENTRIES = 20_000;
export const CHECK = { mode: 'entries' as const };
const KEEP = { mode: 'entries' as const, maxEntries: MAX_ENTRIES };
/** The longest an answer waits for the next call to be written with it (StoreQueue.later). */
export const LATER_MS = 10;

/**
 * One queue for every store call of a run, so the run never races itself on the row: whatever
 * waits while a call is in flight goes in the next one. `record` keeps its strings; `probe` asks
 * whether strings are there and takes out again those it put in (a check always records).
 */
export class StoreQueue {
	private records: string[] = [];
	private probes: string[] = [];
	private waiters: Array<(found: Set<string>) => void> = [];
	private busy: Promise<void> | undefined;
	private timer: Promise<void> | undefined;
	failure: string | undefined;
	/** The longest a call of this run took (a read and a write of the row in n8n's database), and the last. */
	slowestMs = 0;
	lastMs = 0;

	constructor(private readonly store: Store) {}

	/** Every string this run recorded: close() writes them once more (see there). */
	readonly written = new Set<string>();

	/** Records the strings; resolves with those that were there already. */
	record(keys: string[]): Promise<Set<string>> {
		for (const key of keys) this.written.add(key);
		return this.enqueue(keys, this.records);
	}

	/**
	 * Records an answer ("applied", "refused") with whatever call comes next, or after LATER_MS at
	 * the latest: the answers of many items in one call (each call reads and writes the node's whole
	 * row). A crash within those milliseconds leaves the item "sent", which a rerun sends again under
	 * its ID and reports as outcome unknown, never as refused.
	 */
	later(keys: string[]): void {
		if (this.failure) return;
		for (const key of keys) this.written.add(key);
		this.records.push(...keys);
		if (!this.busy) this.schedule();
	}

	private schedule(): void {
		if (this.timer) return;
		this.timer = sleep(LATER_MS).then(() => {
			this.timer = undefined;
			if (this.records.length > 0) this.busy ??= this.drain(true);
		});
	}

	/** Resolves with the strings that are there, leaving the record as it was. */
	probe(keys: string[]): Promise<Set<string>> {
		return this.enqueue(keys, this.probes);
	}

	private enqueue(keys: string[], into: string[]): Promise<Set<string>> {
		if (this.failure) return Promise.resolve(new Set());
		into.push(...keys);
		const done = new Promise<Set<string>>((resolve) => this.waiters.push(resolve));
		this.busy ??= this.drain();
		return done;
	}

	/** Calls the store while someone waits for an answer (or once when `force`d by the timer). */
	private async drain(force = false): Promise<void> {
		await Promise.resolve();
		while (this.waiters.length > 0 || (force && this.records.length > 0)) {
			force = false;
			const records = this.records.splice(0);
			const probes = this.probes.splice(0);
			const waiters = this.waiters.splice(0);
			let found = new Set<string>();
			try {
				if (!this.failure) {
					const started = Date.now();
					// Once each: n8n would store a string given twice in one call twice.
					const seen = await this.store.checkProcessedAndRecord([...new Set([...records, ...probes])], 'node', KEEP);
					this.lastMs = Date.now() - started;
					this.slowestMs = Math.max(this.slowestMs, this.lastMs);
					found = new Set(seen.processed.map(String));
					const kept = new Set(records);
					const taken = seen.new.map(String).filter((key) => !kept.has(key));
					if (taken.length > 0) await this.store.removeProcessed(taken, 'node', CHECK);
				}
			} catch (error) {
				this.failure = error instanceof Error ? error.message : String(error);
			}
			for (const resolve of waiters) resolve(found);
		}
		this.busy = undefined;
		if (this.records.length > 0) this.schedule();
	}

	/** Takes the strings out of the record (when the queue is idle: close). */
	async forget(keys: string[]): Promise<void> {
		if (this.failure || keys.length === 0) return;
		await this.idle();
		try {
			await this.store.removeProcessed(keys, 'node', CHECK);
		} catch (error) {
			this.failure = error instanceof Error ? error.message : String(error);
		}
	}

	/** Until no call is in flight, and the answers still waiting for LATER_MS are written. */
	async idle(): Promise<void> {
		while (this.busy) await this.busy;
		if (this.records.length === 0) return;
		this.busy = this.drain(true);
		while (this.busy) await this.busy;
	}
}
