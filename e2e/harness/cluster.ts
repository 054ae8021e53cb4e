/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
/**
 * n8n in queue mode on one machine, the way teams scale it out: one main process (`n8n start`:
 * editor, API, activation), `n8n webhook` processes (production webhooks), `n8n worker`
 * processes (executions), coordinated through Redis (Bull) on one Postgres database and one
 * encryption key. Postgres and Redis are throwaway servers started here (postgres.ts, redis.ts).
 *
 *   const cluster = await QueueCluster.create(2, { packageTgz });
 *   await cluster.main.importCredentials([...]); await cluster.main.importWorkflow(wf);
 *   await cluster.main.activateWorkflow(wf.id);
 *   await cluster.start();            // cluster.webhookUrl + '/webhook/<path>'
 *   ...; await cluster.stop();
 *
 * Every process has its own user folder with the package installed in it, as each machine of a
 * real deployment would: a worker without it fails with "Unrecognized node type".
 */
import { freePort, N8nHome } from './n8n';
import type { N8nLine, N8nServer } from './n8n';
import { startPostgres } from './postgres';
import type { PostgresServer } from './postgres';
import { startRedis } from './redis';
import type { RedisServer } from './redis';

export interface ClusterOptions {
	/** `npm pack` output of this repo, installed in every process's user folder. */
	packageTgz?: string;
	/** Worker processes (default 2). */
	workers?: number;
	/** Webhook processes (default 1). */
	webhooks?: number;
	/** Jobs each worker runs at once (`n8n worker --concurrency`, n8n's default 10). */
	concurrency?: number;
	/** Extra environment for every process. */
	env?: NodeJS.ProcessEnv;
	/** Editor on the main process (npm run start:queue); off by default. */
	editor?: boolean;
	/** Fixed ports for the main and the first webhook process; free ones by default. */
	mainPort?: number;
	webhookPort?: number;
}

export class QueueCluster {
	mainServer?: N8nServer;
	webhookServers: N8nServer[] = [];
	workerServers: N8nServer[] = [];

	private constructor(
		readonly line: N8nLine,
		readonly postgres: PostgresServer,
		readonly redis: RedisServer,
		/** The main process's home: import credentials and workflows and activate through it. */
		readonly main: N8nHome,
		readonly webhookHomes: N8nHome[],
		readonly workerHomes: N8nHome[],
		private readonly opts: ClusterOptions,
	) {}

	static async create(line: N8nLine, opts: ClusterOptions = {}): Promise<QueueCluster> {
		const postgres = await startPostgres();
		let redis: RedisServer | undefined;
		const homes: N8nHome[] = [];
		try {
			redis = await startRedis();
			await postgres.createDatabase('n8n');
			const env = { EXECUTIONS_MODE: 'queue', ...redis.n8nEnv(), ...opts.env };
			const make = async () => {
				const home = await N8nHome.create(line, { packageTgz: opts.packageTgz, env, database: postgres.target('n8n') });
				homes.push(home);
				return home;
			};
			const main = await make();
			const webhookHomes = await Promise.all(Array.from({ length: opts.webhooks ?? 1 }, make));
			const workerHomes = await Promise.all(Array.from({ length: opts.workers ?? 2 }, make));
			return new QueueCluster(line, postgres, redis, main, webhookHomes, workerHomes, opts);
		} catch (error) {
			await Promise.all(homes.map((h) => h.dispose()));
			await redis?.stop();
			await postgres.stop();
			throw error;
		}
	}

	/**
	 * Starts the main process first (it runs the database migrations and registers the active
	 * workflows' webhooks), then the webhook and worker processes together. The main's public
	 * webhook URL (what the editor shows) is the first webhook process, as behind a load balancer.
	 */
	async start(): Promise<void> {
		const webhookPorts = await Promise.all(this.webhookHomes.map(async (_, i) => (i === 0 && this.opts.webhookPort) || (await freePort())));
		const publicUrl = `http://127.0.0.1:${webhookPorts[0]}/`;
		this.mainServer = await this.main.start({
			port: this.opts.mainPort,
			env: {
				...(this.opts.editor ? { N8N_DISABLE_UI: 'false' } : {}),
				...(webhookPorts.length ? { [this.line === 1 ? 'WEBHOOK_URL' : 'N8N_WEBHOOK_URL']: publicUrl } : {}),
			},
		});
		const [webhooks, workers] = await Promise.all([
			Promise.all(this.webhookHomes.map((h, i) => h.startProcess('webhook', { port: webhookPorts[i] }))),
			Promise.all(this.workerHomes.map((h) => h.startProcess('worker', { concurrency: this.opts.concurrency }))),
		]);
		this.webhookServers = webhooks;
		this.workerServers = workers;
	}

	/** Base URL of the first webhook process, where production webhook calls go. */
	get webhookUrl(): string {
		if (!this.webhookServers[0]) throw new Error('cluster not started');
		return this.webhookServers[0].url;
	}

	/** Base URL of the main process (editor, REST API; it answers webhooks too). */
	get mainUrl(): string {
		if (!this.mainServer) throw new Error('cluster not started');
		return this.mainServer.url;
	}

	/**
	 * Execution IDs each worker logged as started ("Worker started execution <id>"), by worker
	 * index. Executions carry no worker column: the logs are the only record of where a run went.
	 */
	startedByWorker(): string[][] {
		return this.workerServers.map((w) => [...w.output().matchAll(/Worker started execution (\d+)/g)].map((m) => m[1]));
	}

	/** Same, for "Worker finished execution <id>". */
	finishedByWorker(): string[][] {
		return this.workerServers.map((w) => [...w.output().matchAll(/Worker finished execution (\d+)/g)].map((m) => m[1]));
	}

	/** Everything every process printed so far. */
	printed(): string {
		return [this.main, ...this.webhookHomes, ...this.workerHomes].map((h) => h.printed()).join('\n');
	}

	async stop(): Promise<void> {
		const servers = [...this.workerServers, ...this.webhookServers, ...(this.mainServer ? [this.mainServer] : [])];
		await Promise.all(servers.map((s) => s.stop()));
		await Promise.all([this.main, ...this.webhookHomes, ...this.workerHomes].map((h) => h.dispose()));
		await this.redis.stop();
		await this.postgres.stop();
	}
}
