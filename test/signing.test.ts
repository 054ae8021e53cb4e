import { generateKeyPairSync } from 'node:crypto';

import { KeyError, loadPrivateKey, loadPublicKey, signBody, signBytes, signRequest, verifyBytes, rfc3339 } from '../nodes/PayLoco/signing';
import type { KeyProblem } from '../nodes/PayLoco/signing';
import { PAYLOCO_TEST_PLATFORM_SPKI } from '../nodes/PayLoco/environment';
import { openssl, opensslVerify, selfSignedCertificate } from './helpers/openssl';
import { rsaKeyPair } from './helpers/keys';

const pair = rsaKeyPair();
const body = Buffer.from('{"reqReserved":"扩展","amount":"100.01"}', 'utf8');

/** Asserts that `fn` throws a KeyError of this kind whose message holds no fragment of `secret`. */
function expectKeyProblem(fn: () => unknown, problem: KeyProblem, secret: string) {
	let thrown: unknown;
	try {
		fn();
	} catch (error) {
		thrown = error;
	}
	expect(thrown).toBeInstanceOf(KeyError);
	expect((thrown as KeyError).problem).toBe(problem);
	const compact = secret.replace(/-----[A-Z ]+-----|\s/g, '');
	for (let i = 0; i + 16 <= compact.length; i += 16) {
		expect((thrown as Error).message).not.toContain(compact.slice(i, i + 16));
	}
	return thrown as KeyError;
}

describe('merchant private key forms', () => {
	const forms: Array<[string, string]> = [
		['PEM PKCS#8', pair.pkcs8Pem],
		['PEM PKCS#1', pair.pkcs1Pem],
		['bare Base64 PKCS#8', pair.pkcs8Base64],
		['Base64 PKCS#8 wrapped at 64 columns', pair.pkcs8Base64.replace(/(.{64})/g, '$1\n')],
		['PEM PKCS#8 with newlines lost', pair.pkcs8Pem.replace(/\n/g, ' ')],
		['PEM PKCS#8 with newlines lost and no spaces', pair.pkcs8Pem.replace(/\n/g, '')],
		['PEM PKCS#1 with newlines lost', pair.pkcs1Pem.replace(/\n/g, '')],
		['PEM with \\n escapes', pair.pkcs8Pem.replace(/\n/g, '\\n')],
		['PEM with CRLF', pair.pkcs8Pem.replace(/\n/g, '\r\n')],
		['PEM with surrounding spaces', `  \n\t${pair.pkcs8Pem}\n   `],
		['Base64 in quotes', `"${pair.pkcs8Base64}"`],
		['PKCS#1 from openssl genrsa -traditional', ''],
	];

	it.each(forms)('%s signs, and openssl verifies the signature', (name, text) => {
		let keyText = text;
		if (name.startsWith('PKCS#1 from openssl')) {
			keyText = openssl(['genrsa', '-traditional', '2048']);
			expect(keyText).toContain('BEGIN RSA PRIVATE KEY');
			const publicPem = openssl(['rsa', '-pubout'], keyText);
			expect(opensslVerify(publicPem, body, signBytes(loadPrivateKey(keyText), body))).toBe(true);
			return;
		}
		const signature = signBytes(loadPrivateKey(keyText), body);
		expect(opensslVerify(pair.publicPem, body, signature)).toBe(true);
		// and a different body does not verify, so the check above can fail
		expect(opensslVerify(pair.publicPem, Buffer.concat([body, Buffer.from(' ')]), signature)).toBe(false);
	});

	it('parses a key once and reuses it', () => {
		expect(loadPrivateKey(pair.pkcs8Pem)).toBe(loadPrivateKey(pair.pkcs8Pem));
	});
});

describe('keys that cannot sign', () => {
	const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
	const ecPkcs8 = ec.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
	const ecSec1 = ec.privateKey.export({ format: 'pem', type: 'sec1' }).toString();
	const small = rsaKeyPair(1024);
	const encryptedPkcs8 = pair.privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'secret' }).toString();
	const encryptedPkcs1 = pair.privateKey.export({ format: 'pem', type: 'pkcs1', cipher: 'aes-256-cbc', passphrase: 'secret' }).toString();
	const certificate = selfSignedCertificate(pair.pkcs8Pem, '/CN=merchant');

	const cases: Array<[string, string, KeyProblem]> = [
		['empty', '', 'empty'],
		['whitespace', '  \n ', 'empty'],
		['a public key (PEM)', pair.publicPem, 'publicKey'],
		['a public key (bare Base64)', pair.publicBase64, 'publicKey'],
		['a certificate', certificate, 'certificate'],
		['a certificate as bare Base64', certificate.replace(/-----[A-Z ]+-----|\s/g, ''), 'certificate'],
		['an encrypted PKCS#8 key', encryptedPkcs8, 'encrypted'],
		['an encrypted PKCS#8 key as bare Base64', encryptedPkcs8.replace(/-----[A-Z ]+-----|\s/g, ''), 'encrypted'],
		['an encrypted PKCS#1 key', encryptedPkcs1, 'encrypted'],
		['an EC key (PKCS#8)', ecPkcs8, 'notRsa'],
		['an EC key (SEC1)', ecSec1, 'notRsa'],
		['an RSA key of 1024 bits', small.pkcs8Pem, 'tooShort'],
		['text that is no key', 'hello, this is not a key', 'notAKey'],
		['Base64 that is no key', Buffer.from('x'.repeat(300)).toString('base64'), 'notAKey'],
		['a truncated PEM', pair.pkcs8Pem.slice(0, 400) + '\n-----END PRIVATE KEY-----', 'notAKey'],
		['a PEM with no END line', pair.pkcs8Pem.replace(/-----END[^]*$/, ''), 'notAKey'],
		['a key with trailing garbage', `${pair.pkcs8Pem}garbage`, 'trailingData'],
		['an OpenSSH key', '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjE=\n-----END OPENSSH PRIVATE KEY-----', 'unsupportedFormat'],
	];

	it.each(cases)('%s is refused with a message that echoes nothing of it', (_name, text, problem) => {
		const error = expectKeyProblem(() => loadPrivateKey(text), problem, text);
		expect(error.message.length).toBeGreaterThan(20);
	});

	it('messages say what to do', () => {
		expect(expectKeyProblem(() => loadPrivateKey(pair.publicPem), 'publicKey', pair.publicPem).message).toMatch(/PRIVATE key/);
		expect(expectKeyProblem(() => loadPrivateKey(small.pkcs8Pem), 'tooShort', small.pkcs8Pem).message).toMatch(/1024 bits.*2048/);
		expect(expectKeyProblem(() => loadPrivateKey(encryptedPkcs8), 'encrypted', encryptedPkcs8).message).toMatch(/openssl pkcs8/);
	});
});

describe('platform public key forms', () => {
	const signature = signBytes(pair.privateKey, body);
	const certificate = selfSignedCertificate(pair.pkcs8Pem, '/CN=payloco');
	it.each([
		['bare Base64 SPKI', pair.publicBase64],
		['PEM SPKI', pair.publicPem],
		['PEM PKCS#1', pair.publicKey.export({ format: 'pem', type: 'pkcs1' }).toString()],
		['PEM SPKI with newlines lost', pair.publicPem.replace(/\n/g, '')],
		['an X.509 certificate', certificate],
	])('%s verifies a good signature and refuses a tampered body', (_name, text) => {
		const key = loadPublicKey(text);
		expect(verifyBytes(key, body, signature)).toBe(true);
		const tampered = Buffer.from(body);
		tampered[tampered.length - 2] ^= 1;
		expect(verifyBytes(key, tampered, signature)).toBe(false);
	});

	it('refuses a private key pasted as the platform key', () => {
		expectKeyProblem(() => loadPublicKey(pair.pkcs8Pem), 'privateKey', pair.pkcs8Pem);
	});

	it('treats malformed signatures as not verified', () => {
		const key = loadPublicKey(pair.publicBase64);
		for (const bad of [undefined, '', 'not base64!', signature.slice(1), signature.replace(/.$/, '')]) {
			expect(verifyBytes(key, body, bad)).toBe(false);
		}
	});

	it("accepts PayLoco's published test key", () => {
		expect(loadPublicKey(PAYLOCO_TEST_PLATFORM_SPKI).asymmetricKeyDetails?.modulusLength).toBe(2048);
	});
});

describe('signing a request body', () => {
	const credentials = { environment: 'custom' as const, baseUrl: 'http://127.0.0.1:9/gateway', merchantId: 'M1', memberId: 'G1', keyVersion: '1', privateKey: pair.pkcs8Base64 };

	it('fills the envelope, stamps requestTime, keeps caller fields, and signs the exact UTF-8 bytes', () => {
		const now = new Date('2026-05-24T06:29:32.682Z');
		const { bytes, signature } = signBody(credentials, { cardId: 'C1', version: '9.9.9', reqReserved: '扩展' }, now);
		const sent = JSON.parse(bytes.toString('utf8'));
		expect(sent).toMatchObject({ charset: 'UTF-8', version: '9.9.9', signType: 'RSA', keyVersion: '1', memberId: 'G1', merchantId: 'M1', cardId: 'C1', reqReserved: '扩展' });
		expect(sent.requestTime).toBe(rfc3339(now));
		expect(bytes.toString('utf8')).toContain('扩展');
		expect(opensslVerify(pair.publicPem, bytes, signature)).toBe(true);
	});

	it('signs a string body as given', () => {
		const text = '{"a":1,  "b":"扩展"}';
		const { bytes, signature } = signBody(credentials, text);
		expect(bytes.equals(Buffer.from(text, 'utf8'))).toBe(true);
		expect(opensslVerify(pair.publicPem, bytes, signature)).toBe(true);
	});

	it('resolves a relative URL against the base URL and sets the headers', () => {
		const signed = signRequest(credentials, { method: 'POST', url: '/v1/issuing/cards/cancel', body: { cardId: 'C1' }, headers: { 'content-type': 'text/plain' } });
		expect(signed.url).toBe('http://127.0.0.1:9/gateway/v1/issuing/cards/cancel');
		expect(signed.headers).toEqual({ 'Content-Type': 'application/json', signature: expect.any(String) });
		expect(opensslVerify(pair.publicPem, signed.body as Buffer, String(signed.headers?.signature))).toBe(true);
	});

	it('formats requestTime as RFC 3339 with milliseconds and a numeric offset', () => {
		expect(rfc3339(new Date())).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{2}:\d{2}$/);
	});
});

describe('signing requests from the HTTP Request node (legacy request options)', () => {
	const gateway = 'https://gate.example.com/gateway';
	const credentials = { environment: 'custom' as const, baseUrl: gateway, merchantId: 'M1', memberId: 'G1', keyVersion: '1', privateKey: pair.pkcs8Pem };
	// What HTTP Request node V3 (typeVersion 4.x) hands to authenticate for a JSON body, response format JSON.
	const legacy = (uri: string, body: unknown, extra: Record<string, unknown> = {}) => ({
		headers: { accept: 'application/json,text/*;q=0.99' },
		method: 'POST',
		uri,
		gzip: true,
		rejectUnauthorized: true,
		followRedirect: true,
		resolveWithFullResponse: true,
		timeout: 300_000,
		body,
		json: true,
		...extra,
	});

	it('signs an absolute uri on the gateway: envelope filled, user fields kept, exact bytes signed, options otherwise untouched', () => {
		const now = new Date('2026-05-24T06:29:32.682Z');
		const body = { transType: 'QUERY', accessType: 's2s', merchantOrderId: 'PA-1', memberId: 'MINE', reqReserved: '扩展' };
		const request = legacy(`${gateway}/v1/payments/open/api/query`, body);
		const signed = signRequest(credentials, request, now);
		expect(signed.uri).toBe(`${gateway}/v1/payments/open/api/query`);
		expect(signed.url).toBeUndefined();
		expect(Buffer.isBuffer(signed.body)).toBe(true);
		const sent = JSON.parse((signed.body as Buffer).toString('utf8'));
		expect(sent).toEqual({ charset: 'UTF-8', version: '2.0.0', signType: 'RSA', keyVersion: '1', memberId: 'MINE', merchantId: 'M1', requestTime: rfc3339(now), transType: 'QUERY', accessType: 's2s', merchantOrderId: 'PA-1', reqReserved: '扩展' });
		expect(signed.headers).toEqual({ accept: 'application/json,text/*;q=0.99', 'Content-Type': 'application/json', signature: expect.any(String) });
		expect(opensslVerify(pair.publicPem, signed.body as Buffer, String(signed.headers?.signature))).toBe(true);
		expect(signed).toMatchObject({ method: 'POST', json: true, resolveWithFullResponse: true, timeout: 300_000, gzip: true });
		// n8n's legacy request path then sets axios maxRedirects to 0 for a POST: no redirect carries the signature away.
		expect(signed).toMatchObject({ followRedirect: false, followAllRedirects: false, disableFollowRedirect: true });
		expect(request.body).toBe(body); // the caller's options are not mutated
	});

	it('keeps a requestTime the user set', () => {
		const signed = signRequest(credentials, legacy(`${gateway}/v1/issuing/cards/cancel`, { cardId: 'C1', requestTime: '2026-01-01T00:00:00.000Z' }));
		expect(JSON.parse((signed.body as Buffer).toString('utf8')).requestTime).toBe('2026-01-01T00:00:00.000Z');
	});

	it('signs a string body (Body Content Type: Raw) as given, byte for byte', () => {
		const text = ' {"cardId":"C1",  "reqReserved":"扩展"}\n';
		const signed = signRequest(credentials, legacy(`${gateway}/v1/issuing/cards/cancel`, text, { json: false, headers: { 'content-type': 'text/plain' } }));
		expect((signed.body as Buffer).equals(Buffer.from(text, 'utf8'))).toBe(true);
		expect(signed.headers).toEqual({ 'Content-Type': 'application/json', signature: expect.any(String) });
		expect(opensslVerify(pair.publicPem, signed.body as Buffer, String(signed.headers?.signature))).toBe(true);
	});

	it.each([
		['another host', 'https://gate.uat.payloco.com/gateway/v1/issuing/cards/cancel'],
		['a look-alike host', 'https://gate.example.com.evil.test/gateway/v1/issuing/cards/cancel'],
		['another port', 'https://gate.example.com:8443/gateway/v1/issuing/cards/cancel'],
		['plain http', 'http://gate.example.com/gateway/v1/issuing/cards/cancel'],
		['a path outside the gateway', 'https://gate.example.com/other/v1/issuing/cards/cancel'],
		['a path that only starts like the gateway', 'https://gate.example.com/gatewayX/v1/issuing/cards/cancel'],
		['a path that climbs out of the gateway', 'https://gate.example.com/gateway/../admin'],
		['user info', 'https://user:pw@gate.example.com/gateway/v1/issuing/cards/cancel'],
	])('refuses to sign for %s, naming the gateway', (_what, uri) => {
		expect(() => signRequest(credentials, legacy(uri, { cardId: 'C1' }))).toThrow(
			expect.objectContaining({ name: 'SettingsError', message: expect.stringContaining(`its own gateway, ${gateway};`) }),
		);
	});

	it('accepts the gateway spelled differently but meaning the same place', () => {
		const signed = signRequest(credentials, legacy('https://GATE.example.com:443/gateway/./v1/issuing/cards/cancel?x=1', { cardId: 'C1' }));
		expect(opensslVerify(pair.publicPem, signed.body as Buffer, String(signed.headers?.signature))).toBe(true);
	});

	it('refuses a baseURL outside the gateway for a relative url', () => {
		expect(() => signRequest(credentials, { method: 'POST', baseURL: 'https://elsewhere.test/gateway', url: '/v1/issuing/cards/cancel', body: { cardId: 'C1' } })).toThrow(/its own gateway/);
	});

	it.each([
		['form-urlencoded', { form: { cardId: 'C1' } }],
		['multipart', { formData: { cardId: 'C1' } }],
	])('refuses a %s body instead of sending it unsigned', (_what, extra) => {
		expect(() => signRequest(credentials, { ...legacy(`${gateway}/v1/issuing/cards/cancel`, undefined), ...extra })).toThrow(/JSON body, not a form/);
	});
});
