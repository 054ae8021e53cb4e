import { createHash } from 'node:crypto';

/**
 * Memory of recently seen notification IDs. PayLoco keeps an event's `id` across retries and
 * retries until it gets HTTP 200, so the same event can arrive more than once. Pure: the caller
 * keeps the state (the trigger keeps it in the workflow's static data) and stores what comes back.
 */

/** The stored state: [event key, first seen at (ms)] pairs, oldest first. Plain JSON. */
export interface SeenEvents {
	v: 1;
	events: Array<[string, number]>;
}

export const REPLAY_WINDOW_MS = 24 * 60 * 60 * 1000;
export const REPLAY_MAX_EVENTS = 1000;
const MAX_KEY_LENGTH = 128;

/** The key an event is remembered by: its `id` (string or number); long IDs are stored as a digest. */
export function eventKey(body: Record<string, unknown>): string | undefined {
	const id = body.id;
	let text: string | undefined;
	if (typeof id === 'string') text = id.trim();
	else if (typeof id === 'number' && Number.isFinite(id)) text = String(id);
	if (!text) return undefined;
	return text.length > MAX_KEY_LENGTH ? `sha256:${createHash('sha256').update(text).digest('hex')}` : text;
}

/** Whatever was stored before, made valid (stored data may be missing, old or edited by hand). */
function read(stored: unknown): Array<[string, number]> {
	const events = (stored as Partial<SeenEvents> | undefined)?.events;
	if (!Array.isArray(events)) return [];
	return events.filter(
		(e): e is [string, number] => Array.isArray(e) && typeof e[0] === 'string' && typeof e[1] === 'number',
	);
}

/**
 * Looks `key` up and remembers it. `repeated` is true when it was seen within `windowMs`. The returned
 * state holds no entry older than `windowMs` and at most `maxEvents` entries (the oldest go first).
 * A repeat does not refresh the first-seen time, so an event cannot be kept alive forever.
 */
export function rememberEvent(
	stored: unknown,
	key: string,
	now: number,
	windowMs = REPLAY_WINDOW_MS,
	maxEvents = REPLAY_MAX_EVENTS,
): { repeated: boolean; state: SeenEvents } {
	const events = read(stored).filter(([, at]) => now - at < windowMs);
	const repeated = events.some(([id]) => id === key);
	if (!repeated) events.push([key, now]);
	events.sort((a, b) => a[1] - b[1]);
	return { repeated, state: { v: 1, events: events.slice(-maxEvents) } };
}
