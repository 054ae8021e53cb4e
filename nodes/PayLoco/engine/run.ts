import { NodeOperationError, sleep } from 'n8n-workflow';
import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import type { KeyObject } from 'node:crypto';

import type { ItemReader, PayLocoOperation } from '../actions/operation';
import { findOperation } from '../actions/router';
import { InputError } from '../actions/validate';
import { platformPublicKeyText } from '../environment';
import type { PayLocoCredentials } from '../environment';
import { checkCredentials, loadPublicKey } from '../signing';
import { CREDENTIAL, postToPayLoco } from '../transport/request';
import type { RawReply } from '../transport/request';
import { RunClock, withClock } from './clock';
import type { ItemClock } from './clock';
import { describeFailure, sentIds } from './errors';
import type { ItemFailure } from './errors';
import { attemptResult, Fault, Refusal, UnknownAfterRetry } from '../faults';
import type { AttemptResult } from '../faults';
import { readOptions } from './options';
import type { RunOptions } from './options';
import { idGenerator } from './ids';
import { appliedEarlier, RunRecord } from './record';
import { forEachLimited, Slots } from './pool';
import { previewRun } from './preview';
import { applyToolLimits } from './toolLimits';
import { finalSentItem, followToFinal, pollOptions, queryTransaction, waitsForFinal, withFinal } from './waitForFinal';
import type { FinalResult } from './waitForFinal';
import { readReply } from './reply';
import { backoffMs } from './retry';
import { sentFailure, sentSuccess, stoppedRunListing } from './summary';
import type { SentItem } from './summary';

/** Leaves room for the request's own trip and clock differences before PayLoco's two-minute limit. */
const STALE_MARGIN_MS = 15_000;

/**
 * The one per-item loop every operation shares: build and validate every item before anything
 * is sent, then send with bounded concurrency and safe retries, and keep output in input order.
 */
export async function runOperation(fns: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = fns.getInputData();
	const resource = fns.getNodeParameter('resource', 0) as string;
	const operation = fns.getNodeParameter('operation', 0) as string;
	const op = findOperation(resource, operation);
	if (!op) throw new NodeOperationError(fns.getNode(), `Unknown operation "${resource} / ${operation}"`);
	const options = readOptions(fns);
	const continueOnFail = fns.continueOnFail();
	const platformKey = await prepareCredential(fns, options);
	if (platformKey instanceof NodeOperationError) {
		if (!continueOnFail) throw platformKey;
		// With Continue On Fail, every item says why, so the next node can see it; nothing was sent.
		const json = { error: platformKey.message, success: false, sent: false };
		return [items.map((_, i) => ({ json: { ...json }, pairedItem: { item: i } }))];
	}

	const results: INodeExecutionData[] = new Array(items.length);
	const generated = new Map<number, string>();
	const bodies = buildAll(fns, op, items.length, (i, failure) => {
		if (!continueOnFail) throw failure.error;
		results[i] = { json: failure.json, pairedItem: { item: i } };
	}, generated);

	// As an AI agent's tool, the owner's limits decide what may be sent (toolLimits.ts); plain use: no-op.
	const tool = await applyToolLimits(fns, op, bodies, options.preview);
	if (tool?.answer) return [tool.answer];
	if (tool?.withTokens) return [await tool.withTokens(await previewRun(fns, op, bodies, results))];

	// Preview (send nothing): the bodies exactly as built and validated above, nothing signed or sent.
	if (options.preview) return [await previewRun(fns, op, bodies, results)];

	// What earlier executions recorded (engine/record.ts): an item applied before is not sent again.
	const runRecord = await RunRecord.open(fns, op, bodies, generated, idGenerator(fns, op).generate);
	let firstFailure: { index: number; failure: ItemFailure } | undefined;
	const runClock = new RunClock();
	const sent: SentItem[] = [];
	// Every request of the run takes a slot: the items' own and the queries that follow PENDING voids.
	const slots = new Slots(options.concurrency);
	const followUps: Array<Promise<void>> = [];
	const stopped = () => firstFailure !== undefined;
	const record = async (i: number, body: IDataObject, clock: ItemClock, attempts: number, story: IDataObject, final: FinalResult, history: AttemptResult[]) => {
		const settled = await runRecord.settle(i, final.outcome, final.error, history);
		const end: FinalResult = { ...final, error: settled.error, extra: { ...final.extra, ...settled.extra } };
		if (!end.error) {
			sent.push(sentSuccess(op, i, body, end.outcome as IDataObject));
			results[i] = { json: { ...end.outcome, ...sentIds(op, body), attempts, ...story, ...end.extra, ...clock.output() }, pairedItem: { item: i } };
			return;
		}
		sent.push(finalSentItem(op, i, body, end) ?? sentFailure(op, i, body, end.error));
		const failure = describeFailure(fns.getNode(), op, i, end.error, body, attempts);
		withClock(failure, clock, end.error);
		withFinal(failure, end);
		Object.assign(failure.json, story);
		if (continueOnFail) results[i] = { json: failure.json, pairedItem: { item: i } };
		else if (!firstFailure || i < firstFailure.index) firstFailure = { index: i, failure };
	};
	const toSend = bodies.flatMap((body, i) => {
		if (body && runRecord.earlierOf(i) === 'applied') results[i] = { json: appliedEarlier(sentIds(op, body)), pairedItem: { item: i } };
		return body && runRecord.earlierOf(i) !== 'applied' ? [i] : [];
	});
	// Throttled by a Batch Interval, "sent" is written ahead for one batch only.
	runRecord.sendOrder(toSend, options.batchInterval > 0 ? options.concurrency : undefined);
	await forEachLimited(
		toSend,
		options.concurrency,
		options.batchInterval,
		async (i) => {
			const body = bodies[i] as IDataObject;
			const clock = runClock.item();
			await runRecord.beforeSend(i);
			const { outcome, attempts, history, error } = await callWithRetries(fns, op, body, options, platformKey, { clock, slots });
			// Every attempt's result, when there was more than one: a retry's answer is not the whole story.
			const story = attempts > 1 ? { attemptResults: history as unknown as IDataObject[] } : {};
			if (!error && waitsForFinal(op, options, outcome)) {
				// Wait for Final Status: followed outside this worker, so later items are sent meanwhile.
				const query = (q: IDataObject) => callWithRetries(fns, queryTransaction, q, pollOptions(options), platformKey, { clock, slots });
				const follow = followToFinal(body, outcome as IDataObject, options.maxWaitMs, query, stopped);
				followUps.push(follow.then(async (end) => await record(i, body, clock, attempts, story, end, history)));
				return;
			}
			await record(i, body, clock, attempts, story, { outcome, error, extra: {} }, history);
		},
		stopped,
	);
	await Promise.all(followUps);
	await runRecord.close(fns);
	runClock.addHint(fns);
	if (firstFailure) {
		// Items already sent were applied (or may have been): the error that stops the run says which.
		const { error } = firstFailure.failure;
		const done = new Set(sent.map((s) => s.index));
		const listing = stoppedRunListing(sent, toSend.filter((i) => !done.has(i)));
		error.description = [error.description, listing].filter(Boolean).join('\n\n');
		throw error;
	}
	return [results];
}

/** Key and URL problems stop the whole run before any item is sent; they are the credential's, not an item's. */
async function prepareCredential(fns: IExecuteFunctions, options: RunOptions): Promise<KeyObject | undefined | NodeOperationError> {
	const credentials = (await fns.getCredentials(CREDENTIAL)) as unknown as PayLocoCredentials;
	try {
		checkCredentials(credentials);
		if (!options.verifyResponses) {
			fns.addExecutionHints?.({
				message: 'Response signatures are not verified (option "Verify Response Signature" is off): a forged or altered answer would be accepted.',
				type: 'warning',
				location: 'outputPane',
			});
			return undefined;
		}
		const text = platformPublicKeyText(credentials);
		if (!text) {
			throw Object.assign(new Error('PayLoco Platform Public Key is empty, so responses cannot be verified. Paste the key PayLoco gave you, or turn off "Verify Response Signature" in the node options.'), { field: 'platformPublicKey' });
		}
		return loadPublicKey(text);
	} catch (error) {
		return new NodeOperationError(fns.getNode(), `PayLoco API credential: ${(error as Error).message}`, {
			description: 'Open the PayLoco API credential and fix it. Nothing was sent to PayLoco.',
		});
	}
}

/** True when a parameter value is, or holds, an n8n expression (a string starting with "="). */
function hasExpression(value: unknown): boolean {
	if (typeof value === 'string') return value.startsWith('=');
	if (Array.isArray(value)) return value.some(hasExpression);
	if (value !== null && typeof value === 'object') return Object.values(value).some(hasExpression);
	return false;
}

/**
 * Reads parameters per item. A parameter without an expression has the same value for every item,
 * so it is resolved once per run, not once per item: n8n's getNodeParameter costs several
 * microseconds a call even for a fixed value (the profile of a 1,000-item run showed it).
 */
function parameterReader(fns: IExecuteFunctions): (field: string, itemIndex: number) => unknown {
	const parameters = fns.getNode().parameters;
	const fixed = new Map<string, unknown>();
	return (field, itemIndex) => {
		if (fixed.has(field)) return fixed.get(field);
		const value = fns.getNodeParameter(field, itemIndex, '') as unknown;
		const raw = field.split('.').reduce<unknown>((at, key) => (at as Record<string, unknown> | undefined)?.[key], parameters);
		if (raw !== undefined && !hasExpression(raw)) fixed.set(field, value);
		return value;
	};
}

/** The field's expression as written (without n8n's leading "="), or undefined for a fixed value. */
function expressionOf(fns: IExecuteFunctions, field: string): string | undefined {
	const raw = field.split('.').reduce<unknown>((at, key) => (at as Record<string, unknown> | undefined)?.[key], fns.getNode().parameters);
	return typeof raw === 'string' && raw.startsWith('=') ? raw.slice(1).trim() : undefined;
}

function itemReader(fns: IExecuteFunctions, read: (field: string, itemIndex: number) => unknown, itemIndex: number, generatedId: (i: number, key: string) => string): ItemReader {
	const value = (field: string) => read(field, itemIndex);
	return {
		itemIndex,
		value,
		text(field) {
			const v = value(field);
			if (v === undefined || v === null) return '';
			return (typeof v === 'object' ? JSON.stringify(v) : String(v)).trim();
		},
		expression: (field) => expressionOf(fns, field),
		generatedId: (businessKey) => generatedId(itemIndex, businessKey),
	};
}

function buildAll(
	fns: IExecuteFunctions,
	op: PayLocoOperation,
	count: number,
	onFailure: (i: number, failure: ItemFailure) => void,
	generated: Map<number, string> = new Map(),
): Array<IDataObject | undefined> {
	// Generation 0 here; engine/record.ts moves an item to a later one after a recorded refusal.
	const { generate } = idGenerator(fns, op);
	const generatedId = (i: number, key: string) => (generated.set(i, key), generate(key, 0));
	const read = parameterReader(fns);
	const firstUse = new Map<string, number>();
	const firstWork = new Map<string, number>();
	const bodies: Array<IDataObject | undefined> = [];
	for (let i = 0; i < count; i++) {
		try {
			const body = op.build(itemReader(fns, read, i, generatedId));
			// One run, one card: a second cancel of a card (or void of a pre-authorization) is never what was meant.
			const work = op.workKey ? String(body[op.workKey]) : undefined;
			const earlierWork = work !== undefined ? firstWork.get(work) : undefined;
			if (op.workKey && earlierWork !== undefined) {
				throw new InputError(op.workKey, `${op.workKey} "${work}" is already in item ${earlierWork} of this run; one run changes it once. Remove the repeated item.`);
			}
			const id = op.idField ? String(body[op.idField]) : undefined;
			if (op.idField && id !== undefined) {
				const earlier = firstUse.get(id);
				if (earlier !== undefined) {
					throw new InputError(op.idField, `${op.idField} "${id}" is already used by item ${earlier}; every request needs its own ID.`);
				}
			}
			if (id !== undefined) firstUse.set(id, i);
			if (work !== undefined) firstWork.set(work, i);
			bodies.push(body);
		} catch (error) {
			generated.delete(i);
			bodies.push(undefined);
			onFailure(i, describeFailure(fns.getNode(), op, i, error, undefined, 0));
		}
	}
	return bodies;
}

async function callWithRetries(
	fns: IExecuteFunctions,
	op: PayLocoOperation,
	body: IDataObject,
	options: RunOptions,
	platformKey: KeyObject | undefined,
	{ clock, slots }: { clock: ItemClock; slots: Slots },
): Promise<{ outcome?: IDataObject; attempts: number; history: AttemptResult[]; error?: unknown }> {
	clock.stampOnFirstSend(op, body);
	const check = { sent: body, readOnly: !op.changesState };
	const history: AttemptResult[] = [];
	let unknown: Fault | undefined;
	/** A failure after an attempt that may have been applied is an unknown outcome, whatever PayLoco says now. */
	const failed = (attempts: number, error: unknown) => {
		const last = error instanceof Refusal || (error instanceof Fault && !error.details.outcomeUnknown) ? error : undefined;
		return { attempts, history, error: unknown && last ? new UnknownAfterRetry(unknown, last, history) : error };
	};
	for (let attempts = 1; ; attempts++) {
		let reply: RawReply | undefined;
		// When the request left, once it had its slot: the clock offset is measured from there, not from the queue.
		let sentAt = Date.now();
		try {
			reply = await slots.run(async () => {
				sentAt = Date.now();
				return await postToPayLoco(fns, op.path, clock.bodyToSend(body), options.timeout);
			});
			clock.observe(reply, sentAt);
			const outcome = readReply(reply, platformKey, check);
			history.push(attemptResult(attempts, outcome));
			return { outcome, attempts, history };
		} catch (error) {
			history.push(attemptResult(attempts, error instanceof Error ? error : new Error(String(error))));
			// PayLoco refused the envelope for its requestTime: nothing was applied; once more on PayLoco's clock.
			if (clock.correctAfter(op, body, error, reply, sentAt, platformKey !== undefined)) continue;
			const retry = error instanceof Fault && error.details.retryable && options.retry && attempts < options.maxAttempts;
			if (!retry) return failed(attempts, error);
			if (error.details.outcomeUnknown) unknown ??= error;
			const wait = backoffMs(attempts, error);
			// A retry must resend the same order with its own time; once PayLoco would call that
			// time stale, stop and report the fault (outcome unknown) rather than a misleading refusal.
			const staleAt = op.staleAt?.(body);
			if (staleAt !== undefined && clock.now() + wait > staleAt - STALE_MARGIN_MS) return failed(attempts, error);
			await sleep(wait);
		}
	}
}
