/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The independent verifier: the `openssl` command line, never this package's own code.
 * True when openssl says "Verified OK" for SHA256withRSA over exactly `bytes`.
 */
export function opensslVerify(publicKeyPem: string, bytes: Buffer, signatureBase64: string): boolean {
	const dir = mkdtempSync(join(tmpdir(), 'payloco-verify-'));
	try {
		writeFileSync(join(dir, 'pub.pem'), publicKeyPem);
		writeFileSync(join(dir, 'body.bin'), bytes);
		writeFileSync(join(dir, 'sig.bin'), Buffer.from(signatureBase64, 'base64'));
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
