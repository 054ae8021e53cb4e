import type { IDataObject } from 'n8n-workflow';
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * "Preview First" confirmation tokens. A token is bound to the exact body the preview showed
 * (every field, canonical JSON) and to the operation, and expires. Its key is derived from the
 * credential's private key, so any n8n process with the same credential (a queue-mode worker, a
 * later execution after a person said yes) can check it, and nobody without the key can forge one.
 *
 * The request's ID field is part of the signed data and travels in the token: a generated ID is new
 * in every tool call, so the confirmed call sends the ID the preview showed, and PayLoco treats a
 * repeat of the confirmed call as the same request.
 */

const PURPOSE = 'n8n-nodes-payloco tool confirmation v1';

/** Used tokens this process has seen, so one token sends once; bounded, oldest forgotten first. */
const USED_LIMIT = 10_000;
const used = new Map<string, number>();

function canonical(value: unknown): string {
	if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
	if (value !== null && typeof value === 'object') {
		const entries = Object.keys(value as IDataObject)
			.filter((key) => (value as IDataObject)[key] !== undefined)
			.sort()
			.map((key) => `${JSON.stringify(key)}:${canonical((value as IDataObject)[key])}`);
		return `{${entries.join(',')}}`;
	}
	return JSON.stringify(value);
}

function keyFrom(privateKey: string): Buffer {
	return createHmac('sha256', createHash('sha256').update(privateKey).digest()).update(PURPOSE).digest();
}

function mac(key: Buffer, scope: string, body: IDataObject, expiresAt: number): string {
	return createHmac('sha256', key).update(canonical([scope, body, expiresAt])).digest('base64url');
}

/** `scope` names the operation and node, so a token for one cannot confirm another. */
export function issueToken(privateKey: string, scope: string, body: IDataObject, idField: string | undefined, expiresAt: number): string {
	const id = idField ? String(body[idField] ?? '') : '';
	const head = Buffer.from(JSON.stringify({ e: expiresAt, i: id })).toString('base64url');
	return `${head}.${mac(keyFrom(privateKey), scope, body, expiresAt)}`;
}

export type TokenCheck = { ok: true; body: IDataObject; release: () => void } | { ok: false; reason: string };

/**
 * Checks a token against the body this call built. On success, `body` is what to send: this
 * call's body with the previewed request ID. The token counts as used until `release` is called.
 */
export function checkToken(privateKey: string, scope: string, body: IDataObject, idField: string | undefined, token: string, now: number): TokenCheck {
	const [head, signature, extra] = token.trim().split('.');
	let claims: { e?: unknown; i?: unknown } = {};
	try {
		claims = JSON.parse(Buffer.from(head ?? '', 'base64url').toString('utf8')) as typeof claims;
	} catch {
		claims = {};
	}
	const expiresAt = Number(claims.e);
	if (extra !== undefined || !signature || !Number.isFinite(expiresAt) || typeof claims.i !== 'string') {
		return { ok: false, reason: 'the confirmation token is not one this node issued' };
	}
	const candidate: IDataObject = idField && claims.i ? { ...body, [idField]: claims.i } : { ...body };
	const expected = Buffer.from(mac(keyFrom(privateKey), scope, candidate, expiresAt));
	const given = Buffer.from(signature);
	if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
		return { ok: false, reason: 'the confirmation token does not match this request: call again with exactly the arguments of the preview, or get a new preview' };
	}
	if (now > expiresAt) return { ok: false, reason: 'the confirmation token has expired: call again without it to get a new preview' };
	if (used.has(signature)) return { ok: false, reason: 'the confirmation token was already used: this request was sent' };
	used.set(signature, expiresAt);
	while (used.size > USED_LIMIT) used.delete(used.keys().next().value as string);
	return { ok: true, body: candidate, release: () => used.delete(signature) };
}
