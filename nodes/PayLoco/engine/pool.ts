import { sleep } from 'n8n-workflow';

/**
 * Runs `work` for each index with at most `concurrency` in flight. With an interval, indexes go
 * in batches of `concurrency` with a pause between batches (like the HTTP Request node's
 * batching). `shouldStop` is checked before each start, so a failing run launches nothing new.
 */
export async function forEachLimited(
	indexes: number[],
	concurrency: number,
	intervalMs: number,
	work: (index: number) => Promise<void>,
	shouldStop: () => boolean,
): Promise<void> {
	if (intervalMs > 0) {
		for (let start = 0; start < indexes.length && !shouldStop(); start += concurrency) {
			if (start > 0) await sleep(intervalMs);
			await Promise.all(indexes.slice(start, start + concurrency).map(work));
		}
		return;
	}
	let next = 0;
	const worker = async () => {
		while (next < indexes.length && !shouldStop()) await work(indexes[next++]);
	};
	await Promise.all(Array.from({ length: Math.min(concurrency, indexes.length) }, worker));
}

/**
 * At most `size` calls at once, shared by every request of a run: the items' own requests and the
 * Transaction Queries that follow PENDING voids, so waiting for final statuses never exceeds the
 * node's Concurrency.
 */
export class Slots {
	private free: number;
	private readonly waiting: Array<() => void> = [];

	constructor(size: number) {
		this.free = Math.max(1, size);
	}

	async run<T>(work: () => Promise<T>): Promise<T> {
		if (this.free > 0) this.free--;
		else await new Promise<void>((resolve) => this.waiting.push(resolve));
		try {
			return await work();
		} finally {
			const next = this.waiting.shift();
			if (next) next();
			else this.free++;
		}
	}
}
