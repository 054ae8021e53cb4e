/**
 * What the agent reads about the PayLoco tool (issue #20 item 3). On an n8n whose tool machinery
 * evaluates an expression in a tool's description (2.x, e.g. 2.41: n8n-core create-node-as-tool
 * passes a resolver to NodeHelpers.getToolDescriptionForNode), the node declares its own Tool
 * Description, defaulting to an expression that names the owner's limits. Elsewhere (1.x, and the
 * n8n-core this repo develops against) it declares nothing and n8n's own automatic text stays.
 * The real 2.41 and 1.123 are in test/e2e/tool-limits.e2e.test.ts; here: the expression through
 * n8n-workflow's own expression engine, held to the refusal's text (describeLimits), and the
 * stand-in agent on the dev n8n-core.
 */
import type { IDataObject, INode, INodeType, INodeTypes } from 'n8n-workflow';
import { NodeHelpers, Workflow } from 'n8n-workflow';

import { OPERATIONS } from '../nodes/PayLoco/actions/router';
import { PayLoco } from '../nodes/PayLoco/PayLoco.node';
import { describeLimits } from '../nodes/PayLoco/engine/toolLimits';
import { LIMITS_INTRO, limitsDescriptionExpression, resolvesToolDescription, toolDescriptionProperties } from '../nodes/PayLoco/engine/toolDescription';
import { TOOL_DEFAULTS } from '../nodes/PayLoco/engine/toolLimitsFields';
import type { ToolLimits } from '../nodes/PayLoco/engine/toolLimitsFields';
import { asAiTool } from '../e2e/harness/engine';
import { startSandbox } from '../sandbox/server';
import type { Sandbox } from '../sandbox/server';
import { rsaKeyPair } from './helpers/keys';
import { sandboxCredentials } from './helpers/payloco';
import { runToolAgent } from './helpers/toolAgent';

/** The node as n8n 2.41 loads it: its tool type with the declared Tool Description. */
function toolType(resolves: boolean): INodeType {
	const node = new PayLoco();
	const properties = node.description.properties.filter((p) => p.name !== 'toolDescription');
	const base = Object.create(node) as INodeType;
	base.description = { ...node.description, properties: [...toolDescriptionProperties(OPERATIONS, resolves), ...properties] };
	return asAiTool(base);
}

/** What n8n 2.41 shows the agent: getToolDescriptionForNode, its resolver evaluating the raw "=..." value for the node. */
function described(parameters: IDataObject, resolves = true): string {
	const type = toolType(resolves);
	const nodeTypes = { getByName: () => type, getByNameAndVersion: () => type, getKnownTypes: () => ({}) } as unknown as INodeTypes;
	const node: INode = { id: 't1', name: 'Cancel Card', type: 'n8n-nodes-payloco.payLocoTool', typeVersion: 1, position: [0, 0], parameters: parameters as INode['parameters'] };
	const workflow = new Workflow({ nodes: [node], connections: {}, active: false, nodeTypes });
	const withDefaults = workflow.getNode('Cancel Card')!;
	const resolve = () => String(workflow.expression.getParameterValue(withDefaults.parameters.toolDescription as string, null, 0, 0, withDefaults.name, [], 'manual', {}));
	const raw = NodeHelpers.getToolDescriptionForNode(withDefaults, type);
	return typeof raw === 'string' && raw.startsWith('=') ? resolve() : raw;
}

const expected = (action: string, limits: Partial<ToolLimits>) =>
	`${action} in PayLoco. ${LIMITS_INTRO}${describeLimits({ ...TOOL_DEFAULTS, ...limits })}.`;

const CANCEL = { resource: 'card', operation: 'cancel', cardId: "={{ $fromAI('cardId', 'The card to cancel', 'string') }}" };

describe('on an n8n that evaluates tool descriptions (2.x)', () => {
	test('with the defaults the agent reads the operation and the default limits: query only', () => {
		expect(described(CANCEL)).toBe(expected('Cancel a card permanently', {}));
		expect(described(CANCEL)).toBe(
			"Cancel a card permanently in PayLoco. Limits set by the workflow's owner (a call beyond them is refused and sends nothing): allowed operations: Query Transaction; at most 1 item(s) per call; at most 5 cancellation(s) or void(s) per execution.",
		);
	});

	test("the owner's limits are the ones the agent reads, in the refusal's own words", () => {
		const limits = { operations: ['card:cancel', 'payment:preAuthVoid'], maxItemsPerCall: 3, maxChangesPerExecution: 2, allowedIdsField: 'body.cardIds' };
		expect(described({ ...CANCEL, toolLimits: limits })).toBe(expected('Cancel a card permanently', limits));
		expect(described({ ...CANCEL, toolLimits: limits })).toContain('allowed operations: Cancel Card, Void Pre-Authorization; at most 3 item(s) per call; at most 2 cancellation(s)');
		expect(described({ ...CANCEL, toolLimits: limits })).toContain('only card or order IDs found in the trigger\'s "body.cardIds"');
		const none = { operations: [], maxChangesPerExecution: 0 };
		expect(described({ ...CANCEL, toolLimits: none, toolPreviewFirst: true })).toBe(expected('Cancel a card permanently', { ...none, previewFirst: true }));
		const query = { resource: 'payment', operation: 'query', merchantOrderId: "={{ $fromAI('merchantOrderId', 'The order', 'string') }}" };
		expect(described(query)).toBe(expected('Query a transaction', {}));
	});

	test("an owner's own description is what the agent reads", () => {
		expect(described({ ...CANCEL, toolDescription: 'Cancels the alert card. At most one.' })).toBe('Cancels the alert card. At most one.');
	});

	test('the expression holds no "}}" before its end, which would cut n8n\'s {{ }} short', () => {
		const expression = limitsDescriptionExpression(OPERATIONS);
		expect(expression.startsWith('={{ ')).toBe(true);
		expect(expression.slice(3, -2)).not.toContain('}}');
	});
});

describe('on an n8n that does not (1.x; the n8n-core this repo builds against)', () => {
	let sandbox: Sandbox;
	const merchant = rsaKeyPair();
	beforeAll(async () => {
		sandbox = await startSandbox({ merchantPublicKey: merchant.publicPem });
	});
	afterAll(async () => {
		await sandbox?.close();
	});

	test('the node declares no description field, so the raw expression never reaches an agent', () => {
		expect(resolvesToolDescription()).toBe(NodeHelpers.getToolDescriptionForNode.length >= 3);
		expect(toolDescriptionProperties(OPERATIONS, false)).toEqual([]);
		// The node's own declaration follows this n8n-workflow: here it takes no resolver.
		expect(resolvesToolDescription()).toBe(false);
		expect(new PayLoco().description.properties.map((p) => p.name)).not.toContain('toolDescription');
		// Were it declared here, the agent would read the raw expression:
		expect(NodeHelpers.getToolDescriptionForNode({ parameters: { ...CANCEL, toolDescription: limitsDescriptionExpression(OPERATIONS) } } as unknown as INode, toolType(true))).toMatch(/^=\{\{/);
	});

	test("through n8n-core's tool machinery the agent reads n8n's automatic text; the limits come with a refusal", async () => {
		const run = await runToolAgent({
			mode: 'invoke',
			calls: [{ cardId: 'C-DESC-1' }],
			tool: CANCEL,
			credentials: sandboxCredentials(sandbox, merchant),
			executionId: 'description-1',
		});
		expect(run.shown.map((t) => t.function.description)).toEqual(['Cancel a card permanently in PayLoco']);
		expect(String(run.results[0].answer?.[0].error)).toContain(`The workflow's owner set these limits: ${describeLimits(TOOL_DEFAULTS)}.`);
		expect(sandbox.requests).toEqual([]);
	});
});
