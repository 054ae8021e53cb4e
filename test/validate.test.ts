import { DateTime } from 'luxon';

import { amount, InputError, recentTime, textOf } from '../nodes/PayLoco/actions/validate';

/** The value conversions the engine tests run through n8n, checked one by one. */
function thrown(fn: () => unknown): unknown {
	try {
		fn();
	} catch (error) {
		return error;
	}
	throw new Error('expected a throw');
}

describe('textOf', () => {
	it('formats a Luxon DateTime at its own offset, with milliseconds', () => {
		const at = DateTime.fromISO('2026-11-22T08:15:30.123+08:00', { setZone: true });
		expect(textOf('merchantOrderTime', at, 'time')).toBe('2026-11-22T08:15:30.123+08:00');
		const west = DateTime.fromISO('2026-11-22T08:15:30.000-05:30', { setZone: true });
		expect(textOf('merchantOrderTime', west, 'time')).toBe('2026-11-22T08:15:30.000-05:30');
		expect(textOf('merchantOrderTime', DateTime.fromMillis(0, { zone: 'UTC' }), 'time')).toBe('1970-01-01T00:00:00.000+00:00');
	});

	it('formats a JavaScript Date in this machine’s offset, and the result passes the time check', () => {
		const now = new Date();
		const text = textOf('merchantOrderTime', now, 'time');
		expect(Date.parse(text)).toBe(now.getTime());
		expect(recentTime('merchantOrderTime', text, now)).toBe(text);
	});

	it('refuses an invalid DateTime', () => {
		expect(thrown(() => textOf('merchantOrderTime', DateTime.fromISO('nope'), 'time'))).toBeInstanceOf(InputError);
	});

	it('takes numbers only where they cannot have lost digits', () => {
		expect(textOf('cardId', Number.MAX_SAFE_INTEGER, 'id')).toBe('9007199254740991');
		expect(thrown(() => textOf('cardId', Number.MAX_SAFE_INTEGER + 2, 'id'))).toMatchObject({ field: 'cardId', message: expect.stringMatching(/above 2\^53/) });
		expect(thrown(() => textOf('cardId', 12.5, 'id'))).toMatchObject({ message: expect.stringMatching(/not a whole number/) });
		expect(textOf('transAmt', 100.1, 'amount')).toBe('100.1');
		expect(thrown(() => textOf('transAmt', Number.NaN, 'amount'))).toBeInstanceOf(InputError);
		expect(thrown(() => textOf('currency', 840, 'code'))).toMatchObject({ message: expect.stringMatching(/currency must be text, but the expression gave the number 840/) });
	});

	it('trims spaces and line breaks at the edges, never a BOM or a line separator', () => {
		expect(textOf('cardId', '  C-1\n', 'id')).toBe('C-1');
		expect(textOf('cardId', '\ufeffC-1', 'id')).toBe('\ufeffC-1');
		expect(textOf('cardId', 'C-1\u2028', 'id')).toBe('C-1\u2028');
	});

	it('names the type it got', () => {
		expect(thrown(() => textOf('cardId', [], 'id'))).toMatchObject({ message: expect.stringMatching(/a list \(array\) of 0 values/) });
		expect(thrown(() => textOf('cardId', ['a'], 'id'))).toMatchObject({ message: expect.stringMatching(/a list \(array\) of 1 value \(/) });
		expect(thrown(() => textOf('cardId', { a: 'x'.repeat(100) }, 'id'))).toMatchObject({ message: expect.stringMatching(/an object \(\{"a":"x+…\)/) });
	});
});

describe('amount', () => {
	it.each(['0.5', '0.50', '100', '123456789012.99'])('accepts %s', (value) => expect(amount('transAmt', value, 'USD')).toBe(value));
	it.each(['00.50', '010.00', '01', '1234567890123', '0.00'])('refuses %s', (value) => {
		expect(thrown(() => amount('transAmt', value, 'USD'))).toMatchObject({ field: 'transAmt' });
	});
});
