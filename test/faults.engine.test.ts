import { freePort } from '../e2e/harness/process';
import { startSandbox } from '../sandbox/server';
import type { Sandbox } from '../sandbox/server';
import { rfc3339 } from '../nodes/PayLoco/signing';
import { rsaKeyPair } from './helpers/keys';
import { runPayLoco, sentBody, STRICT } from './helpers/payloco';

/**
 * The failure catalogue, in-process: every fault gets a clear per-item error, Continue On Fail
 * lets the other items through, nothing is duplicated, and no key or signature leaks.
 */
const merchant = rsaKeyPair();
let sandbox: Sandbox;

beforeAll(async () => {
	sandbox = await startSandbox({ merchantPublicKey: merchant.publicPem, slowMs: 2500, ...STRICT });
});
afterAll(async () => sandbox.close());
beforeEach(() => sandbox.reset());

const cancel = (options: Record<string, unknown> = {}) => ({ resource: 'card', operation: 'cancel', cardId: '={{ $json.card }}', options: { retry: false, ...options } });

/** Fails if any 16-character piece of the private key, or any signature sent, appears in `value`. */
function expectNoSecrets(value: unknown) {
	const text = JSON.stringify(value);
	const keyText = merchant.pkcs8Pem.replace(/-----[A-Z ]+-----|\s/g, '');
	for (let i = 0; i + 16 <= keyText.length; i += 8) expect(text).not.toContain(keyText.slice(i, i + 16));
	for (const record of sandbox.requests) {
		const signature = String(record.headers.signature ?? '');
		if (signature) expect(text).not.toContain(signature.slice(0, 32));
	}
}

describe('faults after sending', () => {
	it.each([
		['ERR500-1', /answered HTTP 500/, true],
		['ERR502-1', /answered HTTP 502/, true],
		['ERR503-1', /answered HTTP 503/, true],
		['RATE429-1', /rate limiting requests \(HTTP 429\)/, false],
		['HTML-1', /an HTML page.*outcome is unknown/, true],
		['EMPTY-1', /was empty.*outcome is unknown/, true],
		['NOTJSON-1', /was not JSON.*outcome is unknown/, true],
		['NOTRACE-1', /without a traceId.*outcome is unknown/, true],
		['RESET-1', /connection to PayLoco was cut.*may have been applied/, true],
	])('%s: a clear per-item error, the other items still run', async (card, message, unknown) => {
		const result = await runPayLoco(sandbox, merchant, cancel(), [{ card: 'C-before' }, { card }, { card: 'C-after' }], { continueOnFail: true });
		expect(result.error).toBeUndefined();
		expect(result.items[0].json).toMatchObject({ success: true });
		expect(result.items[2].json).toMatchObject({ success: true });
		const failed = result.items[1].json;
		expect(failed).toMatchObject({ success: false, cardId: card, outcomeUnknown: unknown, attempts: 1 });
		expect(String(failed.error)).toMatch(message);
		expect(String(failed.error)).toContain('[item 1]');
		expect(sandbox.requests.filter((r) => sentBody(r).cardId === card)).toHaveLength(1);
		expectNoSecrets(result);
	});

	it('a timeout says the outcome is unknown and advises a check with the same ID, not a resend', async () => {
		const result = await runPayLoco(sandbox, merchant, cancel({ timeout: 1000 }), [{ card: 'SLOW-1' }]);
		expect(result.error?.message).toMatch(/did not answer within the timeout; the request may have been applied \[item 0\]/);
		// The requestId was generated from the workflow, the node and the card: a rerun reuses it.
		expect(result.error?.description).toMatch(/Do not resend under a new ID: re-running this workflow on the same card reuses the generated requestId n8n[0-9a-f]{29} \(a copy of the workflow or another node would not\)/);
		expectNoSecrets(result);
	});

	it('a void with an unknown outcome points to Transaction Query with its merchantOrderId', async () => {
		const result = await runPayLoco(sandbox, merchant, { resource: 'payment', operation: 'preAuthVoid', merchantOrderId: 'HTML-V-1', oriMerchantOrderId: 'PA-AUTO-1', currency: 'USD', transAmt: '1.00', options: { retry: false } }, [{}]);
		expect(result.error?.description).toMatch(/Query Transaction for merchantOrderId HTML-V-1/);
	});

	it('a stale requestTime refusal is explained as the server clock', async () => {
		const result = await runPayLoco(sandbox, merchant, cancel(), [{ card: 'STALE-1' }]);
		expect(result.error?.message).toMatch(/10010002/);
		expect(result.error?.description).toMatch(/clock is probably wrong/);
	});

	it('a 5xx is retried with the same requestId by default and then reported with the attempt count', async () => {
		const result = await runPayLoco(sandbox, merchant, { ...cancel(), options: { maxAttempts: 2 } }, [{ card: 'ERR503-2' }]);
		expect(result.error?.message).toMatch(/HTTP 503 after 2 attempts/);
		const ids = sandbox.requests.map((r) => sentBody(r).requestId);
		expect(ids).toHaveLength(2);
		expect(ids[0]).toBe(ids[1]);
	});
});

describe('retries never outlive the order time', () => {
	it('a void whose merchantOrderTime would go stale before the next attempt is not retried', async () => {
		const orderTime = rfc3339(new Date(Date.now() - 110_000));
		const result = await runPayLoco(sandbox, merchant, { resource: 'payment', operation: 'preAuthVoid', merchantOrderId: 'ERR503-V-7', oriMerchantOrderId: 'PA-AUTO-7', currency: 'USD', transAmt: '1.00', merchantOrderTime: orderTime, options: { maxAttempts: 3 } }, [{}]);
		expect(result.error?.message).toMatch(/answered HTTP 503 \[item 0\]/);
		expect(result.error?.description).toMatch(/Query Transaction for merchantOrderId ERR503-V-7/);
		expect(sandbox.requests).toHaveLength(1);
	});
});

describe('faults before anything arrives', () => {
	it('connection refused says nothing was sent', async () => {
		const port = await freePort();
		const result = await runPayLoco(sandbox, merchant, cancel(), [{ card: 'C-1' }], { credentials: { baseUrl: `http://127.0.0.1:${port}/gateway` } });
		expect(result.error?.message).toMatch(/Could not connect to PayLoco: the connection was refused or the host is unreachable; nothing was sent \[item 0\]/);
		expect(result.error?.description).toMatch(/ECONNREFUSED/);
		expectNoSecrets(result);
	});

	it('a host name that does not resolve says nothing was sent', async () => {
		const result = await runPayLoco(sandbox, merchant, cancel({ timeout: 5000 }), [{ card: 'C-1' }], { credentials: { baseUrl: 'https://gate.payloco.invalid/gateway' } });
		expect(result.error?.message).toMatch(/Could not resolve PayLoco's host name; nothing was sent/);
	});
});
