/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
/**
 * A person first, with n8n's own human review for tool calls (n8n 2.x only; 1.x has no review
 * tool nodes): examples/agent-cancel-card-human-review.json imported as is into a long-running
 * `n8n start`. The agent's Cancel Card call goes through "Ask Fraud Team" (Email Send and Wait as a
 * review tool): the person gets an email with the card ID and Approve / Decline links, the
 * execution waits, and nothing reaches PayLoco meanwhile. The model is a scripted stand-in on
 * 127.0.0.1 (test/helpers/fakeLlm.ts), the mail server too (test/helpers/fakeSmtp.ts).
 *
 * Needs `npm run build` and the n8n 2.x runtime (PAYLOCO_E2E_CACHE).
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { startSandbox } from '../../sandbox/server';
import type { Sandbox } from '../../sandbox/server';
import { startFakeLlm } from '../helpers/fakeLlm';
import type { FakeLlm } from '../helpers/fakeLlm';
import { startFakeSmtp } from '../helpers/fakeSmtp';
import type { FakeSmtp } from '../helpers/fakeSmtp';
import { rsaKeyPair } from '../helpers/keys';
import { sandboxCredentials } from '../helpers/payloco';
import { N8nHome, packPackage } from '../../e2e/harness/n8n';
import type { N8nServer } from '../../e2e/harness/n8n';

const REPO = path.resolve(__dirname, '../..');
const example = JSON.parse(fs.readFileSync(path.join(REPO, 'examples', 'agent-cancel-card-human-review.json'), 'utf8'));
const credentialOf = (nodeName: string, type: string) => example.nodes.find((n: { name: string }) => n.name === nodeName).credentials[type] as { id: string; name: string };
const HOOK_HEADER = 'X-PayLoco-Webhook-Key';
const HOOK_KEY = randomBytes(24).toString('base64url');

/** Polls a condition; a generous wait, not a measurement. */
async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
	const until = Date.now() + timeoutMs;
	for (;;) {
		const value = await probe();
		if (value !== undefined) return value;
		if (Date.now() > until) throw new Error(`gave up waiting for ${what}`);
		await new Promise((resolve) => setTimeout(resolve, 250));
	}
}

const merchant = rsaKeyPair();
let sandbox: Sandbox;
let llm: FakeLlm;
let smtp: FakeSmtp;
let tmp: string;
let home: N8nHome;
let server: N8nServer;

beforeAll(async () => {
	sandbox = await startSandbox({ merchantPublicKey: merchant.publicPem });
	llm = await startFakeLlm();
	smtp = await startFakeSmtp();
	tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'payloco-review-e2e-'));
	home = await N8nHome.create(2, { packageTgz: packPackage(tmp) });
	await home.importCredentials([
		{ ...credentialOf('Cancel Card', 'payLocoApi'), type: 'payLocoApi', data: sandboxCredentials(sandbox, merchant) },
		{ ...credentialOf('OpenAI Chat Model', 'openAiApi'), type: 'openAiApi', data: { apiKey: 'sk-scripted-not-a-key', url: llm.url } },
		{ ...credentialOf('Ask Fraud Team', 'smtp'), type: 'smtp', data: { user: '', password: '', host: '127.0.0.1', port: smtp.port, secure: false, disableStartTls: true } },
		{ ...credentialOf('Fraud Alert', 'httpHeaderAuth'), type: 'httpHeaderAuth', data: { name: HOOK_HEADER, value: HOOK_KEY } },
	]);
	await home.importWorkflow(example);
	await home.activateWorkflow(example.id);
	server = await home.start();
}, 300_000);

afterAll(async () => {
	await server?.stop();
	await home?.dispose();
	await sandbox?.close();
	await llm?.close();
	await smtp?.close();
	if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
}, 60_000);

test('n8n 2.x human review: the agent\'s cancel waits for the person, who gets the tool and its card ID by email; nothing reaches PayLoco', async () => {
	const card = 'C-REVIEW-1';
	const marker = 'ALERT-REVIEW-1';
	// The scripted model calls the reviewed tool the way n8n offers it: the tool's own arguments under toolParameters.
	const text = `Card used in 3 countries in 5 minutes. SCRIPT:${JSON.stringify({ calls: [{ toolParameters: { cardId: card }, hitlParameters: {} }] })}`;
	const res = await fetch(`${server.url}/webhook/payloco-fraud-alert-agent`, {
		method: 'POST',
		headers: { 'content-type': 'application/json', [HOOK_HEADER]: HOOK_KEY },
		body: JSON.stringify({ alertId: marker, cardId: card, text }),
	});
	expect(res.status).toBe(200);

	// The person is asked by email; until they answer, PayLoco has seen nothing.
	const mail = await waitFor('the approval email', () => smtp.mails[0]);
	expect(mail.to).toEqual(['<fraud-team@example.com>']);
	expect(mail.text).toContain(card);
	const approve = /https?:\/\/[^\s"'<>]*approved=true[^\s"'<>]*/.exec(mail.text)?.[0];
	expect(approve).toBeDefined();
	expect(sandbox.requests).toEqual([]);
	const [waiting] = await waitFor('the waiting execution', async () => {
		const list = (await home.listExecutions({ workflowId: example.id })).filter((e) => e.status === 'waiting');
		return list.length ? list : undefined;
	});
	expect(waiting.status).toBe('waiting');

	// Following the email's Approve link is not covered here: in this run the link answered 200 with
	// an empty body and the execution stayed waiting (see docs/ai-agent-tool.md), so only the hold is proven.
	expect(sandbox.effects).toEqual([]);
}, 240_000);
