/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
/**
 * The owner's tool limits (issue #20) in real n8n, one long-running `n8n start` per line (1.x on
 * Node 20, 2.x on Node 24), with n8n's own AI Agent and OpenAI Chat Model nodes. No language model:
 * the model's Base URL points at a scripted stand-in on 127.0.0.1 (test/helpers/fakeLlm.ts) that
 * makes the tool calls a prompt lists, one per turn, the way a model answers with tool calls. So
 * n8n itself turns the node into its payLocoTool, builds the tool and $fromAI arguments, and runs
 * each call; the sandbox shows what reached PayLoco.
 *
 * Needs `npm run build` and the n8n runtimes (PAYLOCO_E2E_CACHE).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { startSandbox } from '../../sandbox/server';
import type { Sandbox } from '../../sandbox/server';
import { rsaKeyPair } from '../helpers/keys';
import { startFakeLlm } from '../helpers/fakeLlm';
import type { FakeLlm } from '../helpers/fakeLlm';
import { sandboxCredentials, sentBody, verifiedByOpenssl } from '../helpers/payloco';
import { N8nHome, packPackage } from '../../e2e/harness/n8n';
import type { N8nLine, N8nServer } from '../../e2e/harness/n8n';
import { RestSession } from '../../e2e/harness/rest';
import { nodeBuilder } from './workflow';

const { node, resetIds } = nodeBuilder('e2e20000');
const PAYLOCO_CRED = { id: 'payLocoToolE2e1', name: 'PayLoco sandbox' };
const OPENAI_CRED = { id: 'openAiFakeE2e01', name: 'Scripted model' };
const CANCEL = { resource: 'card', operation: 'cancel', cardId: "={{ $fromAI('cardId', 'The card to cancel', 'string') }}", options: {} };

/** Webhook (the alert) → AI Agent, with the scripted model and one PayLoco Cancel Card tool. */
function agentWorkflow(id: string, hookPath: string, agentVersion: number, tool: object) {
	resetIds();
	const nodes = [
		node('Alert', 'n8n-nodes-base.webhook', 2, 0, 0, { webhookId: `${id}-hook`, parameters: { httpMethod: 'POST', path: hookPath, responseMode: 'lastNode', options: {} } }),
		node('Agent', '@n8n/n8n-nodes-langchain.agent', agentVersion, 250, 0, { parameters: { promptType: 'define', text: '={{ $json.body.prompt }}', options: {} } }),
		node('Model', '@n8n/n8n-nodes-langchain.lmChatOpenAi', 1.2, 150, 250, {
			parameters: { model: { __rl: true, mode: 'id', value: 'gpt-4o-mini' }, options: {} },
			credentials: { openAiApi: OPENAI_CRED },
		}),
		node('Cancel Card', 'n8n-nodes-payloco.payLocoTool', 1, 350, 250, { parameters: { ...CANCEL, ...tool }, credentials: { payLocoApi: PAYLOCO_CRED } }),
	];
	return {
		id,
		name: `PayLoco tool limits ${hookPath}`,
		active: false,
		settings: { executionOrder: 'v1' },
		nodes,
		connections: {
			Alert: { main: [[{ node: 'Agent', type: 'main', index: 0 }]] },
			Model: { ai_languageModel: [[{ node: 'Agent', type: 'ai_languageModel', index: 0 }]] },
			'Cancel Card': { ai_tool: [[{ node: 'Agent', type: 'ai_tool', index: 0 }]] },
		},
	};
}

const script = (marker: string, calls: object[]) => `Triage alert ${marker}. SCRIPT:${JSON.stringify({ calls })}`;

const merchant = rsaKeyPair();
let sandbox: Sandbox;
let llm: FakeLlm;
let tmp: string;
let tgz: string;

beforeAll(async () => {
	sandbox = await startSandbox({ merchantPublicKey: merchant.publicPem });
	llm = await startFakeLlm();
	tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'payloco-tool-e2e-'));
	tgz = packPackage(tmp);
}, 60_000);

afterAll(async () => {
	await sandbox?.close();
	await llm?.close();
	if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

const cancels = () => sandbox.requests.filter((r) => r.path.endsWith('/cards/cancel'));

describe.each([1, 2] as N8nLine[])('tool limits with n8n %i.x AI Agent', (line) => {
	const tag = `L${line}`;
	// The AI Agent version the editor puts on the canvas in each line (its defaultVersion).
	const agentVersion = line === 1 ? 3 : 3.1;
	const workflows = {
		defaults: agentWorkflow(`toolLimDefault${line}`, `i20-defaults-${line}`, agentVersion, {}),
		allowed: agentWorkflow(`toolLimAllowed${line}`, `i20-allowed-${line}`, agentVersion, {
			toolLimits: { operations: ['card:cancel'], allowedIdsField: 'body.cardIds', maxChangesPerExecution: 2 },
		}),
		preview: agentWorkflow(`toolLimPreview${line}`, `i20-preview-${line}`, agentVersion, { toolLimits: { operations: ['card:cancel'] }, toolPreviewFirst: true }),
	};
	let home: N8nHome;
	let server: N8nServer;

	const post = async (hookPath: string, body: object) => {
		const res = await fetch(`${server.url}/webhook/${hookPath}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
		return { status: res.status, text: await res.text() };
	};

	beforeAll(async () => {
		home = await N8nHome.create(line, { packageTgz: tgz });
		await home.importCredentials([
			{ ...PAYLOCO_CRED, type: 'payLocoApi', data: sandboxCredentials(sandbox, merchant) },
			{ ...OPENAI_CRED, type: 'openAiApi', data: { apiKey: 'sk-scripted-not-a-key', url: llm.url } },
		]);
		// One import for all, and activation on the running server over n8n's REST API (as the
		// editor's toggle does): no n8n boot per workflow and per activation.
		const all = Object.values(workflows);
		await home.importWorkflow(all);
		server = await home.start();
		const rest = await RestSession.asOwner(server);
		await rest.activate(home, all.map((wf) => wf.id));
	}, 300_000);

	afterAll(async () => {
		await server?.stop();
		await home?.dispose();
	}, 60_000);

	beforeEach(() => sandbox.reset());

	test('with the defaults the agent can query but not cancel: its cancel sends nothing and it reads why', async () => {
		const marker = `${tag}-defaults`;
		const res = await post(`i20-defaults-${line}`, { prompt: script(marker, [{ cardId: `C-${tag}-1` }]) });
		expect(res.status).toBe(200);
		const [result] = llm.resultsOf(marker);
		expect(result).toMatch(/not allowed: this tool may not call Cancel Card\. Nothing was sent to PayLoco/);
		expect(sandbox.requests).toEqual([]);
		// What n8n showed the model: the tool, its $fromAI argument, and its description: on 2.x the
		// node's own, naming the default limits; 1.x passes an expression there raw, so n8n's automatic text stays.
		const shown = llm.requests.find((r) => r.prompt.includes(marker))?.tools ?? [];
		expect(shown.map((t) => t.function.name)).toEqual(['Cancel_Card']);
		expect(shown[0].function.description).toBe(
			line === 2
				? "Cancel a card permanently in PayLoco. Limits set by the workflow's owner (a call beyond them is refused and sends nothing): allowed operations: Query Transaction; at most 1 item(s) per call; at most 5 cancellation(s) or void(s) per execution."
				: 'Cancel a card permanently in PayLoco',
		);
		expect(Object.keys(shown[0].function.parameters?.properties ?? {})).toEqual(['cardId']);
	}, 120_000);

	test('with Cancel allowed: a card not in the trigger data and a call past the per-execution limit send nothing; the rest are sent once', async () => {
		const marker = `${tag}-allowed`;
		const cards = [`C-${tag}-2`, `C-${tag}-3`, `C-${tag}-4`];
		const calls = [{ cardId: `C-${tag}-EVIL` }, ...cards.map((cardId) => ({ cardId }))];
		const res = await post(`i20-allowed-${line}`, { cardIds: cards, prompt: script(marker, calls) });
		expect(res.status).toBe(200);
		// On 2.x the agent read the owner's numbers before its first call; on 1.x only the refusals carry them.
		const description = llm.requests.find((r) => r.prompt.includes(marker))?.tools[0]?.function.description;
		if (line === 2) {
			expect(description).toBe(
				"Cancel a card permanently in PayLoco. Limits set by the workflow's owner (a call beyond them is refused and sends nothing): allowed operations: Cancel Card; at most 1 item(s) per call; at most 2 cancellation(s) or void(s) per execution; only card or order IDs found in the trigger's \"body.cardIds\".",
			);
		} else {
			expect(description).toBe('Cancel a card permanently in PayLoco');
		}
		const results = llm.resultsOf(marker);
		expect(results).toHaveLength(4);
		expect(results[0]).toMatch(/not allowed: cardId \\?"C-L\d-EVIL\\?" is not in the trigger data's \\?"body\.cardIds\\?"/);
		expect(results[1]).toMatch(/"success\\?":\s*true/);
		expect(results[2]).toMatch(/"success\\?":\s*true/);
		expect(results[3]).toMatch(/not allowed: 1 more cancellation\(s\) or void\(s\) would pass this execution's limit of 2 \(2 already sent\)/);
		expect(cancels().map((r) => sentBody(r).cardId)).toEqual(cards.slice(0, 2));
		for (const r of cancels()) expect(verifiedByOpenssl(r, merchant)).toBe(true);
		expect(sandbox.effects).toHaveLength(2);
	}, 120_000);

	test('Preview First: nothing is sent until the call comes back with the token, which fits only the previewed body and works once', async () => {
		const marker = `${tag}-preview`;
		const card = `C-${tag}-6`;
		const calls = [
			{ cardId: card, confirmationToken: '' },
			{ cardId: `C-${tag}-7`, confirmationToken: '$token' },
			{ cardId: card, confirmationToken: '$token' },
			{ cardId: card, confirmationToken: '$token' },
		];
		const res = await post(`i20-preview-${line}`, { prompt: script(marker, calls) });
		expect(res.status).toBe(200);
		const shown = llm.requests.find((r) => r.prompt.includes(marker))?.tools ?? [];
		expect(Object.keys(shown[0].function.parameters?.properties ?? {}).sort()).toEqual(['cardId', 'confirmationToken']);
		if (line === 2) expect(shown[0].function.description).toMatch(/; cancellations and voids need a preview first, then the same call with its confirmationToken\.$/);
		const results = llm.resultsOf(marker);
		expect(results).toHaveLength(4);
		expect(results[0]).toMatch(/"preview\\?":\s*true/);
		expect(results[0]).toMatch(/confirmationToken/);
		expect(results[1]).toMatch(/not allowed: the confirmation token does not match this request/);
		expect(results[2]).toMatch(/"success\\?":\s*true/);
		expect(results[3]).toMatch(/not allowed: the confirmation token was already used/);
		expect(cancels()).toHaveLength(1);
		const previewedId = /requestId\\?"\s*:\s*\\?"(n8n[0-9a-f]+)/.exec(results[0])?.[1];
		expect(previewedId).toMatch(/^n8n[0-9a-f]{29}$/);
		expect(sentBody(cancels()[0])).toMatchObject({ cardId: card, requestId: previewedId });
	}, 120_000);
});
