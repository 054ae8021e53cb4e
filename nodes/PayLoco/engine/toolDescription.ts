import { NodeHelpers } from 'n8n-workflow';
import type { INodeProperties } from 'n8n-workflow';

import type { PayLocoOperation } from '../actions/operation';
import { CONFIRM_ARGUMENT, PREVIEW_FIRST, TOOL_DEFAULTS } from './toolLimitsFields';

/**
 * The tool description the agent reads, naming the owner's limits (issue #20 item 3).
 *
 * n8n builds a tool's description in NodeHelpers.getToolDescriptionForNode. Its automatic text is
 * the operation's action and the node's name, nothing else. A description that is an expression
 * is evaluated only where n8n passes a resolver to that function (n8n-core's create-node-as-tool
 * on 2.x, e.g. 2.41); without one (1.x, e.g. 1.123) the raw "={{ ... }}" would reach the agent.
 * So the node declares its own Description field, defaulting to an expression over its own
 * parameters, only where getToolDescriptionForNode takes the resolver (its third parameter).
 * Elsewhere it declares nothing and n8n adds its usual Set Automatically / Set Manually fields;
 * there the refusal text ("not allowed: ...") is what names the limits.
 */

export const OPERATION_NAMES: Record<string, string> = {
	'card:cancel': 'Cancel Card',
	'payment:preAuthVoid': 'Void Pre-Authorization',
	'payment:query': 'Query Transaction',
};

export const LIMITS_INTRO = "Limits set by the workflow's owner (a call beyond them is refused and sends nothing): ";

/** Whether this n8n evaluates an expression in a tool's description (see above). */
export const resolvesToolDescription = (): boolean => NodeHelpers.getToolDescriptionForNode.length >= 3;

/**
 * The default expression. It repeats describeLimits (toolLimits.ts) in n8n's expression language,
 * with the same defaults; test/tool.description.test.ts holds the two to the same text.
 */
export function limitsDescriptionExpression(operations: PayLocoOperation[]): string {
	const actions = JSON.stringify(Object.fromEntries(operations.map((op) => [`${op.resource}:${op.value}`, op.action])));
	const limit = (key: string, fallback: unknown) => `($parameter.toolLimits?.${key} ?? ${JSON.stringify(fallback)})`;
	const parts = [
		`${actions}[$parameter.resource + ":" + $parameter.operation] + " in PayLoco. ${LIMITS_INTRO.replace(/"/g, '\\"')}allowed operations: "`,
		`(${limit('operations', TOOL_DEFAULTS.operations)}.map((o) => (${JSON.stringify(OPERATION_NAMES)})[o] ?? o).join(", ") || "nothing")`,
		`"; at most " + ${limit('maxItemsPerCall', TOOL_DEFAULTS.maxItemsPerCall)} + " item(s) per call; at most "`,
		`${limit('maxChangesPerExecution', TOOL_DEFAULTS.maxChangesPerExecution)} + " cancellation(s) or void(s) per execution"`,
		`($parameter.toolLimits?.allowedIdsField ? "; only card or order IDs found in the trigger's \\"" + $parameter.toolLimits.allowedIdsField + "\\"" : "")`,
		`($parameter.${PREVIEW_FIRST} ? "; cancellations and voids need a preview first, then the same call with its ${CONFIRM_ARGUMENT}" : "")`,
		'"."',
	];
	return `={{ ${parts.join(' + ')} }}`;
}

export function toolDescriptionProperties(operations: PayLocoOperation[], resolves = resolvesToolDescription()): INodeProperties[] {
	if (!resolves) return [];
	return [
		{
			displayName: 'Tool Description',
			name: 'toolDescription',
			type: 'string',
			default: limitsDescriptionExpression(operations),
			typeOptions: { rows: 3 },
			displayOptions: { show: { '@tool': [true] } },
			description:
				'What the AI agent reads about this tool. The default names the operation and the Tool Limits below, so a well-behaved agent does not try what will be refused. Replace it to write your own.',
		},
	];
}
