/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
import type { INodeParameters } from 'n8n-workflow';
import { createHash } from 'node:crypto';

import { startSandbox } from '../sandbox/server';
import type { Sandbox } from '../sandbox/server';
import { ProcessedStore } from '../e2e/harness/engine';
import { rsaKeyPair } from './helpers/keys';
import { executionsOf, sentBody, STRICT } from './helpers/payloco';

/**
 * Two executions of the same work at the same moment (issue #19, item 4: the same alert or
 * notification delivered to two n8n processes at once), inside n8n-core's WorkflowExecute with
 * the harness's stand-in for n8n's deduplication store (same rules: md5 membership, a check
 * records what it did not find). Each run is a new execution; runs given the same store share
 * it, as executions share n8n's database. The sandbox does not deduplicate.
 */
const merchant = rsaKeyPair();
let sandbox: Sandbox;

beforeAll(async () => {
	sandbox = await startSandbox({ merchantPublicKey: merchant.publicPem, ...STRICT });
});
afterAll(async () => sandbox.close());
beforeEach(() => sandbox.reset());

const cancel = (extra: INodeParameters = {}): INodeParameters => ({ resource: 'card', operation: 'cancel', cardId: '={{ $json.card }}', ...extra });
const { run, cancelsOf } = executionsOf(() => sandbox, merchant);

describe('two executions of the same work at the same moment', () => {
	interface Call {
		n: number;
		/** The read before sending (applied, sent, refused); a write of "sent" alone is a send. */
		read: boolean;
		send: boolean;
		kinds: string;
	}
	/** n8n's store between processes, with calls a test holds back; blindSends: every "sent" write answers "new" (a lost update: both read the row before either wrote). */
	class Racy extends ProcessedStore {
		private n = 0;
		before?: (call: Call) => Promise<void> | void;
		after?: (call: Call) => Promise<void> | void;
		removed?: () => void;
		blindSends = false;
		constructor() {
			super();
			const check = this.check.bind(this);
			(this as unknown as { check: unknown }).check = async (...args: Parameters<ProcessedStore['check']>) => {
				const kinds = args[0].map((k) => (JSON.parse(String(k)) as string[])[0]);
				const call = { n: ++this.n, read: kinds.includes('a') && kinds.includes('s'), send: kinds.join() === 's', kinds: kinds.join() };
				await this.before?.(call);
				const answer = check(...args);
				await this.after?.(call);
				return call.send && this.blindSends ? { new: args[0], processed: [] } : answer;
			};
		}
		override remove(...args: Parameters<ProcessedStore['remove']>) {
			super.remove(...args);
			this.removed?.();
		}
	}
	/**
	 * Another execution (its own record, not seen here) cancelled the card under the same mapped ID;
	 * the store is the one this test's run sees, with the card's strings as n8n hashes them.
	 */
	async function afterOther(card: string, id: string) {
		await run(new ProcessedStore(), cancel({ requestId: id }), [card]);
		const store = new Racy();
		const hash = (kind: string) => createHash('md5').update(JSON.stringify([kind, 'card/cancel', card, id])).digest('base64');
		return { store, hash, row: () => [...store.rows.values()][0] };
	}
	const flag = () => {
		let set!: () => void;
		const done = new Promise<void>((resolve) => (set = resolve));
		return { done, set };
	};
	/**
	 * A starts and is held at its "sent" write until B has read the record (and taken the read's
	 * strings out again); B's "sent" write waits
	 * until A's is in. `holdA`: A's request leaves only once B is done (so B's reaches PayLoco first).
	 */
	async function race(store: Racy, parameters: INodeParameters, card: string, holdA: boolean) {
		const [aAtSend, bRead, aWrote, bDone] = [flag(), flag(), flag(), flag()];
		let aSend = -1;
		let removes = 0;
		store.removed = () => {
			if (++removes === 2) bRead.set();
		};
		store.before = async (call) => {
			if (call.send && aSend < 0) {
				aSend = call.n;
				aAtSend.set();
				await bRead.done;
			} else if (call.send) await aWrote.done;
		};
		store.after = async (call) => {
			if (call.n === aSend) {
				aWrote.set();
				if (holdA) await bDone.done;
			}
		};
		const a = run(store, parameters, [card]);
		await aAtSend.done;
		const b = await run(store, parameters, [card]);
		bDone.set();
		return { a: (await a).items[0].json, b: b.items[0].json };
	}

	it('B saw A\'s "sent" and said so ("d"): PayLoco applies B\'s request and refuses A\'s: A is outcome unknown, not refused', async () => {
		// PENDING-: applied at acceptance, not recorded as applied, so only "d" can tell A.
		const { a, b } = await race(new Racy(), cancel(), 'PENDING-R1', true);
		expect(b).toMatchObject({ success: true, status: 'PENDING', sentEarlier: true });
		expect(a).toMatchObject({ success: false, outcomeUnknown: true, fault: 'concurrentExecution', code: '30020002', probablyAppliedEarlier: true });
		expect(new Set(cancelsOf('PENDING-R1').map((r) => sentBody(r).requestId)).size).toBe(1);
		expect(sandbox.effects.filter((e) => e.id === 'PENDING-R1')).toHaveLength(1);
	});

	it('B saw A\'s "sent": PayLoco applies A\'s request and refuses B\'s: B is outcome unknown, not refused', async () => {
		const { a, b } = await race(new Racy(), cancel(), 'PENDING-R2', false);
		expect(a).toMatchObject({ success: true, status: 'PENDING' });
		expect(b).toMatchObject({ success: false, outcomeUnknown: true, fault: 'concurrentExecution', code: '30020002', probablyAppliedEarlier: true });
		expect(cancelsOf('PENDING-R2')).toHaveLength(2);
	});

	it('neither saw the other\'s "sent" (a lost update): A, refused, finds B\'s "applied" when it asks again: outcome unknown', async () => {
		const store = new Racy();
		store.blindSends = true;
		const { a, b } = await race(store, cancel({ requestId: 'R-R3' }), 'C-R3', true);
		expect(b).toMatchObject({ success: true, status: 'SUCCESS' });
		expect(a).toMatchObject({ success: false, outcomeUnknown: true, fault: 'concurrentExecution', code: '30020002', requestId: 'R-R3', probablyAppliedEarlier: true });
		expect(sandbox.effects.filter((e) => e.id === 'C-R3').map((e) => e.requestKey)).toEqual(['R-R3']);
	});

	it('two executions started together on a row each call reads, waits and writes back whole (n8n between processes), 6 cards: each cancelled once, never refused', async () => {
		/** Every call reads the row, takes 15 ms, and writes its own copy back: what another call wrote meanwhile is lost. */
		class SlowRow extends ProcessedStore {
			constructor() {
				super();
				const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
				const self = this as unknown as Record<'check' | 'remove', unknown>;
				const [check, remove] = [this.check.bind(this), this.remove.bind(this)];
				const rowKey = () => [...this.rows.keys()][0];
				self.check = async (...args: Parameters<ProcessedStore['check']>) => {
					const before = [...(this.rows.get(rowKey()) ?? [])];
					await sleep(15);
					const now = rowKey();
					if (now) this.rows.set(now, [...before]);
					if (now && !before.length) this.rows.delete(now);
					return check(...args);
				};
				self.remove = async (...args: Parameters<ProcessedStore['remove']>) => {
					const before = [...(this.rows.get(rowKey()) ?? [])];
					await sleep(15);
					if (rowKey()) this.rows.set(rowKey(), before);
					remove(...args);
				};
			}
		}
		const store = new SlowRow();
		const verdicts: string[] = [];
		for (let n = 0; n < 6; n++) {
			const card = `C-R5-${n}`;
			const both = await Promise.all([run(store, cancel(), [card]), run(store, cancel(), [card])]);
			const out = both.map((r) => r.items[0].json);
			verdicts.push(...out.filter((j) => j.success !== true && j.outcomeUnknown !== true).map((j) => `${card} refused ${String(j.code)}`));
			expect(sandbox.effects.filter((e) => e.id === card)).toHaveLength(1);
			expect(new Set(cancelsOf(card).map((r) => sentBody(r).requestId)).size).toBe(1);
		}
		expect(verdicts).toEqual([]);
	});

	it('refused, and this run\'s own "sent" is gone from the row (others rewrote it): it looks once more, and finds the other\'s "applied" written again', async () => {
		const { store, hash, row } = await afterOther('C-R7', 'R-R7');
		let probes = 0;
		store.before = (call) => {
			if (!call.kinds.includes('d')) return;
			if (++probes === 1) row().splice(row().indexOf(hash('s')), 1);
			// Meanwhile the other execution ended and wrote its strings once more (close).
			else row().push(hash('a'));
		};
		const a = await run(store, cancel({ requestId: 'R-R7' }), ['C-R7']);
		expect(probes).toBe(2);
		expect(a.items[0].json).toMatchObject({ success: false, outcomeUnknown: true, fault: 'concurrentExecution', code: '30020002' });
	});

	it('refused, it finds the other\'s "applied" and keeps it too: lost from the row later, the run writes it again at its end', async () => {
		const { store, hash, row } = await afterOther('C-R8', 'R-R8');
		store.before = (call) => {
			// The other execution's "applied" is there when this one asks ...
			if (call.kinds.includes('d')) row().push(hash('a'));
		};
		store.after = (call) => {
			// ... and lost just after (a write that read the row before it).
			if (call.kinds.includes('d')) row().splice(row().indexOf(hash('a')), 1);
		};
		const a = await run(store, cancel({ requestId: 'R-R8' }), ['C-R8']);
		expect(a.items[0].json).toMatchObject({ success: false, outcomeUnknown: true, fault: 'concurrentExecution', probablyAppliedEarlier: true });
		store.before = store.after = undefined;
		const rerun = await run(store, cancel({ requestId: 'R-R8' }), ['C-R8']);
		expect(rerun.items[0].json).toMatchObject({ success: true, appliedEarlier: true });
		expect(cancelsOf('C-R8')).toHaveLength(2);
	});

	it.each([
		// As if another execution had read the row just before this "applied" and written it back just after.
		{ when: 'when the run ends', kinds: 'a', card: 'C-R6' },
		// The end-of-run write of every string ("sent" and "applied" in one call), then the loss.
		{ when: 'after the run\'s last write too: found missing a moment later', kinds: 's,a', card: 'C-R10' },
	])('a string that another execution\'s write lost is written again $when', async ({ kinds, card }) => {
		const store = new Racy();
		let dropped = false;
		store.after = (call) => {
			if (!dropped && call.kinds === kinds) dropped = !![...store.rows.values()][0].pop();
		};
		await run(store, cancel(), [card]);
		expect(dropped).toBe(true);
		store.after = undefined;
		const rerun = await run(store, cancel(), [card]);
		expect(rerun.items[0].json).toMatchObject({ success: true, appliedEarlier: true });
		expect(cancelsOf(card)).toHaveLength(1);
	});

	it('refused, its own "sent" there and nothing else yet: it asks once more after a while, and finds the other\'s "applied" written again', async () => {
		// The other's "applied" was lost from the row for a moment (a write that read the row before
		// it); the other execution writes it again at its end (close checks its strings once more).
		const { store, hash, row } = await afterOther('C-R9', 'R-R9');
		let probes = 0;
		store.before = (call) => {
			if (call.kinds.includes('d') && ++probes === 2) row().push(hash('a'));
		};
		const a = await run(store, cancel({ requestId: 'R-R9' }), ['C-R9']);
		expect(probes).toBe(2);
		expect(a.items[0].json).toMatchObject({ success: false, outcomeUnknown: true, fault: 'concurrentExecution', probablyAppliedEarlier: true });
	});

	it('refused, it finds "applied" and "refused" together (another execution\'s read left them): outcome unknown, and it keeps neither', async () => {
		const { store, hash, row } = await afterOther('C-R11', 'R-R11');
		store.before = (call) => {
			// A check by another execution put them in, and a write that read the row then kept them ...
			if (!call.kinds.includes('d')) return;
			row().push(hash('a'), hash('r'));
			store.before = undefined;
			// ... until that other execution's own write took them out again, right after this ask:
			// an "applied" still there afterwards is one this run kept.
			store.after = () => {
				for (const kind of ['a', 'r']) row().splice(row().indexOf(hash(kind)), 1);
				store.after = undefined;
			};
		};
		const a = await run(store, cancel({ requestId: 'R-R11' }), ['C-R11']);
		expect(a.items[0].json).toMatchObject({ success: false, outcomeUnknown: true, fault: 'concurrentExecution', probablyAppliedEarlier: true });
		const rerun = await run(store, cancel({ requestId: 'R-R11' }), ['C-R11']);
		expect(rerun.items[0].json).toMatchObject({ success: false, outcomeUnknown: true, probablyAppliedEarlier: true });
	});

	it('a node\'s first two executions at once: the second one\'s first write fails (n8n inserts the row twice); it reads again and keeps a record', async () => {
		const store = new Racy();
		const both = flag();
		let reads = 0;
		store.before = async (call) => {
			if (!call.read) return;
			const mine = ++reads;
			if (mine > 2) return;
			if (mine === 2) both.set();
			await both.done;
			if (mine === 2) throw new Error('duplicate key value violates unique constraint "PK_processed_data"');
		};
		const [a, b] = await Promise.all([run(store, cancel(), ['C-R4']), run(store, cancel(), ['C-R4'])]);
		for (const r of [a, b]) expect(JSON.stringify(r.runData['Node Under Test']?.at(-1)?.hints ?? [])).not.toMatch(/keeps no record/);
		expect([a, b].map((r) => r.items[0].json).filter((j) => j.success !== true && j.outcomeUnknown !== true)).toEqual([]);
		expect(sandbox.effects.filter((e) => e.id === 'C-R4')).toHaveLength(1);
	});
});
