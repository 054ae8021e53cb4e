/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
/**
 * Preview, Wait for Final Status and clock-drift correction inside real n8n (1.x on Node 20, 2.x
 * on Node 24), installed from this repo's `npm pack` output, in one `n8n execute` per line. Four
 * sandboxes on 127.0.0.1, one credential each: one on this machine's clock, one 3 minutes ahead,
 * one 3 minutes behind, one 20 s off.
 *
 * Needs `npm run build` and `node scripts/install-n8n.js all`.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { startSandbox } from '../../sandbox/server';
import type { Sandbox } from '../../sandbox/server';
import { rsaKeyPair } from '../helpers/keys';
import { opensslSign } from '../helpers/openssl';
import { sandboxCredentials, sentBody, verifiedByOpenssl } from '../helpers/payloco';
import { N8nHome, packPackage } from '../../e2e/harness/n8n';
import type { N8nLine, RawRun } from '../../e2e/harness/n8n';
import { nodeBuilder } from './workflow';

const WORKFLOW_ID = 'payLocoFeatE2e01';
const MIN3 = 180_000;
const CLOCKS = { main: 0, ahead: MIN3, behind: -MIN3, near: 20_000 } as const;
type Clock = keyof typeof CLOCKS;
const credential = (clock: Clock) => ({ id: `payLocoFeat${clock}`, name: `PayLoco ${clock}` });

const { node, items, resetIds } = nodeBuilder('e2e0f000');
const payLoco = (name: string, clock: Clock, parameters: object, x: number, y: number) =>
	node(name, 'n8n-nodes-payloco.payLoco', 1, x, y, { parameters, onError: 'continueRegularOutput', credentials: { payLocoApi: credential(clock) } });
const cancel = (options: object = {}) => ({ resource: 'card', operation: 'cancel', cardId: '={{ $json.card }}', requestId: '={{ $json.req }}', options });

function workflowFor(tag: string) {
	resetIds();
	const cards = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => ({ card: `C-${tag}-${prefix}-${i}`, req: `R-${tag}-${prefix}-${i}` }));
	const voids = [
		{ mo: `PENDING-${tag}-W`, ori: `PA-AUTO-${tag}-1` },
		{ mo: `PENDINGSTUCK-${tag}-W`, ori: `PA-AUTO-${tag}-2` },
		{ mo: `PENDINGFAIL-${tag}-W`, ori: `PA-AUTO-${tag}-3` },
	];
	const lists = { preview: cards('p', 2), ahead: cards('a', 2), behind: cards('b', 2), near: cards('n', 1) };
	const nodes = [
		node('Start', 'n8n-nodes-base.manualTrigger', 1, 0, 300),
		items('Preview Cards', lists.preview, 220, 0),
		payLoco('Preview', 'main', cancel({ preview: true }), 440, 0),
		payLoco('Send For Real', 'main', cancel(), 440, 150),
		items('Pending Voids', voids, 220, 300),
		payLoco('Void And Wait', 'main', {
			resource: 'payment',
			operation: 'preAuthVoid',
			merchantOrderId: '={{ $json.mo }}',
			oriMerchantOrderId: '={{ $json.ori }}',
			currency: 'USD',
			transAmt: '100.01',
			options: { waitForFinal: true, maxWaitSeconds: 6 },
		}, 440, 300),
		items('Ahead Cards', lists.ahead, 220, 450),
		payLoco('Cancel Ahead', 'ahead', cancel(), 440, 450),
		items('Behind Cards', lists.behind, 220, 600),
		payLoco('Cancel Behind', 'behind', cancel(), 440, 600),
		items('Near Cards', lists.near, 220, 750),
		payLoco('Cancel Near', 'near', cancel(), 440, 750),
	];
	const to = (...names: string[]) => ({ main: [names.map((n) => ({ node: n, type: 'main', index: 0 }))] });
	const workflow = {
		id: WORKFLOW_ID,
		name: 'PayLoco preview, wait, clock e2e',
		active: false,
		settings: { executionOrder: 'v1' },
		nodes,
		connections: {
			Start: to('Preview Cards', 'Pending Voids', 'Ahead Cards', 'Behind Cards', 'Near Cards'),
			'Preview Cards': to('Preview', 'Send For Real'),
			'Pending Voids': to('Void And Wait'),
			'Ahead Cards': to('Cancel Ahead'),
			'Behind Cards': to('Cancel Behind'),
			'Near Cards': to('Cancel Near'),
		},
	};
	return { workflow, lists, voids };
}

const runOf = (result: RawRun | undefined, name: string) => result?.data.resultData.runData[name]?.[0];
const out = (result: RawRun | undefined, name: string) => (runOf(result, name)?.data?.main?.[0] ?? []).map((i) => i.json);
const hints = (result: RawRun | undefined, name: string) => (runOf(result, name)?.hints ?? []) as Array<{ message: string; type?: string }>;

const merchant = rsaKeyPair();
const sandboxes = {} as Record<Clock, Sandbox>;
let tmp: string;
let tgz: string;

beforeAll(async () => {
	for (const clock of Object.keys(CLOCKS) as Clock[]) {
		sandboxes[clock] = await startSandbox({ merchantPublicKey: merchant.publicPem, notifyDelayMs: 300, clockOffsetMs: CLOCKS[clock] });
	}
	tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'payloco-feat-e2e-'));
	tgz = packPackage(tmp);
}, 60_000);

afterAll(async () => {
	for (const sb of Object.values(sandboxes)) await sb?.close();
	if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe.each([1, 2] as N8nLine[])('Preview, Wait for Final Status and clock drift in real n8n %i.x', (line) => {
	const tag = `L${line}`;
	const { workflow, lists, voids } = workflowFor(tag);
	let home: N8nHome;

	beforeAll(async () => {
		for (const sb of Object.values(sandboxes)) sb.reset();
		home = await N8nHome.create(line, { packageTgz: tgz });
		await home.importCredentials(
			(Object.keys(CLOCKS) as Clock[]).map((clock) => ({ ...credential(clock), type: 'payLocoApi', data: sandboxCredentials(sandboxes[clock], merchant) })),
		);
		await home.importWorkflow(workflow);
	}, 300_000);

	afterAll(async () => home?.dispose(), 60_000);

	test('one `n8n execute`: a preview that sends nothing, a void waited to its end, clocks 3 min off corrected', async () => {
		const run = await home.execute(WORKFLOW_ID);
		expect({ exitCode: run.exitCode, status: run.json?.status, error: run.json?.data.resultData.error }).toEqual({ exitCode: 0, status: 'success', error: undefined });
		const result = run.json;
		const main = sandboxes.main;

		// --- Preview: one item per card, nothing sent by it; its body stamped and signed is what Send For Real sent.
		const shown = out(result, 'Preview');
		expect(shown.map((j) => [j.preview, j.sent, j.endpoint, j.cardId])).toEqual(
			lists.preview.map((c) => [true, false, `${main.baseUrl}/v1/issuing/cards/cancel`, c.card]),
		);
		expect(hints(result, 'Preview')).toEqual([expect.objectContaining({ message: expect.stringMatching(/^Preview: nothing was sent to PayLoco\. 2 of 2/) })]);
		lists.preview.forEach((c, i) => {
			const sent = main.requests.filter((r) => sentBody(r).cardId === c.card);
			expect({ card: c.card, requests: sent.length }).toEqual({ card: c.card, requests: 1 });
			const { body, stampedAtSend } = shown[i] as { body: Record<string, unknown>; stampedAtSend: string[] };
			const real = sentBody(sent[0]);
			const bytes = Buffer.from(JSON.stringify({ ...body, ...Object.fromEntries(stampedAtSend.map((f) => [f, real[f]])) }), 'utf8');
			expect(bytes.equals(sent[0].rawBody)).toBe(true);
			expect(opensslSign(merchant.pkcs8Pem, bytes)).toBe(String(sent[0].headers.signature));
		});
		expect(out(result, 'Send For Real').map((j) => j.success)).toEqual([true, true]);

		// --- Wait for Final Status: resolved SUCCESS, still PENDING at the deadline, resolved FAILED.
		const waited = out(result, 'Void And Wait');
		expect(waited.map((j) => [j.merchantOrderId, j.success, j.status, j.final])).toEqual([
			[voids[0].mo, true, 'SUCCESS', true],
			[voids[1].mo, true, 'PENDING', false],
			[voids[2].mo, false, 'FAILED', true],
		]);
		for (const j of waited) {
			expect(j.voidTraceId).toEqual(expect.any(String));
			expect(Number(j.polls)).toBeGreaterThanOrEqual(1);
		}
		expect(waited[0].traceId).not.toBe(waited[0].voidTraceId);
		expect(waited[0].data).toMatchObject({ merchantOrderId: voids[0].mo });
		expect(waited[2].error).toMatch(/^The void ended FAILED/);
		for (const [i, v] of voids.entries()) {
			const queries = main.requests.filter((r) => r.path.endsWith('/query') && sentBody(r).merchantOrderId === v.mo);
			expect({ mo: v.mo, queries: queries.length }).toEqual({ mo: v.mo, queries: waited[i].polls });
			expect(queries.every((r) => verifiedByOpenssl(r, merchant))).toBe(true);
		}

		// --- Clock drift: every item succeeds after one correction with the same ID; the run warns.
		for (const [name, clock, list] of [['Cancel Ahead', 'ahead', lists.ahead], ['Cancel Behind', 'behind', lists.behind]] as const) {
			const items = out(result, name);
			expect(items.map((j) => [j.cardId, j.success, j.attempts, j.clockCorrected])).toEqual(list.map((c) => [c.card, true, 2, true]));
			for (const j of items) expect(Math.abs(Number(j.clockCorrectionMs) - CLOCKS[clock])).toBeLessThan(5000);
			for (const c of list) {
				const sent = sandboxes[clock].requests.filter((r) => sentBody(r).requestId === c.req);
				expect(sent.map((r) => r.outcome)).toEqual(['rejected:10010002', 'success']);
				expect(sent.every((r) => verifiedByOpenssl(r, merchant))).toBe(true);
			}
			expect(hints(result, name)).toEqual([expect.objectContaining({ type: 'warning', message: expect.stringMatching(/more than 120 s off its clock\. 2 item\(s\)/) })]);
		}
		const near = out(result, 'Cancel Near');
		expect(near.map((j) => [j.success, j.attempts, j.clockCorrected])).toEqual([[true, 1, undefined]]);
		expect(hints(result, 'Cancel Near')).toEqual([]);
	}, 180_000);
});
