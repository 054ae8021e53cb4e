/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
// A receiving "n8n" for the PayLoco Trigger's webhook(): n8n-core's real WebhookContext (parameters with
// their defaults, credentials with displayOptions, workflow static data, httpRequestWithAuthentication
// signing through the credential's own authenticate), behind a real HTTP server that the sandbox sends
// notifications to. The server does what n8n's webhook handler does with the result: nothing when the
// node answered itself (noWebhookResponse), otherwise HTTP 200 with webhookResponse, and an execution
// only when workflowData is returned. The real n8n is in test/e2e/trigger.e2e.test.ts.
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import type * as N8nCore from 'n8n-core';
import type {
	ICredentialDataDecryptedObject,
	IDataObject,
	IHttpRequestOptions,
	INode,
	INodeExecutionData,
	INodeParameters,
	INodeTypes,
	IWebhookData,
	IWebhookResponseData,
	IWorkflowExecuteAdditionalData,
	WorkflowExecuteMode,
} from 'n8n-workflow';
import { Workflow } from 'n8n-workflow';

import '../../e2e/harness/engine'; // isolates N8N_USER_FOLDER and stops n8n-core's SSH timer before n8n-core loads
import { PayLocoTrigger } from '../../nodes/PayLoco/PayLocoTrigger.node';
import { PayLocoApi } from '../../credentials/PayLocoApi.credentials';

const { WebhookContext } = require('n8n-core') as typeof N8nCore;

const TYPE = 'n8n-nodes-payloco.payLocoTrigger';

export const trigger = new PayLocoTrigger();
const credentialType = new PayLocoApi();
const nodeTypes: INodeTypes = {
	getByName: () => trigger,
	getByNameAndVersion: () => trigger,
	getKnownTypes: () => ({}),
};

export interface Setup {
	parameters?: INodeParameters;
	/** Credential data by type; only the types given are attached to the node. */
	credentials: Record<string, IDataObject>;
	mode?: WorkflowExecuteMode;
}

let workflows = 0;
/** A database round trip of n8n's (loading credentials, saving static data): other requests run meanwhile. */
const database = async () => await new Promise((resolve) => setTimeout(resolve, 5));

/** One receiving "n8n": a workflow with only the trigger, its saved static data, its executions. */
export class Receiver {
	/** Each receiver is its own workflow, as the in-process guard keeps workflows apart. */
	readonly workflowId = `wf-${++workflows}`;
	url = '';
	executions: INodeExecutionData[][][] = [];
	errors: Error[] = [];
	warnings: string[] = [];
	staticData = '{}';
	private saves: Array<Promise<unknown>> = [];
	private server: Server;

	constructor(private setup: Setup) {
		this.server = createServer((req, res) => void this.handle(req, res));
	}

	async start(): Promise<this> {
		await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
		this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/webhook/2b0f6c1e/payloco`;
		return this;
	}

	/** The static data once every save so far has reached the "database". */
	async saved(): Promise<string> {
		await Promise.all(this.saves);
		return this.staticData;
	}

	async close(): Promise<void> {
		await new Promise((resolve) => this.server.close(resolve));
	}

	private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
		const chunks: Buffer[] = [];
		for await (const chunk of req) chunks.push(chunk as Buffer);
		// As n8n's rawBodyReader middleware + parseBody leave it for a webhook.
		req.rawBody = Buffer.concat(chunks);
		req.readRawBody = async () => {};

		const node: INode = {
			id: '6f1d2c1e-0a51-4f0e-9a39-5a3c2b7d9e01',
			name: 'PayLoco Trigger',
			type: TYPE,
			typeVersion: 1,
			position: [0, 0],
			webhookId: '2b0f6c1e',
			parameters: structuredClone(this.setup.parameters ?? {}),
			credentials: Object.fromEntries(Object.keys(this.setup.credentials).map((t) => [t, { id: `id-${t}`, name: t }])),
		};
		// As n8n: a Workflow per request, its static data loaded from the database and saved when changed.
		const workflow = new Workflow({
			id: this.workflowId,
			name: 'PayLoco notifications',
			nodes: [node],
			connections: {},
			active: true,
			nodeTypes,
			staticData: JSON.parse(this.staticData),
		});
		const additionalData = {
			credentialsHelper: {
				getDecrypted: async (_a: unknown, _n: unknown, type: string) => {
					await database();
					if (!this.setup.credentials[type]) throw new Error(`no credential ${type}`);
					return { ...this.setup.credentials[type] };
				},
				// What httpRequestWithAuthentication needs: the PayLoco API credential signs in its own authenticate.
				getParentTypes: () => [],
				preAuthentication: async () => undefined,
				authenticate: async (credentials: ICredentialDataDecryptedObject, type: string, options: IHttpRequestOptions) => {
					if (type !== 'payLocoApi') throw new Error(`no authenticate for ${type}`);
					return await credentialType.authenticate(credentials, options);
				},
			},
			httpRequest: req,
			httpResponse: res,
			webhookBaseUrl: 'http://127.0.0.1/webhook',
			variables: {},
		} as unknown as IWorkflowExecuteAdditionalData;
		const webhookData: IWebhookData = {
			httpMethod: 'POST',
			node: node.name,
			path: `${node.webhookId}/payloco`,
			webhookDescription: trigger.description.webhooks![0],
			workflowId: this.workflowId,
			workflowExecuteAdditionalData: additionalData,
		};
		const context = new WebhookContext(
			workflow,
			workflow.getNode(node.name)!,
			additionalData,
			this.setup.mode ?? 'webhook',
			webhookData,
			[],
			null,
		);
		const warn = (message: string) => this.warnings.push(message);
		Object.defineProperty(context, 'logger', { value: { warn, debug: warn, info: warn, error: warn } });

		let result: IWebhookResponseData;
		try {
			result = await trigger.webhook!.call(context);
		} catch (error) {
			this.errors.push(error as Error);
			res.writeHead(500, { 'Content-Type': 'application/json' });
			res.end('{"message":"Workflow Webhook Error: Workflow could not be started!"}');
			return;
		}
		// As n8n: static data is saved after webhook() returns, a database write later, with no lock.
		if ((workflow.staticData as IDataObject).__dataChanged) {
			const changed = JSON.stringify(workflow.staticData);
			this.saves.push(database().then(() => (this.staticData = changed)));
		}
		if (result.workflowData) this.executions.push(result.workflowData);
		if (result.noWebhookResponse) {
			expect(res.headersSent).toBe(true);
			return;
		}
		res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8' });
		res.end(JSON.stringify(result.webhookResponse ?? { message: 'Workflow was started' }));
	}
}

