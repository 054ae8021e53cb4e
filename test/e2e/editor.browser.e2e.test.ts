/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
/**
 * The n8n editor, in a real browser: n8n 2.x with this repo's `npm pack` output installed as a
 * community package, its owner account set up through n8n's REST API, and Debian's Chromium driven by
 * playwright-core through the sign-in page, the node creator, the node and credential forms, and a
 * run of a workflow against the local PayLoco sandbox.
 *
 * Every step leaves a screenshot in test-artifacts/editor/ (git-ignored). With
 * PAYLOCO_UPDATE_DOCS=1 the two that the README shows are also written to docs/node-form.png and
 * docs/execution.png; without it the test leaves tracked files alone.
 *
 * Needs `npm run build`, `node scripts/install-n8n.js 2` and Chromium (`apt-get install -y chromium`,
 * or PAYLOCO_CHROMIUM=/path/to/chromium). A missing Chromium fails the test: it never skips.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Locator, Page } from 'playwright-core';

import { startSandbox } from '../../sandbox/server';
import type { Sandbox } from '../../sandbox/server';
import { rsaKeyPair } from '../helpers/keys';
import { sandboxCredentials } from '../helpers/payloco';
import { N8nHome, outputOf, packPackage } from '../../e2e/harness/n8n';
import type { N8nServer, RawRun } from '../../e2e/harness/n8n';

const REPO = path.resolve(__dirname, '..', '..');
const ARTIFACTS = path.join(REPO, 'test-artifacts', 'editor');
const DOCS = path.join(REPO, 'docs');
const UPDATE_DOCS = process.env.PAYLOCO_UPDATE_DOCS === '1';
const CHROMIUM = process.env.PAYLOCO_CHROMIUM || '/usr/bin/chromium';
// The flags this machine's Chromium needs: no sandbox as root, no GPU, and nothing that calls out to
// Google's services (the network is closed). playwright-core adds --headless and a fresh profile.
const CHROMIUM_FLAGS = [
	'--no-sandbox',
	'--disable-gpu',
	'--disable-quic',
	'--no-first-run',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync',
];
const VIEWPORT = { width: 1280, height: 800 };
const OWNER = { email: 'owner@payloco.example', firstName: 'Pat', lastName: 'Loco', password: 'PayLoco-e2e-1' };

const CREDENTIAL = { id: 'plEditorCred01', name: 'PayLoco Sandbox' };
const WORKFLOW_ID = 'plEditorRun0001';
const CARD_ID = '1655900976772226'; // the card ID of PayLoco's own Cancel Card example
const ALERT_ID = 'CB-2026-0001';

/** Manual Trigger → a sample chargeback alert → PayLoco Cancel Card mapping both IDs from it. */
const runWorkflow = {
	id: WORKFLOW_ID,
	name: 'Chargeback alert cancels the card',
	active: false,
	settings: { executionOrder: 'v1' },
	nodes: [
		{
			id: '0b6c2f7e-5a1d-4e8f-9c3b-7d2e1f0a9b01',
			name: 'Run',
			type: 'n8n-nodes-base.manualTrigger',
			typeVersion: 1,
			position: [0, 0],
			parameters: {},
		},
		{
			id: '0b6c2f7e-5a1d-4e8f-9c3b-7d2e1f0a9b02',
			name: 'Chargeback Alert',
			type: 'n8n-nodes-base.set',
			typeVersion: 3.4,
			position: [220, 0],
			parameters: {
				mode: 'manual',
				assignments: {
					assignments: [
						{ id: 'f1', name: 'alertId', value: ALERT_ID, type: 'string' },
						{ id: 'f2', name: 'cardId', value: CARD_ID, type: 'string' },
						{ id: 'f3', name: 'reason', value: 'fraud', type: 'string' },
					],
				},
				options: {},
			},
		},
		{
			id: '0b6c2f7e-5a1d-4e8f-9c3b-7d2e1f0a9b03',
			name: 'Cancel Card',
			type: 'n8n-nodes-payloco.payLoco',
			typeVersion: 1,
			position: [440, 0],
			parameters: {
				resource: 'card',
				operation: 'cancel',
				cardId: '={{ $json.cardId }}',
				requestId: '={{ $json.alertId }}',
				transType: 'PAY',
				options: {},
			},
			credentials: { payLocoApi: CREDENTIAL },
		},
	],
	connections: {
		Run: { main: [[{ node: 'Chargeback Alert', type: 'main', index: 0 }]] },
		'Chargeback Alert': { main: [[{ node: 'Cancel Card', type: 'main', index: 0 }]] },
	},
};

/** Manual Trigger → one chargeback alert → PayLoco node with `parameters` (and its options). */
function singleNodeWorkflow(id: string, hex: string, name: string, nodeName: string, alert: Record<string, string>, parameters: Record<string, unknown>) {
	const nodeId = (n: number) => `${hex}-5a1d-4e8f-9c3b-7d2e1f0a9b0${n}`;
	return {
		id,
		name,
		active: false,
		settings: { executionOrder: 'v1' },
		nodes: [
			{ id: nodeId(1), name: 'Run', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
			{
				id: nodeId(2),
				name: 'Alert',
				type: 'n8n-nodes-base.set',
				typeVersion: 3.4,
				position: [220, 0],
				parameters: {
					mode: 'manual',
					assignments: { assignments: Object.entries(alert).map(([k, value], i) => ({ id: `a${i}`, name: k, value, type: 'string' })) },
					options: {},
				},
			},
			{ id: nodeId(3), name: nodeName, type: 'n8n-nodes-payloco.payLoco', typeVersion: 1, position: [440, 0], parameters, credentials: { payLocoApi: CREDENTIAL } },
		],
		connections: {
			Run: { main: [[{ node: 'Alert', type: 'main', index: 0 }]] },
			Alert: { main: [[{ node: nodeName, type: 'main', index: 0 }]] },
		},
	};
}

const previewWorkflow = singleNodeWorkflow('plEditorPrev001', '0c6c2f7e', 'Preview a card cancellation', 'Cancel Card (Preview)', { alertId: 'CB-2026-0002', cardId: '1655900976772227' }, {
	resource: 'card',
	operation: 'cancel',
	cardId: '={{ $json.cardId }}',
	requestId: '={{ $json.alertId }}',
	transType: 'PAY',
	options: { preview: true },
});
const waitWorkflow = singleNodeWorkflow('plEditorWait001', '0d6c2f7e', 'Void a pre-authorization and wait for the result', 'Void Pre-Auth', { orderId: 'PENDING-ORDER-7001', preAuthId: 'PA-AUTO-7001' }, {
	resource: 'payment',
	operation: 'preAuthVoid',
	merchantOrderId: '={{ $json.orderId }}-VOID',
	oriMerchantOrderId: '={{ $json.preAuthId }}',
	currency: 'USD',
	transAmt: '100.01',
	options: { waitForFinal: true, maxWaitSeconds: 30 },
});

let sandbox: Sandbox;
let tmp: string;
let home: N8nHome;
let server: N8nServer;
let browser: Browser;
let page: Page;
let shots = 0;
const merchant = rsaKeyPair();

/** Saves a screenshot of the whole window as test-artifacts/editor/NN-name.png (and to docs/ if asked). */
async function shot(name: string, docsName?: string): Promise<string> {
	const file = path.join(ARTIFACTS, `${String(++shots).padStart(2, '0')}-${name}.png`);
	// Fades and slides (dropdowns, toasts, dialogs) are finished first, so the picture is what stays.
	await page.screenshot({ path: file, animations: 'disabled' });
	if (docsName && UPDATE_DOCS) fs.copyFileSync(file, path.join(DOCS, docsName));
	return file;
}

/** Runs a step; on failure leaves a screenshot of what the browser showed, then fails. */
async function step(name: string, body: () => Promise<void>): Promise<void> {
	try {
		await body();
	} catch (error) {
		await shot(`FAILED-${name}`).catch(() => undefined);
		throw error;
	}
}

const byTestId = (id: string, scope: Page | Locator = page) => scope.locator(`[data-test-id="${id}"]`);
/** A node parameter's input in the open node or credential form, by parameter name. */
const param = (name: string, scope: Page | Locator = page) => byTestId(`parameter-input-${name}`, scope);

/** The label text n8n shows above a parameter, by parameter name. */
async function labelOf(name: string, scope: Page | Locator = page): Promise<string> {
	// The first line: a hovered label also holds the Fixed / Expression switch.
	return (await scope.locator(`label[for="${name}"]`).first().innerText()).split('\n')[0].trim();
}

/** Picks an option of an n8n options parameter by its visible name. */
async function choose(name: string, option: string | RegExp, scope: Page | Locator = page): Promise<void> {
	await param(name, scope).click();
	const item = page.getByRole('option', { name: option }).first();
	await item.click();
	await item.waitFor({ state: 'hidden' }); // the list fades out: let it go before a screenshot
}

/** Every <img> inside `scope` whose src points at this package's icons, with whether it loaded. */
async function packageIcons(scope: Locator): Promise<Array<{ src: string; naturalWidth: number }>> {
	return await scope.locator('img[src*="/icons/n8n-nodes-payloco/"]').evaluateAll((imgs) =>
		// Runs in the page; the type says what is read of each <img> (the tests compile without the DOM types).
		(imgs as unknown as Array<{ getAttribute(name: string): string | null; naturalWidth: number }>).map((img) => ({
			src: img.getAttribute('src') ?? '',
			naturalWidth: img.naturalWidth,
		})),
	);
}

/** Polls `probe` until `ok` holds; fails with what it saw last. */
async function until<T>(what: string, probe: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = await probe().catch((error: Error) => error as unknown as T);
		if (!(value instanceof Error) && ok(value)) return value;
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last seen: ${value instanceof Error ? value.message : JSON.stringify(value)}`);
		await page.waitForTimeout(100);
	}
}

const visible = (l: Locator) => l.first().waitFor({ state: 'visible' });
const gone = (l: Locator) => l.first().waitFor({ state: 'detached' });
const textOf = (l: Locator) => l.first().innerText();
async function containsText(l: Locator, text: string, what: string): Promise<void> {
	await until(`${what} to contain ${JSON.stringify(text)}`, () => textOf(l), (t) => t.includes(text));
}
async function lacksText(l: Locator, text: string, what: string): Promise<void> {
	await until(`${what} not to contain ${JSON.stringify(text)}`, () => textOf(l), (t) => !t.includes(text));
}
async function hasValue(l: Locator, value: string, what: string): Promise<void> {
	await until(`${what} to be ${JSON.stringify(value)}`, () => l.first().inputValue(), (v) => v === value);
}

/** An icon of this package inside `scope`, served from the package's icon URL, that has loaded. */
async function iconLoaded(scope: Locator, file: string): Promise<void> {
	await until(
		`icon ${file} to load`,
		() => packageIcons(scope),
		(icons) => icons.some((i) => i.src.endsWith(file) && i.naturalWidth > 0),
	);
}

/** Opens a new workflow and the node creator's search, and types `term`. */
async function searchNodeCreator(term: string): Promise<Locator> {
	await page.goto(`${server.url}/workflow/new`);
	await byTestId('canvas-add-button').click();
	const creator = byTestId('node-creator');
	await creator.waitFor();
	await byTestId('node-creator-search-bar', creator).fill(term);
	return creator;
}

beforeAll(async () => {
	if (!fs.existsSync(CHROMIUM)) {
		throw new Error(
			`Chromium is missing (${CHROMIUM}): the editor test needs Debian's package. Install it with ` +
				'`apt-get update && apt-get install -y chromium`, or set PAYLOCO_CHROMIUM to a Chromium binary.',
		);
	}
	fs.rmSync(ARTIFACTS, { recursive: true, force: true });
	fs.mkdirSync(ARTIFACTS, { recursive: true });
	if (UPDATE_DOCS) fs.mkdirSync(DOCS, { recursive: true });

	sandbox = await startSandbox({ merchantPublicKey: merchant.publicPem });
	tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'payloco-editor-e2e-'));
	home = await N8nHome.create(2, { packageTgz: packPackage(tmp) });
	await home.importCredentials([
		{
			...CREDENTIAL,
			type: 'payLocoApi',
			data: sandboxCredentials(sandbox, merchant, { merchantId: '2023010558663764' }),
		},
	]);
	// One import command for the three (each CLI command boots a whole n8n).
	await home.importWorkflow([runWorkflow, previewWorkflow, waitWorkflow]);
	// The harness turns the UI off by default; this test is about the UI.
	server = await home.start({ env: { N8N_DISABLE_UI: 'false' } });

	// The owner account, as the setup page would create it (n8n 2.41: POST /rest/owner/setup).
	const setup = await fetch(`${server.url}/rest/owner/setup`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify(OWNER),
	});
	if (!setup.ok) throw new Error(`owner setup failed: HTTP ${setup.status} ${await setup.text()}`);

	browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
	page = await browser.newPage({ viewport: VIEWPORT });
	page.setDefaultTimeout(15_000);
}, 180_000);

afterAll(async () => {
	await browser?.close();
	await server?.stop();
	await home?.dispose();
	await sandbox?.close();
	if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
}, 60_000);

describe('the PayLoco nodes in the n8n 2.x editor (Chromium)', () => {
	test('signs in as the owner', async () => {
		await step('sign-in', async () => {
			await page.goto(`${server.url}/signin`);
			await page.getByLabel('Email').fill(OWNER.email);
			await page.getByLabel('Password').fill(OWNER.password);
			await shot('sign-in');
			await page.getByRole('button', { name: 'Sign in' }).click();
			await page.waitForURL((u) => !u.pathname.startsWith('/signin'));
			// The workflow list has loaded, with the workflow imported through the CLI: the owner has it.
			await visible(page.getByText(runWorkflow.name, { exact: true }));
			await shot('signed-in');
		});
	});

	test('finds PayLoco in the node creator and adds Cancel Card with its fields', async () => {
		await step('node-creator', async () => {
			const creator = await searchNodeCreator('PayLoco');
			const item = byTestId('node-creator-item-name', creator).filter({ hasText: /^PayLoco$/ });
			await until('one PayLoco entry in the node creator', () => item.count(), (n) => n === 1);
			await iconLoaded(creator, '/nodes/PayLoco/payloco.svg');
			await shot('node-creator-search');

			await item.click();
			const cancelAction = creator.getByText('Cancel a card permanently', { exact: true });
			// The node's actions sit under a collapsible "Actions" heading below its trigger.
			if (!(await cancelAction.isVisible())) await creator.getByText(/^Actions \(\d+\)$/).click();
			await visible(cancelAction);
			await shot('node-creator-actions');
			await cancelAction.click();
		});

		await step('cancel-card-form', async () => {
			const ndv = byTestId('ndv');
			await visible(param('cardId', ndv));
			expect([await labelOf('cardId', ndv), await labelOf('requestId', ndv), await labelOf('transType', ndv)]).toEqual([
				'Card ID',
				'Request ID',
				'Transaction Type',
			]);
			await hasValue(param('transType', ndv).locator('input'), 'PAY (Payment Transactions)', 'Transaction Type');
			expect(await param('merchantOrderId', ndv).count()).toBe(0);
			// The imported sandbox credential is the only PayLoco API credential: n8n picks it.
			await hasValue(byTestId('node-credentials-select', ndv).locator('input'), CREDENTIAL.name, 'the credential');
			await iconLoaded(ndv, '/nodes/PayLoco/payloco.svg');
			await shot('cancel-card-form', 'node-form.png');
		});
	});

	test('switching to Payment > Void Pre-Authorization shows its fields and hides Cancel Card\'s', async () => {
		await step('void-form', async () => {
			const ndv = byTestId('ndv');
			await choose('resource', 'Payment', ndv);
			await choose('operation', 'Void Pre-Authorization', ndv);
			const fields = ['merchantOrderId', 'oriMerchantOrderId', 'currency', 'transAmt', 'merchantOrderTime', 'additionalFields'];
			await visible(param('merchantOrderId', ndv));
			const labels: string[] = [];
			for (const name of fields.slice(0, -1)) labels.push(await labelOf(name, ndv));
			expect(labels).toEqual(['Merchant Order ID', 'Original Merchant Order ID', 'Currency', 'Amount', 'Merchant Order Time']);
			await visible(byTestId('node-parameters', ndv).getByText('Additional Fields', { exact: true }));
			for (const hidden of ['cardId', 'requestId', 'transType']) expect(await param(hidden, ndv).count()).toBe(0);
			await shot('void-form');

			// Additional Fields is the first collection of this operation (Options is the second).
			await byTestId('collection-parameter-add', ndv).first().click();
			await visible(page.getByText('Original PayLoco Order ID', { exact: true }));
			await shot('void-additional-fields');
			await page.keyboard.press('Escape');
		});
	});

	test('the PayLoco API credential shows Base URL only for the Custom environment', async () => {
		await step('credential-form', async () => {
			const ndv = byTestId('ndv');
			// A new credential from the node's credential picker.
			await byTestId('node-credentials-select', ndv).click();
			await page.getByText(/Create new credential/).click();
			const modal = byTestId('editCredential-modal');
			await visible(param('environment', modal));
			await iconLoaded(modal, '/credentials/payloco.svg');
			await hasValue(param('environment', modal).locator('input'), 'Dev (Sandbox)', 'Environment');
			expect(await param('baseUrl', modal).count()).toBe(0);
			await shot('credential-dev');

			await choose('environment', /^Custom/, modal);
			await visible(param('baseUrl', modal));
			expect(await param('baseUrl', modal).locator('input').getAttribute('placeholder')).toBe('e.g. https://gate.example.com/gateway');
			await shot('credential-custom');

			await choose('environment', 'UAT', modal);
			await gone(param('baseUrl', modal));
			await shot('credential-uat');
			await modal.locator('button[aria-label="Close this dialog"]').click();
			await gone(modal);
		});
	});

	test('the PayLoco Trigger form renders, with its verification modes', async () => {
		await step('trigger-form', async () => {
			const creator = await searchNodeCreator('PayLoco');
			await byTestId('node-creator-item-name', creator).filter({ hasText: /^PayLoco$/ }).click();
			await creator.getByText('On new PayLoco event', { exact: true }).click();
			const ndv = byTestId('ndv');
			await visible(param('verification', ndv));
			expect(await labelOf('verification', ndv)).toBe('Verification');
			await hasValue(param('verification', ndv).locator('input'), 'RSA Signature (Header "Signature")', 'Verification');
			await visible(ndv.getByText(/Use this node's Production URL as notifyUrl/));
			await hasValue(byTestId('node-credentials-select', ndv).locator('input'), CREDENTIAL.name, 'the credential');
			await iconLoaded(ndv, '/nodes/PayLoco/payloco.svg');
			await shot('trigger-form');

			// HMAC needs the webhook secret credential instead of the PayLoco API one.
			await choose('verification', /^HMAC-SHA256/, ndv);
			await lacksText(byTestId('node-credentials-slot', ndv), 'PayLoco API', 'the credential slot');
			await shot('trigger-hmac');
			await choose('verification', /^Form POST/, ndv);
			await hasValue(byTestId('node-credentials-select', ndv).locator('input'), CREDENTIAL.name, 'the credential');
			await shot('trigger-form-post');
		});
	});

	test('runs a workflow against the sandbox and shows the PayLoco output with status and traceId', async () => {
		await step('execution', async () => {
			await page.goto(`${server.url}/workflow/${WORKFLOW_ID}`);
			await byTestId('execute-workflow-button').click();
			const executions = await home.waitForExecutions(WORKFLOW_ID, 1, 30_000);
			expect(executions.map((e) => e.status)).toEqual(['success']);
			const [stored] = await home.listExecutions({ workflowId: WORKFLOW_ID, withData: true });
			// n8n stores run data as "flatted" JSON; its own copy of flatted reads it.
			const flatted = require(path.join(home.rt.modules, 'flatted')) as { parse(text: string): RawRun['data'] };
			const [output] = outputOf({ data: flatted.parse(stored.data ?? '') }, 'Cancel Card');
			expect(output).toMatchObject({ success: true, status: 'SUCCESS', cardId: CARD_ID, requestId: ALERT_ID });
			const traceId = String(output.traceId);
			expect(traceId).toMatch(/\S/);
			await shot('execution-canvas');

			const cancels = sandbox.requests.filter((r) => r.path.endsWith('/v1/issuing/cards/cancel'));
			expect(cancels.map((r) => [r.signatureValid, r.outcome])).toEqual([[true, 'success']]);
			expect(JSON.parse(cancels[0].rawBody.toString('utf8'))).toMatchObject({ cardId: CARD_ID, requestId: ALERT_ID });

			await byTestId('canvas-node').filter({ hasText: 'Cancel Card' }).dblclick();
			const ndv = byTestId('ndv');
			const panel = byTestId('output-panel', ndv);
			await visible(panel);
			// JSON shows every field of the item at this width (the table cuts off the right-hand columns).
			await byTestId('ndv-run-data-display-mode', panel).getByText('JSON', { exact: true }).click();
			await containsText(panel, 'SUCCESS', 'the output panel');
			await containsText(panel, traceId, 'the output panel');
			// The "Workflow executed successfully" toast covers the corner of the picture: close it.
			const toastClose = page.locator('.el-notification .el-notification__closeBtn');
			if (await toastClose.count()) await toastClose.first().click();
			await gone(page.locator('.el-notification'));
			await shot('execution-output', 'execution.png');
		});
	});
	/** Runs an imported workflow from the editor and shows `nodeName`'s output as JSON; returns its first item. */
	async function runAndOpen(workflowId: string, nodeName: string, text: string): Promise<Record<string, unknown>> {
		await page.goto(`${server.url}/workflow/${workflowId}`);
		await byTestId('execute-workflow-button').click();
		const executions = await home.waitForExecutions(workflowId, 1, 60_000);
		expect(executions.map((e) => e.status)).toEqual(['success']);
		const [stored] = await home.listExecutions({ workflowId, withData: true });
		const flatted = require(path.join(home.rt.modules, 'flatted')) as { parse(text: string): RawRun['data'] };
		const [output] = outputOf({ data: flatted.parse(stored.data ?? '') }, nodeName);
		await byTestId('canvas-node').filter({ hasText: nodeName }).dblclick();
		const panel = byTestId('output-panel', byTestId('ndv'));
		await visible(panel);
		await byTestId('ndv-run-data-display-mode', panel).getByText('JSON', { exact: true }).click();
		await containsText(panel, text, 'the output panel');
		const toastClose = page.locator('.el-notification .el-notification__closeBtn');
		if (await toastClose.count()) await toastClose.first().click();
		await gone(page.locator('.el-notification'));
		return output;
	}

	test('a preview shows the exact body that would be signed, and sends nothing', async () => {
		await step('preview', async () => {
			const before = sandbox.requests.length;
			const output = await runAndOpen(previewWorkflow.id, 'Cancel Card (Preview)', 'stampedAtSend');
			expect(output).toMatchObject({ preview: true, sent: false, cardId: '1655900976772227', requestId: 'CB-2026-0002', stampedAtSend: ['requestTime'] });
			expect(sandbox.requests.length).toBe(before);
			await shot('preview-output', 'preview.png');
		});
	});

	test('a PENDING void waited for inside the run ends SUCCESS, with both traceIds and the polls', async () => {
		await step('wait-for-final', async () => {
			const output = await runAndOpen(waitWorkflow.id, 'Void Pre-Auth', 'voidTraceId');
			expect(output).toMatchObject({ success: true, status: 'SUCCESS', final: true, merchantOrderId: 'PENDING-ORDER-7001-VOID', voidTraceId: expect.any(String) });
			expect(Number(output.polls)).toBeGreaterThanOrEqual(1);
			await shot('wait-for-final-output', 'wait-for-final.png');
		});
	});
});
