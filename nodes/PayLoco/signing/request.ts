import { resolveBaseUrl, SettingsError } from '../environment';
import type { PayLocoCredentials } from '../environment';
import { envelopedBody } from './envelope';
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
		bytes = Buffer.from(JSON.stringify(envelopedBody(credentials, body, now)), 'utf8');
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
 * True when `target` is the gateway itself or a path below it, on the same scheme, host and port.
 * Compared after URL normalization, so `https://GATE.example.com:443/gateway/./v1` counts and
 * `https://gate.example.com/gatewayX/...` or `https://gate.example.com.evil/...` do not.
 */
function isUnderGateway(target: string, gateway: string): boolean {
	let url: URL;
	try {
		url = new URL(target);
	} catch {
		return false;
	}
	const base = parsedGateway(gateway);
	if (url.origin !== base.origin || url.username || url.password) return false;
	return url.pathname === base.path || url.pathname.startsWith(`${base.path}/`);
}

/** The gateway's origin and path, parsed once per gateway rather than once per request. */
let lastGateway: { gateway: string; origin: string; path: string } | undefined;
function parsedGateway(gateway: string): { origin: string; path: string } {
	if (lastGateway?.gateway !== gateway) {
		const base = new URL(gateway);
		lastGateway = { gateway, origin: base.origin, path: base.pathname.replace(/\/+$/, '') };
	}
	return lastGateway;
}

/** Where a request says it goes: an absolute `url`/`uri`, or one relative to `baseURL` or the gateway. */
function resolveTarget(out: SignableRequest, urlField: 'url' | 'uri', gateway: string): string {
	const target = String(out[urlField] ?? '');
	if (isAbsolute(target)) return target;
	const base = typeof out.baseURL === 'string' && isAbsolute(out.baseURL) ? out.baseURL.replace(/\/+$/, '') : gateway;
	delete out.baseURL;
	return `${base}/${target.replace(/^\/+/, '')}`;
}

/**
 * What the credential's `authenticate` does to every request: point a relative URL at the
 * credential's gateway, refuse a URL outside it, sign the body, and send the signed bytes as a
 * Buffer so nothing between here and the socket can re-serialize or trim them.
 *
 * The request options come either from `httpRequestWithAuthentication` (`url`, maybe `baseURL`;
 * the PayLoco node and the credential test) or from n8n's legacy `requestWithAuthentication`
 * (`uri`, `json`, a parsed body object; the HTTP Request node in "Predefined Credential Type"
 * mode, which only accepts absolute URLs). Both send a Buffer body byte for byte, with or
 * without `json: true`.
 */
export function signRequest(credentials: PayLocoCredentials, request: SignableRequest, now: Date = new Date()): SignableRequest {
	const out: SignableRequest = { ...request };
	const gateway = resolveBaseUrl(credentials);
	const urlField = out.uri !== undefined && out.url === undefined ? 'uri' : 'url';
	const target = resolveTarget(out, urlField, gateway);
	// A signature is a bearer token for two minutes: it must never go to another host. Catches a
	// typo'd host, a Dev URL used with a UAT credential, or a URL taken from untrusted input.
	if (!isUnderGateway(target, gateway)) {
		throw new SettingsError(
			'url',
			`This PayLoco API credential signs only requests to its own gateway, ${gateway}; the URL ${hostAndPath(target)} is outside it, so nothing was sent. Use a URL that starts with ${gateway}/, or a credential for that gateway.`,
		);
	}
	out[urlField] = target;
	// PayLoco takes JSON only; a form body would go out unsigned and be refused.
	if (out.form !== undefined || out.formData !== undefined) {
		throw new SettingsError('body', 'PayLoco requests take a JSON body, not a form; nothing was sent. In the HTTP Request node, set Body Content Type to JSON.');
	}
	const empty = out.body === undefined || out.body === null || out.body === '' || (isPlainObject(out.body) && Object.keys(out.body).length === 0 && String(out.method ?? 'GET').toUpperCase() === 'GET');
	if (empty) return out;
	const { bytes, signature } = signBody(credentials, out.body, now);
	out.body = bytes;
	out.headers = { ...withoutHeader(out.headers, 'content-type', 'signature', 'content-length'), 'Content-Type': 'application/json', signature };
	// A 307/308 redirect would resend the signed bytes and the signature wherever it points (the
	// HTTP Request node follows redirects of a POST by default). Never follow one: `disableFollowRedirect`
	// for httpRequest options, `followRedirect`/`followAllRedirects` for legacy request options.
	out.disableFollowRedirect = true;
	out.followRedirect = false;
	out.followAllRedirects = false;
	return out;
}

/** A URL for an error message: scheme, host and path only (a query string may carry IDs). */
function hostAndPath(url: string): string {
	if (!URL.canParse(url)) return JSON.stringify(url.slice(0, 80));
	const { protocol, host, pathname } = new URL(url);
	return `${protocol}//${host}${pathname}`;
}
