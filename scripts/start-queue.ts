/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
/**
 * `npm run start:queue`: what `npm start` shows, on n8n's queue mode, the way teams scale n8n
 * out: a main process (editor), an `n8n webhook` process taking the example webhooks, and an
 * `n8n worker` running the executions, coordinated through Redis on a Postgres database. Postgres
 * and Redis are Debian's packages, started here on loopback with throwaway data; no Docker.
 * (`npm run start:queue` builds and packs the package and installs n8n before running this.)
 */
import type { ChildProcess } from 'node:child_process';

import { QueueCluster } from '../e2e/harness/cluster';
import { fireFirstAlert, importDemo, OWNER, packedPackage, setupOwner, startDemoSandbox, WORKFLOWS } from './demo';

const N8N_PORT = Number(process.env.N8N_PORT ?? 5678);
const WEBHOOK_PORT = Number(process.env.N8N_WEBHOOK_PORT ?? N8N_PORT + 2);
const SANDBOX_PORT = Number(process.env.PAYLOCO_SANDBOX_PORT ?? 8787);

/** Shows the scale-out as it happens: which process queued each execution, which worker ran it. */
function follow(label: string, child: ChildProcess) {
	child.stdout?.on('data', (chunk: Buffer) => {
		for (const line of chunk.toString().split('\n')) {
			const m = /(Enqueued execution \d+|Worker (started|finished) execution \d+)/.exec(line);
			if (m) console.log(`  [${label}] ${m[1]}`);
		}
	});
}

async function main() {
	const demo = await startDemoSandbox(SANDBOX_PORT);
	console.log('Starting Postgres and Redis (throwaway, on 127.0.0.1) ...');
	const cluster = await QueueCluster.create(2, {
		packageTgz: packedPackage('npm run start:queue'),
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
		await demo.sandbox.close();
		process.exit(code);
	};
	process.once('SIGINT', () => void stop(0));
	process.once('SIGTERM', () => void stop(0));

	let hookKey: string;
	try {
		hookKey = await importDemo(cluster.main, demo);
		console.log('Starting n8n 2.x in queue mode: main, then webhook and worker (about a minute) ...');
		await cluster.start();
		await setupOwner(cluster.mainUrl);
	} catch (error) {
		console.error(error instanceof Error ? error.message : error);
		return stop(1);
	}
	follow('main', cluster.mainServer!.process);
	follow('webhook', cluster.webhookServers[0].process);
	follow('worker', cluster.workerServers[0].process);

	console.log(`
n8n editor:  ${cluster.mainUrl}   (main process)
login:       ${OWNER.email} / ${OWNER.password}
webhooks:    ${cluster.webhookUrl}/webhook/...   (n8n webhook process)
worker:      health at ${cluster.workerServers[0].url}/healthz   (n8n worker: runs every execution)
Postgres:    127.0.0.1:${cluster.postgres.port}, database n8n, user postgres; Redis: 127.0.0.1:${cluster.redis.port}
             (all data is removed when you stop)
${WORKFLOWS}${hookKey}
`);
	await fireFirstAlert(cluster.webhookUrl, hookKey);
	console.log(`The lines in [brackets] show which process queued and which worker ran each execution.
Ctrl-C stops everything.`);
}

main().catch((error) => {
	console.error(error instanceof Error ? error.message : error);
	process.exit(1);
});
