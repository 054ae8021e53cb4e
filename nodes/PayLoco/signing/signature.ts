import { sign, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** SHA256withRSA (PKCS#1 v1.5) over exactly these bytes, Base64 with padding: PayLoco's `signature` header. */
export function signBytes(privateKey: KeyObject, bytes: Buffer): string {
	return sign('sha256', bytes, privateKey).toString('base64');
}

/** True only when `signature` is well-formed Base64 and verifies over exactly these bytes. */
export function verifyBytes(publicKey: KeyObject, bytes: Buffer, signature: string | undefined): boolean {
	const text = (signature ?? '').trim();
	if (!text || text.length % 4 !== 0 || !BASE64.test(text)) return false;
	try {
		return verify('sha256', bytes, publicKey, Buffer.from(text, 'base64'));
	} catch {
		return false;
	}
}
