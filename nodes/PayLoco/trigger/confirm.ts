import { sleep } from 'n8n-workflow';
import type { IDataObject, IWebhookFunctions } from 'n8n-workflow';
import type { KeyObject } from 'node:crypto';

import type { ItemReader } from '../actions/operation';
import { queryTransaction } from '../actions/payment/query.operation';
import { readReply } from '../engine/reply';
import { Fault, Refusal } from '../faults';
import { postToPayLoco } from '../transport/request';
import { fieldText } from './rules';

/**
 * Confirm with PayLoco: a verified notification is let in only when PayLoco, asked with the
 * merchant's own credential (a signed Transaction Query, the same request path as the PayLoco
 * node's), answers with a verified signature that this merchant has the order, with the notified
 * status. The platform key signs every merchant's notifications and API answers, so a signature
 * alone cannot tell a notification about your order from one about someone else's; PayLoco's
 * answer to your own query can, as it only tells a merchant about its own orders.
 */

/**
 * The most the query may take. PayLoco resends a notification that is not answered in time, so the
 * Trigger must answer well within that: a confirmed notification takes one query (tens of ms on a
 * healthy link); an unanswered query is given up after this and the notification not acknowledged.
 */
export const CONFIRM_TIMEOUT_MS = 3_000;
/** The socket timeout ends the request; this is the backstop for an answer that trickles in. */
const DEADLINE_SLACK_MS = 250;

export type Confirmation = { confirmed: true; traceId: string; status: string } | { confirmed: false; reason: string };

const no = (reason: string): Confirmation => ({ confirmed: false, reason });

/** The query operation's own builder (ID checks and all), fed the notification's order IDs. */
function queryBody(ids: Record<string, string | undefined>): IDataObject {
	const reader: ItemReader = {
		itemIndex: 0,
		text: (field) => ids[field] ?? '',
		value: (field) => ids[field] ?? '',
		// The notification's IDs are values, never expressions.
		expression: () => undefined,
		generatedId: () => '',
	};
	return queryTransaction.build(reader);
}

async function ask(ctx: IWebhookFunctions, query: IDataObject, platformKey: KeyObject, timeoutMs: number) {
	const reply = await postToPayLoco(ctx, queryTransaction.path, query, timeoutMs);
	return readReply(reply, platformKey, { sent: query, readOnly: true });
}

/** Asks PayLoco about the order a verified notification names. Never throws. */
export async function confirmWithPayLoco(
	ctx: IWebhookFunctions,
	body: Record<string, unknown>,
	merchantId: string,
	platformKey: KeyObject,
	timeoutMs = CONFIRM_TIMEOUT_MS,
): Promise<Confirmation> {
	const merchantOrderId = fieldText(body, 'merchantOrderId');
	const orderId = fieldText(body, 'orderId');
	const notified = fieldText(body, 'status')?.toUpperCase();
	if (!merchantOrderId && !orderId) return no('it names no merchantOrderId or orderId to ask PayLoco about');
	if (!notified) return no("it names no status to compare with PayLoco's");
	const order = merchantOrderId ? `merchantOrderId ${merchantOrderId}` : `orderId ${String(orderId)}`;
	let query: IDataObject;
	try {
		query = queryBody({ merchantOrderId, orderId });
	} catch (error) {
		return no(`its order ID cannot be queried: ${(error as Error).message}`);
	}
	let outcome;
	try {
		const answer = await Promise.race([ask(ctx, query, platformKey, timeoutMs), sleep(timeoutMs + DEADLINE_SLACK_MS).then(() => undefined)]);
		if (!answer) return no(`PayLoco did not answer the Transaction Query for ${order} within ${timeoutMs} ms`);
		outcome = answer;
	} catch (error) {
		if (error instanceof Refusal) {
			return no(`PayLoco does not confirm ${order} for merchant ${merchantId}: ${error.code} ${error.payLocoMessage}`.trim());
		}
		// The socket timeout (usually first) and the deadline below say the same.
		if (error instanceof Fault && error.kind === 'timeout') return no(`PayLoco did not answer the Transaction Query for ${order} within ${timeoutMs} ms`);
		if (error instanceof Fault) return no(`the Transaction Query for ${order} failed: ${error.message}`);
		return no(`the Transaction Query for ${order} failed: ${error instanceof Error ? error.name : 'unknown error'}`);
	}
	const answeredMerchant = (outcome.data as IDataObject | undefined)?.merchantId;
	if (answeredMerchant !== undefined && String(answeredMerchant).trim() !== merchantId.trim()) {
		return no(`PayLoco's answer for ${order} names another merchant`);
	}
	if (outcome.status !== notified) {
		return no(`PayLoco reports status ${outcome.status} for ${order}, the notification says ${notified}`);
	}
	return { confirmed: true, traceId: outcome.traceId, status: outcome.status };
}

/** Confirmations under way, by workflow, node and body: copies arriving together share one query. */
const underWay = new Map<string, Promise<Confirmation>>();

export async function confirmOnce(key: string, run: () => Promise<Confirmation>): Promise<Confirmation> {
	let pending = underWay.get(key);
	if (!pending) {
		pending = run().finally(() => underWay.delete(key));
		underWay.set(key, pending);
	}
	return await pending;
}
