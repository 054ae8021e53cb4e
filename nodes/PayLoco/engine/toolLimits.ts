import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import type { PayLocoOperation } from '../actions/operation';
import type { PayLocoCredentials } from '../environment';
import { CREDENTIAL } from '../transport/request';
import { checkToken, issueToken } from './toolConfirm';
import { OPERATION_NAMES } from './toolDescription';
import { CONFIRM_ARGUMENT, CONFIRM_PARAMETER, PREVIEW_FIRST, TOOL_DEFAULTS } from './toolLimitsFields';
import type { ToolLimits } from './toolLimitsFields';

/**
 * The owner's limits when an AI agent calls this node as a tool. n8n runs a usableAsTool node as
 * its `<name>Tool` type (payLocoTool), so the type name says whether this run is a tool call; plain
 * use is never limited here. A call beyond a limit sends nothing and answers "not allowed: ..."
 * as data the agent reads, with a hint on the run.
 */

/** Body fields that name what a call acts on, per operation: the allow rule checks these. */
const TARGET_FIELDS: Record<string, string[]> = {
	'card:cancel': ['cardId'],
	'payment:preAuthVoid': ['oriMerchantOrderId', 'oriOrderId'],
};

/**
 * Changes sent per execution, across its tool calls. In queue mode an execution runs in one worker
 * process, so process memory keyed by execution ID holds it; an execution that waits (Wait node,
 * human review) and resumes in another process starts a new count there. Bounded: the oldest
 * executions are forgotten first.
 */
const COUNT_LIMIT = 5_000;
const changesByExecution = new Map<string, number>();

function countFor(executionId: string): number {
	return changesByExecution.get(executionId) ?? 0;
}

function addCount(executionId: string, n: number): void {
	const count = countFor(executionId) + n;
	changesByExecution.delete(executionId); // re-insert: most recently used last
	changesByExecution.set(executionId, count);
	while (changesByExecution.size > COUNT_LIMIT) changesByExecution.delete(changesByExecution.keys().next().value as string);
}

export function runsAsTool(fns: IExecuteFunctions): boolean {
	return fns.getNode().type.endsWith('Tool');
}

export function readToolLimits(fns: IExecuteFunctions): ToolLimits {
	const set = fns.getNodeParameter('toolLimits', 0, {}) as Partial<ToolLimits>;
	const previewFirst = fns.getNodeParameter(PREVIEW_FIRST, 0, false) === true;
	return { ...TOOL_DEFAULTS, ...Object.fromEntries(Object.entries(set).filter(([, v]) => v !== undefined && v !== null)), previewFirst };
}

/** The limits in words, for refusals; the tool's description repeats them (toolDescription.ts). */
export function describeLimits(limits: ToolLimits): string {
	const ops = limits.operations.map((o) => OPERATION_NAMES[o] ?? o).join(', ') || 'nothing';
	const parts = [
		`allowed operations: ${ops}`,
		`at most ${limits.maxItemsPerCall} item(s) per call`,
		`at most ${limits.maxChangesPerExecution} cancellation(s) or void(s) per execution`,
	];
	if (limits.allowedIdsField) parts.push(`only card or order IDs found in the trigger's "${limits.allowedIdsField}"`);
	if (limits.previewFirst) parts.push(`cancellations and voids need a preview first, then the same call with its ${CONFIRM_ARGUMENT}`);
	return parts.join('; ');
}

function valuesAt(data: unknown, path: string): string[] {
	const value = path.split('.').reduce<unknown>((at, key) => (at !== null && typeof at === 'object' ? (at as IDataObject)[key] : undefined), data);
	const list = Array.isArray(value) ? value : [value];
	return list.filter((v) => typeof v === 'string' || typeof v === 'number').map((v) => String(v).trim());
}

/** n8n's own note on an item that a node other than its direct source fed (see triggerName). */
function sourceOverwrite(fns: IExecuteFunctions): string | undefined {
	const paired = fns.getInputData(0)?.[0]?.pairedItem;
	const first = Array.isArray(paired) ? paired[0] : paired;
	return typeof first === 'object' ? first?.sourceOverwrite?.previousNode : undefined;
}

/**
 * The workflow's trigger: the first node of the chain that fed the agent. A tool call runs with the
 * agent's input (tool.invoke) or as a node the agent asked for (engine request), so start there.
 * An engine request's item names the agent's own source in pairedItem.sourceOverwrite; that is
 * the only way back when a human review tool (2.x) sits between: after the person approved, the
 * call's direct source is the review node, which has no main input.
 */
function triggerName(fns: IExecuteFunctions): string | undefined {
	const source = sourceOverwrite(fns) ?? fns.getInputSourceData?.(0, 'main')?.previousNode ?? fns.getInputSourceData?.(0, 'ai_tool')?.previousNode;
	if (!source) return undefined;
	const chain = [source, ...fns.getParentNodes(source).map((n) => n.name)];
	const roots = [...new Set(chain)].filter((name) => fns.getParentNodes(name, { depth: 1 }).length === 0);
	return roots.length === 1 ? roots[0] : undefined;
}

function allowedIds(fns: IExecuteFunctions, path: string): Set<string> | string {
	const trigger = triggerName(fns);
	if (!trigger) return 'the trigger data could not be found (the allow rule needs one trigger before the agent)';
	try {
		const items = fns.getWorkflowDataProxy(0).$(trigger).all() as INodeExecutionData[];
		return new Set(items.flatMap((item) => valuesAt(item.json, path)).filter(Boolean));
	} catch {
		return `the trigger "${trigger}" has no output to check the IDs against`;
	}
}

function answer(items: number, json: IDataObject): INodeExecutionData[] {
	return Array.from({ length: items }, (_, i) => ({ json: { ...json }, pairedItem: { item: i } }));
}

export interface ToolVerdict {
	/** What the node returns instead of sending: a refusal, or (Preview First) the previews with tokens. */
	answer?: INodeExecutionData[];
	withTokens?: (results: INodeExecutionData[]) => Promise<INodeExecutionData[]>;
}

/**
 * Applies the limits to the bodies the run built (and validated). Returns undefined when the call
 * may be sent as built (plain use, or within every limit); the count is then already taken.
 * With a valid confirmation token it replaces each body by the previewed one.
 */
export async function applyToolLimits(
	fns: IExecuteFunctions,
	op: PayLocoOperation,
	bodies: Array<IDataObject | undefined>,
	preview: boolean,
): Promise<ToolVerdict | undefined> {
	if (!runsAsTool(fns)) return undefined;
	const limits = readToolLimits(fns);
	const key = `${op.resource}:${op.value}`;
	const refuse = (why: string): ToolVerdict => {
		const message = `not allowed: ${why}. Nothing was sent to PayLoco. The workflow's owner set these limits: ${describeLimits(limits)}.`;
		fns.addExecutionHints?.({ message: `PayLoco tool call refused, nothing sent: ${why}`, type: 'warning', location: 'outputPane' });
		return { answer: answer(bodies.length, { success: false, sent: false, allowed: false, error: message }) };
	};
	if (!limits.operations.includes(key)) return refuse(`this tool may not call ${OPERATION_NAMES[key] ?? key}`);
	if (bodies.length > limits.maxItemsPerCall) return refuse(`${bodies.length} items in one call; at most ${limits.maxItemsPerCall} per call`);
	if (!op.changesState) return undefined;

	const built = bodies.filter((b): b is IDataObject => b !== undefined);
	if (limits.allowedIdsField) {
		const allowed = allowedIds(fns, limits.allowedIdsField);
		if (typeof allowed === 'string') return refuse(allowed);
		for (const body of built) {
			for (const field of TARGET_FIELDS[key] ?? []) {
				const id = body[field];
				if (id !== undefined && id !== '' && !allowed.has(String(id))) {
					return refuse(`${field} "${String(id)}" is not in the trigger data's "${limits.allowedIdsField}"`);
				}
			}
		}
	}
	if (preview) return undefined; // the Preview option sends nothing anyway

	const executionId = fns.getExecutionId?.() || 'no-execution-id';
	const room = limits.maxChangesPerExecution - countFor(executionId);
	const tooMany = () => refuse(`${built.length} more cancellation(s) or void(s) would pass this execution's limit of ${limits.maxChangesPerExecution} (${countFor(executionId)} already sent)`);

	if (limits.previewFirst) {
		const credentials = (await fns.getCredentials(CREDENTIAL)) as unknown as PayLocoCredentials;
		const scope = `${key}|${fns.getNode().id || fns.getNode().name}`;
		const tokens = bodies.map((_, i) => String(fns.getNodeParameter(CONFIRM_PARAMETER, i, '') ?? '').trim());
		if (tokens.every((t) => !t)) {
			const expiresAt = Date.now() + limits.confirmMinutes * 60_000;
			return {
				withTokens: async (results) =>
					results.map((item, i) => {
						const body = bodies[i];
						if (!body) return item;
						const token = issueToken(credentials.privateKey, scope, body, op.idField, expiresAt);
						const note = `Not sent yet. To send exactly this request, call this tool again with the same arguments and ${CONFIRM_ARGUMENT} "${token}" before ${new Date(expiresAt).toISOString()}.`;
						return { ...item, json: { ...item.json, [CONFIRM_ARGUMENT]: token, confirmBefore: new Date(expiresAt).toISOString(), note } };
					}),
			};
		}
		const releases: Array<() => void> = [];
		for (let i = 0; i < bodies.length; i++) {
			const body = bodies[i];
			if (!body) continue;
			const check = checkToken(credentials.privateKey, scope, body, op.idField, tokens[i], Date.now());
			if (!check.ok) {
				releases.forEach((release) => release());
				return refuse(check.reason);
			}
			releases.push(check.release);
			bodies[i] = check.body;
		}
		if (built.length > room) {
			releases.forEach((release) => release());
			return tooMany();
		}
	} else if (built.length > room) {
		return tooMany();
	}
	addCount(executionId, built.length);
	return undefined;
}
