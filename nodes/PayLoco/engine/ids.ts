import type { IExecuteFunctions } from 'n8n-workflow';
import { createHash, randomUUID } from 'node:crypto';

import type { PayLocoOperation } from '../actions/operation';

/**
 * Generated request IDs. "The same work" is the same card (its cardId), sent by the same node
 * (its node ID) of the same workflow (its workflow ID) with the same operation: it gets the same
 * ID in every execution, so n8n's Retry, a rerun on the same input and a redelivered alert all
 * resend the ID PayLoco already saw. The card is part of the hash, so one ID never stands for two
 * cards. The generation counts earlier attempts that PayLoco definitely refused (engine/record.ts
 * finds it): only then does the same card get a new ID.
 */

/** The form of a generated ID: "n8n" and 29 hex digits (32 characters). */
export const GENERATED_ID = /^n8n[0-9a-f]{29}$/;

export type IdGenerator = (businessKey: string, generation: number) => string;

/** What makes this node's generated IDs its own, and whether they are stable across executions. */
export function idGenerator(fns: IExecuteFunctions, op: PayLocoOperation): { generate: IdGenerator; stable: boolean } {
	const workflowId = String(fns.getWorkflow?.()?.id ?? '');
	const node = fns.getNode();
	// Without a workflow ID (never seen in n8n, possible in a stand-in), the execution is all there is.
	const stable = workflowId !== '';
	const owner = stable ? `wf:${workflowId}` : `ex:${fns.getExecutionId?.() || randomUUID()}`;
	const seed = `${owner}|${node.id || node.name}|${op.resource}/${op.value}`;
	const generate: IdGenerator = (key, generation) => {
		const parts = generation === 0 ? [seed, key] : [seed, key, generation];
		return `n8n${createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 29)}`;
	};
	return { generate, stable };
}
