import type { IDataObject, IExecuteFunctions, IHttpRequestOptions, IWebhookFunctions } from 'n8n-workflow';

import { Fault } from '../faults';

/** The only place the node talks HTTP. Signing happens in the credential's `authenticate`. */

export interface RawReply {
	statusCode: number;
	headers: Record<string, string | string[] | undefined>;
	body: Buffer;
}

export const CREDENTIAL = 'payLocoApi';

function toBuffer(body: unknown): Buffer {
	if (Buffer.isBuffer(body)) return body;
	if (body instanceof ArrayBuffer) return Buffer.from(body);
	if (ArrayBuffer.isView(body)) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
	if (typeof body === 'string') return Buffer.from(body, 'utf8');
	if (body === undefined || body === null) return Buffer.alloc(0);
	return Buffer.from(JSON.stringify(body), 'utf8');
}

function lowerCaseKeys(headers: unknown): RawReply['headers'] {
	const out: RawReply['headers'] = {};
	for (const [name, value] of Object.entries((headers ?? {}) as Record<string, unknown>)) {
		out[name.toLowerCase()] = Array.isArray(value) ? value.map(String) : value === undefined ? undefined : String(value);
	}
	return out;
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);
const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN']);
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ECONNABORTED', 'ESOCKETTIMEDOUT', 'ERR_CANCELED']);
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'ERR_STREAM_PREMATURE_CLOSE', 'ERR_BAD_RESPONSE', 'HPE_INVALID_CONSTANT']);

function errorCode(error: unknown): string {
	// n8n wraps network errors in a NodeApiError whose httpCode is the socket error code.
	const e = error as { code?: unknown; httpCode?: unknown; cause?: { code?: unknown }; message?: unknown };
	return String(e?.code ?? e?.httpCode ?? e?.cause?.code ?? '');
}

/**
 * Rebuilds a transport error from its code alone. n8n's and axios's errors carry the request
 * config, whose headers hold the signature; none of that may reach the node's output or logs.
 */
function toFault(error: unknown): Fault {
	const code = errorCode(error);
	const message = String((error as { message?: unknown })?.message ?? '');
	// The credential's own checks (key, base URL) fail before anything is sent; their messages are ours.
	if (error instanceof Error && (error.name === 'KeyError' || error.name === 'SettingsError')) {
		return new Fault('settings', `PayLoco API credential: ${message}; nothing was sent`, { retryable: false, outcomeUnknown: false });
	}
	const socketCode = code || undefined;
	if (CONNECTION_CODES.has(code)) {
		return new Fault('connection', 'Could not connect to PayLoco: the connection was refused or the host is unreachable; nothing was sent', {
			retryable: true,
			outcomeUnknown: false,
			socketCode,
		});
	}
	if (DNS_CODES.has(code)) {
		return new Fault('dns', "Could not resolve PayLoco's host name; nothing was sent. Check the base URL", {
			retryable: true,
			outcomeUnknown: false,
			socketCode,
		});
	}
	if (TIMEOUT_CODES.has(code) || /timeout|timed out/i.test(message)) {
		return new Fault('timeout', 'PayLoco did not answer within the timeout; the request may have been applied', {
			retryable: true,
			outcomeUnknown: true,
			socketCode,
		});
	}
	if (RESET_CODES.has(code) || /socket hang up|aborted|reset|closed unexpectedly/i.test(message)) {
		return new Fault('reset', 'The connection to PayLoco was cut before its answer arrived; the request may have been applied', {
			retryable: true,
			outcomeUnknown: true,
			socketCode,
		});
	}
	return new Fault('connection', 'The request to PayLoco failed with a network error; the request may have been applied', {
		retryable: true,
		outcomeUnknown: true,
		socketCode,
	});
}

/**
 * POSTs a body; the credential stamps `requestTime`, serializes once, signs and sets the header.
 * Also used by the Trigger (a webhook context) to confirm a notification with a Transaction Query.
 */
export async function postToPayLoco(fns: IExecuteFunctions | IWebhookFunctions, path: string, body: IDataObject, timeout: number): Promise<RawReply> {
	const request: IHttpRequestOptions = {
		method: 'POST',
		url: path,
		body: { ...body },
		timeout,
		returnFullResponse: true,
		ignoreHttpStatusErrors: true,
		encoding: 'arraybuffer',
		json: false,
		// A redirect of a signed POST is never right for PayLoco; following it also costs ~0.2 ms a call.
		disableFollowRedirect: true,
	};
	let response: { statusCode?: number; status?: number; headers?: unknown; body?: unknown };
	try {
		response = await fns.helpers.httpRequestWithAuthentication.call(fns, CREDENTIAL, request);
	} catch (error) {
		throw toFault(error);
	}
	return {
		// 0 when the answer carries no status code: engine/reply.ts reads that as an unknown outcome.
		statusCode: Number(response.statusCode ?? response.status ?? 0),
		headers: lowerCaseKeys(response.headers),
		body: toBuffer(response.body),
	};
}
