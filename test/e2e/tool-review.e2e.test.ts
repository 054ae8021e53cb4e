/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
/**
 * A person first, with n8n's own human review for tool calls (n8n 2.x only; 1.x has no review
 * tool nodes): examples/agent-cancel-card-human-review.json imported as is into a long-running
 * `n8n start`. The agent's Cancel Card call goes through "Ask Fraud Team" (Email Send and Wait as a
 * review tool): the person gets an email with the card ID and Approve / Decline links, the
 * execution waits, and nothing reaches PayLoco meanwhile. Then the person follows a link, as a
 * browser does: Approve sends the cancel once; Decline sends nothing and the agent reads the
 * refusal. The model is a scripted stand-in on 127.0.0.1 (test/helpers/fakeLlm.ts), the mail
 * server too (test/helpers/fakeSmtp.ts).
 *
 * The links are followed with a browser's User-Agent: n8n's send-and-wait webhook answers a bot
 * (isbot; Node's fetch sends "node") an empty 200 and leaves the execution waiting, so that mail
 * scanners and link previews do not approve (n8n-nodes-base utils/sendAndWait/utils.js).
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
import { sandboxCredentials, sentBody, verifiedByOpenssl } from '../helpers/payloco';
import { N8nHome, packPackage } from '../../e2e/harness/n8n';
import type { N8nServer } from '../../e2e/harness/n8n';

const REPO = path.resolve(__dirname, '../..');
const example = JSON.parse(fs.readFileSync(path.join(REPO, 'examples', 'agent-cancel-card-human-review.json'), 'utf8'));
const credentialOf = (nodeName: string, type: string) => example.nodes.find((n: { name: string }) => n.name === nodeName).credentials[type] as { id: string; name: string };
const HOOK_HEADER = 'X-PayLoco-Webhook-Key';
const HOOK_KEY = randomBytes(24).toString('base64url');
const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36';

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

const cancels = () => sandbox.requests.filter((r) => r.path.endsWith('/cards/cancel'));
const executionOf = async (id: string) => (await home.listExecutions({ workflowId: example.id })).find((e) => e.id === id);
const follow = async (link: string, userAgent = BROWSER) => {
	const res = await fetch(link, { headers: { 'user-agent': userAgent } });
	return { status: res.status, text: await res.text() };
};

/** Posts an alert whose scripted agent asks to cancel `card`; returns the email's links once the execution waits. */
async function alertWaitingForReview(card: string, marker: string) {
	// The scripted model calls the reviewed tool the way n8n offers it: the tool's own arguments under toolParameters.
	const text = `Card used in 3 countries in 5 minutes. SCRIPT:${JSON.stringify({ calls: [{ toolParameters: { cardId: card }, hitlParameters: {} }] })}`;
	const res = await fetch(`${server.url}/webhook/payloco-fraud-alert-agent`, {
		method: 'POST',
		headers: { 'content-type': 'application/json', [HOOK_HEADER]: HOOK_KEY },
		body: JSON.stringify({ alertId: marker, cardId: card, text }),
	});
	expect(res.status).toBe(200);

	// The person is asked by email; until they answer, PayLoco has seen nothing.
	const mail = await waitFor('the approval email', () => smtp.mails.find((m) => m.text.includes(marker)));
	expect(mail.to).toEqual(['<fraud-team@example.com>']);
	expect(mail.text).toContain(`{"cardId":"${card}"}`);
	const link = (approved: boolean) => new RegExp(`https?://[^\\s"'<>]*approved=${approved}[^\\s"'<>]*`).exec(mail.text)?.[0] ?? '';
	const approve = link(true);
	const decline = link(false);
	// The links point at this n8n's waiting webhooks (N8N_WEBHOOK_URL), signed: /webhook-waiting/<execution>/<review node>?approved=..&signature=..
	const review = example.nodes.find((n: { name: string }) => n.name === 'Ask Fraud Team').id as string;
	expect(approve).toMatch(new RegExp(`^${server.url}/webhook-waiting/\\d+/${review}\\?approved=true&signature=[0-9a-f]{64}$`));
	expect(decline).toMatch(new RegExp(`^${server.url}/webhook-waiting/\\d+/${review}\\?approved=false&signature=[0-9a-f]{64}$`));
	// The agent read the Cancel Card tool under its own name, with the owner's limits in its description.
	const shown = llm.requests.find((r) => r.prompt.includes(marker))?.tools ?? [];
	expect(shown.map((t) => t.function.name)).toEqual(['Cancel_Card']);
	expect(shown[0].function.description).toContain('at most 1 cancellation(s) or void(s) per execution; only card or order IDs found in the trigger\'s "body.cardId".');
	const executionId = /webhook-waiting\/(\d+)\//.exec(approve)![1];
	await waitFor('the waiting execution', async () => ((await executionOf(executionId))?.status === 'waiting' ? true : undefined));
	expect(cancels()).toEqual([]);
	expect(sandbox.effects).toEqual([]);
	return { approve, decline, executionId };
}

const finished = (executionId: string) =>
	waitFor('the resumed execution to finish', async () => {
		const e = await executionOf(executionId);
		return e && e.finished && e.stoppedAt ? e : undefined;
	});

beforeEach(() => sandbox.reset());

test('n8n 2.x human review, Approve: nothing is sent while the person has not answered; their Approve sends the cancel once, signed, and the agent finishes', async () => {
	const card = 'C-REVIEW-1';
	const marker = 'ALERT-REVIEW-1';
	const { approve, executionId } = await alertWaitingForReview(card, marker);

	// A link preview or mail scanner (a bot's User-Agent, here Node's fetch) approves nothing.
	expect(await follow(approve, 'node')).toEqual({ status: 200, text: '' });
	// A link whose query was changed fails n8n's signature check.
	expect((await follow(approve.replace('approved=true', 'approved=yes'))).status).toBe(401);
	expect((await executionOf(executionId))?.status).toBe('waiting');
	expect(cancels()).toEqual([]);

	const page = await follow(approve);
	expect(page.status).toBe(200);
	expect(page.text).toMatch(/<html/i);
	const done = await finished(executionId);
	expect(done.status).toBe('success');

	// The cancel reached PayLoco exactly once, signed by the merchant's key, and cancelled the card.
	expect(cancels()).toHaveLength(1);
	expect(sentBody(cancels()[0])).toMatchObject({ cardId: card, requestId: marker });
	expect(verifiedByOpenssl(cancels()[0], merchant)).toBe(true);
	expect(sandbox.effects).toEqual([expect.objectContaining({ kind: 'cardCancelled', id: card, requestKey: marker })]);
	// The agent read the tool's answer and finished its run with it.
	const results = llm.resultsOf(marker);
	expect(results).toHaveLength(1);
	expect(results[0]).toMatch(/"success\\?":\s*true/);
	expect(results[0]).toContain(card);

	// The link again, after the run: n8n answers "no action required", and nothing more is sent.
	expect((await follow(approve)).status).toBe(200);
	expect(cancels()).toHaveLength(1);
	expect(sandbox.effects).toHaveLength(1);
}, 240_000);

test('n8n 2.x human review, Decline: nothing reaches PayLoco and the agent reads that the person refused', async () => {
	const card = 'C-REVIEW-2';
	const marker = 'ALERT-REVIEW-2';
	const { decline, executionId } = await alertWaitingForReview(card, marker);

	const page = await follow(decline);
	expect(page.status).toBe(200);
	const done = await finished(executionId);
	expect(done.status).toBe('success');

	expect(sandbox.requests).toEqual([]);
	expect(sandbox.effects).toEqual([]);
	const results = llm.resultsOf(marker);
	expect(results).toHaveLength(1);
	expect(results[0]).toMatch(/User rejected the tool call to Cancel Card/);
	expect(results[0]).not.toMatch(/success/);
}, 240_000);
