/**
 * `npm run start:queue`: what `npm start` shows, on n8n's queue mode, the way teams scale n8n
 * out: a main process (editor), an `n8n webhook` process taking the example webhooks, and an
 * `n8n worker` running the executions, coordinated through Redis on a Postgres database. Postgres
 * and Redis are Debian's packages, started here on loopback with throwaway data; no Docker.
 * (`npm run start:queue` builds and packs the package and installs n8n before running this.)
 */
import { generateKeyPairSync } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import type * as SandboxModule from '../sandbox/server';
import { QueueCluster } from '../e2e/harness/cluster';

// Compiled into .cache/scripts/scripts/; the sandbox is plain JavaScript and stays in the repo.
const ROOT = resolve(__dirname, '../../..');
const { startSandbox } = require(join(ROOT, 'sandbox/server')) as typeof SandboxModule;
const N8N_PORT = Number(process.env.N8N_PORT ?? 5678);
const WEBHOOK_PORT = Number(process.env.N8N_WEBHOOK_PORT ?? N8N_PORT + 2);
const SANDBOX_PORT = Number(process.env.PAYLOCO_SANDBOX_PORT ?? 8787);
const OWNER = { email: 'operator@payloco.example', password: 'PayLoco-sandbox-1', firstName: 'PayLoco', lastName: 'Operator' };

function packedPackage(): string {
	const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
	const name = `n8n-nodes-payloco-${version}.tgz`;
	if (!readdirSync(join(ROOT, '.cache')).includes(name)) throw new Error(`.cache/${name} is missing: run "npm run start:queue", which packs it first`);
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

	console.log('Starting Postgres and Redis (throwaway, on 127.0.0.1) ...');
	const cluster = await QueueCluster.create(2, {
		packageTgz: packedPackage(),
		workers: 1,
		webhooks: 1,
		editor: true,
		mainPort: N8N_PORT,
		webhookPort: WEBHOOK_PORT,
	});
	let stopping = false;
	const stop = async (code: number) => {
		if (stopping) return;
		stopping = true;
		console.log('\nStopping n8n (main, webhook, worker), Redis, Postgres and the sandbox ...');
		await cluster.stop();
		await sandbox.close();
		process.exit(code);
	};
	process.once('SIGINT', () => void stop(0));
	process.once('SIGTERM', () => void stop(0));

	try {
		await cluster.main.importCredentials([
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
			await cluster.main.importWorkflow(workflow);
			if (workflow.nodes.some((n: { type: string }) => n.type === 'n8n-nodes-base.webhook')) await cluster.main.activateWorkflow(workflow.id);
		}
		console.log('Starting n8n 2.x in queue mode: main, then webhook and worker (about a minute) ...');
		await cluster.start();
		// The owner account, as n8n's first-run setup page would create it.
		const setup = await fetch(`${cluster.mainUrl}/rest/owner/setup`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify(OWNER),
		});
		if (!setup.ok) throw new Error(`n8n owner setup failed: HTTP ${setup.status}`);
	} catch (error) {
		console.error(error instanceof Error ? error.message : error);
		await stop(1);
		return;
	}

	// Show the scale-out as it happens: which process queued each execution, which worker ran it.
	const follow = (label: string, server: { process: import('node:child_process').ChildProcess }) =>
		server.process.stdout?.on('data', (chunk: Buffer) => {
			for (const line of chunk.toString().split('\n')) {
				const m = /(Enqueued execution \d+|Worker (started|finished) execution \d+)/.exec(line);
				if (m) console.log(`  [${label}] ${m[1]}`);
			}
		});
	follow('main', cluster.mainServer!);
	follow('webhook', cluster.webhookServers[0]);
	follow('worker', cluster.workerServers[0]);

	const hooks = cluster.webhookUrl;
	console.log(`
n8n editor:   ${cluster.mainUrl}   (main process)
login:        ${OWNER.email} / ${OWNER.password}
webhooks:     ${hooks}/webhook/...   (n8n webhook process)
worker:       health at ${cluster.workerServers[0].url}/healthz   (n8n worker: runs every execution)
Postgres:     127.0.0.1:${cluster.postgres.port}, database n8n, user postgres   Redis: 127.0.0.1:${cluster.redis.port}
Workflows:    "PayLoco: chargeback alert cancels the card", "PayLoco: order cancelled voids the pre-authorization"
All data is removed when you stop.
`);

	const alert = { alertId: 'ALERT-1001', cardId: '1655900976772226', reason: 'chargeback' };
	console.log(`Firing an example chargeback alert at the webhook process: POST ${hooks}/webhook/payloco-chargeback-alert ${JSON.stringify(alert)}`);
	const response = await fetch(`${hooks}/webhook/payloco-chargeback-alert`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify(alert),
	});
	if (response.ok) {
		const answer = (await response.json()) as { status?: string; traceId?: string };
		console.log(`Card cancelled: status ${answer.status}, traceId ${answer.traceId}`);
	} else {
		console.log(`The example webhook answered HTTP ${response.status}: ${await response.text()}`);
	}
	console.log(`
Try the void:  curl -s -X POST ${hooks}/webhook/payloco-order-cancelled -H 'content-type: application/json' \\
                 -d '{"orderId":"PENDING-2001","preAuthOrderId":"PA-1001","currency":"USD","amount":"100.01","reason":"客户取消"}'
Executions are listed in the editor; the lines in [brackets] show which process queued and ran each.
Ctrl-C stops everything.`);
}

main().catch((error) => {
	console.error(error instanceof Error ? error.message : error);
	process.exit(1);
});
