import { resolveBaseUrl, SettingsError } from '../environment';
import type { PayLocoCredentials } from '../environment';
import { envelopeFields, rfc3339 } from './envelope';
import { loadPrivateKey } from './keys';
import { signBytes } from './signature';

/**
 * The request fields this module reads and writes. It matches both n8n's `IHttpRequestOptions`
 * (`url`, `baseURL`) and the legacy request options of the HTTP Request node (`uri`), so one
 * signing path serves the PayLoco node, the credential test and the HTTP Request node.
 */
export interface SignableRequest {
	url?: string;
	uri?: string;
	baseURL?: string;
	body?: unknown;
	headers?: Record<string, unknown>;
	json?: boolean;
	[key: string]: unknown;
}

export interface SignedBody {
	bytes: Buffer;
	signature: string;
}

const MAX_MERCHANT_ID = 32;

/** Everything about a credential that can be checked without sending: IDs, base URL, the key. */
export function checkCredentials(credentials: PayLocoCredentials): void {
	resolveBaseUrl(credentials);
	checkSettings(credentials);
	loadPrivateKey(credentials.privateKey);
}

function checkSettings(credentials: PayLocoCredentials): void {
	const merchantId = String(credentials.merchantId ?? '').trim();
	if (!merchantId) throw new SettingsError('merchantId', 'Merchant ID is empty in the PayLoco API credential.');
	if (merchantId.length > MAX_MERCHANT_ID) {
		throw new SettingsError('merchantId', `Merchant ID is ${merchantId.length} characters; PayLoco allows at most ${MAX_MERCHANT_ID}.`);
	}
	const keyVersion = String(credentials.keyVersion ?? '1').trim();
	if (keyVersion.length > 8) throw new SettingsError('keyVersion', 'Key Version is longer than 8 characters.');
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Buffer.isBuffer(value) && !Array.isArray(value);
}

/**
 * Serializes the body once and signs exactly those bytes. An object gets the envelope fields it
 * lacks (never overriding one the caller set) and a `requestTime` stamped now; a string or Buffer
 * is signed as given.
 */
export function signBody(credentials: PayLocoCredentials, body: unknown, now: Date = new Date()): SignedBody {
	checkSettings(credentials);
	const key = loadPrivateKey(credentials.privateKey);
	let bytes: Buffer;
	if (Buffer.isBuffer(body)) bytes = body;
	else if (typeof body === 'string') bytes = Buffer.from(body, 'utf8');
	else if (isPlainObject(body)) {
		const filled: Record<string, unknown> = { ...envelopeFields(credentials), ...body };
		if (filled.requestTime === undefined || filled.requestTime === '') filled.requestTime = rfc3339(now);
		bytes = Buffer.from(JSON.stringify(filled), 'utf8');
	} else {
		throw new SettingsError('body', 'PayLoco requests need a JSON object body.');
	}
	return { bytes, signature: signBytes(key, bytes) };
}

function withoutHeader(headers: Record<string, unknown> | undefined, ...names: string[]): Record<string, unknown> {
	const drop = new Set(names.map((n) => n.toLowerCase()));
	return Object.fromEntries(Object.entries(headers ?? {}).filter(([name]) => !drop.has(name.toLowerCase())));
}

function isAbsolute(url: string): boolean {
	return /^[a-z][a-z0-9+.-]*:\/\//i.test(url);
}

/**
 * What the credential's `authenticate` does to every request: point a relative URL at the
 * credential's gateway, sign the body, and send the signed bytes as a Buffer so nothing between
 * here and the socket can re-serialize or trim them.
 */
export function signRequest(credentials: PayLocoCredentials, request: SignableRequest, now: Date = new Date()): SignableRequest {
	const out: SignableRequest = { ...request };
	const base = resolveBaseUrl(credentials);
	const urlField = out.uri !== undefined && out.url === undefined ? 'uri' : 'url';
	const target = String(out[urlField] ?? '');
	if (!isAbsolute(target)) {
		const explicitBase = typeof out.baseURL === 'string' && isAbsolute(out.baseURL) ? out.baseURL.replace(/\/+$/, '') : base;
		out[urlField] = `${explicitBase}/${target.replace(/^\/+/, '')}`;
		delete out.baseURL;
	}
	const empty = out.body === undefined || out.body === null || out.body === '' || (isPlainObject(out.body) && Object.keys(out.body).length === 0 && String(out.method ?? 'GET').toUpperCase() === 'GET');
	if (empty) return out;
	const { bytes, signature } = signBody(credentials, out.body, now);
	out.body = bytes;
	out.headers = { ...withoutHeader(out.headers, 'content-type', 'signature', 'content-length'), 'Content-Type': 'application/json', signature };
	return out;
}
