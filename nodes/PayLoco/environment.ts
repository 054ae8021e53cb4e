/**
 * Where PayLoco lives, and the settings a credential holds. Shared by the credential, the action
 * node and the trigger.
 */

export const HOSTS = {
	dev: 'https://gate.dev.payloco.com/gateway',
	uat: 'https://gate.uat.payloco.com/gateway',
} as const;

/** PayLoco's published test platform public key (bare Base64 SPKI), used for `dev` when none is set. */
export const PAYLOCO_TEST_PLATFORM_SPKI =
	'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAgAuG27kWX9WFmVnlZvDoZhxUhupkA3mbPeIlqTjY6KmrTl6jd6GA708OHN0NRZcHEHApT7fGOUIKwBhMmWwZinDq7D6bQ0F1Br5o/XvOt3uyJfwi5diyS0Eh24oQPexxn3bGPS8csGoA+gPPnnscux+Lh2ZJALJc3J1kYHy/90b81vSX0wAtX/GVKHtWeLqnG3du93PcMBpgd4P++bG/CsV8IozyiZZ7QOlFQcHBeZZkGGvPllvz/x2BjlJQQcJFpYc16nWm30qALzj4r4qPyzSYAwQZHtWs47LDgfHRs9dHnZoF+qQsDjrHvvpoeaAUtotbqTaK/gWlEuJj8QhGwwIDAQAB';

export type Environment = 'dev' | 'uat' | 'custom';

/** The `payLocoApi` credential's fields, as n8n hands them over decrypted. */
export interface PayLocoCredentials {
	environment?: Environment;
	baseUrl?: string;
	memberId?: string;
	merchantId: string;
	keyVersion?: string;
	privateKey: string;
	platformPublicKey?: string;
}

export class SettingsError extends Error {
	constructor(
		readonly field: string,
		message: string,
	) {
		super(message);
		this.name = 'SettingsError';
	}
}

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

/**
 * The gateway base URL for a credential. Plain http is refused except to this machine
 * (the local sandbox): request bodies carry card and order IDs, and a signature sent in clear
 * can be replayed within PayLoco's two-minute window.
 */
export function resolveBaseUrl(credentials: Pick<PayLocoCredentials, 'environment' | 'baseUrl'>): string {
	// Called for every request a credential signs; a valid URL's answer never changes, so it is kept.
	const memo = `${String(credentials.environment ?? 'dev')}\0${String(credentials.baseUrl ?? '')}`;
	let resolved = resolvedBaseUrls.get(memo);
	if (resolved === undefined) {
		resolved = resolveBaseUrlOnce(credentials);
		if (resolvedBaseUrls.size >= 32) resolvedBaseUrls.clear();
		resolvedBaseUrls.set(memo, resolved);
	}
	return resolved;
}

const resolvedBaseUrls = new Map<string, string>();

function resolveBaseUrlOnce(credentials: Pick<PayLocoCredentials, 'environment' | 'baseUrl'>): string {
	const environment = credentials.environment ?? 'dev';
	if (environment !== 'custom') {
		const host = HOSTS[environment];
		if (!host) throw new SettingsError('environment', `Unknown environment "${String(environment)}": choose Dev, UAT or Custom.`);
		return host;
	}
	const text = String(credentials.baseUrl ?? '').trim();
	if (!text) throw new SettingsError('baseUrl', 'Base URL is empty. For production, enter the gateway URL PayLoco gave you, including /gateway.');
	const url = URL.canParse(text) ? new URL(text) : undefined;
	if (!url) throw new SettingsError('baseUrl', 'Base URL is not a URL. Expected e.g. https://gate.example.com/gateway.');
	if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.test(url.hostname))) {
		throw new SettingsError(
			'baseUrl',
			`Base URL must use https (plain http is allowed only to localhost / 127.0.0.1); got ${url.protocol}//${url.host}.`,
		);
	}
	if (url.search || url.hash || url.username || url.password) {
		throw new SettingsError('baseUrl', 'Base URL must not contain a query, fragment or user name; enter only e.g. https://gate.example.com/gateway.');
	}
	return url.toString().replace(/\/+$/, '');
}

/** The platform key responses are verified with: the credential's, or PayLoco's published test key on Dev. */
export function platformPublicKeyText(credentials: Pick<PayLocoCredentials, 'environment' | 'platformPublicKey'>): string | undefined {
	const own = String(credentials.platformPublicKey ?? '').trim();
	if (own) return own;
	return (credentials.environment ?? 'dev') === 'dev' ? PAYLOCO_TEST_PLATFORM_SPKI : undefined;
}
