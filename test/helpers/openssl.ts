/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The signature header's bytes, decoded as strictly as PayLoco's Java side (`Base64.getDecoder()`)
 * and stricter: standard alphabet, `=` padding required, no whitespace or any other character.
 * Node's `Buffer.from(text, 'base64')` skips what it does not know and takes base64url, so a
 * signature PayLoco would refuse could still pass a check built on it.
 */
export function strictBase64(text: string): Buffer | undefined {
	const shape = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
	return text && shape.test(text) ? Buffer.from(text, 'base64') : undefined;
}

/**
 * The independent verifier: the `openssl` command line, never this package's own code.
 * True when the signature is strict Base64 and openssl says "Verified OK" for SHA256withRSA over
 * exactly `bytes`.
 */
export function opensslVerify(publicKeyPem: string, bytes: Buffer, signatureBase64: string): boolean {
	const signature = strictBase64(signatureBase64);
	if (!signature) return false;
	const dir = mkdtempSync(join(tmpdir(), 'payloco-verify-'));
	try {
		writeFileSync(join(dir, 'pub.pem'), publicKeyPem);
		writeFileSync(join(dir, 'body.bin'), bytes);
		writeFileSync(join(dir, 'sig.bin'), signature);
		const result = spawnSync('openssl', ['dgst', '-sha256', '-verify', 'pub.pem', '-signature', 'sig.bin', 'body.bin'], {
			cwd: dir,
			encoding: 'utf8',
		});
		return result.status === 0 && result.stdout.trim() === 'Verified OK';
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}

/** Runs openssl and returns its stdout, for making keys in forms merchants are handed. */
export function openssl(args: string[], input?: string): string {
	return execFileSync('openssl', args, { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
}

/** A self-signed X.509 certificate for a key, as a CA or PayLoco might hand one out. */
export function selfSignedCertificate(privateKeyPem: string, subject = '/CN=test'): string {
	const dir = mkdtempSync(join(tmpdir(), 'payloco-cert-'));
	try {
		writeFileSync(join(dir, 'key.pem'), privateKeyPem);
		return openssl(['req', '-x509', '-key', join(dir, 'key.pem'), '-subj', subject, '-days', '1']);
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}

/** SHA256withRSA over exactly `bytes` by the openssl command line, Base64: what a signer must produce (PKCS#1 v1.5 is deterministic). */
export function opensslSign(privateKeyPem: string, bytes: Buffer): string {
	const dir = mkdtempSync(join(tmpdir(), 'payloco-sign-'));
	try {
		writeFileSync(join(dir, 'key.pem'), privateKeyPem);
		writeFileSync(join(dir, 'body.bin'), bytes);
		return execFileSync('openssl', ['dgst', '-sha256', '-sign', 'key.pem', 'body.bin'], { cwd: dir }).toString('base64');
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}

/**
 * The merchant key's fingerprint as the README tells operators to compute it, by running exactly
 * `openssl pkey -in merchant-private.pem -pubout -outform DER | openssl dgst -sha256`, as
 * `SHA256:<hex>`.
 */
export function opensslFingerprint(privateKeyPem: string): string {
	const dir = mkdtempSync(join(tmpdir(), 'payloco-fingerprint-'));
	try {
		writeFileSync(join(dir, 'merchant-private.pem'), privateKeyPem);
		const out = execFileSync('sh', ['-c', 'openssl pkey -in merchant-private.pem -pubout -outform DER | openssl dgst -sha256'], { cwd: dir, encoding: 'utf8' });
		const hex = /([0-9a-f]{64})\s*$/.exec(out.trim());
		if (!hex) throw new Error(`unexpected openssl output: ${out}`);
		return `SHA256:${hex[1]}`;
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}
