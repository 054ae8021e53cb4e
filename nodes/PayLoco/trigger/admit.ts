import { claim, isClaimed } from './guard';
import { eventKey, hasSeen, remember, signedBodyKey } from './replay';
import type { SeenEvents } from './replay';

/**
 * Whether a verified, fresh notification may start the workflow: the replay memory (static data,
 * the record across restarts) and the in-process guard (simultaneous requests) asked together.
 *
 * - `replayed`: an HMAC-signed body already accepted. The HMAC does not cover x-timestamp, so the
 *   same body and signature with a fresh timestamp would otherwise pass. PayLoco's own resend looks
 *   exactly like that, so it is acknowledged like a repeat, and starts nothing.
 * - `repeated`: an event already let in (same `id`, or the same bytes when it has no `id`):
 *   acknowledged, nothing started, as PayLoco resends until it gets HTTP 200.
 * - `new`: start it. Its keys are claimed in this process and added to the returned state.
 */
export type Outcome = 'new' | 'repeated' | 'replayed';

export interface AdmitInput {
	seen: SeenEvents;
	/** Keeps claims of different trigger nodes apart (workflow id and node id). */
	scope: string;
	body: Record<string, unknown>;
	rawBody: Buffer;
	/** HMAC verification: the body itself is remembered, whatever `dedupe` says. */
	hmac: boolean;
	/** The option Drop Repeated Events. */
	dedupe: boolean;
	now: number;
}

/**
 * Synchronous on purpose: the check and the claim happen in one tick, so no other request to this
 * process can run in between (see guard.ts). Never put an `await` in here.
 */
export function admit(input: AdmitInput): { outcome: Outcome; state: SeenEvents } {
	const { seen, scope, now } = input;
	const { outcome, keys } = look(input);
	if (outcome !== 'new') return { outcome, state: seen };
	for (const key of keys) claim(`${scope}\n${key}`, now);
	return { outcome: 'new', state: keys.length ? remember(seen, keys, now) : seen };
}

/** What admit() would answer, claiming nothing: to skip work (a PayLoco query) for a known resend. */
export function peek(input: AdmitInput): Outcome {
	return look(input).outcome;
}

function look(input: AdmitInput): { outcome: Outcome; keys: string[] } {
	const { seen, scope, now } = input;
	const replayKey = input.hmac ? signedBodyKey(input.rawBody) : undefined;
	const repeatKey = input.dedupe ? eventKey(input.body, input.rawBody) : undefined;
	const known = (key: string) => hasSeen(seen, key) || isClaimed(`${scope}\n${key}`, now);
	const keys = [replayKey, repeatKey].filter((k): k is string => k !== undefined);
	if (replayKey !== undefined && known(replayKey)) return { outcome: 'replayed', keys };
	if (repeatKey !== undefined && known(repeatKey)) return { outcome: 'repeated', keys };
	return { outcome: 'new', keys };
}
