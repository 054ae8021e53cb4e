import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import type { IDataObject, INode, JsonObject } from 'n8n-workflow';

import { InputError } from '../actions/validate';
import type { PayLocoOperation } from '../actions/operation';
import { Fault, Refusal, UnknownAfterRetry } from '../faults';
import { flagOf, isOrderTimeRefusal, isRequestTimeRefusal, OK, PENDING } from '../outcome';
import type { AttemptResult } from '../faults';

/** Turns what went wrong with one item into the n8n error an operator sees, and its Continue On Fail item. */

export interface ItemFailure {
	error: NodeOperationError | NodeApiError;
	json: IDataObject;
}

/** The body's IDs the operation echoes to the output, so the next node knows which card or order this was. */
export function sentIds(op: PayLocoOperation, body: IDataObject | undefined): IDataObject {
	return Object.fromEntries(op.echo.filter((f) => body?.[f] !== undefined).map((f) => [f, body?.[f]]));
}

function unknownOutcomeAdvice(op: PayLocoOperation, body: IDataObject | undefined): string {
	const id = op.idField ? `${op.idField} ${String(body?.[op.idField] ?? '')}` : '';
	if (!op.changesState) return 'Nothing was changed by this call. Run it again.';
	const query =
		op.idField === 'merchantOrderId'
			? `Check the result with Payment > Query Transaction for merchantOrderId ${String(body?.merchantOrderId ?? '')}`
			: 'Check the card in PayLoco';
	// A generated ID is the same for this card from this workflow and node in every execution (engine/ids.ts).
	const generated = /^n8n[0-9a-f]{29}$/.test(String(body?.[op.idField ?? ''] ?? ''));
	const rerun = generated
		? `re-running this workflow on the same card reuses the generated ${id} (a copy of the workflow or another node would not)`
		: `re-running this item reuses ${id}`;
	return `${query} before acting again. Do not resend under a new ID: ${rerun}, so PayLoco can recognise it as the same request.`;
}

/** Why a refusal is one: its code, or, when the code says OK, the status or `success: false` that says otherwise. */
export function refusalSummary(cause: Refusal): string {
	const text = `${cause.code} ${cause.payLocoMessage}`.trim();
	if (cause.code !== OK && cause.code !== PENDING) return text;
	const flag = flagOf(cause.reply.success) === false ? 'success false, ' : '';
	return `${flag}status ${cause.status ?? '(none)'} (code ${text})`;
}

/** "1 timeout, 2 FAILED 30020002 (traceId t)": every attempt, for the error an operator reads. */
export function attemptsText(attempts: AttemptResult[]): string {
	return attempts
		.map((a) => {
			const what = a.fault ? `${a.fault}${a.httpStatus ? ` HTTP ${a.httpStatus}` : ''}` : `${a.status ?? ''} ${a.code ?? ''}`.trim();
			return `${a.attempt} ${what}${a.traceId ? ` (traceId ${a.traceId})` : ''}`;
		})
		.join(', ');
}

function confirmAdvice(op: PayLocoOperation, body: IDataObject | undefined): string {
	return op.idField === 'merchantOrderId'
		? `Confirm with Payment > Query Transaction for merchantOrderId ${String(body?.merchantOrderId ?? '')} before acting again.`
		: `Confirm with PayLoco (Transaction Query, or the card's state in PayLoco) before acting again.`;
}

/** What an HTTP status from PayLoco's gateway (or a proxy before it) means, in its own words. */
function httpStatusText(status: number, op: PayLocoOperation, body: IDataObject | undefined): { what?: string; advice: string } | undefined {
	if (status === 401 || status === 403) {
		return {
			what: "it did not accept this request (the key, or this server's address)",
			advice:
				"PayLoco did not apply this request. Either PayLoco does not accept this credential's key: check that the public key uploaded to PayLoco belongs to the Merchant Private Key (the credential's Test button shows its SHA256 fingerprint) and that Key Version and Merchant ID are right. Or PayLoco only accepts calls from allowlisted IP addresses: ask PayLoco to allowlist this n8n server's outgoing IP address.",
		};
	}
	if (status === 404) {
		return {
			what: 'there is no such endpoint; check the base URL and the path',
			advice: `PayLoco did not apply this request. Check the credential's Base URL: it must be the full gateway URL, including /gateway (e.g. https://gate.example.com/gateway); the node adds ${op.path}.`,
		};
	}
	if (status === 413) {
		return {
			what: 'the request body is too large',
			advice: 'PayLoco did not apply this request. Shorten the long fields of this item (reqReserved, reserved, notifyUrl) and run again.',
		};
	}
	if (status >= 500) {
		return { advice: `A server error at PayLoco or at a proxy in front of it; the request may have been applied. ${unknownOutcomeAdvice(op, body)}` };
	}
	return undefined;
}

/** Advice for a refusal whose message names one of the two time fields (the rule is ../outcome.ts's, as the clock correction's). */
function timeAdvice(payLocoMessage: string): string {
	if (isOrderTimeRefusal(payLocoMessage)) {
		return ' PayLoco refused merchantOrderTime, the void order\'s own time: it must be yyyy-MM-ddTHH:mm:ss.SSS with Z or ±HH:MM and within 2 minutes of PayLoco\'s clock. Leave Merchant Order Time empty so the node stamps it when it sends, or map {{ $now }}; if it was already empty, check this n8n server\'s clock (NTP).';
	}
	if (isRequestTimeRefusal(payLocoMessage)) {
		return " PayLoco says the requestTime is outside its 2-minute window: this n8n server's clock is probably wrong. Sync it (NTP) and run again.";
	}
	return '';
}

export function describeFailure(
	node: INode,
	op: PayLocoOperation,
	itemIndex: number,
	cause: unknown,
	body: IDataObject | undefined,
	attempts: number,
): ItemFailure {
	const ids = sentIds(op, body);
	const where = ` [item ${itemIndex}]`;
	if (cause instanceof InputError) {
		const error = new NodeOperationError(node, `${cause.message}${where}`, {
			itemIndex,
			description: `Field "${cause.field}" of item ${itemIndex} is not valid. Nothing was sent to PayLoco for this item.`,
		});
		return { error, json: { error: error.message, field: cause.field, success: false, sent: false } };
	}
	if (cause instanceof UnknownAfterRetry) {
		const last = cause.last;
		const now = last instanceof Refusal ? `${refusalSummary(last)}${last.traceId ? `, traceId ${last.traceId}` : ''}` : last.message;
		const error = new NodeOperationError(
			node,
			`The outcome of item ${itemIndex} is unknown: an earlier attempt (${cause.earlier.kind}) may have been applied, and PayLoco now answers ${last instanceof Refusal ? refusalSummary(last) : last.kind}${where}`,
			{
				itemIndex,
				description: `The first attempt may have been applied: ${cause.earlier.message}. Retrying the same ${op.idField ?? 'request'} then got: ${now}. That answer is about the retry, not the first attempt (an "already cancelled" or "duplicate" is what PayLoco would say if the first attempt was applied). ${confirmAdvice(op, body)} Attempts: ${attemptsText(cause.attempts)}.`,
			},
		);
		const json: IDataObject = { error: error.message, success: false, outcomeUnknown: true, fault: cause.earlier.kind };
		if (last instanceof Refusal) {
			json.code = last.code;
			json.message = last.payLocoMessage;
			if (last.traceId) json.traceId = last.traceId;
		}
		return { error, json: { ...json, ...ids, attempts } };
	}
	if (cause instanceof Refusal) {
		const clock = timeAdvice(cause.payLocoMessage);
		const error = new NodeApiError(node, cause.reply as JsonObject, {
			itemIndex,
			// The HTTP status the refusal came with (2xx, or a 4xx with a signed PayLoco body). Without
			// this, n8n would take httpCode from the reply's own "status" field, e.g. FAILED.
			httpCode: String(cause.httpStatus),
			message: `PayLoco refused item ${itemIndex}: ${refusalSummary(cause)}`,
			description: `traceId ${cause.traceId ?? '(none)'}; status ${cause.status ?? '(none)'}. Quote the traceId to PayLoco support.${clock}`,
		});
		// The status as PayLoco sent it, or none: never one it did not send.
		const json: IDataObject = { error: error.message, success: false, code: cause.code };
		if (cause.status !== undefined) json.status = cause.status;
		json.message = cause.payLocoMessage;
		if (cause.traceId) json.traceId = cause.traceId;
		return { error, json: { ...json, ...ids, attempts } };
	}
	if (cause instanceof Fault) {
		const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
		const status = cause.details.httpStatus;
		const http = cause.kind === 'http' && status ? httpStatusText(status, op, body) : undefined;
		const advice =
			http?.advice ??
			(cause.details.outcomeUnknown ? unknownOutcomeAdvice(op, body) : 'PayLoco did not apply this request. Fix the cause and run again.');
		const socket = cause.details.socketCode ? ` (network error ${cause.details.socketCode})` : '';
		const message = http?.what ? `PayLoco's gateway answered HTTP ${status}${tries}: ${http.what}${where}` : `${cause.message}${tries}${where}`;
		const description = `${advice}${socket}`;
		// With an HTTP status, n8n's httpCode is that status; a fault without one (timeout, reset) has none.
		const error = status
			? new NodeApiError(node, { httpStatus: status }, { itemIndex, message, description, httpCode: String(status) })
			: new NodeOperationError(node, message, { itemIndex, description });
		const json: IDataObject = { error: error.message, success: false, fault: cause.kind, outcomeUnknown: cause.details.outcomeUnknown };
		if (status) json.httpStatus = status;
		if (cause.details.socketCode) json.networkError = cause.details.socketCode;
		// What an unclear answer said, as PayLoco sent it (an unsigned one is only in the message: it is not trusted).
		for (const [field, value] of Object.entries(cause.details.answer ?? {})) if (value !== undefined) json[field] = value;
		return { error, json: { ...json, ...ids, attempts } };
	}
	// Anything else is a bug or an n8n-internal failure: keep its message only, never its fields.
	const message = cause instanceof Error ? cause.message : String(cause);
	const error = new NodeOperationError(node, `${message}${where}`, { itemIndex });
	return { error, json: { error: error.message, success: false, ...ids, attempts } };
}
