import type { IDataObject } from 'n8n-workflow';
import type { KeyObject } from 'node:crypto';

import { verifyBytes } from '../signing';
import type { RawReply } from '../transport/request';
import { Fault, Refusal } from '../faults';
import { actionOutcome, FINAL_STATUSES, headerValue, queryOutcome, readAnswer, refusesSignatureOrEnvelope, statusKey } from '../outcome';
import type { Answer } from '../outcome';

/** One PayLoco answer in the node's output shape, whichever of PayLoco's two dialects it came in. */
export interface Outcome extends IDataObject {
	success: boolean;
	/** Exactly as PayLoco sent it; absent when PayLoco sent none. */
	status?: string;
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

/** IDs PayLoco echoes, at the top level or in `data`; each must be the one sent, when both are there. */
const ECHOED_IDS = ['merchantOrderId', 'cardId', 'requestId', 'oriMerchantOrderId', 'orderId', 'oriOrderId'];

function retryAfterMs(reply: RawReply): number | undefined {
	const text = headerValue(reply.headers, 'retry-after');
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

/** A 4xx whose body is a signed PayLoco answer is read like any answer; other non-2xx answers are HTTP faults. */
function isSignedPayLocoBody(reply: RawReply): boolean {
	if (reply.statusCode < 400 || reply.statusCode >= 500 || reply.statusCode === 429) return false;
	if (!headerValue(reply.headers, 'signature')) return false;
	try {
		const json = JSON.parse(reply.body.toString('utf8')) as Record<string, unknown>;
		return typeof json === 'object' && json !== null && readAnswer(json).code !== undefined;
	} catch {
		return false;
	}
}

/** What an HTTP status other than 2xx says, when the body is not a signed PayLoco answer. */
function httpFault(reply: RawReply): Fault {
	const { statusCode } = reply;
	if (!(statusCode >= 100)) {
		return new Fault('http', "PayLoco's answer came without an HTTP status code; the outcome is unknown", { retryable: false, outcomeUnknown: true });
	}
	if (statusCode === 429) {
		return new Fault('rateLimited', 'PayLoco is rate limiting requests (HTTP 429)', {
			retryable: true,
			outcomeUnknown: false,
			httpStatus: 429,
			retryAfterMs: retryAfterMs(reply),
		});
	}
	if (statusCode >= 500) {
		return new Fault('http', `PayLoco's gateway answered HTTP ${statusCode}`, {
			retryable: true,
			outcomeUnknown: true,
			httpStatus: statusCode,
			retryAfterMs: retryAfterMs(reply),
		});
	}
	// 408: the gateway gave up waiting, maybe after the body arrived. 409: it conflicts with
	// something already there, such as this very request. Neither says nothing was applied.
	if (statusCode === 408 || statusCode === 409) {
		const what = statusCode === 408 ? 'request timeout' : 'conflict';
		return new Fault('http', `PayLoco's gateway answered HTTP ${statusCode} (${what}); the request may have been applied`, {
			retryable: statusCode === 408,
			outcomeUnknown: true,
			httpStatus: statusCode,
		});
	}
	return new Fault('http', `PayLoco's gateway answered HTTP ${statusCode}; check the base URL and the endpoint`, {
		retryable: false,
		outcomeUnknown: false,
		httpStatus: statusCode,
	});
}

/** Checks the HTTP layer, the response signature and the body, and returns the normalized outcome. */
export function readReply(reply: RawReply, platformKey: KeyObject | undefined, check: ReplyCheck = ACTION): Outcome {
	const { statusCode } = reply;
	if (!(statusCode >= 200 && statusCode < 300) && !isSignedPayLocoBody(reply)) throw httpFault(reply);
	const text = reply.body.toString('utf8').trim();
	if (!text) throw unknownOutcome('empty', 'empty');
	if (/^<(!doctype|html|\?xml|head|body)/i.test(text) || /text\/html/i.test(headerValue(reply.headers, 'content-type') ?? '')) {
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
		const signature = headerValue(reply.headers, 'signature');
		if (!signature) {
			// PayLoco signs only answers to requests whose signature it accepted, so a refusal of the
			// signature or the envelope comes unsigned and is believed. Any other unsigned answer may
			// come from a proxy or something in between: its outcome is unknown.
			const outcome = tryNormalize(json as Record<string, unknown>, check, statusCode);
			if (outcome instanceof Refusal && refusesSignatureOrEnvelope(outcome.payLocoMessage)) throw outcome;
			if (outcome instanceof Fault && outcome.kind === 'otherRequest') throw outcome;
			const says = readAnswer(json as Record<string, unknown>);
			const quoted = says.code ? ` (it says ${`${says.code} ${says.message}`.trim().slice(0, 160)})` : '';
			throw new Fault('missingSignature', `PayLoco's answer has no signature header${quoted}, so it cannot be trusted; the outcome is unknown`, {
				retryable: false,
				outcomeUnknown: true,
				httpStatus: statusCode === 200 ? undefined : statusCode,
			});
		}
		if (!verifyBytes(platformKey, reply.body, signature)) {
			throw new Fault(
				'badSignature',
				"PayLoco's answer failed signature verification with the platform public key, so it cannot be trusted; the outcome is unknown",
				{ retryable: false, outcomeUnknown: true, httpStatus: statusCode === 200 ? undefined : statusCode },
			);
		}
	}
	return normalize(json as Record<string, unknown>, check, statusCode);
}

function tryNormalize(json: Record<string, unknown>, check: ReplyCheck, httpStatus: number): Outcome | Error {
	try {
		return normalize(json, check, httpStatus);
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

const asText = (value: unknown) => (value === undefined || value === null ? undefined : String(value));

/** An answer that does not say whether it was applied: code, `success` and status disagree, or the status is not one PayLoco documents. */
function unclear(answer: Answer, httpStatus: number): Fault {
	const flag = answer.success === undefined ? '' : `, success ${String(answer.success)}`;
	return new Fault(
		'unclear',
		`PayLoco's answer does not say whether the request was applied (code ${answer.code ?? '(none)'}, status ${answer.status ?? '(none)'}${flag}); the outcome is unknown`,
		{
			retryable: false,
			outcomeUnknown: true,
			httpStatus: httpStatus === 200 ? undefined : httpStatus,
			answer: { code: answer.code, message: answer.message, traceId: answer.traceId, status: answer.status },
		},
	);
}

/**
 * `{success, errCode, errMessage, status}` and `{code, message, data: {status}}` become one shape,
 * and the table in ../outcome.ts says what it means: applied or pending is returned, refused is a
 * Refusal, anything else a Fault with the outcome unknown. A query is answered when PayLoco
 * answered it; the order's outcome is in `status` and `final`.
 */
export function normalize(json: Record<string, unknown>, check: ReplyCheck = ACTION, httpStatus = 200): Outcome {
	const data = typeof json.data === 'object' && json.data !== null && !Array.isArray(json.data) ? (json.data as IDataObject) : undefined;
	checkAboutThisRequest(json, data, check.sent);
	const answer = readAnswer(json);
	const { code, traceId } = answer;
	if (!code) throw unknownOutcome('malformed', 'JSON without a result code (code / errCode)');
	const verdict = check.readOnly ? queryOutcome(answer) : actionOutcome(answer);
	if (verdict === 'refused') throw new Refusal(code, answer.message, traceId, answer.status, json, httpStatus);
	if (verdict === 'unknown') throw unclear(answer, httpStatus);
	if (!traceId) throw unknownOutcome('malformed', 'JSON without a traceId');
	const outcome: Outcome = { success: true, code, message: answer.message, traceId };
	if (answer.status !== undefined) outcome.status = answer.status;
	if (check.readOnly) outcome.final = FINAL_STATUSES.has(statusKey(answer.status));
	if (data) outcome.data = data;
	return outcome;
}
