import type { INodeParameters } from 'n8n-workflow';

import { startSandbox } from '../sandbox/server';
import type { Sandbox } from '../sandbox/server';
import { rfc3339 } from '../nodes/PayLoco/signing';
import { rsaKeyPair } from './helpers/keys';
import { runPayLoco, sentBody } from './helpers/payloco';

/**
 * What operators' expressions and alert payloads produce, run through the node inside n8n-core's
 * WorkflowExecute: a value the gateway would refuse is refused first, naming the field and the
 * item, and the sandbox sees no request at all (every item is checked before any is sent).
 */
const merchant = rsaKeyPair();
let sandbox: Sandbox;

beforeAll(async () => {
	sandbox = await startSandbox({ merchantPublicKey: merchant.publicPem });
});
afterAll(async () => sandbox.close());
beforeEach(() => sandbox.reset());

const RFC3339_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}(Z|[+-]\d{2}:\d{2})$/;
const cancel = (cardId: string, extra: INodeParameters = {}): INodeParameters => ({ resource: 'card', operation: 'cancel', cardId, ...extra });
let voids = 0;
const voidOf = (extra: INodeParameters = {}): INodeParameters => ({
	resource: 'payment',
	operation: 'preAuthVoid',
	merchantOrderId: `V-${++voids}-${Date.now()}`,
	oriMerchantOrderId: `PA-AUTO-${voids}-${Date.now()}`,
	currency: 'USD',
	transAmt: '100.10',
	...extra,
});
const withExtra = (additionalFields: INodeParameters) => voidOf({ additionalFields });
// A time n seconds from now, with the fraction given (the API's form has exactly 3 digits).
const timeWithFraction = (fraction: string) => rfc3339(new Date()).replace(/\.\d{3}/, fraction ? `.${fraction}` : '');

/** Runs the good item first and the bad one second: the message must name item 1, and nothing may be sent. */
async function expectRefused(parameters: INodeParameters, message: RegExp, field: string) {
	const result = await runPayLoco(sandbox, merchant, parameters, [{ ok: true }, { bad: true }].map((j, i) => ({ ...j, i })));
	expect(result.error?.message).toMatch(message);
	expect(result.error?.message).toMatch(/\[item 1\]$/);
	expect(result.error?.description).toContain(`Field "${field}" of item 1 is not valid`);
	expect(sandbox.requests).toHaveLength(0); // the sandbox saw no request, not even for the good item 0
}
const onItem1 = (bad: string, good = '"C-GOOD"') => `={{ $json.i === 1 ? ${bad} : ${good} }}`;

describe('values of the wrong type from expressions', () => {
	it.each([
		['a list', '["C-1","C-2"]', /cardId must be text, but the expression gave a list \(array\) of 2 values \(\["C-1","C-2"\]\)/],
		['an object', '({ id: "C-1" })', /cardId must be text, but the expression gave an object \(\{"id":"C-1"\}\)/],
		['a boolean', 'true', /cardId must be text, but the expression gave the boolean true/],
		['a date-time', '$now', /cardId must be text, but the expression gave a date-time/],
	])('%s as Card ID is refused, naming field, item and type', async (_name, expr, message) => {
		await expectRefused(cancel(onItem1(expr)), message, 'cardId');
	});

	it('a number above 2^53 as an ID is refused: it has already lost digits', async () => {
		await expectRefused(cancel(onItem1('12345678901234567890', '1')), /cardId is the number 12345678901234567000, above 2\^53 .*lost digits/, 'cardId');
	});

	it('a number that is a safe integer is accepted as an ID', async () => {
		const result = await runPayLoco(sandbox, merchant, cancel('={{ 1655900976772226 }}'), [{}]);
		expect(result.error).toBeUndefined();
		expect(sentBody(sandbox.requests[0]).cardId).toBe('1655900976772226');
	});

	it('a boolean for Transaction Type and a list for the currency are refused too', async () => {
		await expectRefused(cancel('C-1', { transType: onItem1('false', '"PAY"') }), /transType must be text, but the expression gave the boolean false/, 'transType');
		await expectRefused(voidOf({ currency: onItem1('["USD"]', '"USD"') }), /currency must be text, but the expression gave a list/, 'currency');
	});

	it('{{ $now }} for Merchant Order Time is formatted the way the API documents, and accepted', async () => {
		const result = await runPayLoco(sandbox, merchant, voidOf({ merchantOrderTime: '={{ $now }}' }), [{}]);
		expect(result.error).toBeUndefined();
		expect(result.items[0].json).toMatchObject({ success: true });
		const sent = String(sentBody(sandbox.requests[0]).merchantOrderTime);
		expect(sent).toMatch(RFC3339_MS);
		expect(Math.abs(Date.parse(sent) - Date.now())).toBeLessThan(60_000);
	});

	it('{{ 100.10 }} for an amount stays accepted', async () => {
		const result = await runPayLoco(sandbox, merchant, voidOf({ transAmt: '={{ 100.10 }}' }), [{}]);
		expect(result.error).toBeUndefined();
		expect(result.items[0].json).toMatchObject({ success: true });
		expect(sentBody(sandbox.requests[0]).transAmt).toBe('100.1');
	});
});

describe("the gateway's formats", () => {
	it.each([
		['a leading zero', '010.00', /transAmt must not start with a zero \(got "010\.00"\)/],
		['13 integer digits', '1234567890123.00', /transAmt has 13 digits before the decimal point; at most 12/],
		['decimals JPY does not have', '100.5', /at most 0 decimals for JPY/],
	])('an amount with %s is refused', async (_name, value, message) => {
		const currency = value === '100.5' ? 'JPY' : 'USD';
		await expectRefused(voidOf({ currency, transAmt: onItem1(JSON.stringify(value), currency === 'JPY' ? '"100"' : '"1.00"') }), message, 'transAmt');
	});

	it('12 integer digits and a 0.50 amount are accepted', async () => {
		const result = await runPayLoco(sandbox, merchant, voidOf({ transAmt: '={{ $json.amt }}' }), [{ amt: '123456789012.00' }]);
		expect(result.error).toBeUndefined();
		const small = await runPayLoco(sandbox, merchant, voidOf({ transAmt: '0.50' }), [{}]);
		expect(small.error).toBeUndefined();
		expect(sandbox.requests).toHaveLength(2);
	});

	it.each([
		['two fraction digits', '68'],
		['six fraction digits', '682123'],
		['no fraction', ''],
	])('merchantOrderTime with %s is refused, naming the expected form', async (_name, fraction) => {
		const bad = timeWithFraction(fraction);
		await expectRefused(
			voidOf({ merchantOrderTime: onItem1(JSON.stringify(bad), JSON.stringify(rfc3339())) }),
			/merchantOrderTime must be yyyy-MM-ddTHH:mm:ss\.SSS followed by Z or ±HH:MM \(exactly 3 fraction digits\)/,
			'merchantOrderTime',
		);
	});

	it('merchantOrderTime with Z is accepted', async () => {
		const result = await runPayLoco(sandbox, merchant, voidOf({ merchantOrderTime: new Date().toISOString() }), [{}]);
		expect(result.error).toBeUndefined();
	});

	it.each([
		['a zero-width space', 'C-1\u200b2', 'U+200B'],
		['a byte order mark', '\ufeffC-12', 'U+FEFF'],
		['a bidi override', 'C-\u202e21', 'U+202E'],
		['a line separator', 'C-1\u20282', 'U+2028'],
		['a paragraph separator', 'C-1\u20292', 'U+2029'],
		['a tab', 'C-1\t2', 'U+0009'],
		['a line break', 'C-1\n2', 'U+000A'],
		['an escape character', 'C-1\u001b2', 'U+001B'],
	])('an ID with %s is refused', async (_name, value, code) => {
		// Written as escapes inside the expression: its parser, like older JavaScript, takes a raw U+2028 for a line end.
		const literal = JSON.stringify(value).replace(/[\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
		await expectRefused(cancel(onItem1(literal)), new RegExp(`cardId contains an invisible or control character \\(${code.replace('+', '\\+')} at position \\d+\\)`), 'cardId');
	});

	it('free text with a bidi override is refused; Chinese free text is sent as is', async () => {
		await expectRefused(withExtra({ reqReserved: onItem1('"扩展\u202e"', '"扩展"') }), /reqReserved contains an invisible or control character \(U\+202E/, 'reqReserved');
		const result = await runPayLoco(sandbox, merchant, withExtra({ reqReserved: '商户扩展信息', reserved: 'r-1' }), [{}]);
		expect(result.error).toBeUndefined();
		expect(sentBody(sandbox.requests[0])).toMatchObject({ reqReserved: '商户扩展信息', reserved: 'r-1' });
	});

	it('a 2 MB field is refused before sending, not answered by a 413', async () => {
		await expectRefused(withExtra({ reqReserved: onItem1('"x".repeat(2 * 1024 * 1024)', '"ok"') }), /reqReserved is 2097152 bytes long in UTF-8; this node sends at most 1024/, 'reqReserved');
		await expectRefused(withExtra({ reserved: onItem1('"扩".repeat(342)', '"ok"') }), /reserved is 1026 bytes long in UTF-8; this node sends at most 1024/, 'reserved');
		await expectRefused(voidOf({ merchantOrderId: onItem1('"M".repeat(65)', '"M-1"') }), /merchantOrderId is 65 characters long; at most 64/, 'merchantOrderId');
	});

	it.each([
		['too long', `"https://n8n.example.com/webhook/" + "a".repeat(240)`, /notifyUrl is 272 characters long; this node sends at most 256/],
		['with user info', '"https://user:secret@n8n.example.com/webhook/x"', /notifyUrl must not contain a user name or password/],
		['with a space', '"https://n8n.example.com/web hook/x"', /notifyUrl contains whitespace or invisible characters/],
		['with a line break inside', '"https://n8n.example.com/web\\nhook/x"', /notifyUrl contains whitespace or invisible characters/],
		['not http(s)', '"ftp://n8n.example.com/x"', /notifyUrl must be an http\(s\) URL/],
		['a list', '["https://n8n.example.com/x"]', /notifyUrl must be text, but the expression gave a list/],
	])('a notifyUrl %s is refused', async (_name, expr, message) => {
		await expectRefused(withExtra({ notifyUrl: onItem1(expr, '"https://n8n.example.com/webhook/ok"') }), message, 'notifyUrl');
	});
});
