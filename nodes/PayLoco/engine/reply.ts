import type { IDataObject } from 'n8n-workflow';
import type { KeyObject } from 'node:crypto';

import { verifyBytes } from '../signing';
import type { RawReply } from '../transport/request';
import { Fault, OK, PENDING, Refusal } from '../faults';

/** One PayLoco answer in the node's output shape, whichever of PayLoco's two dialects it came in. */
export interface Outcome extends IDataObject {
	success: boolean;
	status: string;
	code: string;
	message: string;
	traceId: string;
}

function header(reply: RawReply, name: string): string | undefined {
	const value = reply.headers[name.toLowerCase()];
	return Array.isArray(value) ? value.join(',') : value === undefined ? undefined : String(value);
}

function retryAfterMs(reply: RawReply): number | undefined {
	const text = header(reply, 'retry-after');
	if (!text) return undefined;
	const seconds = Number(text);
	if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
	const at = Date.parse(text);
	return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function unknownOutcome(kind: 'html' | 'empty' | 'notJson' | 'malformed', what: string): Fault {
	return new Fault(kind, `PayLoco's answer was ${what}, so it cannot be read as a PayLoco reply; the outcome is unknown`, {
		retryable: false,
		outcomeUnknown: true,
	});
}

/** Checks the HTTP layer, the response signature and the body, and returns the normalized outcome. */
export function readReply(reply: RawReply, platformKey: KeyObject | undefined): Outcome {
	const { statusCode } = reply;
	if (statusCode === 429) {
		throw new Fault('rateLimited', 'PayLoco is rate limiting requests (HTTP 429)', {
			retryable: true,
			outcomeUnknown: false,
			httpStatus: 429,
			retryAfterMs: retryAfterMs(reply),
		});
	}
	if (statusCode >= 500) {
		throw new Fault('http', `PayLoco's gateway answered HTTP ${statusCode}`, {
			retryable: true,
			outcomeUnknown: true,
			httpStatus: statusCode,
			retryAfterMs: retryAfterMs(reply),
		});
	}
	if (statusCode < 200 || statusCode >= 300) {
		throw new Fault('http', `PayLoco's gateway answered HTTP ${statusCode}; check the base URL and the endpoint`, {
			retryable: false,
			outcomeUnknown: false,
			httpStatus: statusCode,
		});
	}
	const text = reply.body.toString('utf8').trim();
	if (!text) throw unknownOutcome('empty', 'empty');
	if (/^<(!doctype|html|\?xml|head|body)/i.test(text) || /text\/html/i.test(header(reply, 'content-type') ?? '')) {
		throw unknownOutcome('html', 'an HTML page (often a proxy or firewall error page)');
	}
	let json: unknown;
	try {
		json = JSON.parse(text);
	} catch {
		throw unknownOutcome('notJson', 'not JSON');
	}
	if (typeof json !== 'object' || json === null || Array.isArray(json)) throw unknownOutcome('malformed', 'JSON but not an object');

	if (platformKey) {
		const signature = header(reply, 'signature');
		if (!signature) {
			// PayLoco signs only answers to requests whose signature it accepted, so an unsigned
			// refusal is still shown as the refusal it is; an unsigned success is not trusted.
			const outcome = tryNormalize(json as Record<string, unknown>);
			if (outcome instanceof Refusal) throw outcome;
			throw new Fault('missingSignature', "PayLoco's answer has no signature header, so it cannot be trusted; the outcome is unknown", {
				retryable: false,
				outcomeUnknown: true,
			});
		}
		if (!verifyBytes(platformKey, reply.body, signature)) {
			throw new Fault(
				'badSignature',
				"PayLoco's answer failed signature verification with the platform public key, so it cannot be trusted; the outcome is unknown",
				{ retryable: false, outcomeUnknown: true },
			);
		}
	}
	return normalize(json as Record<string, unknown>);
}

function tryNormalize(json: Record<string, unknown>): Outcome | Error {
	try {
		return normalize(json);
	} catch (error) {
		return error as Error;
	}
}

const asText = (value: unknown) => (value === undefined || value === null ? undefined : String(value));

/** `{success, errCode, errMessage, status}` and `{code, message, data: {status}}` become one shape. */
export function normalize(json: Record<string, unknown>): Outcome {
	const data = typeof json.data === 'object' && json.data !== null ? (json.data as IDataObject) : undefined;
	const code = asText(json.code ?? json.errCode);
	const message = asText(json.message ?? json.errMessage) ?? '';
	const traceId = asText(json.traceId);
	const status =
		asText(json.status ?? data?.status) ?? (code === OK ? 'SUCCESS' : code === PENDING ? 'PENDING' : undefined);
	if (!code) throw unknownOutcome('malformed', 'JSON without a result code (code / errCode)');
	if (code !== OK && code !== PENDING) throw new Refusal(code, message, traceId, status, json);
	if (!traceId) throw unknownOutcome('malformed', 'JSON without a traceId');
	const outcome: Outcome = { success: true, status: status ?? 'UNKNOWN', code, message, traceId };
	if (data) outcome.data = data;
	return outcome;
}
