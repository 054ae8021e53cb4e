import { createHash } from 'node:crypto';

/**
 * Memory of the notifications already let in, kept in the workflow's static data (the record that
 * survives restarts; the in-process guard in guard.ts covers simultaneous requests). Pure: the
 * caller reads the stored state, asks, and stores what comes back.
 *
 * Keys are short digests, never the text itself: static data is readable by anyone who can open
 * the workflow, and an HMAC-signed body's digest must not become a way to rebuild it.
 */

/** The stored state. `horizon`: when the newest entry dropped for room (not age) was first seen. */
export interface SeenEvents {
	v: 2;
	/** [key, first seen at (ms)], oldest first. */
	events: Array<[string, number]>;
	horizon: number;
}

/** How long a notification is remembered, and how old its notifyTime may be. */
export const REPLAY_WINDOW_MS = 24 * 60 * 60 * 1000;
/**
 * At most this many remembered notifications per trigger node: about 14 a minute around the clock
 * for the whole window, in about 700 KB of static data (35 bytes an entry). Past it the oldest are
 * dropped and `horizon` moves up: a notification whose notifyTime is not newer than the horizon
 * might be one that was dropped, and is acknowledged without starting anything (mayHaveBeenDropped).
 */
export const REPLAY_MAX_EVENTS = 20_000;
/** A notifyTime may be this far ahead of this server's clock (clock skew), and no more. */
export const FUTURE_TOLERANCE_MS = 5 * 60 * 1000;

const digest = (kind: string, data: string | Buffer) =>
	createHash('sha256').update(`${kind}\u0000`).update(data).digest('base64url').slice(0, 16);

/**
 * The key an event is deduplicated by: its `id` (string or number), or, when it has none, a digest
 * of the exact bytes received (PayLoco resends the same bytes).
 */
export function eventKey(body: Record<string, unknown>, rawBody: Buffer): string {
	const id = body.id;
	let text: string | undefined;
	if (typeof id === 'string') text = id.trim();
	else if (typeof id === 'number' && Number.isFinite(id)) text = String(id);
	return text ? digest('id', text) : digest('body', rawBody);
}

/** The key of an HMAC-signed body: its signature depends on nothing else, so the body is the message. */
export function signedBodyKey(rawBody: Buffer): string {
	return digest('hmac', rawBody);
}

/** Whatever was stored before, made valid and trimmed to the window (it may be missing, old or edited by hand). */
export function readSeen(stored: unknown, now: number, windowMs = REPLAY_WINDOW_MS): SeenEvents {
	const s = (stored ?? {}) as { v?: unknown; events?: unknown; horizon?: unknown };
	const raw = Array.isArray(s.events) ? s.events : [];
	const events: Array<[string, number]> = [];
	for (const e of raw) {
		if (!Array.isArray(e) || typeof e[0] !== 'string' || typeof e[1] !== 'number' || !(now - e[1] < windowMs)) continue;
		if (s.v === 2) events.push([e[0], e[1]]);
		// Version 1 kept plain IDs (and "sha256:<hex>" for long ones, which cannot be converted).
		else if (!e[0].startsWith('sha256:')) events.push([digest('id', e[0]), e[1]]);
	}
	events.sort((a, b) => a[1] - b[1]);
	const horizon = typeof s.horizon === 'number' && Number.isFinite(s.horizon) ? s.horizon : 0;
	return { v: 2, events, horizon };
}

export function hasSeen(state: SeenEvents, key: string): boolean {
	return state.events.some(([k]) => k === key);
}

/**
 * Adds keys not yet remembered, first seen `now`. Keeps at most `maxEvents`, dropping the oldest; a
 * drop raises `horizon`. A repeat does not refresh the first-seen time, so nothing is kept forever.
 */
export function remember(state: SeenEvents, keys: string[], now: number, maxEvents = REPLAY_MAX_EVENTS): SeenEvents {
	const events = [...state.events];
	const known = new Set(events.map(([k]) => k));
	for (const key of keys) {
		if (known.has(key)) continue;
		known.add(key);
		events.push([key, now]);
	}
	let horizon = state.horizon;
	const dropped = events.length - maxEvents;
	if (dropped > 0) {
		horizon = Math.max(horizon, events[dropped - 1][1]); // oldest first: the last one dropped is the newest
		events.splice(0, dropped);
	}
	return { v: 2, events, horizon };
}

/**
 * Whether a notification dated `earliest` (its notifyTime's earliest reading) may be one that was
 * dropped for room: not newer than the horizon. It cannot be told from a new one, so the trigger
 * acknowledges it and starts nothing (a refusal would be resent and refused for ever).
 */
export function mayHaveBeenDropped(state: SeenEvents | undefined, earliest: number | undefined): boolean {
	return !!state && state.horizon > 0 && earliest !== undefined && earliest <= state.horizon + FUTURE_TOLERANCE_MS;
}
