/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
/**
 * The table of what a PayLoco answer means (nodes/PayLoco/outcome.ts), inside real n8n (1.x on
 * Node 20, 2.x on Node 24), installed from this repo's `npm pack` output, in one `n8n execute` per
 * line. One sandbox on this machine's clock for the answer rows, one 45 s ahead for "Card expired".
 * Each scenario's effect is checked against what the sandbox applied: an answer that may mean
 * "applied" is never reported as refused, and no output shows a status the sandbox did not send.
 *
 * Needs `npm run build` and `node scripts/install-n8n.js all`.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { startSandbox } from '../../sandbox/server';
import type { Sandbox } from '../../sandbox/server';
import { rsaKeyPair } from '../helpers/keys';
import { sandboxCredentials, sentBody, verifiedByOpenssl } from '../helpers/payloco';
import { N8nHome, packPackage } from '../../e2e/harness/n8n';
import type { N8nLine, RawRun } from '../../e2e/harness/n8n';
import { nodeBuilder } from './workflow';

const WORKFLOW_ID = 'payLocoAnswE2e01';
const CLOCKS = { main: 0, off45: 45_000 } as const;
type Clock = keyof typeof CLOCKS;
const credential = (clock: Clock) => ({ id: `payLocoAnsw${clock}`, name: `PayLoco answers ${clock}` });

const { node, items, resetIds } = nodeBuilder('e2e0a240');
const payLoco = (name: string, clock: Clock, parameters: object, x: number, y: number) =>
	node(name, 'n8n-nodes-payloco.payLoco', 1, x, y, { parameters, onError: 'continueRegularOutput', credentials: { payLocoApi: credential(clock) } });
const cancel = { resource: 'card', operation: 'cancel', cardId: '={{ $json.card }}', requestId: '={{ $json.req }}' };
const voidOf = {
	resource: 'payment',
	operation: 'preAuthVoid',
	merchantOrderId: '={{ $json.mo }}',
	oriMerchantOrderId: '={{ "PA-AUTO-" + $json.mo }}',
	currency: 'USD',
	transAmt: '10.00',
};

function workflowFor(tag: string) {
	resetIds();
	const card = (prefix: string) => ({ card: `${prefix}C-${tag}`, req: `R-${prefix}${tag}` });
	const cards = ['', 'MIXED-', 'PROCESSING-', 'EMPTYSTATUS-', 'UNSIGNEDNO-', 'CONFLICT409-', 'SIGNED400-'].map(card);
	const voids = [{ mo: `EMPTYSTATUS-V-${tag}` }, { mo: `PROCESSING-V-${tag}` }];
	const expired = [card('EXPIRED-')];
	const nodes = [
		node('Start', 'n8n-nodes-base.manualTrigger', 1, 0, 300),
		items('Cards', cards, 220, 0),
		payLoco('Cancel', 'main', cancel, 440, 0),
		items('Voids', voids, 220, 200),
		payLoco('Void', 'main', voidOf, 440, 200),
		items('Expired Cards', expired, 220, 400),
		payLoco('Cancel 45 s Off', 'off45', cancel, 440, 400),
	];
	const to = (...names: string[]) => ({ main: [names.map((n) => ({ node: n, type: 'main', index: 0 }))] });
	const workflow = {
		id: WORKFLOW_ID,
		name: 'PayLoco answers e2e',
		active: false,
		settings: { executionOrder: 'v1' },
		nodes,
		connections: {
			Start: to('Cards', 'Voids', 'Expired Cards'),
			Cards: to('Cancel'),
			Voids: to('Void'),
			'Expired Cards': to('Cancel 45 s Off'),
		},
	};
	return { workflow, cards, voids, expired };
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
		sandboxes[clock] = await startSandbox({ merchantPublicKey: merchant.publicPem, notifyDelayMs: 60_000, clockOffsetMs: CLOCKS[clock], replays: false });
	}
	tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'payloco-answ-e2e-'));
	tgz = packPackage(tmp);
}, 60_000);

afterAll(async () => {
	for (const sb of Object.values(sandboxes)) await sb?.close();
	if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/** Every status an item shows is one the sandbox sent in the answer with that traceId (top level or data). */
function statusesSent(sandbox: Sandbox, json: Record<string, unknown>): string[] {
	type Sent = { traceId?: unknown; status?: unknown; data?: { status?: unknown } };
	const answer = sandbox.requests.map((r) => JSON.parse(r.response ?? '{}') as Sent).find((a) => a.traceId === json.traceId);
	return [answer?.status, answer?.data?.status].filter((s): s is string => typeof s === 'string' && s !== '');
}

describe.each([1, 2] as N8nLine[])('What every PayLoco answer means, in real n8n %i.x', (line) => {
	const tag = `L${line}`;
	const { workflow, cards, voids, expired } = workflowFor(tag);
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

	test('one `n8n execute`: pending, unknown and applied read right; "Card expired" is no clock refusal', async () => {
		const run = await home.execute(WORKFLOW_ID);
		expect({ exitCode: run.exitCode, status: run.json?.status, error: run.json?.data.resultData.error }).toEqual({ exitCode: 0, status: 'success', error: undefined });
		const result = run.json;
		const main = sandboxes.main;
		const applied = new Set(main.effects.map((e) => e.requestKey));

		// --- Cancel Card (dialect A): one row per scenario; each sent exactly once.
		const cancelled = out(result, 'Cancel');
		const row = (j: Record<string, unknown>) => [j.cardId, j.success, j.outcomeUnknown, j.code, j.status, j.fault, j.httpStatus];
		expect(cancelled.map(row)).toEqual([
			[cards[0].card, true, undefined, '00000000', 'SUCCESS', undefined, undefined],
			[cards[1].card, true, undefined, '00000003', 'PENDING', undefined, undefined],
			[cards[2].card, false, true, '00000000', 'PROCESSING', 'unclear', undefined],
			[cards[3].card, true, undefined, '00000000', 'SUCCESS', undefined, undefined],
			[cards[4].card, false, true, undefined, undefined, 'missingSignature', undefined],
			[cards[5].card, false, true, undefined, undefined, 'http', 409],
			[cards[6].card, true, undefined, '00000000', 'SUCCESS', undefined, undefined],
		]);
		for (const c of cards) {
			const sent = main.requests.filter((r) => sentBody(r).requestId === c.req);
			expect({ card: c.card, requests: sent.length, verified: sent.every((r) => verifiedByOpenssl(r, merchant)) }).toEqual({ card: c.card, requests: 1, verified: true });
			// The sandbox applied every one of them: none may read as refused.
			expect({ card: c.card, applied: applied.has(c.req) }).toEqual({ card: c.card, applied: true });
		}
		for (const j of cancelled.filter((x) => x.success === false)) expect(String(j.error)).not.toMatch(/refused|did not apply/);
		expect(String(cancelled[4].error)).toMatch(/no signature header \(it says 50000001 Transaction declined\)/);

		// --- Pre-Auth Void (dialect B): an empty top-level status hides nothing; PROCESSING is unknown.
		const voided = out(result, 'Void');
		expect(voided.map((j) => [j.merchantOrderId, j.success, j.outcomeUnknown, j.status])).toEqual([
			[voids[0].mo, true, undefined, 'SUCCESS'],
			[voids[1].mo, false, true, 'PROCESSING'],
		]);
		for (const v of voids) expect({ mo: v.mo, applied: applied.has(v.mo) }).toEqual({ mo: v.mo, applied: true });

		// --- No status the gateway did not send, on any item.
		for (const j of [...cancelled, ...voided]) {
			if (j.status === undefined) continue;
			expect({ item: j.cardId ?? j.merchantOrderId, sent: statusesSent(main, j).includes(String(j.status)) }).toEqual({ item: j.cardId ?? j.merchantOrderId, sent: true });
		}

		// --- "Card expired" on a clock 45 s off: a refusal, sent once, not resent as a clock correction.
		const off = sandboxes.off45;
		const [exp] = out(result, 'Cancel 45 s Off');
		expect(exp).toMatchObject({ success: false, code: '30020003', message: `Card ${expired[0].card} expired`, status: 'FAILED', attempts: 1 });
		expect(exp).not.toHaveProperty('clockCorrected');
		expect(off.requests.map((r) => r.outcome)).toEqual(['rejected:30020003']);
		expect(off.effects).toEqual([]);
		const [hint, ...more] = hints(result, 'Cancel 45 s Off');
		expect(more).toEqual([]);
		expect(hint?.message).toMatch(/clock is 4[4-6] s behind PayLoco's/);
		expect(hint?.message).not.toMatch(/refused for their requestTime/);
	}, 180_000);
});
