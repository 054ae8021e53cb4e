/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
/**
 * `npm start`: the product, working, for someone without a PayLoco account. A local PayLoco
 * sandbox, a real n8n 2.x with this package installed as a community node, the credential
 * pointing at the sandbox, the example workflows active, and one example alert fired.
 * (`npm start` builds and packs the package and installs n8n before running this.)
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import type * as SandboxModule from '../sandbox/server';
import { N8nHome } from '../e2e/harness/n8n';

// Compiled into .cache/scripts/scripts/; the sandbox is plain JavaScript and stays in the repo.
const ROOT = resolve(__dirname, '../../..');
const { startSandbox } = require(join(ROOT, 'sandbox/server')) as typeof SandboxModule;
const N8N_PORT = Number(process.env.N8N_PORT ?? 5678);
const SANDBOX_PORT = Number(process.env.PAYLOCO_SANDBOX_PORT ?? 8787);
// The example webhooks cancel cards and void pre-authorizations: they take only requests carrying this
// header (n8n's Header Auth). Its value is new for every start.
const HOOK_HEADER = 'X-PayLoco-Webhook-Key';
const OWNER = { email: 'operator@payloco.example', password: 'PayLoco-sandbox-1', firstName: 'PayLoco', lastName: 'Operator' };

function packedPackage(): string {
	const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
	const name = `n8n-nodes-payloco-${version}.tgz`;
	if (!readdirSync(join(ROOT, '.cache')).includes(name)) throw new Error(`.cache/${name} is missing: run "npm start", which packs it first`);
	return join(ROOT, '.cache', name);
}

async function main() {
	const merchant = generateKeyPairSync('rsa', { modulusLength: 2048 });
	const sandbox = await startSandbox({
		port: SANDBOX_PORT,
		merchantPublicKey: merchant.publicKey,
		notifyDelayMs: 1000,
		preAuths: [
			{ merchantOrderId: 'PA-1001', currency: 'USD', transAmt: '100.01' },
			{ merchantOrderId: 'PA-1002', currency: 'CNY', transAmt: '88.00' },
		],
	});
	console.log(`PayLoco sandbox: ${sandbox.baseUrl}`);

	const home = await N8nHome.create(2, { packageTgz: packedPackage() });
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
	console.log('Starting n8n 2.x (about 20 s) ...');
	const server = await home.start({ port: N8N_PORT, env: { N8N_DISABLE_UI: 'false' } });
	// The owner account, as n8n's first-run setup page would create it.
	const setup = await fetch(`${server.url}/rest/owner/setup`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify(OWNER),
	});
	if (!setup.ok) throw new Error(`n8n owner setup failed: HTTP ${setup.status}`);

	console.log(`
n8n editor:  ${server.url}
login:       ${OWNER.email} / ${OWNER.password}
n8n data:    ${home.userFolder} (removed when you stop)
Workflows:   "PayLoco: chargeback alert cancels the card", "PayLoco: order cancelled voids the pre-authorization"
Their webhooks answer only requests with this header (anything else gets HTTP 403 and starts nothing):
             ${HOOK_HEADER}: ${hookKey}
`);

	const alert = { alertId: 'ALERT-1001', cardId: '1655900976772226', reason: 'chargeback' };
	console.log(`Firing an example chargeback alert: POST ${server.url}/webhook/payloco-chargeback-alert ${JSON.stringify(alert)}`);
	const response = await fetch(`${server.url}/webhook/payloco-chargeback-alert`, {
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
Cancel a card: curl -s -X POST ${server.url}/webhook/payloco-chargeback-alert -H 'content-type: application/json' ${header} \\
                 -d '{"alertId":"ALERT-1002","cardId":"1655900976772227","reason":"chargeback"}'
Try the void:  curl -s -X POST ${server.url}/webhook/payloco-order-cancelled -H 'content-type: application/json' ${header} \\
                 -d '{"orderId":"PENDING-2001","preAuthOrderId":"PA-1001","currency":"USD","amount":"100.01","reason":"客户取消"}'
Without the header both answer HTTP 403 and cancel nothing.
Sandbox scenarios (ID prefixes such as FAIL-, PENDING-, ERR503-) are listed in sandbox/README.md.
Ctrl-C stops everything.`);

	const stop = async () => {
		console.log('\nStopping n8n and the sandbox ...');
		await server.stop();
		await sandbox.close();
		await home.dispose();
		process.exit(0);
	};
	process.once('SIGINT', () => void stop());
	process.once('SIGTERM', () => void stop());
}

main().catch((error) => {
	console.error(error instanceof Error ? error.message : error);
	process.exit(1);
});
