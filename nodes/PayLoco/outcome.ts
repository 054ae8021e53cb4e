/**
 * What a PayLoco answer means, in one place. The node's output, its error texts, the stopped-run
 * listing and the clock correction all read answers through this module, so they cannot disagree.
 *
 * A definite refusal tells the operator "nothing happened, do it again". When money did move,
 * that is the worst error this node can make, so only what PayLoco positively says is a refusal
 * counts as one; everything else that is not applied or pending is unknown.
 *
 * Cancel Card and Pre-Auth Void (calls that change something), by code, `success` and status
 * (top level, else `data.status`; an empty one counts as absent):
 *
 * | code        | success        | status                  | outcome                          |
 * |-------------|----------------|-------------------------|----------------------------------|
 * | none        | any            | any                     | unknown (not a PayLoco reply)    |
 * | 00000003    | any            | FAILED or CLOSED        | unknown (the two contradict)     |
 * | 00000003    | any            | anything else or none   | pending                          |
 * | 00000000    | any            | FAILED or CLOSED        | refused (the status decides)     |
 * | 00000000    | false          | anything else or none   | unknown (the two contradict)     |
 * | 00000000    | true or absent | SUCCESS or none         | applied                          |
 * | 00000000    | true or absent | PENDING                 | pending                          |
 * | 00000000    | true or absent | any other (PROCESSING)  | unknown                          |
 * | other       | true           | any                     | unknown (the two contradict)     |
 * | other       | false / absent | FAILED, CLOSED or none  | refused                          |
 * | other       | false / absent | SUCCESS, PENDING, other | unknown                          |
 *
 * Transaction Query: 00000000 or 00000003 without `success: false` is answered, and the order's
 * outcome is its status (SUCCESS applied, PENDING pending, FAILED / CLOSED refused, anything else
 * unknown); any other code without `success: true` is a refused query; the rest is unknown.
 *
 * The status is shown exactly as PayLoco sent it, or not at all: never one PayLoco did not send.
 * This module imports nothing, so transport/, engine/, the trigger and the credential test can use it.
 */

export const OK = '00000000';
export const PENDING = '00000003';

/** applied: PayLoco did it. pending: accepted, the final result comes later. refused: definitely not applied. unknown: may have been applied. */
export type Outcome = 'applied' | 'pending' | 'refused' | 'unknown';

/** Order statuses that do not change any more. Anything else, known or not, may still move. */
export const FINAL_STATUSES = new Set(['SUCCESS', 'FAILED', 'CLOSED']);
/** Final statuses under which nothing was applied. */
const NOT_APPLIED_STATUSES = new Set(['FAILED', 'CLOSED']);

export type Headers = Record<string, string | string[] | undefined>;

/**
 * One header's value (names in lower case, as Node and n8n give them). A header sent more than
 * once counts as absent: which copy is meant cannot be known, and a signature or a Date must be
 * unambiguous.
 */
export function headerValue(headers: Headers | undefined, name: string): string | undefined {
	const value = headers?.[name.toLowerCase()];
	if (Array.isArray(value)) return value.length === 1 ? String(value[0]) : undefined;
	return value === undefined || value === null ? undefined : String(value);
}

// PayLoco's refusals name the field they refuse. requestTime is the envelope's send time;
// merchantOrderTime (订单时间) is the void order's own time; neither is a card's expiry.
const REQUEST_TIME = /request[\s_-]*time|请求时间/i;
const ORDER_TIME = /merchant[\s_-]*order[\s_-]*time|订单时间/i;
const FORMAT_OR_EMPTY = /format|empty|格式|为空/i;
/** The request's signature or its envelope (the fields every call carries), or the body as a whole. */
const SIGNATURE_OR_ENVELOPE =
	/\bsign|签名|验签|content[\s_-]*type|charset|\bversion|key[\s_-]*version|merchant[\s_-]*id\b|member[\s_-]*id|request[\s_-]*time|请求时间|\bbody\b|\bjson\b/i;

/** A refusal of requestTime for being outside PayLoco's window: the one refusal a clock correction answers. */
export function isRequestTimeRefusal(message: string): boolean {
	return REQUEST_TIME.test(message) && !ORDER_TIME.test(message) && !FORMAT_OR_EMPTY.test(message);
}

/** A refusal that names merchantOrderTime (订单时间). */
export function isOrderTimeRefusal(message: string): boolean {
	return ORDER_TIME.test(message);
}

/**
 * PayLoco signs answers only to requests whose signature it accepted, so a refusal of the
 * signature or of the envelope comes unsigned. That is the only unsigned refusal to believe.
 */
export function refusesSignatureOrEnvelope(message: string): boolean {
	return SIGNATURE_OR_ENVELOPE.test(message);
}

/** The fields of a PayLoco answer that decide what it means, from either dialect. */
export interface Answer {
	code?: string;
	message: string;
	traceId?: string;
	/** As PayLoco sent it: top level, else `data.status`; absent when both are absent or empty. */
	status?: string;
	/** PayLoco's own `success` flag: true, false, or undefined when not sent (or not a boolean). */
	success?: boolean;
}

const text = (value: unknown): string | undefined => (value === undefined || value === null ? undefined : String(value));
const nonEmpty = (value: unknown): string | undefined => {
	const t = text(value);
	return t === undefined || t.trim() === '' ? undefined : t;
};

/** true / false, also as the strings "true" / "false"; anything else is no flag. */
export function flagOf(value: unknown): boolean | undefined {
	if (typeof value === 'boolean') return value;
	const t = typeof value === 'string' ? value.trim().toLowerCase() : '';
	return t === 'true' ? true : t === 'false' ? false : undefined;
}

/** `{success, errCode, errMessage, status}` and `{code, message, data: {status}}` as one Answer. */
export function readAnswer(json: Record<string, unknown>): Answer {
	const data = typeof json.data === 'object' && json.data !== null && !Array.isArray(json.data) ? (json.data as Record<string, unknown>) : {};
	return {
		code: nonEmpty(json.code ?? json.errCode)?.trim(),
		message: text(json.message ?? json.errMessage) ?? '',
		traceId: nonEmpty(json.traceId),
		status: nonEmpty(json.status) ?? nonEmpty(data.status),
		success: flagOf(json.success),
	};
}

/** A status for comparison only: trimmed, upper case, '' when absent. The output keeps PayLoco's own text. */
export const statusKey = (status: unknown): string => (text(status) ?? '').trim().toUpperCase();

/** Cancel Card / Pre-Auth Void: the table above. */
export function actionOutcome(answer: Answer): Outcome {
	const { code, success } = answer;
	const status = statusKey(answer.status);
	if (!code) return 'unknown';
	if (code === PENDING) return NOT_APPLIED_STATUSES.has(status) ? 'unknown' : 'pending';
	if (code === OK) {
		if (NOT_APPLIED_STATUSES.has(status)) return 'refused';
		if (success === false) return 'unknown';
		if (status === '' || status === 'SUCCESS') return 'applied';
		return status === 'PENDING' ? 'pending' : 'unknown';
	}
	if (success === true) return 'unknown';
	return status === '' || NOT_APPLIED_STATUSES.has(status) ? 'refused' : 'unknown';
}

/** Transaction Query: whether PayLoco answered the query (the order's own outcome is in `orderOutcome`). */
export function queryOutcome(answer: Answer): 'answered' | 'refused' | 'unknown' {
	if (!answer.code) return 'unknown';
	if (answer.code === OK || answer.code === PENDING) return answer.success === false ? 'unknown' : 'answered';
	return answer.success === true ? 'unknown' : 'refused';
}

/** An order's status, as a Transaction Query reports it. */
export function orderOutcome(status: unknown): Outcome {
	const key = statusKey(status);
	if (key === 'SUCCESS') return 'applied';
	if (key === 'PENDING') return 'pending';
	return NOT_APPLIED_STATUSES.has(key) ? 'refused' : 'unknown';
}

/**
 * applied / pending / refused / unknown, for anything a PayLoco call ends with:
 * - an error the node raised (a refusal, a fault, an unknown outcome after a retry, a void that
 *   ended FAILED): its own `outcome`; any other error is unknown;
 * - what the node read from an answer, or an item of the node's output (with or without Continue
 *   On Fail): a Transaction Query's (it has `final`) gives the queried order's outcome;
 * - a PayLoco answer as it came (either dialect), read as a Cancel Card or Pre-Auth Void answer.
 */
export function outcomeOf(replyOrError: unknown): Outcome {
	if (replyOrError instanceof Error) {
		const own = (replyOrError as { outcome?: unknown }).outcome;
		return own === 'applied' || own === 'pending' || own === 'refused' || own === 'unknown' ? own : 'unknown';
	}
	if (typeof replyOrError !== 'object' || replyOrError === null) return 'unknown';
	const json = replyOrError as Record<string, unknown>;
	// The node's own output: its `success` is the node's verdict, not PayLoco's flag.
	const output = 'attempts' in json || 'final' in json;
	if (output && json.outcomeUnknown === true) return 'unknown';
	if (output && 'final' in json) return orderOutcome(readAnswer(json).status);
	if (output && json.error !== undefined) return json.code !== undefined || json.outcomeUnknown === false ? 'refused' : 'unknown';
	const answer = readAnswer(json);
	return actionOutcome(output ? { ...answer, success: undefined } : answer);
}
