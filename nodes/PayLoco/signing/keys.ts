import { createHash, createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

/**
 * Turns whatever a merchant pasted into a usable RSA key.
 *
 * PayLoco hands out bare Base64 PKCS#8 (its Java sample), merchants also hold PEM PKCS#8 and
 * PEM PKCS#1, and n8n's one-line password input loses newlines. All of those are the same key to
 * a user, so they are all accepted here. Errors never contain any part of the pasted text.
 */

export type KeyProblem =
	| 'empty'
	| 'notAKey'
	| 'publicKey'
	| 'privateKey'
	| 'certificate'
	| 'encrypted'
	| 'notRsa'
	| 'tooShort'
	| 'trailingData'
	| 'unsupportedFormat';

export const MIN_RSA_BITS = 2048;

export class KeyError extends Error {
	constructor(
		readonly problem: KeyProblem,
		message: string,
	) {
		super(message);
		this.name = 'KeyError';
	}
}

interface Armour {
	label: string;
	body: string;
	headers: string;
}

const BEGIN = /-----BEGIN ([A-Z0-9 ]+)-----/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Undo what copy-paste does to key text: `\n` escapes, CRLF, quotes, surrounding blanks. */
function clean(text: string): string {
	return text
		.replace(/\\r/g, '')
		.replace(/\\n/g, '\n')
		.replace(/\r/g, '')
		.trim()
		.replace(/^["']|["']$/g, '')
		.trim();
}

function readArmour(text: string, what: string): Armour | undefined {
	const begin = BEGIN.exec(text);
	if (!begin) return undefined;
	const label = begin[1];
	const endMarker = `-----END ${label}-----`;
	const end = text.indexOf(endMarker, begin.index);
	if (end < 0) throw new KeyError('notAKey', `The ${what} has a BEGIN ${label} line but no matching END line.`);
	if (text.slice(0, begin.index).trim() || text.slice(end + endMarker.length).trim()) {
		throw new KeyError(
			'trailingData',
			`The ${what} has extra text before its BEGIN line or after its END line. Paste only the key, from -----BEGIN to -----END.`,
		);
	}
	let inner = text.slice(begin.index + begin[0].length, end);
	// Legacy OpenSSL encryption puts "Proc-Type:" / "DEK-Info:" header lines inside the armour.
	let headers = '';
	inner = inner.replace(/^\s*([A-Za-z-]+:[^\n]*\n?)+/m, (h) => {
		headers = h;
		return '';
	});
	return { label, body: inner.replace(/\s+/g, ''), headers };
}

function decodeBase64(body: string, what: string): Buffer {
	if (!body || body.length % 4 === 1 || !BASE64.test(body)) {
		throw new KeyError(
			'notAKey',
			`The ${what} is not a key: expected PEM (-----BEGIN PRIVATE KEY-----) or Base64 text.`,
		);
	}
	return Buffer.from(body, 'base64');
}

function tryImport<T>(fn: () => T): T | undefined {
	try {
		return fn();
	} catch {
		return undefined;
	}
}

function checkRsa(key: KeyObject, what: string): KeyObject {
	if (key.asymmetricKeyType !== 'rsa') {
		throw new KeyError(
			'notRsa',
			`The ${what} is not an RSA key (it is ${String(key.asymmetricKeyType).toUpperCase()}); PayLoco signs with RSA (SHA256withRSA). Generate an RSA key of ${MIN_RSA_BITS} bits or more.`,
		);
	}
	const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
	if (bits < MIN_RSA_BITS) {
		throw new KeyError(
			'tooShort',
			`The ${what} is an RSA key of ${bits} bits; PayLoco needs ${MIN_RSA_BITS} bits or more.`,
		);
	}
	return key;
}

const wrongKind = {
	publicKey: (what: string) =>
		new KeyError(
			'publicKey',
			`The ${what} field holds a public key. Paste the merchant PRIVATE key here (the public half is what you upload to PayLoco).`,
		),
	certificate: (what: string) =>
		new KeyError(
			'certificate',
			`The ${what} field holds a certificate, not a private key. Paste the merchant private key (-----BEGIN PRIVATE KEY----- or Base64 PKCS#8).`,
		),
	encrypted: (what: string) =>
		new KeyError(
			'encrypted',
			`The ${what} is encrypted with a passphrase. Remove the passphrase first, e.g. "openssl pkcs8 -topk8 -nocrypt -in key.pem -out key-plain.pem".`,
		),
	privateKey: (what: string) =>
		new KeyError(
			'privateKey',
			`The ${what} field holds a private key. Paste PayLoco's platform PUBLIC key here; a private key does not belong in this field.`,
		),
};

function parsePrivateKey(text: string): KeyObject {
	const what = 'private key';
	const cleaned = clean(text);
	if (!cleaned) throw new KeyError('empty', 'The private key is empty. Paste the merchant RSA private key.');
	const armour = readArmour(cleaned, what);
	if (armour) {
		switch (armour.label) {
			case 'PRIVATE KEY':
			case 'RSA PRIVATE KEY': {
				if (/ENCRYPTED/.test(armour.headers)) throw wrongKind.encrypted(what);
				const der = decodeBase64(armour.body, what);
				const type = armour.label === 'PRIVATE KEY' ? 'pkcs8' : 'pkcs1';
				const key = tryImport(() => createPrivateKey({ key: der, format: 'der', type }));
				if (!key) throw new KeyError('notAKey', `The ${what} is damaged: its ${armour.label} block does not decode to a key.`);
				return checkRsa(key, what);
			}
			case 'ENCRYPTED PRIVATE KEY':
				throw wrongKind.encrypted(what);
			case 'PUBLIC KEY':
			case 'RSA PUBLIC KEY':
				throw wrongKind.publicKey(what);
			case 'CERTIFICATE':
				throw wrongKind.certificate(what);
			case 'EC PRIVATE KEY':
			case 'DSA PRIVATE KEY':
				throw new KeyError('notRsa', `The ${what} is not an RSA key (${armour.label}); PayLoco signs with RSA.`);
			default:
				throw new KeyError(
					'unsupportedFormat',
					`The ${what} is in an unsupported format (${armour.label}). Convert it with "openssl pkcs8 -topk8 -nocrypt".`,
				);
		}
	}
	const der = decodeBase64(cleaned.replace(/\s+/g, ''), what);
	const key =
		tryImport(() => createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })) ??
		tryImport(() => createPrivateKey({ key: der, format: 'der', type: 'pkcs1' }));
	if (key) return checkRsa(key, what);
	if (looksEncryptedPkcs8(der)) throw wrongKind.encrypted(what);
	if (tryImport(() => createPublicKey({ key: der, format: 'der', type: 'spki' }))) throw wrongKind.publicKey(what);
	if (tryImport(() => new X509Certificate(der))) throw wrongKind.certificate(what);
	throw new KeyError('notAKey', `The ${what} is not a key: its Base64 text does not decode to a PKCS#8 or PKCS#1 RSA key.`);
}

/** PKCS#8 EncryptedPrivateKeyInfo starts with an AlgorithmIdentifier whose OID is PBES2 (1.2.840.113549.1.5.13). */
function looksEncryptedPkcs8(der: Buffer): boolean {
	return der.includes(Buffer.from('06092a864886f70d01050d', 'hex'));
}

function parsePublicKey(text: string): KeyObject {
	const what = 'platform public key';
	const cleaned = clean(text);
	if (!cleaned) throw new KeyError('empty', 'The platform public key is empty.');
	const armour = readArmour(cleaned, what);
	if (armour) {
		const der = decodeBase64(armour.body, what);
		switch (armour.label) {
			case 'PUBLIC KEY':
			case 'RSA PUBLIC KEY': {
				const type = armour.label === 'PUBLIC KEY' ? 'spki' : 'pkcs1';
				const key = tryImport(() => createPublicKey({ key: der, format: 'der', type }));
				if (!key) throw new KeyError('notAKey', `The ${what} is damaged: its ${armour.label} block does not decode to a key.`);
				return checkRsa(key, what);
			}
			case 'CERTIFICATE': {
				const cert = tryImport(() => new X509Certificate(der));
				if (!cert) throw new KeyError('notAKey', `The ${what} is damaged: its certificate does not decode.`);
				return checkRsa(cert.publicKey, what);
			}
			default:
				if (armour.label.includes('PRIVATE')) throw wrongKind.privateKey(what);
				throw new KeyError('unsupportedFormat', `The ${what} is in an unsupported format (${armour.label}).`);
		}
	}
	const der = decodeBase64(cleaned.replace(/\s+/g, ''), what);
	const key =
		tryImport(() => createPublicKey({ key: der, format: 'der', type: 'spki' })) ??
		tryImport(() => createPublicKey({ key: der, format: 'der', type: 'pkcs1' })) ??
		tryImport(() => new X509Certificate(der).publicKey);
	if (key) return checkRsa(key, what);
	if (tryImport(() => createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }))) throw wrongKind.privateKey(what);
	throw new KeyError('notAKey', `The ${what} is not a key: its Base64 text does not decode to an RSA public key.`);
}

/**
 * Parsed keys are kept by a hash of their text, so a run of a thousand items parses the key once.
 * The map holds KeyObjects (already in this process's memory); its keys are digests, not key text.
 */
const cache = new Map<string, KeyObject>();
const CACHE_LIMIT = 32;
/** The key each kind returned last, by its text: every request of a run asks for the same key, and
 * comparing the text (the same string, usually) costs less than hashing it again each time. */
const last = new Map<string, { text: string; key: KeyObject }>();

function cached(kind: string, text: string, parse: (t: string) => KeyObject): KeyObject {
	const recent = last.get(kind);
	if (recent && recent.text === text) return recent.key;
	const id = createHash('sha256').update(kind).update('\0').update(text).digest('base64');
	let key = cache.get(id);
	if (!key) {
		key = parse(text);
		if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
		cache.set(id, key);
	}
	last.set(kind, { text, key });
	return key;
}

/** The merchant private key, from PEM PKCS#8, PEM PKCS#1 or bare Base64 PKCS#8 DER. */
export function loadPrivateKey(text: string): KeyObject {
	return cached('private', String(text ?? ''), parsePrivateKey);
}

/** PayLoco's platform public key, from PEM SPKI, PEM PKCS#1, an X.509 certificate or bare Base64 SPKI. */
export function loadPublicKey(text: string): KeyObject {
	return cached('public', String(text ?? ''), parsePublicKey);
}

/**
 * `SHA256:` + the hex SHA-256 of the key's DER SubjectPublicKeyInfo: the same value
 * `openssl pkey -in merchant-private.pem -pubout -outform DER | openssl dgst -sha256` prints, so
 * an operator can tell which public key a private key belongs to without showing either.
 */
export function publicKeyFingerprint(key: KeyObject): string {
	const spki = createPublicKey(key).export({ type: 'spki', format: 'der' });
	return `SHA256:${createHash('sha256').update(spki).digest('hex')}`;
}
