/**
 * Which request headers the trigger copies into its output. The output is stored with every
 * execution, readable by everyone who can open the workflow, so credentials and signatures stay out:
 * a proxy in front of n8n may add its own (forwarded tokens, client certificates, SSO assertions).
 */

import type { RequestHeaders } from './verify';

/** Left out by name. */
const LEFT_OUT = new Set([
	'cookie',
	'set-cookie',
	'authorization',
	'proxy-authorization',
	'signature',
	'x-signature',
	'x-api-key',
	'api-key',
	'x-hub-signature',
	'x-hub-signature-256',
]);

/**
 * Left out by pattern: n8n's own headers; forwarded headers other than the plain routing ones
 * (x-forwarded-authorization, -access-token, -client-cert, -user, ...); and any name that reads like
 * a credential (tokens, secrets, passwords, keys, JWT/SSO assertions, sessions, client certificates).
 */
const LEFT_OUT_PATTERNS = [
	/^x-n8n-/,
	/^x-forwarded-(?!(for|host|proto|port|prefix|server)$)/,
	/^x-auth-request-/,
	/^x-amzn-oidc-/,
	/^x-ms-(client-principal|token-)/,
	/authorization|cookie|signature|token|secret|passw|api-?key|jwt|assertion|credential|session|client-cert|ssl-client/,
];

/**
 * The user's option "Headers to Leave Out": names separated by commas, spaces or new lines, any case;
 * a trailing `*` matches a prefix (e.g. `x-acme-*`).
 */
export function parseHeaderList(text: unknown): string[] {
	if (typeof text !== 'string') return [];
	return text
		.split(/[\s,]+/)
		.map((name) => name.trim().toLowerCase())
		.filter(Boolean);
}

export function isLeftOut(name: string, extra: string[] = []): boolean {
	const lower = name.toLowerCase();
	if (LEFT_OUT.has(lower) || LEFT_OUT_PATTERNS.some((p) => p.test(lower))) return true;
	return extra.some((e) => (e.endsWith('*') ? lower.startsWith(e.slice(0, -1)) : lower === e));
}

/** The headers to emit: every header except those left out (n8n gives names in lower case). */
export function emittedHeaders(headers: RequestHeaders, extra: string[] = []): Record<string, string | string[]> {
	const out: Record<string, string | string[]> = {};
	for (const [name, value] of Object.entries(headers)) {
		if (value === undefined || isLeftOut(name, extra)) continue;
		Object.defineProperty(out, name.toLowerCase(), { value, enumerable: true, writable: true, configurable: true });
	}
	return out;
}
