/**
 * For queue-trigger.e2e: the example workflows (examples/, as shipped) and a PayLoco Trigger ->
 * Cancel Card workflow, fed the same alert / order message / notification by two n8n processes
 * at the same moment, and what to read back: the node's output items of every execution and the
 * sandbox's requests and effects per card or pre-authorization.
 */
import { storedRun } from '../../e2e/harness/n8n';
import type { N8nExecution } from '../../e2e/harness/n8n';
import type { Sandbox } from '../../sandbox/server';
import { sentBody } from '../helpers/payloco';
import { postWebhook } from './webhook';

/** The nodes of the workflows here that change a card or a pre-authorization. */
export const ACTION_NODES = ['Cancel Card', 'Void Pre-Authorization'];

/** PayLoco Trigger -> Cancel Card, Request ID left empty (generated: the same for the same card). */
export const triggerCancel = (id: string, webhookId: string, credentialId: string) => ({
	id,
	name: id,
	active: false,
	settings: { executionOrder: 'v1' },
	nodes: [
		{
			id: '6f2a1d4b-0c3e-4f70-9b82-4d5e6f708101',
			name: 'PayLoco Notification',
			type: 'n8n-nodes-payloco.payLocoTrigger',
			typeVersion: 1,
			position: [0, 0],
			webhookId,
			parameters: { options: {} },
			credentials: { payLocoApi: { id: credentialId, name: 'PayLoco sandbox' } },
		},
		{
			id: '6f2a1d4b-0c3e-4f70-9b82-4d5e6f708102',
			name: 'Cancel Card',
			type: 'n8n-nodes-payloco.payLoco',
			typeVersion: 1,
			position: [240, 0],
			onError: 'continueRegularOutput',
			parameters: { resource: 'card', operation: 'cancel', cardId: '={{ $json.body.cardId }}', transType: 'PAY', options: {} },
			credentials: { payLocoApi: { id: credentialId, name: 'PayLoco sandbox' } },
		},
	],
	connections: { 'PayLoco Notification': { main: [[{ node: 'Cancel Card', type: 'main', index: 0 }]] } },
});

export interface Answer {
	status: number;
	outcome: string;
}

export async function postJson(url: string, body: object, headers: Record<string, string>): Promise<Answer> {
	const res = await postWebhook(url, JSON.stringify(body), headers);
	const text = await res.text();
	let outcome = text.slice(0, 200);
	try {
		outcome = String(JSON.parse(text).outcome);
	} catch {
		// not JSON: keep the text
	}
	return { status: res.status, outcome };
}

/** The output items of the action nodes in one stored execution, each with the execution's ID. */
export function actionOutputs(execution: N8nExecution): Array<Record<string, unknown> & { execution: string }> {
	const runData = storedRun(execution).data.resultData.runData;
	return ACTION_NODES.flatMap((node) =>
		(runData[node] ?? []).flatMap((run) => (run.data?.main?.[0] ?? []).map((item) => ({ ...item.json, execution: execution.id }))),
	);
}

/** A plain refusal: not applied, and the node says it knows (no outcomeUnknown). Never right for a card that was done. */
export const plainRefusal = (json: Record<string, unknown>) => json.success !== true && json.outcomeUnknown !== true;

/** How an output item reads, for the log and for failures. */
export function verdict(json: Record<string, unknown>): string {
	if (json.appliedEarlier === true) return 'appliedEarlier';
	if (json.probablyAppliedEarlier === true) return `probablyAppliedEarlier(${String(json.code ?? '')})`;
	if (json.success === true) return json.sentEarlier === true ? 'applied(sentEarlier)' : 'applied';
	return json.outcomeUnknown === true ? `unknown(${String(json.code ?? json.fault ?? '')})` : `refused(${String(json.code ?? '')})`;
}

/** What the sandbox received for one card (cancel) or void order, and what it applied. */
export function atGateway(sandbox: Sandbox, match: { cardId?: string; merchantOrderId?: string; preAuth?: string }) {
	const requests = sandbox.requests.filter((r) => {
		if (!r.rawBody.length) return false;
		const body = sentBody(r);
		return match.cardId !== undefined ? body.cardId === match.cardId : body.merchantOrderId === match.merchantOrderId;
	});
	const actions = requests.filter((r) => !r.path.endsWith('/query'));
	const ids = [...new Set(actions.map((r) => String(sentBody(r).requestId ?? sentBody(r).merchantOrderId)))];
	const effects = sandbox.effects.filter((e) => e.id === (match.cardId ?? match.preAuth)).map((e) => e.requestKey);
	return { sent: actions.length, ids, effects };
}
