/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
/**
 * Exactly once across a crash (issue #19): one long-running `n8n start` per line (SQLite), killed
 * with SIGKILL in the middle of a batch, started again, and the same batch run again (a new
 * execution of the same workflow on the same input, as an operator or a resending alert sender
 * would). The sandbox does not deduplicate: a card sent twice would meet "already cancelled", and
 * its request log says which card came under which request ID.
 *
 * Then the same alert delivered twice to the example chargeback workflow, one delivery after the
 * other (the "minutes apart" of a resending sender, simulated by sequential deliveries), and a
 * timeout in one execution followed by "duplicate" in the next.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { startSandbox } from '../../sandbox/server';
import type { Sandbox } from '../../sandbox/server';
import { N8nHome, outputOf, packPackage, storedRun } from '../../e2e/harness/n8n';
import type { N8nExecution, N8nLine, N8nServer } from '../../e2e/harness/n8n';
import { isDone } from '../../e2e/harness/database';
import { sleep } from '../../e2e/harness/process';
import { RestSession } from '../../e2e/harness/rest';
import { rsaKeyPair } from '../helpers/keys';
import { sandboxCredentials, sentBody, verifiedByOpenssl } from '../helpers/payloco';
import { nodeBuilder } from './workflow';

const REPO = path.resolve(__dirname, '..', '..');
const example = JSON.parse(fs.readFileSync(path.join(REPO, 'examples', 'chargeback-alert-cancel-card.json'), 'utf8'));
type ExampleNode = { name: string; type: string; parameters: Record<string, unknown>; credentials?: Record<string, { id: string }> };
const exampleNode = (type: string) => (example.nodes as ExampleNode[]).find((n) => n.type === type)!;
const EXAMPLE_HOOK = exampleNode('n8n-nodes-base.webhook');
const EXAMPLE_PAYLOCO = exampleNode('n8n-nodes-payloco.payLoco');
const HOOK_AUTH = { name: 'X-PayLoco-Webhook-Key', value: randomBytes(24).toString('base64url') };

const BATCH = 40;
/** The sandbox applies a cancel at once and answers this much later: the batch is still going when n8n is killed. */
const LATENCY_MS = 150;
const CANCEL_NODE = 'Cancel Cards';

const merchant = rsaKeyPair();
let sandbox: Sandbox;
let tmp: string;
let tgz: string;

beforeAll(async () => {
	sandbox = await startSandbox({ merchantPublicKey: merchant.publicPem, latencyMs: LATENCY_MS, slowMs: 4000, replays: false });
	tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'payloco-crash-e2e-'));
	tgz = packPackage(tmp);
}, 60_000);

afterAll(async () => {
	await sandbox?.close();
	if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/** Webhook (answers at once) → the cards → Cancel Card with Continue On Fail, Request ID generated or mapped. */
function batchWorkflow(id: string, prefix: string, hookPath: string, cards: string[], requestId: string, timeout?: number) {
	const { node, items } = nodeBuilder(prefix);
	const link = (...names: string[]) =>
		Object.fromEntries(names.slice(0, -1).map((from, i) => [from, { main: [[{ node: names[i + 1], type: 'main', index: 0 }]] }]));
	const options: Record<string, unknown> = { concurrency: 2 };
	if (timeout) Object.assign(options, { timeout, retry: false });
	const nodes = [
		node('Start Batch', 'n8n-nodes-base.webhook', 2, 0, 0, {
			webhookId: `${id}-hook`,
			parameters: { httpMethod: 'POST', path: hookPath, responseMode: 'onReceived', options: {} },
		}),
		items('Cards', cards.map((cardId) => ({ cardId })), 220, 0),
		node(CANCEL_NODE, 'n8n-nodes-payloco.payLoco', 1, 440, 0, {
			parameters: { resource: 'card', operation: 'cancel', cardId: '={{ $json.cardId }}', requestId, options },
			credentials: { payLocoApi: { id: 'plCrash', name: 'plCrash' } },
			onError: 'continueRegularOutput',
		}),
	];
	return { id, name: id, active: false, settings: { executionOrder: 'v1' }, nodes, connections: link('Start Batch', 'Cards', CANCEL_NODE) };
}

const cancelsOf = (cards: Set<string>) => sandbox.requests.filter((r) => r.path.endsWith('/cards/cancel') && cards.has(String(sentBody(r).cardId)));
const effectsOf = (cards: Set<string>) => sandbox.effects.filter((e) => e.kind === 'cardCancelled' && cards.has(e.id));

describe.each([1, 2] as N8nLine[])('n8n %i.x killed mid-batch, then the same batch again', (line) => {
	let home: N8nHome;
	let server: N8nServer;
	const cardsOf = (tag: string) => Array.from({ length: BATCH }, (_, i) => `K${line}${tag}${String(i).padStart(2, '0')}`);
	const generatedCards = cardsOf('G');
	const mappedCards = cardsOf('M');
	const generated = batchWorkflow(`plCrashGen${line}`, 'c0a5e001', `crash-gen-${line}`, generatedCards, '');
	const mapped = batchWorkflow(`plCrashMap${line}`, 'c0a5e002', `crash-map-${line}`, mappedCards, '={{ $json.cardId }}-ALERT');
	const timeoutCard = `TIMEOUTDUP-K${line}T`;
	const timed = batchWorkflow(`plCrashTime${line}`, 'c0a5e003', `crash-time-${line}`, [timeoutCard], '', 1000);

	beforeAll(async () => {
		home = await N8nHome.create(line, { packageTgz: tgz });
		await home.importCredentials([
			{ id: 'plCrash', name: 'plCrash', type: 'payLocoApi', data: sandboxCredentials(sandbox, merchant) },
			{ id: EXAMPLE_PAYLOCO.credentials!.payLocoApi.id, name: 'PayLoco example', type: 'payLocoApi', data: sandboxCredentials(sandbox, merchant) },
			{ id: EXAMPLE_HOOK.credentials!.httpHeaderAuth.id, name: 'PayLoco example webhook key', type: 'httpHeaderAuth', data: HOOK_AUTH },
		]);
		// One import for the four, and activation on the running server over n8n's REST API (as the
		// editor's toggle does): a CLI command per workflow and per activation would boot n8n 8 times.
		// Active workflows stay active in the database, so every restart below registers them again.
		const workflows = [generated, mapped, timed, example];
		await home.importWorkflow(workflows);
		server = await home.start();
		const rest = await RestSession.asOwner(server);
		await rest.activate(home, workflows.map((wf) => wf.id));
	}, 300_000);

	afterAll(async () => {
		await home?.dispose();
	}, 120_000);

	const post = (hookPath: string, body: object = {}, headers: Record<string, string> = {}) =>
		fetch(`${server.url}/webhook/${hookPath}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

	/**
	 * Waits until an execution of the workflow other than `known` is done, and returns it with its
	 * data. Not one n8n marked crashed: the killed one, which n8n 1.x marks so at its next start.
	 */
	async function nextExecution(workflowId: string, known: Set<string>): Promise<N8nExecution> {
		const deadline = Date.now() + 180_000;
		for (;;) {
			const all = await home.listExecutions({ workflowId, withData: true });
			const fresh = all.find((e) => !known.has(e.id) && isDone(e) && e.status !== 'crashed');
			if (fresh) return fresh;
			if (Date.now() > deadline) throw new Error(`no finished execution of ${workflowId}: ${JSON.stringify(all.map((e) => [e.id, e.status]))}`);
			await sleep(300);
		}
	}

	test.each([
		['left empty (generated)', () => generated, () => generatedCards, `crash-gen-${line}`],
		['mapped from the alert', () => mapped, () => mappedCards, `crash-map-${line}`],
	])('Request ID %s: every card cancelled once, under one ID; the rerun finishes every item; cards done before the crash come out as applied earlier', async (_label, wf, cardList, hookPath) => {
		const cards = new Set(cardList());
		const workflowId = wf().id;
		expect((await post(hookPath)).status).toBe(200);
		const deadline = Date.now() + 120_000;
		while (effectsOf(cards).length < BATCH / 4 && Date.now() < deadline) await sleep(20);
		await server.kill('SIGKILL');
		const known = new Set((await home.listExecutions({ workflowId })).map((e) => e.id));
		server = await home.start();
		// Read only now, seconds after the kill: a request the dead process had already written to its
		// socket reaches the sandbox (in this busy jest process) late, and is applied all the same.
		const doneBeforeCrash = new Set(effectsOf(cards).map((e) => e.id));
		expect(doneBeforeCrash.size).toBeGreaterThan(0);
		expect(doneBeforeCrash.size).toBeLessThan(BATCH);
		expect((await post(hookPath)).status).toBe(200);
		const rerun = await nextExecution(workflowId, known);
		const out = outputOf(storedRun(rerun), CANCEL_NODE);

		// The sandbox's log is the judge: one cancellation per card, one request ID per card.
		const perCard = new Map<string, number>();
		for (const e of effectsOf(cards)) perCard.set(e.id, (perCard.get(e.id) ?? 0) + 1);
		expect([...cards].filter((c) => perCard.get(c) !== 1)).toEqual([]);
		const ids = new Map<string, Set<string>>();
		for (const r of cancelsOf(cards)) ids.set(String(sentBody(r).cardId), (ids.get(String(sentBody(r).cardId)) ?? new Set()).add(String(sentBody(r).requestId)));
		expect([...ids.entries()].filter(([, s]) => s.size !== 1)).toEqual([]);
		expect(cancelsOf(cards).filter((r) => !verifiedByOpenssl(r, merchant))).toEqual([]);

		// The rerun finished every item; none done before the crash is reported as refused.
		if (out.length !== BATCH) {
			const all = (await home.listExecutions({ workflowId })).map((e) => [e.id, e.status, e.mode, e.startedAt, e.stoppedAt]);
			throw new Error(`the rerun (execution ${rerun.id}, ${rerun.status}) has ${out.length} items of ${CANCEL_NODE}; known before the restart: ${[...known].join(',')}; now: ${JSON.stringify(all)}`);
		}
		const byCard = new Map(out.map((json) => [String(json.cardId), json]));
		const earlier = [...doneBeforeCrash].map((c) => byCard.get(c)!);
		const appliedEarlier = earlier.filter((j) => j.appliedEarlier === true && j.success === true && j.sent === false);
		// A card whose answer died with the process was recorded as sent only: sent again under its ID,
		// PayLoco says "already cancelled", and the node reports outcome unknown (applied earlier, probably).
		const probably = earlier.filter((j) => j.outcomeUnknown === true && j.probablyAppliedEarlier === true && j.code === '30020002');
		expect(appliedEarlier.length + probably.length).toBe(doneBeforeCrash.size);
		expect(appliedEarlier.length).toBeGreaterThan(0);
		const rest = out.filter((j) => !doneBeforeCrash.has(String(j.cardId)));
		expect(rest.filter((j) => !(j.success === true && j.status === 'SUCCESS'))).toEqual([]);
		console.log(
			`n8n ${line}.x, Request ID ${_label}: ${doneBeforeCrash.size} of ${BATCH} cards cancelled before SIGKILL; rerun: ` +
				`${appliedEarlier.length} applied earlier (not sent), ${probably.length} outcome unknown (sent before, answer lost in the crash), ` +
				`${rest.length} sent and applied now; cancellations ${effectsOf(cards).length}, requests ${cancelsOf(cards).length}`,
		);
	}, 600_000);

	test('a timeout in one execution, then a duplicate refusal in the next: outcome unknown, not refused', async () => {
		const cards = new Set([timeoutCard]);
		let known = new Set((await home.listExecutions({ workflowId: timed.id })).map((e) => e.id));
		expect((await post(`crash-time-${line}`)).status).toBe(200);
		const first = await nextExecution(timed.id, known);
		expect(outputOf(storedRun(first), CANCEL_NODE)[0]).toMatchObject({ success: false, outcomeUnknown: true, fault: 'timeout' });
		known = new Set([...known, first.id]);
		expect((await post(`crash-time-${line}`)).status).toBe(200);
		const second = await nextExecution(timed.id, known);
		expect(outputOf(storedRun(second), CANCEL_NODE)[0]).toMatchObject({
			success: false, outcomeUnknown: true, code: '40050001', probablyAppliedEarlier: true, sentEarlier: true,
		});
		expect(new Set(cancelsOf(cards).map((r) => sentBody(r).requestId)).size).toBe(1);
		expect(effectsOf(cards)).toHaveLength(1);
	}, 300_000);

	test('the same alert delivered twice to the example workflow (one after the other): one cancellation', async () => {
		const card = `K${line}ALERTCARD`;
		const alert = { alertId: `ALERT-${line}-${randomBytes(4).toString('hex')}`, cardId: card, reason: 'fraud' };
		const hook = String(EXAMPLE_HOOK.parameters.path);
		const headers = { [HOOK_AUTH.name]: HOOK_AUTH.value };
		const firstAnswer = await post(hook, alert, headers);
		const secondAnswer = await post(hook, alert, headers);
		const cards = new Set([card]);
		expect(effectsOf(cards)).toHaveLength(1);
		expect(new Set(cancelsOf(cards).map((r) => sentBody(r).requestId)).size).toBe(1);
		console.log(`n8n ${line}.x example workflow, one alert twice: HTTP ${firstAnswer.status} then ${secondAnswer.status}; ${cancelsOf(cards).length} request(s), ${effectsOf(cards).length} cancellation(s); second answer: ${(await secondAnswer.text()).slice(0, 300)}`);
	}, 120_000);
});
