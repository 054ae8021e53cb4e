import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import type { IDataObject, INode, JsonObject } from 'n8n-workflow';

import { InputError } from '../actions/validate';
import type { PayLocoOperation } from '../actions/operation';
import { Fault, OK, PENDING, Refusal, UnknownAfterRetry } from '../faults';
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
	return `${query} before acting again. Do not resend under a new ID: re-running this item reuses ${id}, so PayLoco can recognise it as the same request.`;
}

/** Why a refusal is one: its code, or, when the code says OK, the status or `success: false` that says otherwise. */
export function refusalSummary(cause: Refusal): string {
	const text = `${cause.code} ${cause.payLocoMessage}`.trim();
	if (cause.code !== OK && cause.code !== PENDING) return text;
	const flag = cause.reply.success === false || String(cause.reply.success).toLowerCase() === 'false' ? 'success false, ' : '';
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
		const clock = cause.isClockSkew
			? " PayLoco says the requestTime is outside its 2-minute window: this n8n server's clock is probably wrong. Sync it (NTP) and run again."
			: '';
		const error = new NodeApiError(node, cause.reply as JsonObject, {
			itemIndex,
			message: `PayLoco refused item ${itemIndex}: ${refusalSummary(cause)}`,
			description: `traceId ${cause.traceId ?? '(none)'}; status ${cause.status ?? '(none)'}. Quote the traceId to PayLoco support.${clock}`,
		});
		const json: IDataObject = { error: error.message, success: false, status: cause.status ?? 'FAILED', code: cause.code };
		json.message = cause.payLocoMessage;
		if (cause.traceId) json.traceId = cause.traceId;
		return { error, json: { ...json, ...ids, attempts } };
	}
	if (cause instanceof Fault) {
		const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
		const advice = cause.details.outcomeUnknown
			? unknownOutcomeAdvice(op, body)
			: 'PayLoco did not apply this request. Fix the cause and run again.';
		const socket = cause.details.socketCode ? ` (network error ${cause.details.socketCode})` : '';
		const error = new NodeOperationError(node, `${cause.message}${tries}${where}`, { itemIndex, description: `${advice}${socket}` });
		const json: IDataObject = { error: error.message, success: false, fault: cause.kind, outcomeUnknown: cause.details.outcomeUnknown };
		if (cause.details.httpStatus) json.httpStatus = cause.details.httpStatus;
		if (cause.details.socketCode) json.networkError = cause.details.socketCode;
		return { error, json: { ...json, ...ids, attempts } };
	}
	// Anything else is a bug or an n8n-internal failure: keep its message only, never its fields.
	const message = cause instanceof Error ? cause.message : String(cause);
	const error = new NodeOperationError(node, `${message}${where}`, { itemIndex });
	return { error, json: { error: error.message, success: false, ...ids, attempts } };
}
