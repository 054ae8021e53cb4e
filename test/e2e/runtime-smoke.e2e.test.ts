/**
 * Proves the real-n8n harness on both lines with n8n's built-in nodes only:
 * `n8n execute` of a Manual Trigger workflow, and a webhook served by `n8n start` (activated
 * through n8n's REST API, as node.e2e does).
 * Needs `node scripts/install-n8n.js all` first.
 */
import { N8nHome, outputOf } from '../../e2e/harness/n8n';
import type { N8nLine } from '../../e2e/harness/n8n';
import { RestSession } from '../../e2e/harness/rest';

const MANUAL_ID = 'smokeManualWf01';
const HOOK_ID = 'smokeWebhookWf1';

const manualWorkflow = {
	id: MANUAL_ID,
	name: 'smoke: manual',
	active: false,
	settings: { executionOrder: 'v1' },
	nodes: [
		{
			id: 'a0000000-0000-4000-8000-000000000001',
			name: 'Start',
			type: 'n8n-nodes-base.manualTrigger',
			typeVersion: 1,
			position: [0, 0],
			parameters: {},
		},
		{
			id: 'a0000000-0000-4000-8000-000000000002',
			name: 'Set',
			type: 'n8n-nodes-base.set',
			typeVersion: 3.4,
			position: [220, 0],
			parameters: {
				mode: 'manual',
				assignments: {
					assignments: [
						{ id: 'f1', name: 'greeting', value: 'hello from n8n', type: 'string' },
						{ id: 'f2', name: 'answer', value: '={{ 6 * 7 }}', type: 'number' },
					],
				},
				options: {},
			},
		},
	],
	connections: { Start: { main: [[{ node: 'Set', type: 'main', index: 0 }]] } },
};

const hookWorkflow = {
	id: HOOK_ID,
	name: 'smoke: webhook',
	active: false,
	settings: { executionOrder: 'v1' },
	nodes: [
		{
			id: 'b0000000-0000-4000-8000-000000000001',
			name: 'Webhook',
			type: 'n8n-nodes-base.webhook',
			typeVersion: 2,
			position: [0, 0],
			webhookId: 'b0000000-0000-4000-8000-0000000000aa',
			parameters: { httpMethod: 'POST', path: 'smoke-hook', responseMode: 'lastNode', options: {} },
		},
		{
			id: 'b0000000-0000-4000-8000-000000000002',
			name: 'Echo',
			type: 'n8n-nodes-base.set',
			typeVersion: 3.4,
			position: [220, 0],
			parameters: {
				mode: 'manual',
				assignments: {
					assignments: [{ id: 'g1', name: 'echo', value: '={{ $json.body.ping }}', type: 'string' }],
				},
				options: {},
			},
		},
	],
	connections: { Webhook: { main: [[{ node: 'Echo', type: 'main', index: 0 }]] } },
};

describe.each([1, 2] as N8nLine[])('real n8n %i.x runtime', (line) => {
	let home: N8nHome;

	beforeAll(async () => {
		home = await N8nHome.create(line);
		// Both workflows in one import: every CLI command boots a whole n8n.
		await home.importWorkflow([manualWorkflow, hookWorkflow]);
	}, 120_000);

	afterAll(async () => {
		await home?.dispose();
	}, 60_000);

	test('imports and executes a Manual Trigger workflow', async () => {
		const result = await home.execute(MANUAL_ID);

		expect(result.exitCode).toBe(0);
		expect(result.json?.status).toBe('success');
		expect(outputOf(result.json, 'Set')).toEqual([{ greeting: 'hello from n8n', answer: 42 }]);
	}, 120_000);

	test('serves an active webhook workflow and stores exactly one execution', async () => {
		const server = await home.start();
		try {
			// Activated on the running server, as the editor's toggle does (no CLI command).
			await (await RestSession.asOwner(server)).activate(home, [HOOK_ID]);
			const res = await fetch(`${server.url}/webhook/smoke-hook`, {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: JSON.stringify({ ping: 'pong' }),
			});
			expect(res.status).toBe(200);
			expect(await res.json()).toEqual({ echo: 'pong' });

			const executions = await home.waitForExecutions(HOOK_ID, 1);
			expect(executions).toHaveLength(1);
			expect(executions[0]).toMatchObject({ workflowId: HOOK_ID, mode: 'webhook', status: 'success' });
		} finally {
			await server.stop();
		}
		// The CLI run of the first test is stored too, under its own workflow.
		expect((await home.listExecutions({ workflowId: MANUAL_ID })).map((e) => e.mode)).toEqual(['cli']);
		expect(home.printed()).toContain(`Version: ${home.rt.version}`);
	}, 180_000);
});
