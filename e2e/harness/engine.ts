/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
/**
 * In-process n8n engine for jest: runs a built community package's nodes with n8n-core's real
 * `WorkflowExecute` (expressions, paired items, continue-on-fail, retries, credentials and
 * `httpRequestWithAuthentication` all behave as in n8n), in ~15 ms per workflow.
 *
 * Written against n8n-core / n8n-workflow 2.11.1.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import type * as N8nCore from 'n8n-core';
import type {
	DeduplicationItemTypes,
	DeduplicationScope,
	ExecutionError,
	ICheckProcessedContextData,
	ICheckProcessedOptions,
	ICredentialDataDecryptedObject,
	ICredentials,
	ICredentialType,
	IDataObject,
	IConnections,
	IExecuteFunctions,
	IHttpRequestOptions,
	INode,
	INodeExecutionData,
	INodeParameters,
	INodeProperties,
	INodeType,
	INodeTypes,
	IRequestOptionsSimplified,
	IRun,
	IRunData,
	IVersionedNodeType,
	IWorkflowBase,
	IWorkflowExecuteAdditionalData,
	Workflow as WorkflowType,
} from 'n8n-workflow';
import { ICredentialsHelper, isExpression, NodeConnectionTypes, NodeHelpers, Workflow } from 'n8n-workflow';

// n8n-core's InstanceSettings reads N8N_USER_FOLDER and writes `.n8n/config` there the first time a
// node context is created; point it at a throwaway folder, never the developer's ~/.n8n. Set before
// n8n-core is loaded, hence `require` below rather than a (hoisted) import.
if (!process.env.N8N_USER_FOLDER) {
	const userFolder = mkdtempSync(join(tmpdir(), 'n8n-harness-'));
	process.env.N8N_USER_FOLDER = userFolder;
	afterAll(() => rmSync(userFolder, { recursive: true, force: true }));
}
// n8n-core's ErrorReporter logs every node error at level "error"; tests assert on errors instead.
process.env.N8N_LOG_LEVEL ??= 'silent';

const core = require('n8n-core') as typeof N8nCore;
const { DataDeduplicationService, ExecutionLifecycleHooks, PackageDirectoryLoader, WorkflowExecute } = core;

/**
 * Stands in for n8n's deduplication store (packages/cli DeduplicationHelper, not installed here),
 * mode "entries" as n8n 1.123 and 2.41 do it: one row per workflow and scope ("n:<node id>" for
 * scope node), holding md5 (base64) hashes; a check returns what was seen and appends the rest,
 * trimming the oldest past maxEntries; removal drops the first match of each hash. Kept in memory
 * and shared by every run given the same store, as n8n's database is shared by its executions.
 */
export class ProcessedStore {
	readonly rows = new Map<string, string[]>();
	/** Calls made, for tests that count round trips. */
	calls = 0;

	private static hash(value: DeduplicationItemTypes): string {
		return createHash('md5').update(value.toString()).digest('base64');
	}

	private row(scope: DeduplicationScope, context: ICheckProcessedContextData): string {
		if (scope === 'node' && !context.node) throw new Error("No node information has been provided and so cannot use scope 'node'");
		return `${context.workflow.id}|${scope === 'node' ? `n:${context.node?.id}` : ''}`;
	}

	check(items: DeduplicationItemTypes[], scope: DeduplicationScope, context: ICheckProcessedContextData, options: ICheckProcessedOptions) {
		this.calls++;
		if (options.mode !== 'entries') throw new Error('The harness store keeps mode "entries" only');
		const key = this.row(scope, context);
		const data = this.rows.get(key);
		const hashes = items.map(ProcessedStore.hash);
		if (!data) {
			this.rows.set(key, options.maxEntries ? hashes.slice(-options.maxEntries) : hashes);
			return { new: items, processed: [] };
		}
		const seen = new Set(data);
		const out = { new: [] as DeduplicationItemTypes[], processed: [] as DeduplicationItemTypes[] };
		hashes.forEach((hash, i) => {
			if (seen.has(hash)) out.processed.push(items[i]);
			else {
				out.new.push(items[i]);
				data.push(hash);
			}
		});
		if (options.maxEntries) data.splice(0, Math.max(0, data.length - options.maxEntries));
		return out;
	}

	remove(items: DeduplicationItemTypes[], scope: DeduplicationScope, context: ICheckProcessedContextData) {
		this.calls++;
		const data = this.rows.get(this.row(scope, context));
		for (const hash of items.map(ProcessedStore.hash)) {
			const at = data?.indexOf(hash) ?? -1;
			if (at !== -1) data?.splice(at, 1);
		}
	}

	/** How many strings the node's row holds. */
	size(workflowId: string, nodeId: string): number {
		return this.rows.get(`${workflowId}|n:${nodeId}`)?.length ?? 0;
	}
}

/** The store of the run in progress (runWorkflow sets it); none means n8n-core's "not initialized" error. */
const currentStore = new AsyncLocalStorage<ProcessedStore | undefined>();
const noStore = (): ProcessedStore => {
	throw new Error('Manager needs to initialized before use. Make sure to call init()');
};
void DataDeduplicationService.init({
	checkProcessedAndRecord: async (items, scope, context, options) => (currentStore.getStore() ?? noStore()).check(items, scope, context, options),
	removeProcessed: async (items, scope, context) => (currentStore.getStore() ?? noStore()).remove(items, scope, context),
	clearAllProcessedItems: async () => {},
	getProcessedDataCount: async () => 0,
});

/**
 * Every ExecuteContext asks the DI container for n8n-core's SSHClientsManager, whose constructor
 * starts a 60 s `setInterval` that keeps jest from exiting. Neither it nor the container is exported
 * from n8n-core's index, so reach them the way n8n-core itself does, create the singleton now and
 * stop its timer once (later `Container.get` calls return this same instance).
 */
function stopSshClientsTimer(): void {
	const coreDir = dirname(require.resolve('n8n-core/package.json'));
	const { Container } = require(require.resolve('@n8n/di', { paths: [coreDir] })) as {
		Container: { get<T>(type: new (...args: never[]) => T): T };
	};
	const { SSHClientsManager } = require('n8n-core/dist/execution-engine/ssh-clients-manager') as {
		SSHClientsManager: new (...args: never[]) => { onShutdown(): void };
	};
	Container.get(SSHClientsManager).onShutdown();
}
stopSshClientsTimer();

type LoadedPackage = InstanceType<typeof PackageDirectoryLoader>;

/** Type name of the stand-in trigger that emits the test's input items. */
export const ITEMS_TRIGGER_TYPE = 'n8n-harness.itemsTrigger';
const TRIGGER_NAME = 'Input Items';
const NODE_UNDER_TEST_NAME = 'Node Under Test';

const packages = new Map<string, Promise<LoadedPackage>>();

/** Loads a package folder (package.json with an `n8n` section listing dist/ files) once per folder. */
export async function loadPackage(packageDir: string): Promise<LoadedPackage> {
	let loaded = packages.get(packageDir);
	if (!loaded) {
		loaded = (async () => {
			const loader = new PackageDirectoryLoader(packageDir);
			await loader.loadAll();
			return loader;
		})();
		packages.set(packageDir, loaded);
	}
	return await loaded;
}

/**
 * A trigger-like node (no inputs) that outputs the given items. It uses `execute`, not `trigger`, so
 * WorkflowExecute runs it as a plain start node without n8n's manual-trigger plumbing.
 */
function itemsTrigger(items: IDataObject[]): INodeType {
	return {
		description: {
			displayName: 'Input Items (test harness)',
			name: 'itemsTrigger',
			group: ['trigger'],
			version: 1,
			description: 'Emits the items given to the test harness',
			defaults: { name: TRIGGER_NAME },
			inputs: [],
			outputs: ['main'],
			properties: [],
		},
		async execute(this: IExecuteFunctions) {
			return [items.map((json) => ({ json: structuredClone(json) }))];
		},
	};
}

/**
 * The `<node>Tool` type n8n makes for a node with `usableAsTool: true`: the same node (same execute,
 * credentials and parameters) with no inputs, one `ai_tool` output, " Tool" appended to its names,
 * and the "Tool Description" parameters n8n adds. n8n does this in its NodeTypes service
 * (packages/cli, `convertNodeToAiTool`), which n8n-core does not export; this follows its 2.x rules.
 */
export function asAiTool(base: INodeType): INodeType {
	const d = base.description;
	const hasResourceOrOperation = d.properties.some((p) => p.name === 'resource' || p.name === 'operation');
	const descriptionType: INodeProperties = {
		displayName: 'Tool Description',
		name: 'descriptionType',
		type: 'options',
		noDataExpression: true,
		options: [
			{ name: 'Set Automatically', value: 'auto', description: 'Automatically set based on resource and operation' },
			{ name: 'Set Manually', value: 'manual', description: 'Manually set the description' },
		],
		default: 'auto',
	};
	const toolDescription: INodeProperties = {
		displayName: 'Description',
		name: 'toolDescription',
		type: 'string',
		default: d.description,
		required: true,
		typeOptions: { rows: 2 },
		description: 'Explain to the LLM what this tool does',
		...(hasResourceOrOperation ? { displayOptions: { show: { descriptionType: ['manual'] } } } : {}),
	};
	const rest = { ...d };
	delete rest.usableAsTool;
	const tool = Object.create(base) as INodeType; // inherits execute() and methods
	tool.description = {
		...rest,
		name: `${d.name}Tool`,
		displayName: `${d.displayName} Tool`,
		inputs: [],
		outputs: [NodeConnectionTypes.AiTool],
		// n8n adds its description fields only when the node does not declare toolDescription itself.
		properties: d.properties.some((p) => p.name === 'toolDescription')
			? d.properties
			: [...(hasResourceOrOperation ? [descriptionType] : []), toolDescription, ...d.properties],
	};
	return tool;
}

/**
 * What n8n's NodeTypes service offers: the package's nodes as `<package name>.<node name>`, their
 * `<node name>Tool` variants (see asAiTool), the stand-in trigger, and any extra types a test adds.
 */
function nodeTypesFor(pkg: LoadedPackage, trigger: INodeType, extra: Record<string, INodeType> = {}): INodeTypes {
	const shortName = (type: string) =>
		type.startsWith(`${pkg.packageName}.`) ? type.slice(pkg.packageName.length + 1) : undefined;
	const tools = new Map<string, INodeType>();
	const getByName = (type: string): INodeType | IVersionedNodeType => {
		if (type === ITEMS_TRIGGER_TYPE) return trigger;
		if (extra[type]) return extra[type];
		const name = shortName(type);
		if (name === undefined) throw new Error(`Unknown node type "${type}"`);
		const base = name.endsWith('Tool') && !(name in pkg.known.nodes) ? name.slice(0, -'Tool'.length) : undefined;
		if (base !== undefined && base in pkg.known.nodes) {
			const baseType = NodeHelpers.getVersionedNodeType(pkg.getNode(base).type);
			if (!baseType.description.usableAsTool) throw new Error(`Node "${base}" cannot be used as a tool`);
			if (!tools.has(type)) tools.set(type, asAiTool(baseType));
			return tools.get(type)!;
		}
		return pkg.getNode(name).type; // throws UnrecognizedNodeTypeError for unknown names
	};
	return {
		getByName,
		getByNameAndVersion: (type, version) => NodeHelpers.getVersionedNodeType(getByName(type), version),
		getKnownTypes: () =>
			Object.fromEntries(
				Object.entries(pkg.known.nodes).map(([name, info]) => [`${pkg.packageName}.${name}`, { ...info }]),
			),
	};
}

/**
 * Stands in for n8n's CredentialsHelper (packages/cli, not installed here): decrypted data comes from
 * the test, `authenticate` is delegated to the package's credential class.
 */
class TestCredentialsHelper extends ICredentialsHelper {
	constructor(
		private readonly pkg: LoadedPackage,
		private readonly data: Record<string, IDataObject>,
	) {
		super();
	}

	private type(name: string): ICredentialType {
		return this.pkg.getCredential(name).type;
	}

	getParentTypes(name: string): string[] {
		const parents = (this.pkg.known.credentials[name]?.extends ?? []) as string[];
		return parents.flatMap((parent) =>
			parent in this.pkg.known.credentials ? [parent, ...this.getParentTypes(parent)] : [parent],
		);
	}

	async authenticate(
		credentials: ICredentialDataDecryptedObject,
		typeName: string,
		requestOptions: IHttpRequestOptions | IRequestOptionsSimplified,
		workflow: WorkflowType,
		node: INode,
	): Promise<IHttpRequestOptions> {
		const { authenticate } = this.type(typeName);
		// Function form: n8n sends whatever the function returns, as is.
		if (typeof authenticate === 'function') {
			return await authenticate(credentials, requestOptions as IHttpRequestOptions);
		}
		// Generic form ({ type: 'generic', properties: { headers: {...}, qs: {...}, body: {...}, auth: {...} } }).
		// n8n's implementation lives in packages/cli and is not exported by n8n-core; this applies the
		// same rule: resolve each key and value as an expression with $credentials, set it on the options.
		if (authenticate?.type === 'generic') {
			const resolve = (value: string) =>
				isExpression(value)
					? String(
							workflow.expression.getSimpleParameterValue(node, value, 'internal', { $credentials: credentials }, undefined, '') ??
								'',
						)
					: value;
			const options = requestOptions as unknown as Record<string, Record<string, string>>;
			options.headers ??= {};
			for (const [section, entries] of Object.entries(authenticate.properties)) {
				options[section] ??= {};
				for (const [key, value] of Object.entries(entries as Record<string, string>)) {
					options[section][resolve(key)] = resolve(value);
				}
			}
		}
		return requestOptions as IHttpRequestOptions;
	}

	/**
	 * n8n defines this method (so httpRequestWithAuthentication takes its "401 -> authenticate again and
	 * resend" path); it only calls the credential's preAuthentication when an expirable hidden field is
	 * empty or the request got a 401.
	 */
	async preAuthentication(
		helpers: { helpers: { httpRequest: (o: IHttpRequestOptions) => Promise<unknown> } },
		credentials: ICredentialDataDecryptedObject,
		typeName: string,
		_node: INode,
		credentialsExpired: boolean,
	): Promise<ICredentialDataDecryptedObject | undefined> {
		const type = this.type(typeName);
		const expirable = type.properties.find((p) => p.type === 'hidden' && p.typeOptions?.expirable === true);
		if (!expirable || !type.preAuthentication) return undefined;
		if (credentials[expirable.name] !== '' && !credentialsExpired) return undefined;
		const output = (await type.preAuthentication.call(helpers, credentials)) as ICredentialDataDecryptedObject;
		return output[expirable.name] === undefined ? undefined : Object.assign(credentials, output);
	}

	async getDecrypted(
		_additionalData: IWorkflowExecuteAdditionalData,
		_nodeCredentials: unknown,
		type: string,
	): Promise<ICredentialDataDecryptedObject> {
		const data = this.data[type];
		if (!data) throw new Error(`The test gave no credentials of type "${type}"`);
		return { ...(data as ICredentialDataDecryptedObject) }; // a copy: n8n merges pre-auth data into it
	}

	getCredentialsProperties(type: string): INodeProperties[] {
		return this.type(type).properties;
	}

	/** Called by n8n 2.x releases newer than 2.11 before handing credentials to a node. */
	isCredentialUsableByNode(): boolean {
		return true;
	}

	async getCredentials(): Promise<ICredentials> {
		throw new Error('getCredentials (encrypted credentials) is not supported by the test harness');
	}

	async updateCredentials(): Promise<void> {}

	async updateCredentialsOauthTokenData(): Promise<void> {}
}

export interface RunWorkflowOptions {
	packageDir: string;
	/** Node types are full names: `<package name>.<node name>` or ITEMS_TRIGGER_TYPE. */
	nodes: INode[];
	connections: IConnections;
	/** Name of the node to start from (normally the ITEMS_TRIGGER_TYPE node). */
	startNode: string;
	/** Items emitted by ITEMS_TRIGGER_TYPE nodes. */
	items?: IDataObject[];
	/** Credential type name -> plain decrypted data. */
	credentials?: Record<string, IDataObject>;
	executionId?: string;
	/** The workflow's ID (default "test-workflow"): generated request IDs and the node's record are the workflow's. */
	workflowId?: string;
	/** More node types by full name, e.g. a stand-in AI Agent that calls tools. */
	extraNodeTypes?: Record<string, INodeType>;
	/**
	 * n8n's deduplication store for this run: pass the same one to several runs to share it as
	 * n8n's database would; `false` for none (as when n8n-core's service is not initialised).
	 * Default: a fresh, empty one.
	 */
	processedStore?: ProcessedStore | false;
}

/** Runs a workflow in manual mode and returns n8n's full run result. */
export async function runWorkflow(opts: RunWorkflowOptions): Promise<IRun> {
	const pkg = await loadPackage(opts.packageDir);
	const executionId = opts.executionId ?? 'test-execution-1';
	const workflowData = {
		id: opts.workflowId ?? 'test-workflow',
		name: 'Test workflow',
		active: false,
		isArchived: false,
		activeVersionId: null,
		createdAt: new Date(),
		updatedAt: new Date(),
		nodes: opts.nodes,
		connections: opts.connections,
		settings: { executionOrder: 'v1' },
	} satisfies IWorkflowBase;
	const workflow = new Workflow({
		...workflowData,
		nodeTypes: nodeTypesFor(pkg, itemsTrigger(opts.items ?? []), opts.extraNodeTypes),
	});

	const unsupported = (what: string) => () => {
		throw new Error(`${what} is not supported by the test harness`);
	};
	const additionalData = {
		credentialsHelper: new TestCredentialsHelper(pkg, opts.credentials ?? {}),
		hooks: new ExecutionLifecycleHooks('manual', executionId, workflowData),
		executionId,
		currentNodeExecutionIndex: 0,
		restApiUrl: 'http://localhost:5678/rest',
		instanceBaseUrl: 'http://localhost:5678/',
		formWaitingBaseUrl: 'http://localhost:5678/form-waiting',
		webhookBaseUrl: 'http://localhost:5678/webhook',
		webhookWaitingBaseUrl: 'http://localhost:5678/webhook-waiting',
		webhookTestBaseUrl: 'http://localhost:5678/webhook-test',
		variables: {},
		executeWorkflow: unsupported('executeWorkflow'),
		getRunExecutionData: async () => undefined,
		logAiEvent: () => {},
		startRunnerTask: unsupported('startRunnerTask'),
	} as unknown as IWorkflowExecuteAdditionalData;

	const startNode = workflow.getNode(opts.startNode);
	if (!startNode) throw new Error(`No node named "${opts.startNode}"`);
	const engine = new WorkflowExecute(additionalData, 'manual');
	const store = opts.processedStore === false ? undefined : (opts.processedStore ?? new ProcessedStore());
	try {
		return await currentStore.run(store, async () => await engine.run({ workflow, startNode }));
	} catch (error) {
		// Like n8n, the engine refuses to start when a node has issues (e.g. a required parameter is
		// missing) but does not say which; name them for the test's failure message.
		const issues = engine.checkReadyForExecution(workflow, { startNode: startNode.name });
		if (issues) throw new Error(`${(error as Error).message} Issues: ${JSON.stringify(issues)}`);
		throw error;
	}
}

export interface RunNodeOptions {
	packageDir: string;
	/** Short node name, e.g. 'payLoco' (or the full `<package name>.payLoco`). */
	nodeType: string;
	/** Defaults to the node's latest version. */
	typeVersion?: number;
	/** May contain expressions such as '={{ $json.cardId }}'; the engine resolves them per item. */
	parameters: INodeParameters;
	credentials?: Record<string, IDataObject>;
	items: IDataObject[];
	/** The node setting "On Error: Continue" (saved by n8n as onError 'continueRegularOutput'). */
	continueOnFail?: boolean;
	retryOnFail?: boolean;
	maxTries?: number;
	waitBetweenTries?: number;
	executionId?: string;
	workflowId?: string;
	/** INode.id of the node under test. */
	nodeId?: string;
	processedStore?: ProcessedStore | false;
}

export interface RunNodeResult {
	/** The node's first output. */
	items: INodeExecutionData[];
	/**
	 * The node's error when the run failed. Note: WorkflowExecute records a plain-object copy of the
	 * thrown error (`{ ...error, message, stack }`), so `instanceof NodeApiError` is false: assert on
	 * `name`, `message`, `description`, `httpCode`, `context.itemIndex`.
	 */
	error?: ExecutionError;
	runData: IRunData;
}

/** Runs one node of the package on `items`, fed by the stand-in trigger. */
export async function runNode(opts: RunNodeOptions): Promise<RunNodeResult> {
	const pkg = await loadPackage(opts.packageDir);
	const type = opts.nodeType.includes('.') ? opts.nodeType : `${pkg.packageName}.${opts.nodeType}`;
	const nodeType = nodeTypesFor(pkg, itemsTrigger([])).getByName(type);
	const typeVersion =
		opts.typeVersion ??
		('nodeVersions' in nodeType
			? nodeType.currentVersion
			: Math.max(...([] as number[]).concat(nodeType.description.version)));

	const trigger: INode = {
		id: 'harness-trigger',
		name: TRIGGER_NAME,
		type: ITEMS_TRIGGER_TYPE,
		typeVersion: 1,
		position: [0, 0],
		parameters: {},
	};
	const node: INode = {
		id: opts.nodeId ?? '0f5532f9-36ba-4bef-86c7-30d607400b15',
		name: NODE_UNDER_TEST_NAME,
		type,
		typeVersion,
		position: [200, 0],
		parameters: opts.parameters,
		credentials: Object.fromEntries(
			Object.keys(opts.credentials ?? {}).map((name) => [name, { id: `cred-${name}`, name }]),
		),
		...(opts.continueOnFail ? { onError: 'continueRegularOutput' as const } : {}),
		retryOnFail: opts.retryOnFail,
		maxTries: opts.maxTries,
		waitBetweenTries: opts.waitBetweenTries,
	};

	const run = await runWorkflow({
		packageDir: opts.packageDir,
		nodes: [trigger, node],
		connections: { [TRIGGER_NAME]: { main: [[{ node: NODE_UNDER_TEST_NAME, type: 'main', index: 0 }]] } },
		startNode: TRIGGER_NAME,
		items: opts.items,
		credentials: opts.credentials,
		executionId: opts.executionId,
		workflowId: opts.workflowId,
		processedStore: opts.processedStore,
	});
	const { runData } = run.data.resultData;
	const task = runData[NODE_UNDER_TEST_NAME]?.at(-1);
	return {
		items: task?.data?.main?.[0] ?? [],
		error: run.data.resultData.error ?? (task?.error as ExecutionError | undefined),
		runData,
	};
}
