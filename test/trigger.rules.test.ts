// The PayLoco Trigger's checks after verification, as pure functions: merchant binding, notifyTime
// freshness, the replay memory (static data), the in-process guard, admission, header hygiene.
import { admit, peek } from '../nodes/PayLoco/trigger/admit';
import { claim, claimCount, GUARD_HOLD_MS, GUARD_MAX_KEYS, isClaimed, resetGuard } from '../nodes/PayLoco/trigger/guard';
import { emittedHeaders, isLeftOut, parseHeaderList } from '../nodes/PayLoco/trigger/headers';
import {
	eventKey,
	FUTURE_TOLERANCE_MS,
	hasSeen,
	mayHaveBeenDropped,
	readSeen,
	remember,
	REPLAY_MAX_EVENTS,
	REPLAY_WINDOW_MS,
	signedBodyKey,
} from '../nodes/PayLoco/trigger/replay';
import { checkMerchant, checkNotifyTime } from '../nodes/PayLoco/trigger/rules';

const t0 = Date.parse('2026-11-22T08:00:00.000Z');
const raw = (text: string) => Buffer.from(text, 'utf8');

describe('merchant binding', () => {
	it('refuses a body naming another merchantId, top level or in data (object or JSON text)', () => {
		expect(checkMerchant({ merchantId: 'M2' }, 'M1')).toBe('otherMerchant');
		expect(checkMerchant({ data: { merchantId: 'M2' } }, 'M1')).toBe('otherMerchant');
		expect(checkMerchant({ data: '{"merchantId":"M2"}' }, 'M1')).toBe('otherMerchant');
		expect(checkMerchant({ merchantId: 'M1', data: { merchantId: 'M2' } }, 'M1')).toBe('otherMerchant');
		expect(checkMerchant({ merchantId: '' }, 'M1')).toBe('otherMerchant');
		expect(checkMerchant({ merchantId: null }, 'M1')).toBe('otherMerchant');
		expect(checkMerchant({ merchantId: { id: 'M1' } }, 'M1')).toBe('otherMerchant');
		expect(checkMerchant({ merchantId: 'm1' }, 'M1')).toBe('otherMerchant');
	});

	it('lets in the credential\'s merchant, a body naming none, and anything when the credential has none', () => {
		expect(checkMerchant({ merchantId: 'M1' }, 'M1')).toBeUndefined();
		expect(checkMerchant({ merchantId: ' M1 ', data: { merchantId: 'M1' } }, ' M1')).toBeUndefined();
		expect(checkMerchant({ merchantId: 20230105 }, '20230105')).toBeUndefined();
		expect(checkMerchant({ id: 'evt_1', data: 'not json' }, 'M1')).toBeUndefined();
		expect(checkMerchant({ merchantId: 'M2' }, '')).toBeUndefined();
		expect(checkMerchant({ merchantId: 'M2' }, undefined)).toBeUndefined();
	});

	it('with Require Merchant ID, refuses a body naming none', () => {
		expect(checkMerchant({ id: 'evt_1' }, 'M1', true)).toBe('noMerchant');
		expect(checkMerchant({ data: { merchantId: 'M1' } }, 'M1', true)).toBeUndefined();
		expect(checkMerchant({ merchantId: 'M2' }, 'M1', true)).toBe('otherMerchant');
	});
});

describe('notifyTime freshness', () => {
	const oldest = t0 - REPLAY_WINDOW_MS;
	const at = (ms: number) => new Date(ms).toISOString();
	const failure = (notifyTime: unknown, required = false) => checkNotifyTime({ notifyTime }, t0, oldest, required).failure;
	const check = (notifyTime: unknown) => checkNotifyTime({ notifyTime }, t0, oldest).reading.check;
	const hour = 3600_000;
	/** t0 as local wall-clock text, as a sender in UTC+08:00 writes it without its zone. */
	const local = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);

	it('accepts a fresh notifyTime, in any offset, top level or in data', () => {
		expect(failure(at(t0 - 1000))).toBeUndefined();
		expect(failure('2026-11-22T16:00:00.000+08:00')).toBeUndefined();
		expect(checkNotifyTime({ data: { notifyTime: at(t0) } }, t0, oldest)).toEqual({ reading: { check: 'checked', earliest: t0, latest: t0 } });
		expect(failure(at(oldest))).toBeUndefined();
		expect(failure(at(t0 + FUTURE_TOLERANCE_MS))).toBeUndefined();
	});

	it('reads every form PayLoco may send: RFC 3339, epoch seconds and milliseconds (number or text), yyyy-MM-dd HH:mm:ss', () => {
		const reading = (notifyTime: unknown) => checkNotifyTime({ notifyTime }, t0, oldest).reading;
		for (const form of [at(t0), '2026-11-22T16:00:00+08:00', t0, String(t0), t0 / 1000, String(t0 / 1000), `${t0 / 1000}.000`]) {
			expect({ form, r: reading(form) }).toEqual({ form, r: { check: 'checked', earliest: t0, latest: t0 } });
		}
		// A local time stands for every instant it can be in some zone (UTC-12:00 to UTC+14:00).
		expect(reading(local(t0))).toEqual({ check: 'noZone', earliest: t0 - 14 * hour, latest: t0 + 12 * hour });
		expect(reading('2026-11-22T08:00:00.250')).toEqual({ check: 'noZone', earliest: t0 + 250 - 14 * hour, latest: t0 + 250 + 12 * hour });
	});

	it('refuses one older than the window, and one more than 5 minutes ahead, in every form', () => {
		for (const stale of [at(oldest - 1), '2024-05-24T14:29:32.682+08:00', oldest - 1, String(Math.floor((oldest - 1000) / 1000)), local(oldest - 12 * hour - 1)]) {
			expect({ stale, r: failure(stale) }).toEqual({ stale, r: 'staleNotifyTime' });
		}
		expect(checkNotifyTime({ data: { notifyTime: at(oldest - 1) } }, t0, oldest).failure).toBe('staleNotifyTime');
		for (const ahead of [at(t0 + FUTURE_TOLERANCE_MS + 1), t0 + FUTURE_TOLERANCE_MS + 1, local(t0 + 14 * hour + FUTURE_TOLERANCE_MS + 1000)]) {
			expect({ ahead, r: failure(ahead) }).toEqual({ ahead, r: 'futureNotifyTime' });
		}
	});

	it('lets in a local time that is fresh in some zone, marked noZone, never refused for lacking one', () => {
		// 20 h ago as UTC text, or 12 h ahead: fresh for some zone.
		for (const t of [local(t0), local(oldest - 11 * hour), local(t0 + 14 * hour)]) {
			expect({ t, r: checkNotifyTime({ notifyTime: t }, t0, oldest).failure, c: check(t) }).toEqual({ t, r: undefined, c: 'noZone' });
		}
	});

	it('never refuses a notifyTime it cannot read (the replay memory decides), and marks it; lets in a body without one', () => {
		for (const bad of ['yesterday', '2026-11-22', '2026-13-01T00:00:00Z', '2026-02-30 10:00:00', '2026-11-22 24:00:00', {}, true, 20261122, -1, '12345']) {
			expect({ bad, r: failure(bad), c: check(bad) }).toEqual({ bad, r: undefined, c: 'unreadable' });
		}
		expect(checkNotifyTime({ id: 'evt_1' }, t0, oldest)).toEqual({ reading: { check: 'absent' } });
		expect(check('')).toBe('absent');
		// With Require Notify Time one without is refused; one it cannot read is not (it is there).
		expect(checkNotifyTime({ id: 'evt_1' }, t0, oldest, true).failure).toBe('noNotifyTime');
		expect(failure('yesterday', true)).toBeUndefined();
		expect(failure(at(t0), true)).toBeUndefined();
	});
});

describe('replay memory (static data)', () => {
	it('keys events by id, else by the exact bytes; keys are short digests, never the text', () => {
		const a = eventKey({ id: 'evt_1' }, raw('{"id":"evt_1"}'));
		expect(a).toMatch(/^[A-Za-z0-9_-]{16}$/);
		expect(eventKey({ id: 'evt_1', status: 'X' }, raw('other bytes'))).toBe(a);
		expect(eventKey({ id: 42 }, raw('x'))).toBe(eventKey({ id: '42' }, raw('y')));
		const noId = eventKey({ status: 'SUCCESS' }, raw('{"status":"SUCCESS"}'));
		expect(noId).toBe(eventKey({ id: '' }, raw('{"status":"SUCCESS"}')));
		expect(noId).not.toBe(eventKey({ status: 'SUCCESS' }, raw('{"status":"SUCCESS" }')));
		expect(signedBodyKey(raw('{"id":"evt_1"}'))).not.toBe(a);
		expect(eventKey({ id: 'x'.repeat(500) }, raw(''))).toHaveLength(16);
	});

	it('remembers within the window, survives a JSON round trip, forgets after the window', () => {
		let state = remember(readSeen(undefined, t0), ['k1'], t0);
		state = readSeen(JSON.parse(JSON.stringify(state)), t0 + 1000);
		expect(hasSeen(state, 'k1')).toBe(true);
		expect(hasSeen(state, 'k2')).toBe(false);
		// A repeat does not refresh the first-seen time.
		state = remember(state, ['k1'], t0 + REPLAY_WINDOW_MS - 10);
		expect(state.events).toEqual([['k1', t0]]);
		expect(hasSeen(readSeen(state, t0 + REPLAY_WINDOW_MS), 'k1')).toBe(false);
	});

	it('stays bounded; dropping for room raises the horizon: a notifyTime not newer than it may be a dropped one', () => {
		expect(REPLAY_MAX_EVENTS).toBeGreaterThanOrEqual(20_000);
		let state = readSeen(undefined, t0);
		for (let i = 0; i < 5; i++) state = remember(state, [`k${i}`], t0 + i * 1000, 3);
		expect(state.events.map(([k]) => k)).toEqual(['k2', 'k3', 'k4']);
		expect(state.horizon).toBe(t0 + 1000);
		expect(mayHaveBeenDropped(state, t0 + 1000 + FUTURE_TOLERANCE_MS)).toBe(true);
		expect(mayHaveBeenDropped(state, t0 + 1000 + FUTURE_TOLERANCE_MS + 1)).toBe(false);
		// It is never a refusal: the notifyTime check knows only the window.
		expect(checkNotifyTime({ notifyTime: new Date(t0 + 1000).toISOString() }, t0 + 10_000, t0 + 10_000 - REPLAY_WINDOW_MS).failure).toBeUndefined();
		// Nothing dropped for room, or no time to compare: nothing may have been dropped.
		expect(mayHaveBeenDropped(readSeen(undefined, t0), t0)).toBe(false);
		expect(mayHaveBeenDropped(state, undefined)).toBe(false);
		// Age alone does not raise the horizon.
		expect(readSeen(remember(readSeen(undefined, t0), ['a'], t0), t0 + REPLAY_WINDOW_MS).horizon).toBe(0);
	});

	it('holds the full default bound in under 40 bytes an entry', () => {
		let state = readSeen(undefined, t0);
		const keys = Array.from({ length: REPLAY_MAX_EVENTS + 1 }, (_, i) => eventKey({ id: `evt_${i}` }, raw('')));
		state = remember(state, keys, t0);
		expect(state.events).toHaveLength(REPLAY_MAX_EVENTS);
		expect(hasSeen(state, keys[0])).toBe(false);
		expect(hasSeen(state, keys[REPLAY_MAX_EVENTS])).toBe(true);
		expect(JSON.stringify(state).length).toBeLessThan(REPLAY_MAX_EVENTS * 40);
	});

	it('tolerates missing, damaged or version 1 state', () => {
		for (const stored of [undefined, null, 'text', { events: 'no' }, { v: 2, events: [['ok', 'NaN'], 5], horizon: 'x' }]) {
			expect(readSeen(stored, t0)).toEqual({ v: 2, events: [], horizon: 0 });
		}
		const v1 = { v: 1, events: [['evt_1', t0 - 1000], ['sha256:abc', t0 - 1000], ['evt_old', t0 - REPLAY_WINDOW_MS - 1]] };
		const state = readSeen(v1, t0);
		expect(state.events).toEqual([[eventKey({ id: 'evt_1' }, raw('')), t0 - 1000]]);
	});
});

describe('in-process guard', () => {
	beforeEach(() => resetGuard());

	it('is a check-and-set: the first claim takes the key, later ones within the hold do not', () => {
		expect(isClaimed('a', t0)).toBe(false);
		expect(claim('a', t0)).toBe(true);
		expect(isClaimed('a', t0)).toBe(true);
		expect([claim('a', t0), claim('a', t0 + 1), claim('b', t0)]).toEqual([false, false, true]);
		expect(claim('a', t0 + GUARD_HOLD_MS)).toBe(true);
	});

	it('stays bounded, dropping the oldest claims first', () => {
		for (let i = 0; i < GUARD_MAX_KEYS + 10; i++) claim(`k${i}`, t0 + i);
		expect(claimCount()).toBe(GUARD_MAX_KEYS);
		expect(isClaimed('k0', t0 + GUARD_MAX_KEYS + 10)).toBe(false);
		expect(isClaimed(`k${GUARD_MAX_KEYS + 9}`, t0 + GUARD_MAX_KEYS + 10)).toBe(true);
	});
});

describe('admission (memory and guard together)', () => {
	beforeEach(() => resetGuard());
	const input = (o: Partial<Parameters<typeof admit>[0]> = {}) => ({
		seen: readSeen(undefined, t0),
		scope: 'wf/node',
		body: { id: 'evt_1' } as Record<string, unknown>,
		rawBody: raw('{"id":"evt_1"}'),
		hmac: false,
		dedupe: true,
		now: t0,
		...o,
	});

	it('lets the first in; a simultaneous duplicate (same stale static data) is a repeat through the guard alone', () => {
		const first = admit(input());
		expect(first.outcome).toBe('new');
		expect(first.state.events).toHaveLength(1);
		// The second request read static data before the first one's was saved.
		expect(admit(input()).outcome).toBe('repeated');
		// After a restart (no guard), static data alone catches it.
		resetGuard();
		expect(admit(input({ seen: first.state })).outcome).toBe('repeated');
	});

	it('keeps different trigger nodes apart', () => {
		expect(admit(input()).outcome).toBe('new');
		expect(admit(input({ scope: 'wf/other-node' })).outcome).toBe('new');
	});

	it('dedupes an event without id by its bytes', () => {
		const body = { status: 'SUCCESS' };
		expect(admit(input({ body, rawBody: raw('{"status":"SUCCESS"}') })).outcome).toBe('new');
		expect(admit(input({ body, rawBody: raw('{"status":"SUCCESS"}') })).outcome).toBe('repeated');
		expect(admit(input({ body, rawBody: raw('{"status":"SUCCESS","n":2}') })).outcome).toBe('new');
	});

	it('knows an HMAC body already accepted (replayed, acknowledged by the trigger), even with Drop Repeated Events off', () => {
		const hmac = input({ hmac: true, dedupe: false });
		const first = admit(hmac);
		expect(first.outcome).toBe('new');
		expect(admit(hmac).outcome).toBe('replayed');
		resetGuard();
		expect(admit({ ...hmac, seen: first.state }).outcome).toBe('replayed');
	});

	it('peeks without claiming: a peek leaves the event new for the admit that follows', () => {
		expect(peek(input())).toBe('new');
		expect(peek(input())).toBe('new');
		const first = admit(input());
		expect(first.outcome).toBe('new');
		expect(peek(input())).toBe('repeated');
		resetGuard();
		expect(peek(input({ seen: first.state }))).toBe('repeated');
	});

	it('remembers nothing when neither rule applies', () => {
		const off = input({ dedupe: false });
		expect(admit(off)).toEqual({ outcome: 'new', state: off.seen });
		expect(admit(off).outcome).toBe('new');
	});
});

describe('header hygiene', () => {
	const headers = {
		'content-type': 'application/json',
		'x-eventname': 'PRE_AUTH_VOID',
		'x-timestamp': '1',
		'user-agent': 'PayLoco',
		'x-forwarded-for': '10.0.0.1',
		'x-forwarded-proto': 'https',
		cookie: 'n8n-auth=secret',
		authorization: 'Bearer t',
		'proxy-authorization': 'Basic x',
		signature: 'sig',
		'x-signature': 'hex',
		'x-n8n-api-key': 'k',
		'x-n8n-anything': 'v',
		'x-forwarded-authorization': 'Bearer t',
		'x-forwarded-access-token': 't',
		'x-forwarded-client-cert': 'c',
		'x-forwarded-user': 'u',
		'x-auth-request-access-token': 't',
		'x-amzn-oidc-data': 'jwt',
		'cf-access-jwt-assertion': 'jwt',
		'x-goog-iap-jwt-assertion': 'jwt',
		'x-api-key': 'k',
		'x-csrf-token': 't',
		'x-acme-user': 'alice',
		'x-internal-route': 'r',
		'x-internal-zone': 'z',
	};

	it('leaves out cookies, authorization, signatures, x-n8n-* and forwarded credentials; keeps the rest', () => {
		expect(emittedHeaders(headers)).toEqual({
			'content-type': 'application/json',
			'x-eventname': 'PRE_AUTH_VOID',
			'x-timestamp': '1',
			'user-agent': 'PayLoco',
			'x-forwarded-for': '10.0.0.1',
			'x-forwarded-proto': 'https',
			'x-acme-user': 'alice',
			'x-internal-route': 'r',
			'x-internal-zone': 'z',
		});
	});

	it('leaves out the names the user adds, any case, with a trailing * as a prefix', () => {
		const extra = parseHeaderList(' X-Acme-User,x-internal-*\nuser-agent ');
		expect(extra).toEqual(['x-acme-user', 'x-internal-*', 'user-agent']);
		expect(Object.keys(emittedHeaders(headers, extra))).toEqual(['content-type', 'x-eventname', 'x-timestamp', 'x-forwarded-for', 'x-forwarded-proto']);
		expect(parseHeaderList(undefined)).toEqual([]);
		expect(isLeftOut('Cookie')).toBe(true);
	});
});
