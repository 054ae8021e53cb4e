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
	/** Query only: the order's status will not change any more (PENDING and unknown statuses are not final). */
	final?: boolean;
}

/** What the answer is checked against: the body that was sent, and whether the call changes anything. */
export interface ReplyCheck {
	sent: IDataObject;
	/** Transaction Query: `success` means PayLoco answered; the order's own outcome is in `status`. */
	readOnly: boolean;
}

const ACTION: ReplyCheck = { sent: {}, readOnly: false };

/** The statuses under which a cancel or void counts as done (SUCCESS) or accepted (PENDING). */
const GOOD_STATUSES = new Set(['SUCCESS', 'PENDING']);
/** Order statuses that do not change any more. Anything else, known or not, may still move. */
const FINAL_STATUSES = new Set(['SUCCESS', 'FAILED', 'CLOSED']);

/** IDs PayLoco echoes, at the top level or in `data`; each must be the one sent, when both are there. */
const ECHOED_IDS = ['merchantOrderId', 'cardId', 'requestId', 'oriMerchantOrderId', 'orderId', 'oriOrderId'];

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
export function readReply(reply: RawReply, platformKey: KeyObject | undefined, check: ReplyCheck = ACTION): Outcome {
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
			const outcome = tryNormalize(json as Record<string, unknown>, check);
			if (outcome instanceof Refusal || (outcome instanceof Fault && outcome.kind === 'otherRequest')) throw outcome;
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
	return normalize(json as Record<string, unknown>, check);
}

function tryNormalize(json: Record<string, unknown>, check: ReplyCheck): Outcome | Error {
	try {
		return normalize(json, check);
	} catch (error) {
		return error as Error;
	}
}

/** An answer that names another card, order or request than the one sent is no answer to this one. */
function checkAboutThisRequest(json: Record<string, unknown>, data: IDataObject | undefined, sent: IDataObject): void {
	for (const source of [json, data ?? {}]) {
		for (const field of ECHOED_IDS) {
			const answered = asText(source[field]);
			const asked = asText(sent[field]);
			if (!answered || !asked || answered === asked) continue;
			throw new Fault(
				'otherRequest',
				`PayLoco's answer is about another request (${field} "${answered.slice(0, 64)}", but "${asked}" was sent), so it is not this item's answer; the outcome is unknown`,
				{ retryable: false, outcomeUnknown: true },
			);
		}
	}
}

/** PayLoco's own `success` flag, where it sends one, as false. */
const saysFalse = (value: unknown) => value === false || (typeof value === 'string' && value.trim().toLowerCase() === 'false');

const asText = (value: unknown) => (value === undefined || value === null ? undefined : String(value));

/**
 * `{success, errCode, errMessage, status}` and `{code, message, data: {status}}` become one shape.
 * A cancel or void succeeds only when the code, the status and PayLoco's own `success` all say so:
 * for payments the outcome is decided by `status`, not by the code. A query succeeds when PayLoco
 * answered it; the order's outcome is in `status` and `final`.
 */
export function normalize(json: Record<string, unknown>, check: ReplyCheck = ACTION): Outcome {
	const data = typeof json.data === 'object' && json.data !== null && !Array.isArray(json.data) ? (json.data as IDataObject) : undefined;
	checkAboutThisRequest(json, data, check.sent);
	const code = asText(json.code ?? json.errCode);
	const message = asText(json.message ?? json.errMessage) ?? '';
	const traceId = asText(json.traceId);
	const given = asText(json.status ?? data?.status)?.trim().toUpperCase();
	if (!code) throw unknownOutcome('malformed', 'JSON without a result code (code / errCode)');
	const accepted = code === OK || code === PENDING;
	// Without a status, the code is all there is; a query's code says only that the query worked.
	const status = given ?? (code === PENDING ? 'PENDING' : code === OK && !check.readOnly ? 'SUCCESS' : undefined);
	if (!accepted || saysFalse(json.success)) throw new Refusal(code, message, traceId, status, json);
	if (!check.readOnly && !GOOD_STATUSES.has(status ?? '')) throw new Refusal(code, message, traceId, status, json);
	if (!traceId) throw unknownOutcome('malformed', 'JSON without a traceId');
	const outcome: Outcome = { success: true, status: status ?? 'UNKNOWN', code, message, traceId };
	if (check.readOnly) outcome.final = FINAL_STATUSES.has(outcome.status);
	if (data) outcome.data = data;
	return outcome;
}
