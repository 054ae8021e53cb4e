/** Cancel Card through the built node (dist/) inside n8n-core's WorkflowExecute, via the shared n8n harness. */
import './env';

import { runNode } from '../e2e/harness/engine';
import { cancelParameters, credentialsFor, packageRoot } from './common';
import type { BenchTarget } from './common';

/** Runs the node on one item per card; returns the node's own execution time from n8n's run data. */
export async function runNodeCancel(target: BenchTarget, cards: string[], concurrency: number, executionId: string): Promise<number> {
	const result = await runNode({
		packageDir: packageRoot(),
		nodeType: 'payLoco',
		parameters: cancelParameters(concurrency),
		items: cards.map((card) => ({ card })),
		credentials: { payLocoApi: credentialsFor(target) },
		executionId,
	});
	if (result.error) throw new Error(`the node failed: ${result.error.message}`);
	const failed = result.items.filter((item, i) => item.json.success !== true || item.json.cardId !== cards[i]);
	if (result.items.length !== cards.length || failed.length) {
		throw new Error(`the node returned ${result.items.length} items for ${cards.length}, ${failed.length} not successful or out of order`);
	}
	const task = Object.entries(result.runData).find(([name]) => name !== 'Input Items')?.[1]?.[0];
	if (!task?.executionTime) throw new Error('the run data has no execution time for the node');
	return task.executionTime;
}
