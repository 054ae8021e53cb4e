import type { INodeProperties } from 'n8n-workflow';

/**
 * The fields an owner sets when the node is an AI agent tool. `@tool` shows them only on the
 * node's tool variant (payLocoTool), so plain use never sees or reads them.
 */

export interface ToolLimits {
	/** "resource:operation" values the agent may call. */
	operations: string[];
	maxItemsPerCall: number;
	maxChangesPerExecution: number;
	/** Dotted path in the trigger's output that holds the card or order IDs the agent may touch; empty: no rule. */
	allowedIdsField: string;
	previewFirst: boolean;
	confirmMinutes: number;
}

export const TOOL_DEFAULTS: ToolLimits = {
	operations: ['payment:query'],
	maxItemsPerCall: 1,
	maxChangesPerExecution: 5,
	allowedIdsField: '',
	previewFirst: false,
	confirmMinutes: 10,
};

export const CONFIRM_ARGUMENT = 'confirmationToken';
/** The field holding $fromAI(CONFIRM_ARGUMENT); not named "token", which n8n's lint reserves for secrets. */
export const CONFIRM_PARAMETER = 'previewConfirmation';
export const PREVIEW_FIRST = 'toolPreviewFirst';

const onlyAsTool = { show: { '@tool': [true] } };

export const toolLimitsProperty: INodeProperties = {
	displayName: 'Tool Limits',
	name: 'toolLimits',
	type: 'collection',
	placeholder: 'Add Limit',
	default: {},
	displayOptions: onlyAsTool,
	description:
		'Limits for an AI agent using this node. Without any, the agent may only query transactions, one item per call, and at most 5 cancellations or voids per execution.',
	options: [
		{
			displayName: 'Allowed IDs Field (in Trigger Data)',
			name: 'allowedIdsField',
			type: 'string',
			default: '',
			placeholder: 'e.g. body.cardId',
			description:
				"Path of a field in the workflow trigger's output (its first node) that holds the card IDs or order IDs the agent may cancel or void, e.g. the alert's card ID. An ID not found there is refused. Empty: no such rule.",
		},
		{
			displayName: 'Allowed Operations',
			name: 'operations',
			type: 'multiOptions',
			options: [
				{ name: 'Card: Cancel', value: 'card:cancel' },
				{ name: 'Payment: Query Transaction', value: 'payment:query' },
				{ name: 'Payment: Void Pre-Authorization', value: 'payment:preAuthVoid' },
			],
			default: ['payment:query'],
			description: 'What the agent may call through this node. Cancel and Void move money or change a card, so they must be added here on purpose.',
		},
		{
			displayName: 'Confirmation Valid For (Minutes)',
			name: 'confirmMinutes',
			type: 'number',
			typeOptions: { minValue: 1, maxValue: 1440 },
			default: 10,
			description: 'With Preview First on: how long a confirmation token can be used',
		},
		{
			displayName: 'Max Changes Per Execution',
			name: 'maxChangesPerExecution',
			type: 'number',
			typeOptions: { minValue: 0 },
			default: 5,
			description: 'The most cancellations and voids this node sends in one execution, across all tool calls. A call that would go past it sends nothing.',
		},
		{
			displayName: 'Max Items Per Call',
			name: 'maxItemsPerCall',
			type: 'number',
			typeOptions: { minValue: 1 },
			default: 1,
			description: 'The most items one tool call may carry. A call with more sends nothing.',
		},
	],
};

/** A mode, not a limit: top level, because n8n's displayOptions cannot look inside a collection. */
export const previewFirstProperty: INodeProperties = {
	displayName: 'Preview First',
	name: PREVIEW_FIRST,
	type: 'boolean',
	default: false,
	displayOptions: onlyAsTool,
	description:
		'Whether a cancellation or void is sent only on a second call: the first call returns the exact body that would be sent and a confirmation token, and nothing is sent until the call is repeated with that token',
};

/** Where the agent puts the token on the second call; n8n turns $fromAI into a tool argument. */
export const confirmationTokenProperty: INodeProperties = {
	displayName: 'Preview Confirmation',
	name: CONFIRM_PARAMETER,
	type: 'string',
	default: `={{ $fromAI('${CONFIRM_ARGUMENT}', 'Empty on the first call. A cancellation or void first returns a preview and a confirmationToken; to send it, call again with the same arguments and that token.', 'string') }}`,
	displayOptions: { show: { '@tool': [true], [PREVIEW_FIRST]: [true] } },
	description: 'With Preview First: the token from the preview call. Leave the default so the agent can pass it.',
};

export const toolLimitsProperties: INodeProperties[] = [toolLimitsProperty, previewFirstProperty, confirmationTokenProperty];
