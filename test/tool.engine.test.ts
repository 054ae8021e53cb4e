/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
/**
 * The PayLoco node as an AI-agent tool, inside n8n-core's WorkflowExecute, the way n8n's AI Agent
 * sees and calls it. The node is wrapped into its `payLocoTool` type as n8n does for
 * `usableAsTool: true` (see asAiTool in e2e/harness/engine.ts), and n8n-core's own tool machinery does
 * the rest: `getInputConnectionData('ai_tool')` builds the LangChain tool (name, description,
 * `$fromAI` schema) with create-node-as-tool, and the call runs the node with `$fromAI` resolved
 * from the tool arguments. No LLM: a stand-in agent node calls the tool with fixed arguments.
 *
 * Both ways n8n calls a tool are covered:
 * - `tool.invoke(args)`, n8n-core's handleToolInvocation: LangChain agents, sub-agents, MCP;
 * - an engine request, which the AI Agent V3 returns: WorkflowExecute then runs the tool node
 *   itself and resumes the agent with the result.
 */
import { dirname } from 'node:path';

import type { IDataObject, IExecuteFunctions, INode, INodeExecutionData, INodeType } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { startSandbox } from '../sandbox/server';
import type { Sandbox } from '../sandbox/server';
import { asAiTool, ITEMS_TRIGGER_TYPE, loadPackage, runWorkflow } from '../e2e/harness/engine';
import { rsaKeyPair } from './helpers/keys';
import { PACKAGE_DIR, sandboxCredentials, sentBody, verifiedByOpenssl } from './helpers/payloco';

const AGENT_TYPE = 'n8n-harness.toolAgent';
const TOOL_TYPE = 'n8n-nodes-payloco.payLocoTool';

/** What a LangChain tool offers the agent (DynamicStructuredTool from n8n-core's create-node-as-tool). */
interface LangChainTool {
	name: string;
	description: string;
	schema: unknown;
	metadata?: { sourceNodeName?: string };
	invoke(args: IDataObject): Promise<unknown>;
}

interface OpenAiTool {
	type: 'function';
	function: { name: string; description: string; parameters: { type: string; properties: Record<string, { type?: string; description?: string }>; required?: string[] } };
}

// The chat model gets a tool as LangChain converts it for function calling; use LangChain's own
// converter (n8n-core's dependency) so the test sees exactly what an OpenAI-style LLM would.
const coreDir = dirname(require.resolve('n8n-core/package.json'));
const { convertToOpenAITool } = require(require.resolve('@langchain/core/utils/function_calling', { paths: [coreDir] })) as {
	convertToOpenAITool(tool: unknown): OpenAiTool;
};

interface EngineResponse {
	actionResponses: Array<{ action: { id: string }; data?: { data?: { ai_tool?: Array<Array<{ json: IDataObject }>> }; error?: { message?: string } } }>;
}

/**
 * A stand-in for n8n's AI Agent: gets the connected tools exactly as the Agent does, reports what
 * an LLM would be shown, and calls the first tool with `toolArgs`, either through `tool.invoke` or
 * (mode "engine") through an engine request, as the AI Agent V3 does.
 */
const toolAgent: INodeType = {
	description: {
		displayName: 'Tool Agent (test harness)',
		name: 'toolAgent',
		group: ['transform'],
		version: 1,
		description: 'Calls its connected tools with fixed arguments',
		defaults: { name: 'Agent' },
		inputs: [NodeConnectionTypes.Main, { type: NodeConnectionTypes.AiTool, displayName: 'Tools', required: true }],
		outputs: [NodeConnectionTypes.Main],
		properties: [
			{ displayName: 'Mode', name: 'mode', type: 'string', default: 'invoke' },
			{ displayName: 'Tool Arguments', name: 'toolArgs', type: 'json', default: '{}' },
		],
	},
	async execute(this: IExecuteFunctions, response?: unknown): Promise<INodeExecutionData[][]> {
		const tools = (await this.getInputConnectionData(NodeConnectionTypes.AiTool, 0)) as LangChainTool[];
		const shown = tools.map((tool) => convertToOpenAITool(tool));
		const args = JSON.parse(this.getNodeParameter('toolArgs', 0) as string) as IDataObject;
		if (this.getNodeParameter('mode', 0) === 'invoke') {
			try {
				const output = await tools[0].invoke(args);
				return [[{ json: { shown, output } as unknown as IDataObject }]];
			} catch (error) {
				// LangChain agents hand a failed tool's message to the LLM.
				return [[{ json: { shown, error: (error as Error).message } as unknown as IDataObject }]];
			}
		}
		// WorkflowExecute always passes a response; on the first run it has no action responses yet.
		if (!(response as EngineResponse | undefined)?.actionResponses?.length) {
			const request = {
				actions: [
					{
						actionType: 'ExecutionNodeAction',
						nodeName: tools[0].metadata?.sourceNodeName,
						input: args,
						type: NodeConnectionTypes.AiTool,
						id: 'call_1',
						metadata: { itemIndex: 0 },
					},
				],
				metadata: {},
			};
			return request as unknown as INodeExecutionData[][];
		}
		const [answer] = (response as EngineResponse).actionResponses;
		const observation = answer?.data?.data?.ai_tool?.[0]?.map((item) => item.json);
		return [[{ json: { shown, observation, error: answer?.data?.error?.message } as unknown as IDataObject }]];
	},
};

let sandbox: Sandbox;
let payLoco: INodeType;
const merchant = rsaKeyPair();
const loadedPayLoco = () => payLoco;

beforeAll(async () => {
	sandbox = await startSandbox({ merchantPublicKey: merchant.publicPem });
	payLoco = (await loadPackage(PACKAGE_DIR)).getNode('payLoco').type as INodeType;
});

afterAll(async () => {
	await sandbox?.close();
});

beforeEach(() => sandbox.reset());

/** Input Items → Agent, with a PayLoco Cancel Card tool on the Agent's tool socket. */
async function runAgent(mode: 'invoke' | 'engine', toolArgs: IDataObject, toolParameters: IDataObject = {}) {
	const nodes: INode[] = [
		{ id: 'a1', name: 'Input Items', type: ITEMS_TRIGGER_TYPE, typeVersion: 1, position: [0, 0], parameters: {} },
		{ id: 'a2', name: 'Agent', type: AGENT_TYPE, typeVersion: 1, position: [200, 0], parameters: { mode, toolArgs: JSON.stringify(toolArgs) } },
		{
			id: 'a3',
			name: 'Cancel Card',
			type: TOOL_TYPE,
			typeVersion: 1,
			position: [200, 200],
			parameters: {
				resource: 'card',
				operation: 'cancel',
				cardId: "={{ $fromAI('cardId', 'The card to cancel', 'string') }}",
				options: {},
				// Cancel is not allowed to an agent by default (see tool.limits.engine.test.ts): the owner allows it.
				toolLimits: { operations: ['card:cancel'] },
				...toolParameters,
			},
			credentials: { payLocoApi: { id: 'cred-payLocoApi', name: 'payLocoApi' } },
		},
	];
	const run = await runWorkflow({
		packageDir: PACKAGE_DIR,
		nodes,
		connections: {
			'Input Items': { main: [[{ node: 'Agent', type: 'main', index: 0 }]] },
			'Cancel Card': { ai_tool: [[{ node: 'Agent', type: 'ai_tool', index: 0 }]] },
		},
		startNode: 'Input Items',
		items: [{ chatInput: 'Cancel card C-TOOL-1, it was reported stolen' }],
		credentials: { payLocoApi: sandboxCredentials(sandbox, merchant) },
		extraNodeTypes: { [AGENT_TYPE]: toolAgent },
		executionId: `tool-${mode}`,
	});
	const { runData, error } = run.data.resultData;
	const agentOut = runData.Agent?.at(-1)?.data?.main?.[0]?.[0]?.json as
		| { shown: OpenAiTool[]; output?: string; observation?: IDataObject[]; error?: string }
		| undefined;
	return { agentOut, error, runData };
}

/** The one request the sandbox received, checked the same way for both calling paths. */
function expectOneSignedCancel(cardId: string) {
	expect(sandbox.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /gateway/v1/issuing/cards/cancel']);
	const [request] = sandbox.requests;
	expect(verifiedByOpenssl(request, merchant)).toBe(true);
	const body = sentBody(request);
	expect(body).toMatchObject({ merchantId: 'M20230105586637', transType: 'PAY', accessType: 's2s', cardId, requestId: expect.any(String) });
	expect(sandbox.effects).toEqual([expect.objectContaining({ kind: 'cardCancelled', id: cardId, requestKey: body.requestId })]);
	return body;
}

describe('PayLoco as an AI Agent tool (n8n-core create-node-as-tool)', () => {
	test('the agent is shown a Cancel_Card tool whose only argument is the $fromAI card ID', async () => {
		const { agentOut, error } = await runAgent('invoke', { cardId: 'C-TOOL-0' });
		expect(error).toBeUndefined();
		expect(agentOut?.shown).toEqual([
			{
				type: 'function',
				function: {
					name: 'Cancel_Card',
					// n8n's automatic tool description: the operation's action, "in", the node's name.
					description: 'Cancel a card permanently in PayLoco',
					parameters: expect.objectContaining({
						type: 'object',
						properties: { cardId: { type: 'string', description: 'The card to cancel' } },
						required: ['cardId'],
					}),
				},
			},
		]);
	});

	test('the tool node tells whoever sets it up that the cancellation is permanent', () => {
		const { description } = asAiTool(loadedPayLoco());
		expect(description.name).toBe('payLocoTool');
		const operation = description.properties.find((p) => p.name === 'operation' && p.displayOptions?.show?.resource?.includes('card'));
		const cancel = (operation?.options as Array<{ value: string; description?: string }>).find((o) => o.value === 'cancel');
		expect(cancel?.description).toMatch(/permanently cancel/i);
		expect(cancel?.description).toMatch(/cannot be undone/i);
		const cardId = description.properties.find((p) => p.name === 'cardId');
		expect(cardId?.description).toMatch(/cancel permanently/i);
	});

	// n8n builds the description the LLM reads from the operation's `action` only ("<action> in
	// PayLoco"), never from `description` strings, so `action` carries the warning.
	test('the description the LLM reads says the cancellation is permanent', async () => {
		const { agentOut } = await runAgent('invoke', { cardId: 'C-TOOL-0' });
		expect(agentOut?.shown[0].function.description).toMatch(/permanent/i);
	});

	test('tool.invoke({ cardId }) (LangChain agents, sub-agents, MCP) sends one signed Cancel Card and returns status and traceId', async () => {
		const { agentOut, error } = await runAgent('invoke', { cardId: 'C-TOOL-1' });
		expect(error).toBeUndefined();
		const body = expectOneSignedCancel('C-TOOL-1');
		expect(typeof agentOut?.output).toBe('string'); // what the LLM reads: n8n JSON-encodes the items
		expect(JSON.parse(String(agentOut?.output))).toEqual([
			expect.objectContaining({ success: true, status: 'SUCCESS', code: '00000000', traceId: expect.any(String), cardId: 'C-TOOL-1', requestId: body.requestId }),
		]);
	});

	test('an AI Agent V3 tool call (engine request) sends one signed Cancel Card and gives the agent status and traceId', async () => {
		const { agentOut, error } = await runAgent('engine', { cardId: 'C-TOOL-1' });
		expect(error).toBeUndefined();
		const body = expectOneSignedCancel('C-TOOL-1');
		expect(agentOut?.observation).toEqual([
			expect.objectContaining({ success: true, status: 'SUCCESS', code: '00000000', traceId: expect.any(String), cardId: 'C-TOOL-1', requestId: body.requestId }),
		]);
	});

	test('a PayLoco refusal reaches the agent as the tool error, with the code and traceId', async () => {
		const { agentOut, error } = await runAgent('invoke', { cardId: 'UNKNOWN-TOOL-2' });
		expect(error).toBeUndefined();
		expect(agentOut?.output).toBeUndefined();
		expect(agentOut?.error).toMatch(/30020001 Card UNKNOWN-TOOL-2 not found[\s\S]*traceId [0-9a-f]+/);
		expect(sandbox.effects).toEqual([]);
	});
});
