/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
/**
 * The PayLoco node inside real n8n (1.x on Node 20, 2.x on Node 24), installed from this repo's
 * `npm pack` output into a fresh user folder's community-nodes folder, against the sandbox on
 * 127.0.0.1. One N8nHome per line, and one long-running `n8n start` serving (every n8n command
 * boots a whole n8n, so the workflows are imported by one command and activated over n8n's REST API):
 *
 *   1. one workflow that covers every sandbox scenario (Webhook → Code nodes producing items →
 *      PayLoco nodes with Continue On Fail), Cancel Card, Pre-Auth Void with a Chinese
 *      reqReserved, and Query Transaction, read back from the execution n8n stored;
 *   2. after the server has stopped, `n8n execute` (as users run it) of a workflow without
 *      Continue On Fail.
 *
 * The sandbox's raw bytes are the judge on the wire: every request's signature is checked with
 * the openssl command line over exactly the bytes received.
 *
 * Needs `npm run build` (dist/ is what gets packed) and `node scripts/install-n8n.js all`.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { startSandbox } from '../../sandbox/server';
import type { RequestRecord, Sandbox } from '../../sandbox/server';
import { rsaKeyPair } from '../helpers/keys';
import { sandboxCredentials, sentBody, STRICT, verifiedByOpenssl } from '../helpers/payloco';
import { N8nHome, packPackage, storedRun } from '../../e2e/harness/n8n';
import { RestSession } from '../../e2e/harness/rest';
import { nodeBuilder } from './workflow';
import type { N8nLine, N8nServer, RawRun } from '../../e2e/harness/n8n';

const CREDENTIAL = { id: 'payLocoSandbox', name: 'PayLoco Sandbox' };
const WORKFLOW_ID = 'payLocoNodeE2e01';
const STOP_WORKFLOW_ID = 'payLocoNodeE2e02';
const SLOW_MS = 2500; // the sandbox's SLOW- wait; the nodes' timeout (1000 ms, the option's minimum) is shorter
const REQ_RESERVED = '客户取消订单，释放预授权资金';



// ---------------------------------------------------------------------------------------------
// The workflow: a Webhook (answering at once) fans out to three branches, each a Code node making items and a
// PayLoco node (Continue On Fail) taking them. Node options are per node, hence a node per setting.

const { node, items, resetIds } = nodeBuilder('e2e0d000');
const payLoco = (name: string, parameters: object, x: number, y: number) =>
	node(name, 'n8n-nodes-payloco.payLoco', 1, x, y, {
		parameters,
		onError: 'continueRegularOutput',
		credentials: { payLocoApi: CREDENTIAL },
	});
const link = (...names: string[]) =>
	Object.fromEntries(names.slice(0, -1).map((from, i) => [from, { main: [[{ node: names[i + 1], type: 'main', index: 0 }]] }]));

/** Cancel Card over every scenario with retries off: one request per item, each fault seen as it is. */
interface Case {
	card: string;
	json: Record<string, unknown>;
	error?: RegExp;
	/** The sandbox applied the cancellation (even when the node could not trust the answer). */
	applied: boolean;
}

function catalogue(tag: string): Case[] {
	const fault = (fault: string, outcomeUnknown: boolean, extra: object = {}) => ({ success: false, fault, outcomeUnknown, attempts: 1, ...extra });
	const refusal = (code: string) => ({ success: false, status: 'FAILED', code, attempts: 1, traceId: expect.stringMatching(/\S/) });
	const ok = (status: string, code: string) => ({ success: true, status, code, attempts: 1, traceId: expect.stringMatching(/\S/) });
	return [
		{ card: `C-${tag}-ok1`, json: ok('SUCCESS', '00000000'), applied: true },
		{ card: `PENDING-${tag}`, json: { ...ok('PENDING', '00000003'), message: '处理中' }, applied: true },
		{ card: `FAIL-${tag}`, json: refusal('50000001'), error: /^PayLoco refused item \d+: 50000001 Transaction declined$/, applied: false },
		{ card: `UNKNOWN-${tag}`, json: refusal('30020001'), error: /^PayLoco refused item \d+: 30020001 /, applied: false },
		{ card: `STALE-${tag}`, json: refusal('10010002'), error: /^PayLoco refused item \d+: 10010002 .*2-minute window/, applied: false },
		{ card: `ERR500-${tag}`, json: fault('http', true, { httpStatus: 500 }), error: /^PayLoco's gateway answered HTTP 500 \[item \d+\]$/, applied: false },
		{ card: `ERR502-${tag}`, json: fault('http', true, { httpStatus: 502 }), error: /^PayLoco's gateway answered HTTP 502 \[item \d+\]$/, applied: false },
		{ card: `ERR503-${tag}`, json: fault('http', true, { httpStatus: 503 }), error: /^PayLoco's gateway answered HTTP 503 \[item \d+\]$/, applied: false },
		{ card: `RATE429-${tag}`, json: fault('rateLimited', false, { httpStatus: 429 }), error: /^PayLoco is rate limiting requests \(HTTP 429\) \[item \d+\]$/, applied: false },
		{ card: `SLOW-${tag}`, json: fault('timeout', true), error: /^PayLoco did not answer within the timeout; the request may have been applied \[item \d+\]$/, applied: false },
		{ card: `HTML-${tag}`, json: fault('html', true), error: /^PayLoco's answer was an HTML page .*the outcome is unknown \[item \d+\]$/, applied: false },
		{ card: `EMPTY-${tag}`, json: fault('empty', true), error: /^PayLoco's answer was empty, .*the outcome is unknown \[item \d+\]$/, applied: false },
		{ card: `NOTJSON-${tag}`, json: fault('notJson', true), error: /^PayLoco's answer was not JSON, .*the outcome is unknown \[item \d+\]$/, applied: false },
		{ card: `NOTRACE-${tag}`, json: fault('malformed', true), error: /without a traceId.*the outcome is unknown \[item \d+\]$/, applied: true },
		{ card: `BADSIG-${tag}`, json: fault('badSignature', true), error: /failed signature verification .*the outcome is unknown \[item \d+\]$/, applied: true },
		{ card: `NOSIG-${tag}`, json: fault('missingSignature', true), error: /has no signature header.*the outcome is unknown \[item \d+\]$/, applied: true },
		{ card: `RESET-${tag}`, json: fault('reset', true), error: /^The connection to PayLoco was cut before its answer arrived; the request may have been applied \[item \d+\]$/, applied: false },
		// The code says OK, but the status (or PayLoco's own success flag) says the card was not cancelled.
		{ card: `OKFAILED-${tag}`, json: { ...refusal('00000000'), message: 'Success' }, error: /^PayLoco refused item \d+: status FAILED \(code 00000000 Success\)$/, applied: false },
		// PayLoco's own success: false against code and status SUCCESS is not positively a refusal: unknown.
		{ card: `FALSEOK-${tag}`, json: { ...fault('unclear', true), code: '00000000', status: 'SUCCESS' }, error: /^PayLoco's answer does not say whether the request was applied \(code 00000000, status SUCCESS, success false\); the outcome is unknown \[item \d+\]$/, applied: false },
		// A signed answer about another card is no answer about this one.
		{ card: `OTHERID-${tag}`, json: fault('otherRequest', true), error: /^PayLoco's answer is about another request \(cardId "ANOTHER-\w+", but "OTHERID-L\d-?\w*" was sent\).*the outcome is unknown \[item \d+\]$/, applied: true },
		{ card: `C-${tag}-ok2`, json: ok('SUCCESS', '00000000'), applied: true },
	];
}

const FLAKY = ['FLAKY500', 'FLAKY429', 'FLAKYRESET', 'FLAKYSLOW'];

function workflowFor(tag: string) {
	resetIds();
	const cases = catalogue(tag);
	const voids = [
		{ mo: `V-${tag}-ok`, ori: `PA-AUTO-${tag}-1`, cur: 'USD', amt: '100.01', note: REQ_RESERVED },
		{ mo: `PENDING-V-${tag}`, ori: `PA-AUTO-${tag}-2`, cur: 'CNY', amt: '88', note: REQ_RESERVED },
		{ mo: `FAIL-V-${tag}`, ori: `PA-AUTO-${tag}-3`, cur: 'JPY', amt: '500', note: '' },
	];
	const nodes = [
		node('Start', 'n8n-nodes-base.webhook', 2, 0, 300, {
			parameters: { httpMethod: 'POST', path: `payloco-node-e2e-${tag}`, responseMode: 'onReceived', options: {} },
			webhookId: `e2e0d000-0000-4000-8000-00000000000${tag.slice(1)}`,
		}),
		items('Scenario Cards', cases.map((c) => ({ card: c.card })), 220, 0),
		payLoco('Cancel Catalogue', { resource: 'card', operation: 'cancel', cardId: '={{ $json.card }}', options: { retry: false, timeout: 1000 } }, 440, 0),
		// The last one: applied, answered too late, and the retry refused as a duplicate.
		items('Flaky Cards', [...FLAKY, 'TIMEOUTDUP'].map((s) => ({ card: `${s}-${tag}` })), 220, 200),
		payLoco('Cancel With Retries', {
			resource: 'card',
			operation: 'cancel',
			cardId: '={{ $json.card }}',
			requestId: '={{ "alert-" + $json.card }}',
			transType: 'VCC',
			options: { retry: true, maxAttempts: 3, timeout: 1000 },
		}, 440, 200),
		items('Cancelled Orders', voids, 220, 400),
		payLoco('Void Pre-Auth', {
			resource: 'payment',
			operation: 'preAuthVoid',
			merchantOrderId: '={{ $json.mo }}',
			oriMerchantOrderId: '={{ $json.ori }}',
			currency: '={{ $json.cur }}',
			transAmt: '={{ $json.amt }}',
			additionalFields: { reqReserved: '={{ $json.note }}' },
			options: { retry: false },
		}, 440, 400),
		// Follows the voids: the voided pre-auth (CLOSED), the void order by merchantOrderId and by
		// PayLoco's orderId, an unknown order (refused), and a PENDING- order the query itself creates.
		node('Lookups', 'n8n-nodes-base.code', 2, 660, 400, {
			parameters: {
				jsCode: [
					'const done = $input.first().json;',
					'return [',
					`  { json: { mo: ${JSON.stringify(voids[0].ori)} } },`,
					'  { json: { mo: done.merchantOrderId } },',
					'  { json: { orderId: done.data.orderId } },',
					`  { json: { mo: ${JSON.stringify(`MISSING-${tag}`)} } },`,
					`  { json: { mo: ${JSON.stringify(`PENDING-Q-${tag}`)} } },`,
					'];',
				].join('\n'),
			},
		}),
		payLoco('Query', {
			resource: 'payment',
			operation: 'query',
			merchantOrderId: '={{ $json.mo ?? "" }}',
			orderId: '={{ $json.orderId ?? "" }}',
			options: { retry: false },
		}, 880, 400),
	];
	const workflow = {
		id: WORKFLOW_ID,
		name: 'PayLoco node e2e',
		active: false,
		settings: { executionOrder: 'v1' },
		nodes,
		connections: {
			Start: {
				main: [
					['Scenario Cards', 'Flaky Cards', 'Cancelled Orders'].map((n) => ({ node: n, type: 'main', index: 0 })),
				],
			},
			...link('Scenario Cards', 'Cancel Catalogue'),
			...link('Flaky Cards', 'Cancel With Retries'),
			...link('Cancelled Orders', 'Void Pre-Auth', 'Lookups', 'Query'),
		},
	};
	return { workflow, cases, voids };
}

/** Without Continue On Fail: the third card fails, and the error must name the two already cancelled. */
function stopWorkflowFor(tag: string) {
	const stop = nodeBuilder('e2e0d001');
	const cards = [`C-${tag}-stop0`, `PENDING-${tag}-stop1`, `FAIL-${tag}-stop2`, `C-${tag}-stop3`, `C-${tag}-stop4`];
	const workflow = {
		id: STOP_WORKFLOW_ID,
		name: 'PayLoco node e2e: stop on error',
		active: false,
		settings: { executionOrder: 'v1' },
		nodes: [
			stop.node('Start', 'n8n-nodes-base.manualTrigger', 1, 0, 0),
			stop.items('Alert Cards', cards.map((card) => ({ card })), 220, 0),
			stop.node('Cancel Until Failure', 'n8n-nodes-payloco.payLoco', 1, 440, 0, {
				parameters: { resource: 'card', operation: 'cancel', cardId: '={{ $json.card }}', requestId: '={{ "alert-" + $json.card }}', options: { concurrency: 1 } },
				credentials: { payLocoApi: CREDENTIAL },
			}),
		],
		connections: { Start: { main: [[{ node: 'Alert Cards', type: 'main', index: 0 }]] }, ...link('Alert Cards', 'Cancel Until Failure') },
	};
	return { workflow, cards };
}

/** The items a node emitted, with their pairedItem, from a run (stored, or `n8n execute --rawOutput`). */
function emitted(result: RawRun | undefined, name: string) {
	const main = result?.data.resultData.runData[name]?.[0]?.data?.main?.[0] ?? [];
	return main.map((item) => ({ json: item.json, pairedItem: (item as { pairedItem?: unknown }).pairedItem }));
}

// ---------------------------------------------------------------------------------------------

const merchant = rsaKeyPair();
let sandbox: Sandbox;
let tmp: string;
let tgz: string;

beforeAll(async () => {
	// No idempotent replays: a second send of an applied item would show as a refusal.
	sandbox = await startSandbox({ merchantPublicKey: merchant.publicPem, slowMs: SLOW_MS, notifyDelayMs: 500, ...STRICT });
	tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'payloco-node-e2e-'));
	tgz = packPackage(tmp);
}, 60_000);

afterAll(async () => {
	await sandbox?.close();
	if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/** Requests whose scenario ID field (cardId / merchantOrderId) is `id`. */
const requestsFor = (id: string) =>
	sandbox.requests.filter((r) => {
		const body = r.rawBody.length ? sentBody(r) : {};
		return body.cardId === id || body.merchantOrderId === id;
	});

async function settled(records: RequestRecord[], timeoutMs = 10_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (records.some((r) => r.outcome === 'received') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
}

describe.each([1, 2] as N8nLine[])('PayLoco node in real n8n %i.x', (line) => {
	const tag = `L${line}`;
	const { workflow, cases, voids } = workflowFor(tag);
	const stopped = stopWorkflowFor(tag);
	let home: N8nHome;
	const timings: Record<string, number> = {};
	let since = Date.now();
	const lap = (what: string) => {
		timings[what] = Date.now() - since;
		since = Date.now();
	};

	beforeAll(async () => {
		if (!tgz) throw new Error('no package to install (see the first error)');
		sandbox.reset();
		since = Date.now();
		home = await N8nHome.create(line, { packageTgz: tgz });
		lap('create home + install package');
		await home.importCredentials([
			{
				...CREDENTIAL,
				type: 'payLocoApi',
				data: sandboxCredentials(sandbox, merchant),
			},
		]);
		lap('import credential');
		await home.importWorkflow([workflow, stopped.workflow]);
		lap('import 2 workflows');
	}, 300_000);

	afterAll(async () => {
		await home?.dispose();
		console.log(`n8n ${line}.x timings (ms): ${JSON.stringify(timings)}`);
	}, 60_000);

	describe('served by one long-running n8n start', () => {
		let server: N8nServer;

		beforeAll(async () => {
			since = Date.now();
			server = await home.start();
			lap('n8n start');
			const rest = await RestSession.asOwner(server);
			await rest.activate(home, [WORKFLOW_ID]);
			lap('activate the workflow over REST');
		}, 240_000);

		afterAll(async () => {
			since = Date.now();
			await server?.stop();
			lap('n8n stop');
		}, 60_000);

		test('one run covers every sandbox scenario, Cancel Card, Pre-Auth Void and Query', async () => {
			sandbox.reset();
			since = Date.now();
			const hook = await fetch(`${server.url}/webhook/payloco-node-e2e-${tag}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
			expect(hook.status).toBe(200);
			// n8n stored the run (mode "webhook"); its data is what `n8n execute --rawOutput` would print.
			const [execution] = await home.waitForExecutions(WORKFLOW_ID, 1, 120_000);
			lap('webhook run');
			const [stored] = await home.listExecutions({ workflowId: WORKFLOW_ID, withData: true });
			expect([stored.id, stored.mode, stored.status]).toEqual([execution.id, 'webhook', 'success']);
			const result = storedRun(stored);
			expect(result.data.resultData.error).toBeUndefined();

			// --- The catalogue: one item per scenario, in input order, paired with its input.
			const out = emitted(result, 'Cancel Catalogue');
			expect(out.map((o) => o.pairedItem)).toEqual(cases.map((_, i) => ({ item: i })));
			cases.forEach((c, i) => {
				const json = out[i].json;
				expect({ card: c.card, json }).toEqual({ card: c.card, json: expect.objectContaining({ ...c.json, cardId: c.card }) });
				if (c.error) expect({ card: c.card, error: json.error }).toEqual({ card: c.card, error: expect.stringMatching(c.error) });
				else expect(json.error).toBeUndefined();
				if (c.error) expect(String(json.error)).toContain(`item ${i}`);
				// Generated requestIds: PayLoco-safe, one per item.
				expect(json.requestId).toMatch(/^n8n[0-9a-f]{29}$/);
			});
			expect(new Set(out.map((o) => o.json.requestId)).size).toBe(cases.length);

			// Exactly one request per catalogue item (retries are off), carrying the output's requestId.
			const slow = requestsFor(`SLOW-${tag}`);
			await settled(slow, SLOW_MS * 3);
			cases.forEach((c, i) => {
				const sent = requestsFor(c.card);
				expect({ card: c.card, requests: sent.length }).toEqual({ card: c.card, requests: 1 });
				expect(sentBody(sent[0])).toMatchObject({ cardId: c.card, requestId: out[i].json.requestId, transType: 'PAY', accessType: 's2s' });
			});
			// The SLOW- item: the node gave up at its 1 s timeout, so the sandbox found nobody listening.
			expect(slow[0].outcome).toBe('abandoned:SLOW');
			const cancelled = sandbox.effects.filter((e) => e.kind === 'cardCancelled').map((e) => e.id);
			for (const c of cases) expect({ card: c.card, applied: cancelled.includes(c.card) }).toEqual({ card: c.card, applied: c.applied });

			// --- FLAKY*: the node's own retry, same requestId, one effect each, two attempts.
			const flaky = emitted(result, 'Cancel With Retries');
			expect(flaky.map((o) => o.pairedItem)).toEqual([...FLAKY, 'TIMEOUTDUP'].map((_, i) => ({ item: i })));
			FLAKY.forEach((s, i) => {
				const card = `${s}-${tag}`;
				expect(flaky[i].json).toEqual({
					success: true,
					status: 'SUCCESS',
					code: '00000000',
					message: 'Success',
					traceId: expect.stringMatching(/\S/),
					cardId: card,
					requestId: `alert-${card}`,
					attempts: 2,
					attemptResults: [
						{ attempt: 1, fault: { FLAKY500: 'http', FLAKY429: 'rateLimited', FLAKYRESET: 'reset', FLAKYSLOW: 'timeout' }[s], ...(s === 'FLAKY500' ? { httpStatus: 500 } : s === 'FLAKY429' ? { httpStatus: 429 } : {}) },
						{ attempt: 2, status: 'SUCCESS', code: '00000000', traceId: flaky[i].json.traceId },
					],
				});
				const sent = requestsFor(card);
				expect({ card, requests: sent.length }).toEqual({ card, requests: 2 });
				expect(sent.map((r) => sentBody(r).requestId)).toEqual([`alert-${card}`, `alert-${card}`]);
				expect(sentBody(sent[0]).transType).toBe('VCC');
				expect(sent[0].headers.signature).not.toBe(sent[1].headers.signature);
				expect(sandbox.effects.filter((e) => e.id === card)).toEqual([expect.objectContaining({ kind: 'cardCancelled', requestKey: `alert-${card}` })]);
			});
			// TIMEOUTDUP-: a timeout, then "duplicate" for the same ID, is an unknown outcome, not a refusal.
			const dup = flaky[FLAKY.length].json;
			const dupCard = `TIMEOUTDUP-${tag}`;
			expect(dup).toMatchObject({ success: false, outcomeUnknown: true, fault: 'timeout', code: '40050001', attempts: 2, cardId: dupCard, requestId: `alert-${dupCard}` });
			expect(String(dup.error)).toMatch(/^The outcome of item 4 is unknown: an earlier attempt \(timeout\) may have been applied, and PayLoco now answers 40050001 /);
			expect(dup.attemptResults).toEqual([{ attempt: 1, fault: 'timeout' }, { attempt: 2, status: 'FAILED', code: '40050001', traceId: expect.stringMatching(/\S/) }]);
			expect(requestsFor(dupCard).map((r) => sentBody(r).requestId)).toEqual([`alert-${dupCard}`, `alert-${dupCard}`]);
			expect(sandbox.effects.filter((e) => e.id === dupCard)).toHaveLength(1);

			// --- Pre-Auth Void: success, PENDING, decline; the Chinese reqReserved crosses the wire as UTF-8.
			const voided = emitted(result, 'Void Pre-Auth');
			expect(voided.map((o) => o.pairedItem)).toEqual(voids.map((_, i) => ({ item: i })));
			expect(voided.map((o) => o.json)).toEqual([
				expect.objectContaining({ success: true, status: 'SUCCESS', code: '00000000', merchantOrderId: voids[0].mo, oriMerchantOrderId: voids[0].ori, attempts: 1 }),
				expect.objectContaining({ success: true, status: 'PENDING', code: '00000003', merchantOrderId: voids[1].mo, oriMerchantOrderId: voids[1].ori }),
				expect.objectContaining({ success: false, status: 'FAILED', code: '50000001', merchantOrderId: voids[2].mo, error: expect.stringMatching(/^PayLoco refused item 2: 50000001/) }),
			]);
			for (const o of voided) expect(o.json.traceId).toMatch(/\S/);
			expect(voided[0].json.data).toMatchObject({ status: 'SUCCESS', merchantOrderId: voids[0].mo, currency: 'USD', transAmt: '100.01', orderId: expect.stringMatching(/\S/) });
			voids.forEach((v) => {
				const [sent] = requestsFor(v.mo);
				const body = sentBody(sent);
				expect(body).toMatchObject({ merchantOrderId: v.mo, oriMerchantOrderId: v.ori, currency: v.cur, transAmt: v.amt });
				if (v.note) expect(sent.rawBody.includes(Buffer.from(`"reqReserved":"${REQ_RESERVED}"`, 'utf8'))).toBe(true);
				else expect(body.reqReserved).toBeUndefined();
				expect(body.merchantOrderTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}(Z|[+-]\d\d:\d\d)$/);
			});
			expect(sandbox.effects.filter((e) => e.kind === 'preAuthVoided').map((e) => e.requestKey).sort()).toEqual([voids[0].mo, voids[1].mo].sort());

			// --- Query Transaction.
			const queried = emitted(result, 'Query');
			expect(queried.map((o) => o.pairedItem)).toEqual([0, 1, 2, 3, 4].map((item) => ({ item })));
			const orderId = (voided[0].json.data as { orderId: string }).orderId;
			expect(queried.map((o) => o.json)).toEqual([
				expect.objectContaining({ success: true, code: '00000000', status: 'CLOSED', final: true, merchantOrderId: voids[0].ori }),
				expect.objectContaining({ success: true, code: '00000000', status: 'SUCCESS', final: true, merchantOrderId: voids[0].mo, data: expect.objectContaining({ orderId, payMethod: 'CARD' }) }),
				expect.objectContaining({ success: true, code: '00000000', status: 'SUCCESS', final: true, orderId, data: expect.objectContaining({ merchantOrderId: voids[0].mo }) }),
				expect.objectContaining({ success: false, code: '40040001', error: expect.stringMatching(/^PayLoco refused item 3: 40040001/) }),
				expect.objectContaining({ success: true, code: '00000003', status: 'PENDING', final: false, merchantOrderId: `PENDING-Q-${tag}` }),
			]);
			for (const o of queried) expect(o.json.traceId).toMatch(/\S/);

			// --- Every request n8n sent is signed over exactly the bytes that arrived (openssl decides).
			const all = sandbox.requests;
			expect(all.length).toBe(cases.length + 2 * (FLAKY.length + 1) + voids.length + 5);
			for (const r of all) {
				expect({ path: r.path, verified: verifiedByOpenssl(r, merchant) }).toEqual({ path: r.path, verified: true });
				expect(r.headers['content-type']).toMatch(/^application\/json/);
				expect(sentBody(r)).toMatchObject({ charset: 'UTF-8', version: '2.0.0', signType: 'RSA', keyVersion: '1', merchantId: 'M20230105586637', memberId: '2023010558663764' });
			}
		}, 180_000);
	});

	test('without Continue On Fail, the error that stops the run names every card already cancelled', async () => {
		sandbox.reset();
		since = Date.now();
		const run = await home.execute(STOP_WORKFLOW_ID);
		lap('n8n execute (stop)');
		expect(run.exitCode).not.toBe(0);
		const nodeRun = run.json?.data.resultData.runData['Cancel Until Failure']?.[0];
		expect(nodeRun?.error?.message).toBe('PayLoco refused item 2: 50000001 Transaction declined');
		const { cards } = stopped;
		// Exactly the first three cards reached PayLoco, once each; nothing after the failure.
		expect(sandbox.requests.map((r) => sentBody(r).cardId)).toEqual(cards.slice(0, 3));
		const traceId = (i: number) => JSON.parse(String(sandbox.requests[i].response)).traceId;
		expect(nodeRun?.error?.description).toContain(
			[
				'3 item(s) had already been sent: 2 applied or pending, 0 with an unknown outcome:',
				`- item 0 (cardId ${cards[0]}, requestId alert-${cards[0]}): applied, status SUCCESS, traceId ${traceId(0)}`,
				`- item 1 (cardId ${cards[1]}, requestId alert-${cards[1]}): pending, status PENDING, traceId ${traceId(1)}`,
				`- item 2 (cardId ${cards[2]}, requestId alert-${cards[2]}): refused, 50000001 Transaction declined, traceId ${traceId(2)}`,
				'2 item(s) were not sent: 3-4.',
			].join('\n'),
		);
		expect(sandbox.effects.map((e) => e.id)).toEqual(cards.slice(0, 2));
		for (const r of sandbox.requests) expect(verifiedByOpenssl(r, merchant)).toBe(true);
		const stored = await home.listExecutions({ workflowId: STOP_WORKFLOW_ID });
		expect(stored.map((e) => [e.mode, e.status])).toEqual([['cli', 'error']]);
	}, 120_000);
});

