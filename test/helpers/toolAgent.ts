/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
/**
 * A stand-in for n8n's AI Agent (no language model): it gets the connected tool the way the Agent
 * does (n8n-core's getInputConnectionData builds it with create-node-as-tool) and makes a fixed list
 * of tool calls in one execution, either through `tool.invoke` (LangChain agents, sub-agents, MCP)
 * or as one engine request holding every call (AI Agent V3: WorkflowExecute runs the tool node).
 */
import { dirname } from 'node:path';

import type { IDataObject, IExecuteFunctions, INode, INodeExecutionData, INodeType } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { ITEMS_TRIGGER_TYPE, runWorkflow } from '../../e2e/harness/engine';
import { PACKAGE_DIR } from './payloco';

export const AGENT_TYPE = 'n8n-harness.toolAgent';
export const TOOL_TYPE = 'n8n-nodes-payloco.payLocoTool';

interface LangChainTool {
	name: string;
	description: string;
	schema: unknown;
	metadata?: { sourceNodeName?: string };
	invoke(args: IDataObject): Promise<unknown>;
}

export interface OpenAiTool {
	type: 'function';
	function: { name: string; description: string; parameters: { properties: Record<string, { type?: string; description?: string }>; required?: string[] } };
}

const coreDir = dirname(require.resolve('n8n-core/package.json'));
const { convertToOpenAITool } = require(require.resolve('@langchain/core/utils/function_calling', { paths: [coreDir] })) as {
	convertToOpenAITool(tool: unknown): OpenAiTool;
};

/** What one tool call gave the agent: the parsed answer, or the error message. */
export interface CallResult {
	answer?: IDataObject[];
	error?: string;
}

interface EngineResponse {
	actionResponses: Array<{ action: { id: string }; data?: { data?: { ai_tool?: Array<Array<{ json: IDataObject }>> }; error?: { message?: string } } }>;
}

export const toolAgent: INodeType = {
	description: {
		displayName: 'Tool Agent (test harness)',
		name: 'toolAgent',
		group: ['transform'],
		version: 1,
		description: 'Calls its connected tool with fixed arguments',
		defaults: { name: 'Agent' },
		inputs: [NodeConnectionTypes.Main, { type: NodeConnectionTypes.AiTool, displayName: 'Tools', required: true }],
		outputs: [NodeConnectionTypes.Main],
		properties: [
			{ displayName: 'Mode', name: 'mode', type: 'string', default: 'invoke' },
			{ displayName: 'Calls', name: 'calls', type: 'json', default: '[]' },
		],
	},
	async execute(this: IExecuteFunctions, response?: unknown): Promise<INodeExecutionData[][]> {
		const tools = (await this.getInputConnectionData(NodeConnectionTypes.AiTool, 0)) as LangChainTool[];
		const shown = tools.map((tool) => convertToOpenAITool(tool));
		const calls = JSON.parse(this.getNodeParameter('calls', 0) as string) as IDataObject[];
		if (this.getNodeParameter('mode', 0) === 'invoke') {
			const results: CallResult[] = [];
			for (const args of calls) {
				try {
					results.push({ answer: JSON.parse(String(await tools[0].invoke(args))) as IDataObject[] });
				} catch (error) {
					results.push({ error: (error as Error).message });
				}
			}
			return [[{ json: { shown, results } as unknown as IDataObject }]];
		}
		if (!(response as EngineResponse | undefined)?.actionResponses?.length) {
			const actions = calls.map((input, i) => ({
				actionType: 'ExecutionNodeAction',
				nodeName: tools[0].metadata?.sourceNodeName,
				input,
				type: NodeConnectionTypes.AiTool,
				id: `call_${i}`,
				metadata: { itemIndex: 0 },
			}));
			return { actions, metadata: {} } as unknown as INodeExecutionData[][];
		}
		const results: CallResult[] = (response as EngineResponse).actionResponses.map((r) => ({
			answer: r.data?.data?.ai_tool?.[0]?.map((item) => item.json),
			error: r.data?.error?.message,
		}));
		return [[{ json: { shown, results } as unknown as IDataObject }]];
	},
};

export interface AgentRun {
	shown: OpenAiTool[];
	results: CallResult[];
	error?: unknown;
}

/** Input Items (the trigger, with `items`) → Agent, with one PayLoco tool node on its tool socket. */
export async function runToolAgent(opts: {
	mode: 'invoke' | 'engine';
	calls: IDataObject[];
	tool: IDataObject;
	items?: IDataObject[];
	credentials: IDataObject;
	executionId: string;
}): Promise<AgentRun> {
	const nodes: INode[] = [
		{ id: 'a1', name: 'Alert', type: ITEMS_TRIGGER_TYPE, typeVersion: 1, position: [0, 0], parameters: {} },
		{ id: 'a2', name: 'Agent', type: AGENT_TYPE, typeVersion: 1, position: [200, 0], parameters: { mode: opts.mode, calls: JSON.stringify(opts.calls) } },
		{
			id: 'a3',
			name: 'PayLoco',
			type: TOOL_TYPE,
			typeVersion: 1,
			position: [200, 200],
			parameters: { options: {}, ...opts.tool },
			credentials: { payLocoApi: { id: 'cred-payLocoApi', name: 'payLocoApi' } },
		},
	];
	const run = await runWorkflow({
		packageDir: PACKAGE_DIR,
		nodes,
		connections: {
			Alert: { main: [[{ node: 'Agent', type: 'main', index: 0 }]] },
			PayLoco: { ai_tool: [[{ node: 'Agent', type: 'ai_tool', index: 0 }]] },
		},
		startNode: 'Alert',
		items: opts.items ?? [{ chatInput: 'triage this alert' }],
		credentials: { payLocoApi: opts.credentials },
		extraNodeTypes: { [AGENT_TYPE]: toolAgent },
		executionId: opts.executionId,
	});
	const { runData, error } = run.data.resultData;
	const out = runData.Agent?.at(-1)?.data?.main?.[0]?.[0]?.json as unknown as { shown: OpenAiTool[]; results: CallResult[] } | undefined;
	return { shown: out?.shown ?? [], results: out?.results ?? [], error };
}
