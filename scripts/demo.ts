/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
/**
 * What `npm start` and `npm run start:queue` share: the sandbox, the credentials (the PayLoco one
 * pointing at the sandbox, and the Header Auth key the example webhooks require), the example
 * workflows imported and active, the owner login, and the first example alert.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import type * as SandboxModule from '../sandbox/server';
import type { N8nHome } from '../e2e/harness/n8n';

// Compiled into .cache/scripts/scripts/; the sandbox is plain JavaScript and stays in the repo.
export const ROOT = resolve(__dirname, '../../..');
const { startSandbox } = require(join(ROOT, 'sandbox/server')) as typeof SandboxModule;
// The example webhooks cancel cards and void pre-authorizations: they take only requests carrying this
// header (n8n's Header Auth). Its value is new for every start.
export const HOOK_HEADER = 'X-PayLoco-Webhook-Key';
export const OWNER = { email: 'operator@payloco.example', password: 'PayLoco-sandbox-1', firstName: 'PayLoco', lastName: 'Operator' };

export function packedPackage(command: string): string {
	const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
	const name = `n8n-nodes-payloco-${version}.tgz`;
	if (!readdirSync(join(ROOT, '.cache')).includes(name)) throw new Error(`.cache/${name} is missing: run "${command}", which packs it first`);
	return join(ROOT, '.cache', name);
}

export async function startDemoSandbox(port: number) {
	const merchant = generateKeyPairSync('rsa', { modulusLength: 2048 });
	const sandbox = await startSandbox({
		port,
		merchantPublicKey: merchant.publicKey,
		notifyDelayMs: 1000,
		preAuths: [
			{ merchantOrderId: 'PA-1001', currency: 'USD', transAmt: '100.01' },
			{ merchantOrderId: 'PA-1002', currency: 'CNY', transAmt: '88.00' },
		],
	});
	console.log(`PayLoco sandbox: ${sandbox.baseUrl}`);
	return { sandbox, merchant };
}

/** Credentials and example workflows into `home` (the main process's, in queue mode); returns the webhook key. */
export async function importDemo(home: N8nHome, demo: Awaited<ReturnType<typeof startDemoSandbox>>): Promise<string> {
	const { sandbox, merchant } = demo;
	const hookKey = randomBytes(24).toString('base64url');
	await home.importCredentials([
		// The credential examples/*.json name for their Webhook nodes' Header Auth.
		{ id: 'payLocoExampleHook', name: 'PayLoco example webhook key', type: 'httpHeaderAuth', data: { name: HOOK_HEADER, value: hookKey } },
		{
			id: 'payLocoSandbox',
			name: 'PayLoco Sandbox',
			type: 'payLocoApi',
			data: {
				environment: 'custom',
				baseUrl: sandbox.baseUrl,
				memberId: '2023010558663764',
				merchantId: 'M2023010558663764',
				keyVersion: '1',
				privateKey: merchant.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
				platformPublicKey: sandbox.platformPublicKeyBase64,
			},
		},
	]);
	for (const file of readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.json'))) {
		// The examples call PayLoco's Dev gateway where a URL is spelled out; here that is the sandbox.
		const text = readFileSync(join(ROOT, 'examples', file), 'utf8').replaceAll('https://gate.dev.payloco.com/gateway', sandbox.baseUrl);
		const workflow = JSON.parse(text);
		await home.importWorkflow(workflow);
		if (workflow.nodes.some((n: { type: string }) => n.type === 'n8n-nodes-base.webhook')) await home.activateWorkflow(workflow.id);
	}
	return hookKey;
}

/** The owner account, as n8n's first-run setup page would create it. */
export async function setupOwner(editorUrl: string): Promise<void> {
	const setup = await fetch(`${editorUrl}/rest/owner/setup`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify(OWNER),
	});
	if (!setup.ok) throw new Error(`n8n owner setup failed: HTTP ${setup.status}`);
}

export const WORKFLOWS = `Workflows:   "PayLoco: chargeback alert cancels the card", "PayLoco: order cancelled voids the pre-authorization"
Their webhooks answer only requests with this header (anything else gets HTTP 403 and starts nothing):
             ${HOOK_HEADER}: `;

/** Fires one example chargeback alert at `hooks` (a base URL) and prints the answer, then the curl lines to try. */
export async function fireFirstAlert(hooks: string, hookKey: string): Promise<void> {
	const alert = { alertId: 'ALERT-1001', cardId: '1655900976772226', reason: 'chargeback' };
	console.log(`Firing an example chargeback alert: POST ${hooks}/webhook/payloco-chargeback-alert ${JSON.stringify(alert)}`);
	const response = await fetch(`${hooks}/webhook/payloco-chargeback-alert`, {
		method: 'POST',
		headers: { 'content-type': 'application/json', [HOOK_HEADER]: hookKey },
		body: JSON.stringify(alert),
	});
	if (response.ok) {
		const answer = (await response.json()) as { status?: string; traceId?: string };
		console.log(`Card cancelled: status ${answer.status}, traceId ${answer.traceId}`);
	} else {
		console.log(`The example webhook answered HTTP ${response.status}: ${await response.text()}`);
	}
	const header = `-H '${HOOK_HEADER}: ${hookKey}'`;
	console.log(`
Cancel a card: curl -s -X POST ${hooks}/webhook/payloco-chargeback-alert -H 'content-type: application/json' ${header} \\
                 -d '{"alertId":"ALERT-1002","cardId":"1655900976772227","reason":"chargeback"}'
Try the void:  curl -s -X POST ${hooks}/webhook/payloco-order-cancelled -H 'content-type: application/json' ${header} \\
                 -d '{"orderId":"PENDING-2001","preAuthOrderId":"PA-1001","currency":"USD","amount":"100.01","reason":"客户取消"}'
Their answers: 200 done, 400 alert without its IDs (nothing sent), 422 refused by PayLoco, 503 send the same alert again
(pending or unknown); try cardId FAIL-1, PENDING-1 or BADSIG-1. Without the header both answer HTTP 403 and cancel nothing.
Sandbox scenarios (ID prefixes such as FAIL-, PENDING-, ERR503-) are listed in sandbox/README.md.`);
}
