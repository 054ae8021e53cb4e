import type { ICredentialTestFunctions } from 'n8n-workflow';

import type { Headers } from '../outcome';
import type { SignableRequest } from '../signing';

/** PayLoco's answer to the credential test, as it crossed the socket. */
export interface TestReply {
	statusCode: number;
	/** Names in lower case; read them with `headerValue` (../outcome.ts), which counts a repeated header as absent. */
	headers: Headers;
	body: Buffer;
}

/** Why the test request got no answer: the socket's error code only, never the request's options (they hold the signature). */
export interface TestNetworkError {
	networkError: string;
}

function toBuffer(body: unknown): Buffer {
	if (Buffer.isBuffer(body)) return body;
	if (body instanceof ArrayBuffer) return Buffer.from(body);
	if (typeof body === 'string') return Buffer.from(body, 'utf8');
	return Buffer.alloc(0);
}

/**
 * Sends an already signed request from a credential test. n8n gives credential tests one HTTP
 * helper, the legacy `request` (n8n 1.123 and 2.41 alike: ICredentialTestFunctions has no
 * `httpRequest`), so it is used here with the options that keep the bytes exact: the signed Buffer
 * as the body, the raw answer as a Buffer (`encoding: null`), every status returned (`simple:
 * false`), and no redirects, which would carry the signature elsewhere.
 */
export async function sendTestRequest(
	helpers: ICredentialTestFunctions['helpers'],
	signed: SignableRequest,
	timeout: number,
): Promise<TestReply | TestNetworkError> {
	let response: { statusCode?: number; headers?: Record<string, unknown>; body?: unknown };
	try {
		response = await helpers.request({
			method: 'POST',
			uri: signed.url,
			headers: signed.headers,
			body: signed.body,
			json: false,
			encoding: null,
			simple: false,
			resolveWithFullResponse: true,
			followRedirect: false,
			followAllRedirects: false,
			timeout,
		});
	} catch (error) {
		const e = error as { code?: unknown; cause?: { code?: unknown } };
		return { networkError: String(e?.code ?? e?.cause?.code ?? 'unknown') };
	}
	const headers: TestReply['headers'] = {};
	for (const [name, value] of Object.entries(response.headers ?? {})) {
		headers[name.toLowerCase()] = Array.isArray(value) ? value.map(String) : value === undefined ? undefined : String(value);
	}
	return { statusCode: Number(response.statusCode ?? 0), headers, body: toBuffer(response.body) };
}
