/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
/**
 * Drives real n8n installations (see scripts/install-n8n.js) through n8n's own CLI, for
 * end-to-end tests, `npm start` and `npm run start:queue`. Node built-ins only.
 *
 *   const home = await N8nHome.create(2, { packageTgz });   // fresh N8N_USER_FOLDER
 *   await home.importCredentials([{ id, name, type, data }]);
 *   await home.importWorkflow(workflow);                     // keeps workflow.id
 *   const { json } = await home.execute(workflow.id);       // needs a Manual Trigger
 *   await home.activateWorkflow(hookWorkflow.id);            // before start()
 *   const server = await home.start();                       // server.url + '/webhook/<path>'
 *   ...; await server.stop(); await home.dispose();
 *
 * Queue mode (main, webhook and worker processes on one Postgres and Redis) is in cluster.ts.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { listExecutions, queryDatabase, waitForExecutions } from './database';
import type { DatabaseTarget, N8nExecution } from './database';
import { freePort, noteN8nProcess, run } from './process';
import type { CommandResult } from './process';
import { parseRawOutput } from './results';
import type { ExecuteResult } from './results';
import { runtime } from './runtime';
import type { N8nLine, N8nRuntime } from './runtime';
import { startServer } from './server';
import type { N8nCommand, N8nServer, StartOptions } from './server';

export { ENCRYPTION_KEY, packPackage, runtime } from './runtime';
export type { N8nLine, N8nRuntime } from './runtime';
export { freePort } from './process';
export type { CommandResult } from './process';
export { outputOf, parseRawOutput, storedRun, unflatten } from './results';
export type { ExecuteResult, NodeRun, RawRun } from './results';
export type { DatabaseTarget, N8nExecution } from './database';
export type { N8nCommand, N8nServer, StartOptions } from './server';

interface WorkflowLike {
	id?: string;
	nodes?: Array<{ name: string; type: string; webhookId?: string; disabled?: boolean }>;
}

export interface CreateOptions {
	/** `npm pack` output of this repo: installed as Settings > Community Nodes would. */
	packageTgz?: string;
	/** Extra environment for every n8n command of this home (e.g. N8N_LOG_LEVEL=debug). */
	env?: NodeJS.ProcessEnv;
	/** Per CLI command; default 120 s. */
	timeoutMs?: number;
	/** n8n's database: its own SQLite file in the user folder by default, or a shared Postgres. */
	database?: Extract<DatabaseTarget, { kind: 'postgres' }>;
}

/** One fresh N8N_USER_FOLDER with its own database, used by one n8n line. */
export class N8nHome {
	/** Every command's output and every server's output, in order (for scans and debugging). */
	readonly transcript: string[] = [];
	private readonly servers = new Set<N8nServer>();
	private inputs = 0;
	/** Imported workflows by id, and those activated here: start() waits for their webhooks. */
	private readonly workflows = new Map<string, WorkflowLike>();
	private readonly activated = new Set<string>();

	private constructor(
		readonly rt: N8nRuntime,
		/** Temp root: holds userFolder and (briefly) the JSON files given to import commands. */
		readonly root: string,
		/** N8N_USER_FOLDER (n8n keeps its state in <userFolder>/.n8n). Everything n8n writes is here. */
		readonly userFolder: string,
		private readonly extraEnv: NodeJS.ProcessEnv,
		private readonly timeoutMs: number,
		private readonly postgres?: Extract<DatabaseTarget, { kind: 'postgres' }>,
	) {}

	static async create(line: N8nLine, opts: CreateOptions = {}): Promise<N8nHome> {
		const rt = runtime(line);
		const root = fs.mkdtempSync(path.join(os.tmpdir(), `n8n-e2e-${line}-`));
		const userFolder = path.join(root, 'home');
		fs.mkdirSync(path.join(userFolder, 'tmp'), { recursive: true });
		const home = new N8nHome(rt, root, userFolder, opts.env ?? {}, opts.timeoutMs ?? 120_000, opts.database);
		if (opts.packageTgz) await home.installPackage(opts.packageTgz);
		return home;
	}

	/** n8n's own state folder: database.sqlite, config, nodes/, logs/, n8nEventLog*.log, ... */
	get n8nFolder(): string {
		return path.join(this.userFolder, '.n8n');
	}

	env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
		const pg = this.postgres;
		const db = pg && {
			DB_TYPE: 'postgresdb',
			DB_POSTGRESDB_HOST: pg.host,
			DB_POSTGRESDB_PORT: String(pg.port),
			DB_POSTGRESDB_DATABASE: pg.database,
			DB_POSTGRESDB_USER: pg.user,
			DB_POSTGRESDB_PASSWORD: '',
		};
		return this.rt.env(this.userFolder, { ...db, ...this.extraEnv, ...extra });
	}

	/** Runs `n8n <args>`; never throws on a non-zero exit code. */
	async n8n(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<CommandResult> {
		// 2.x starts a task broker even for CLI commands: a port of its own lets homes run in parallel.
		const env = this.env({ N8N_RUNNERS_BROKER_PORT: String(await freePort()), ...extraEnv });
		noteN8nProcess(args[0]);
		const r = await run(this.rt.nodeBin, [this.rt.n8nBin, ...args], {
			env,
			cwd: this.userFolder,
			timeoutMs: this.timeoutMs,
		});
		const status = r.signal ?? `exit ${r.exitCode}`;
		this.transcript.push(`$ n8n ${args.join(' ')}  (${status}, ${r.ms} ms)\n${r.stdout}${r.stderr}`);
		return r;
	}

	private async n8nOk(args: string[]): Promise<CommandResult> {
		const r = await this.n8n(args);
		if (r.exitCode !== 0) throw new Error(`n8n ${args.join(' ')}: ${r.signal ?? `exit ${r.exitCode}`}\n${r.stdout}\n${r.stderr}`);
		return r;
	}

	/**
	 * Installs a packed community package the way n8n's Community Nodes installer does (1.x and
	 * 2.x alike): unpack into .n8n/nodes/node_modules/<name>, drop dev/peer/optional dependencies,
	 * `npm install` its own dependencies there without scripts, and record it in
	 * .n8n/nodes/package.json. n8n loads every n8n-nodes-* folder there at start; node types are
	 * then "<package name>.<node name>", e.g. n8n-nodes-payloco.payLoco.
	 */
	async installPackage(tgz: string): Promise<void> {
		const nodesDir = path.join(this.n8nFolder, 'nodes');
		const staging = path.join(this.root, 'unpack');
		fs.mkdirSync(staging, { recursive: true });
		const tar = await run('tar', ['-xzf', path.resolve(tgz), '-C', staging, '--strip-components=1'], {
			env: process.env,
			cwd: this.root,
			timeoutMs: 60_000,
		});
		if (tar.exitCode !== 0) throw new Error(`cannot unpack ${tgz}: ${tar.stderr}`);
		const pkgFile = path.join(staging, 'package.json');
		const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8'));
		for (const key of ['devDependencies', 'peerDependencies', 'optionalDependencies']) delete pkg[key];
		fs.writeFileSync(pkgFile, JSON.stringify(pkg, null, 2));
		const dest = path.join(nodesDir, 'node_modules', pkg.name);
		fs.mkdirSync(path.dirname(dest), { recursive: true });
		fs.rmSync(dest, { recursive: true, force: true });
		fs.renameSync(staging, dest);
		if (pkg.dependencies && Object.keys(pkg.dependencies).length) {
			// n8n's own flags, plus --prefer-offline: the npm cache usually has everything already.
			const flags = ['--audit=false', '--fund=false', '--bin-links=false', '--install-strategy=shallow'];
			flags.push('--ignore-scripts=true', '--package-lock=false', '--prefer-offline');
			const npm = await run('npm', ['install', ...flags], { env: process.env, cwd: dest, timeoutMs: 300_000 });
			if (npm.exitCode !== 0) throw new Error(`npm install in ${dest} failed:\n${npm.stdout}\n${npm.stderr}`);
		}
		const manifest = path.join(nodesDir, 'package.json');
		const installed = fs.existsSync(manifest)
			? JSON.parse(fs.readFileSync(manifest, 'utf8'))
			: { name: 'installed-nodes', private: true, dependencies: {} };
		installed.dependencies = { ...installed.dependencies, [pkg.name]: pkg.version };
		fs.writeFileSync(manifest, JSON.stringify(installed, null, 2));
	}

	/** Writes an import file outside userFolder (it may hold plain secrets) and removes it after. */
	private async importJson(command: string, items: object[]): Promise<void> {
		const file = path.join(this.root, `import-${++this.inputs}.json`);
		fs.writeFileSync(file, JSON.stringify(items));
		try {
			await this.n8nOk([command, `--input=${file}`]);
		} finally {
			fs.rmSync(file, { force: true });
		}
	}

	/** Plain `{ id, name, type, data: {...} }` objects; n8n encrypts `data` with ENCRYPTION_KEY. */
	importCredentials(creds: object[]): Promise<void> {
		return this.importJson('import:credentials', creds);
	}

	/**
	 * Keeps each workflow's `id`; a list is imported by one command (one n8n boot). Imported
	 * workflows are always inactive: see activateWorkflow (or RestSession.activate on a server).
	 */
	async importWorkflow(wf: object | object[]): Promise<void> {
		const list = Array.isArray(wf) ? wf : [wf];
		await this.importJson('import:workflow', list);
		for (const w of list as WorkflowLike[]) if (w.id) this.workflows.set(w.id, w);
	}

	/**
	 * Marks a workflow active for the next start() (not for a running server): 1.x uses
	 * `update:workflow --active=true`, 2.x `publish:workflow` (2.x calls activation "publishing").
	 */
	async activateWorkflow(id: string): Promise<void> {
		await this.n8nOk(
			this.rt.line === 1 ? ['update:workflow', `--id=${id}`, '--active=true'] : ['publish:workflow', `--id=${id}`],
		);
		this.activated.add(id);
	}

	/** Records a workflow activated on a running server (rest.ts), for webhooksRegistered(). */
	markActivated(id: string): void {
		this.activated.add(id);
	}

	/**
	 * `n8n execute --id --rawOutput`: the workflow must start with a Manual Trigger (or an Execute
	 * Workflow Trigger); a Webhook-started one fails with "Missing node to start execution".
	 * Exit code 1 on a node error or unknown node type. The run is also stored (mode "cli").
	 */
	async execute(workflowId: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<ExecuteResult> {
		const r = await this.n8n(['execute', `--id=${workflowId}`, '--rawOutput'], extraEnv);
		const json = parseRawOutput(r.stdout);
		// n8n 2.41's `execute` calls process.exit() without disposing its isolated-vm expression
		// pool, which refills itself in a background thread after every use; now and then (3 runs
		// in about 80 here, more under load) isolated-vm's thread pool destructor then segfaults (gdb: exit handlers
		// -> ivm::thread_pool_t::~thread_pool_t while a pool thread is inside V8). It happens after
		// the run is complete, printed and stored, so the exit code n8n meant is restored from the
		// result: 1 when the run has an error, else 0. A crash before the result stays a failure.
		if (r.signal === 'SIGSEGV' && json) {
			return { ...r, json, exitCode: json.data.resultData.error ? 1 : 0, crashedOnExit: true };
		}
		return { ...r, json };
	}

	/** `n8n start` on 127.0.0.1 with free ports; resolves once active workflows are registered. */
	start(opts: StartOptions = {}): Promise<N8nServer> {
		return this.startProcess('start', opts);
	}

	/** `n8n start`, `n8n webhook` or `n8n worker` (the last two only make sense in queue mode). */
	async startProcess(command: N8nCommand, opts: StartOptions = {}): Promise<N8nServer> {
		const server = await startServer(
			{
				rt: this.rt,
				userFolder: this.userFolder,
				env: (extra) => this.env(extra),
				webhooksRegistered: () => this.webhooksRegistered(),
				record: (text) => {
					this.servers.delete(server);
					this.transcript.push(text);
				},
			},
			command,
			opts,
		);
		this.servers.add(server);
		return server;
	}

	/**
	 * Whether the webhook trigger nodes of the workflows activated through this home are in the
	 * database (webhook_entity), which is where n8n looks webhooks up for each request. 1.x
	 * registers them before its last start-up line; 2.x's publication service does it a moment
	 * later in the background, and a request in between gets 404 "webhook is not registered". A
	 * webhook trigger node here is an enabled node with a `webhookId` (as the editor saves them)
	 * and "webhook" or "trigger" in its type, which leaves out Wait/Form pages that register only
	 * while a run waits.
	 */
	async webhooksRegistered(): Promise<boolean> {
		const expected = [...this.activated].flatMap((id) =>
			(this.workflows.get(id)?.nodes ?? [])
				.filter((n) => n.webhookId && !n.disabled && /webhook|trigger/i.test(n.type))
				.map((n) => `${id}/${n.name}`),
		);
		if (!expected.length) return true;
		const rows = await this.query<{ key: string }>('SELECT DISTINCT "workflowId" || \'/\' || node AS key FROM webhook_entity');
		return expected.every((key) => rows.some((r) => r.key === key));
	}

	/** Where this home's n8n keeps its data. */
	get database(): DatabaseTarget {
		return this.postgres ?? { kind: 'sqlite', file: path.join(this.n8nFolder, 'database.sqlite') };
	}

	/**
	 * One SQL query on n8n's database (`?` placeholders; quote camelCase columns: "workflowId").
	 * Empty before n8n has created its SQLite file.
	 */
	async query<T = Record<string, unknown>>(sql: string, params: Array<string | number> = []): Promise<T[]> {
		const db = this.database;
		if (db.kind === 'sqlite' && !fs.existsSync(db.file)) return [];
		return queryDatabase<T>(this.rt, db, sql, params, this.root);
	}

	/** Executions stored in n8n's database, oldest first (optionally of one workflow). */
	listExecutions(opts: { workflowId?: string; withData?: boolean } = {}): Promise<N8nExecution[]> {
		return listExecutions((sql, params) => this.query(sql, params), opts);
	}

	/** Polls until `count` executions of a workflow have finished (n8n stores them asynchronously). */
	waitForExecutions(workflowId: string, count: number, timeoutMs = 30_000): Promise<N8nExecution[]> {
		return waitForExecutions((sql, params) => this.query(sql, params), workflowId, count, timeoutMs);
	}

	/** Everything n8n printed (CLI commands and servers) so far. */
	printed(): string {
		return [...this.transcript, ...[...this.servers].map((s) => s.output())].join('\n');
	}

	/** Every file n8n stored under userFolder (database, config, logs, event logs, nodes, tmp). */
	storedFiles(): string[] {
		const files: string[] = [];
		const walk = (dir: string) => {
			for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
				const p = path.join(dir, e.name);
				if (e.isDirectory()) walk(p);
				else if (e.isFile()) files.push(p);
			}
		};
		walk(this.userFolder);
		return files;
	}

	async dispose(): Promise<void> {
		await Promise.all([...this.servers].map((s) => s.stop()));
		fs.rmSync(this.root, { recursive: true, force: true });
	}
}
