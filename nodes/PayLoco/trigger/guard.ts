/**
 * The in-process duplicate guard: one check-and-set shared by every request this n8n process serves.
 *
 * Why it exists: n8n loads a workflow's static data from the database for each webhook request and
 * saves it only after webhook() has returned, with no lock. Two deliveries of one event that arrive
 * together both read the old static data, so static data alone lets both start an execution. This
 * module-level Map is the same object for every request to the process (n8n loads a node's code
 * once), and JavaScript runs one request's synchronous code at a time, so a `claim()` made with no
 * `await` between it and the decision cannot interleave with another request's.
 *
 * API (used by PayLocoTrigger.node.ts; issue 14's queue-mode work relies on it):
 * - `claim(key, now)`: true when this call takes `key`; false when `key` was already taken in this
 *   process within GUARD_HOLD_MS. Taking is atomic with the check.
 * - `isClaimed(key, now)`: the check alone, nothing taken.
 * - Keys are opaque strings; the trigger scopes them by workflow and node, so one event sent to two
 *   different PayLoco Trigger nodes starts each once.
 * - A claim lasts GUARD_HOLD_MS (the replay window); the Map holds at most GUARD_MAX_KEYS claims,
 *   the oldest go first. Nothing survives a restart: static data is the record across restarts.
 * - It is per process: with several webhook processes (queue mode) a duplicate that reaches another
 *   process before the first one's static data is saved is not caught here.
 */
import { REPLAY_WINDOW_MS } from './replay';

export const GUARD_HOLD_MS = REPLAY_WINDOW_MS;
export const GUARD_MAX_KEYS = 100_000;

/** key → when it was claimed (ms). Insertion order is claim order, so the oldest claims come first. */
const claims = new Map<string, number>();

function held(key: string, now: number, holdMs: number): boolean {
	const at = claims.get(key);
	return at !== undefined && now - at < holdMs;
}

/** Drops expired claims from the front, then the oldest beyond GUARD_MAX_KEYS. Cheap: stops at the first live one. */
function prune(now: number, holdMs: number): void {
	for (const [key, at] of claims) {
		if (claims.size <= GUARD_MAX_KEYS && now - at < holdMs) break;
		claims.delete(key);
	}
}

export function isClaimed(key: string, now: number, holdMs = GUARD_HOLD_MS): boolean {
	return held(key, now, holdMs);
}

/** Check-and-set: true when this call takes `key` (it was free), false when a live claim holds it. */
export function claim(key: string, now: number, holdMs = GUARD_HOLD_MS): boolean {
	if (held(key, now, holdMs)) return false;
	claims.delete(key); // re-inserted at the end, so the Map stays in claim order
	claims.set(key, now);
	prune(now, holdMs);
	return true;
}

/** How many claims are held (tests and diagnostics). */
export function claimCount(): number {
	return claims.size;
}

/** Forgets every claim (tests only: a running n8n never needs it). */
export function resetGuard(): void {
	claims.clear();
}
