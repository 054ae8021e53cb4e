import { generateKeyPairSync } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

export interface TestKeyPair {
	privateKey: KeyObject;
	publicKey: KeyObject;
	/** PEM PKCS#8 (BEGIN PRIVATE KEY). */
	pkcs8Pem: string;
	/** PEM PKCS#1 (BEGIN RSA PRIVATE KEY). */
	pkcs1Pem: string;
	/** Bare Base64 PKCS#8 DER, the form PayLoco's Java sample loads. */
	pkcs8Base64: string;
	/** PEM SPKI (BEGIN PUBLIC KEY), what the merchant uploads to PayLoco. */
	publicPem: string;
	/** Bare Base64 SPKI, the form PayLoco publishes its platform key in. */
	publicBase64: string;
}

const cache = new Map<number, TestKeyPair>();

/** A fresh RSA key pair per test run (cached per size: generation is the slow part). */
export function rsaKeyPair(bits = 2048, fresh = false): TestKeyPair {
	const known = cache.get(bits);
	if (known && !fresh) return known;
	const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: bits });
	const pair: TestKeyPair = {
		privateKey,
		publicKey,
		pkcs8Pem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
		pkcs1Pem: privateKey.export({ format: 'pem', type: 'pkcs1' }).toString(),
		pkcs8Base64: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
		publicPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
		publicBase64: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
	};
	if (!fresh) cache.set(bits, pair);
	return pair;
}
