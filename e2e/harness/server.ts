/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
/**
 * Long-running n8n processes on 127.0.0.1 with free ports: `n8n start` (the main process),
 * `n8n webhook` and `n8n worker` (queue mode). Each is ready when it printed its own ready line
 * and its health endpoint answers; a main also waits until the webhooks it should serve are
 * registered in the database.
 */
import type { ChildProcess } from 'child_process';

import { freePort, healthy, noteN8nProcess, spawnService, waitUntil } from './process';
import type { N8nRuntime } from './runtime';

export type N8nCommand = 'start' | 'webhook' | 'worker';

export interface N8nServer {
	command: N8nCommand;
	/** Base URL, e.g. http://127.0.0.1:43123 (webhooks under /webhook/<path>; a worker's /healthz). */
	url: string;
	port: number;
	process: ChildProcess;
	/** Everything the server printed so far. */
	output(): string;
	/** SIGTERM (a clean shutdown), SIGKILL after 20 s. */
	stop(): Promise<void>;
	/** Sends `signal` to the server's process group at once (e.g. SIGKILL: a crashed machine). */
	kill(signal: NodeJS.Signals): Promise<void>;
}

export interface StartOptions {
	env?: NodeJS.ProcessEnv;
	/** A fixed port (npm start); a free one by default. */
	port?: number;
	/** Until ready; default 90 s. */
	timeoutMs?: number;
	/** Wait for the webhooks of workflows activated through this home (default true; main only). */
	waitForWebhooks?: boolean;
	/** `n8n worker --concurrency` (n8n's default is 10). */
	concurrency?: number;
}

/** What a server needs from its N8nHome. */
export interface ServerHost {
	rt: N8nRuntime;
	userFolder: string;
	env(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
	/** Whether the webhooks this home activated are in webhook_entity. */
	webhooksRegistered(): Promise<boolean>;
	/** Called with the server's output once it has stopped. */
	record(text: string): void;
}

const READY_LINE: Record<N8nCommand, string> = {
	start: 'Editor is now accessible via',
	webhook: 'Webhook listener waiting for requests',
	worker: 'n8n worker is now ready',
};

export async function startServer(host: ServerHost, command: N8nCommand, opts: StartOptions = {}): Promise<N8nServer> {
	for (let attempt = 1; ; attempt++) {
		try {
			return await startOnce(host, command, opts);
		} catch (error) {
			// Another test's process took one of the ports between freePort() and n8n's bind: new ports.
			const taken = /is already in use|EADDRINUSE/.test(String(error));
			if (opts.port !== undefined || !taken || attempt === 3) throw error;
		}
	}
}

async function startOnce(host: ServerHost, command: N8nCommand, opts: StartOptions): Promise<N8nServer> {
	const port = opts.port ?? (await freePort());
	const url = `http://127.0.0.1:${port}`;
	const { rt } = host;
	const listen =
		command === 'worker'
			? // A worker serves only /healthz (and /metrics), on its own port, when asked to.
				{ QUEUE_HEALTH_CHECK_ACTIVE: 'true', QUEUE_HEALTH_CHECK_PORT: String(port), N8N_PORT: String(await freePort()) }
			: {
					N8N_PORT: String(port),
					N8N_LISTEN_ADDRESS: '127.0.0.1',
					N8N_HOST: '127.0.0.1',
					// The public base of webhook URLs (renamed in 2.x).
					[rt.line === 1 ? 'WEBHOOK_URL' : 'N8N_WEBHOOK_URL']: `${url}/`,
				};
	const env = host.env({
		...listen,
		// 2.x: every main and worker runs a task broker; two on one port make the second exit.
		N8N_RUNNERS_BROKER_PORT: String(await freePort()),
		// No editor: otherwise every start copies ~1,000 UI files into $HOME/.cache/n8n/public.
		N8N_DISABLE_UI: 'true',
		...opts.env,
	});
	const args = command === 'worker' ? ['worker', `--concurrency=${opts.concurrency ?? 10}`] : [command];
	noteN8nProcess(command);
	const service = spawnService(rt.nodeBin, [rt.n8nBin, ...args], { env, cwd: host.userFolder });
	let recorded = false;
	const record = () => {
		if (recorded) return;
		recorded = true;
		host.record(`$ n8n ${args.join(' ')}  (port ${port}, exit ${service.exitCode()})\n${service.output()}`);
	};
	const server: N8nServer = {
		command,
		url,
		port,
		process: service.child,
		output: service.output,
		stop: async () => {
			await service.stop('SIGTERM', 20_000); // n8n shuts down its task runner and the DB cleanly
			record();
		},
		kill: async (signal) => {
			await service.stop(signal, 5_000);
			record();
		},
	};
	const waitWebhooks = command === 'start' && opts.waitForWebhooks !== false;
	await waitUntil(
		service,
		`n8n ${command}`,
		async () => service.output().includes(READY_LINE[command]) && (await healthy(url)) && (!waitWebhooks || (await host.webhooksRegistered())),
		opts.timeoutMs ?? 90_000,
	);
	return server;
}
