import { NodeOperationError } from 'n8n-workflow';
import type { IWebhookFunctions, IWebhookResponseData } from 'n8n-workflow';

import { FAILURE_DESCRIPTIONS } from './verify';
import type { FailureReason } from './verify';

/** How the PayLoco Trigger reads a request and answers it. */

export const DEFAULT_ACK = '{"code":"00000000","message":"Success"}';
const REJECTION = '{"message":"Signature verification failed"}';
const NOT_CONFIRMED = '{"message":"Notification not confirmed"}';

/** Answers 401 with a body that says nothing more, starts no execution, and tells the operator's log why. */
export function refuse(ctx: IWebhookFunctions, reason: FailureReason): IWebhookResponseData {
	ctx.logger.warn(`PayLoco Trigger refused a notification: ${FAILURE_DESCRIPTIONS[reason]}`, {
		node: ctx.getNode().name,
		workflowId: ctx.getWorkflow().id,
	});
	return respond(ctx, 401, REJECTION);
}

/**
 * Answers 503 to a verified notification PayLoco did not confirm: not acknowledged, so PayLoco sends
 * it again later (by then a PENDING order may have settled). Starts nothing; the log says why.
 */
export function unconfirmed(ctx: IWebhookFunctions, reason: string): IWebhookResponseData {
	ctx.logger.warn(`PayLoco Trigger did not acknowledge a notification: not confirmed by PayLoco, ${reason}`, {
		node: ctx.getNode().name,
		workflowId: ctx.getWorkflow().id,
	});
	return respond(ctx, 503, NOT_CONFIRMED);
}

/**
 * The node writes every answer itself (n8n then adds nothing): n8n 1.x would otherwise answer a
 * started workflow with its `responseData` default instead of the acknowledgement PayLoco expects.
 */
export function respond(ctx: IWebhookFunctions, status: number, body: string): IWebhookResponseData {
	const res = ctx.getResponseObject();
	res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
	res.end(body);
	return { noWebhookResponse: true };
}

/** The acknowledgement option as compact JSON text. */
export function acknowledgement(ctx: IWebhookFunctions, value: unknown): string {
	if (value === undefined || value === '') return DEFAULT_ACK;
	if (typeof value !== 'string') return JSON.stringify(value);
	try {
		return JSON.stringify(JSON.parse(value));
	} catch {
		throw new NodeOperationError(ctx.getNode(), 'The option Acknowledgement Body is not valid JSON', {
			description: `Expected e.g. ${DEFAULT_ACK}`,
		});
	}
}

/**
 * The exact bytes that arrived. n8n (1.x and 2.x) reads them into `req.rawBody` before it parses the
 * body for a webhook; `readRawBody()` is what fills it, should it not have run yet. Multipart bodies
 * are consumed by n8n's form parser and have no raw bytes: PayLoco never sends them.
 */
export async function readRawBody(req: ReturnType<IWebhookFunctions['getRequestObject']>): Promise<Buffer | undefined> {
	if (String(req.headers['content-type'] ?? '').toLowerCase().startsWith('multipart/')) return undefined;
	if (!Buffer.isBuffer(req.rawBody) && typeof req.readRawBody === 'function') {
		try {
			await req.readRawBody();
		} catch {
			return undefined;
		}
	}
	return Buffer.isBuffer(req.rawBody) ? req.rawBody : undefined;
}
