/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
/**
 * Drives real n8n installations (see scripts/install-n8n.js) through n8n's own CLI, for
 * end-to-end tests. Node built-ins only.
 *
 *   const home = await N8nHome.create(2, { packageTgz });   // fresh N8N_USER_FOLDER
 *   await home.importCredentials([{ id, name, type, data }]);
 *   await home.importWorkflow(workflow);                     // keeps workflow.id
 *   const { json } = await home.execute(workflow.id);       // needs a Manual Trigger
 *   await home.activateWorkflow(hookWorkflow.id);            // before start()
 *   const server = await home.start();                       // server.url + '/webhook/<path>'
 *   ...; await server.stop(); await home.dispose();
 */
import { spawn } from 'child_process';
import type { ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { freePort, healthy, killGroup, live, run, sleep } from './process';
import type { CommandResult } from './process';
import { runtime } from './runtime';
import type { N8nLine, N8nRuntime } from './runtime';

export { ENCRYPTION_KEY, packPackage, runtime } from './runtime';
export type { N8nLine, N8nRuntime } from './runtime';
export { freePort } from './process';
export type { CommandResult } from './process';

/** One run of one node, as n8n reports it. */
export interface NodeRun {
	executionStatus?: string;
	error?: { message: string; description?: string; [k: string]: unknown };
	data?: { main: Array<Array<{ json: Record<string, unknown>; binary?: Record<string, unknown> }> | null> };
	[k: string]: unknown;
}

/** A run as `n8n execute --rawOutput` prints it (the same shape in 1.x and 2.x). */
export interface RawRun {
	status?: string;
	finished?: boolean;
	mode?: string;
	data: {
		resultData: {
			runData: Record<string, NodeRun[]>;
			lastNodeExecuted?: string;
			error?: { message: string; node?: { name: string }; [k: string]: unknown };
		};
		[k: string]: unknown;
	};
	[k: string]: unknown;
}

export interface ExecuteResult extends CommandResult {
	/** Parsed result; undefined when n8n printed none (e.g. an unknown node type). */
	json?: RawRun;
	/** n8n 2.x crashed in process.exit() after printing (and storing) the complete result. */
	crashedOnExit?: boolean;
}

/** The `json` of the items a node emitted on its first output, in its `run`-th run (default 0). */
export function outputOf(result: RawRun | undefined, node: string, run = 0): Record<string, unknown>[] {
	const main = result?.data.resultData.runData[node]?.[run]?.data?.main?.[0];
	return (main ?? []).map((item) => item.json);
}

export interface N8nExecution {
	id: string;
	workflowId: string;
	/** "cli" for `n8n execute`, "webhook", "trigger", ... */
	mode: string;
	status: string;
	finished: boolean;
	startedAt: string | null;
	stoppedAt: string | null;
	/** n8n's stored run data (a flatted JSON string), only with { withData: true }. */
	data?: string;
}

export interface N8nServer {
	/** Base URL, e.g. http://127.0.0.1:43123 (webhooks under /webhook/<path>). */
	url: string;
	port: number;
	process: ChildProcess;
	/** Everything the server printed so far. */
	output(): string;
	stop(): Promise<void>;
}

export interface StartOptions {
	env?: NodeJS.ProcessEnv;
	/** A fixed port (npm start); a free one by default. */
	port?: number;
	/** Until ready; default 90 s. */
	timeoutMs?: number;
	/** Wait for the webhooks of workflows activated through this home (default true). */
	waitForWebhooks?: boolean;
}

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
}

/** 2.x prints log lines before the JSON: it starts at the first line beginning with "{". */
export function parseRawOutput(stdout: string): RawRun | undefined {
	const start = stdout.search(/^\{/m);
	if (start < 0) return undefined;
	const text = stdout.slice(start);
	try {
		return JSON.parse(text);
	} catch {
		// Log lines after the JSON: cut after the last line that starts with "}".
		const end = text.lastIndexOf('\n}');
		try {
			return end < 0 ? undefined : JSON.parse(text.slice(0, end + 2));
		} catch {
			return undefined;
		}
	}
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
	) {}

	static async create(line: N8nLine, opts: CreateOptions = {}): Promise<N8nHome> {
		const rt = runtime(line);
		const root = fs.mkdtempSync(path.join(os.tmpdir(), `n8n-e2e-${line}-`));
		const userFolder = path.join(root, 'home');
		fs.mkdirSync(path.join(userFolder, 'tmp'), { recursive: true });
		const home = new N8nHome(rt, root, userFolder, opts.env ?? {}, opts.timeoutMs ?? 120_000);
		if (opts.packageTgz) await home.installPackage(opts.packageTgz);
		return home;
	}

	/** n8n's own state folder: database.sqlite, config, nodes/, logs/, n8nEventLog*.log, ... */
	get n8nFolder(): string {
		return path.join(this.userFolder, '.n8n');
	}

	env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
		return this.rt.env(this.userFolder, { ...this.extraEnv, ...extra });
	}

	/** Runs `n8n <args>`; never throws on a non-zero exit code. */
	async n8n(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<CommandResult> {
		// 2.x starts a task broker even for CLI commands: a port of its own lets homes run in parallel.
		const env = this.env({ N8N_RUNNERS_BROKER_PORT: String(await freePort()), ...extraEnv });
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

	/** Keeps the workflow's `id`. Imported workflows are always inactive: see activateWorkflow. */
	async importWorkflow(wf: object): Promise<void> {
		await this.importJson('import:workflow', [wf]);
		const { id } = wf as WorkflowLike;
		if (id) this.workflows.set(id, wf as WorkflowLike);
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
	async start(opts: StartOptions = {}): Promise<N8nServer> {
		const port = opts.port ?? (await freePort());
		const url = `http://127.0.0.1:${port}`;
		const env = this.env({
			N8N_PORT: String(port),
			N8N_LISTEN_ADDRESS: '127.0.0.1',
			N8N_HOST: '127.0.0.1',
			// The public base of webhook URLs (renamed in 2.x).
			[this.rt.line === 1 ? 'WEBHOOK_URL' : 'N8N_WEBHOOK_URL']: `${url}/`,
			N8N_RUNNERS_BROKER_PORT: String(await freePort()),
			// No editor: otherwise every start copies ~1,000 UI files into $HOME/.cache/n8n/public.
			N8N_DISABLE_UI: 'true',
			...opts.env,
		});
		const child = spawn(this.rt.nodeBin, [this.rt.n8nBin, 'start'], {
			cwd: this.userFolder,
			env,
			detached: true,
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		live.add(child.pid!);
		let out = '';
		child.stdout!.on('data', (d) => (out += d));
		child.stderr!.on('data', (d) => (out += d));
		let exited: number | null | undefined;
		const exit = new Promise<void>((resolve) =>
			child.on('exit', (code, signal) => {
				exited = code ?? (signal ? -1 : 0);
				live.delete(child.pid!);
				resolve();
			}),
		);
		let stopped = false;
		const server: N8nServer = {
			url,
			port,
			process: child,
			output: () => out,
			stop: async () => {
				if (stopped) return exit;
				stopped = true;
				this.servers.delete(server);
				if (exited === undefined) {
					killGroup(child.pid!, 'SIGTERM'); // n8n shuts down its task runner and the DB cleanly
					const hard = setTimeout(() => killGroup(child.pid!, 'SIGKILL'), 20_000);
					await exit;
					clearTimeout(hard);
				}
				this.transcript.push(`$ n8n start  (port ${port}, exit ${exited})\n${out}`);
			},
		};
		this.servers.add(server);

		// Ready = n8n printed its last start-up line, /healthz answers, and the webhook trigger
		// nodes of the workflows activated through this home are in the database (webhook_entity),
		// which is where n8n looks webhooks up for each request. 1.x registers them before that
		// last line; 2.x's publication service does it a moment later in the background, and a
		// request in between gets 404 "webhook is not registered". A webhook trigger node here is
		// an enabled node with a `webhookId` (as the editor saves them) and "webhook" or "trigger"
		// in its type, which leaves out Wait/Form pages that register only while a run waits.
		const expected =
			opts.waitForWebhooks === false
				? []
				: [...this.activated].flatMap((id) =>
						(this.workflows.get(id)?.nodes ?? [])
							.filter((n) => n.webhookId && !n.disabled && /webhook|trigger/i.test(n.type))
							.map((n) => `${id}/${n.name}`),
					);
		const registered = async () => {
			if (!expected.length) return true;
			const rows = await this.query<{ key: string }>(
				"SELECT DISTINCT workflowId || '/' || node AS key FROM webhook_entity",
			);
			return expected.every((key) => rows.some((r) => r.key === key));
		};
		const deadline = Date.now() + (opts.timeoutMs ?? 90_000);
		while (!(out.includes('Editor is now accessible via') && (await healthy(url)) && (await registered()))) {
			if (exited !== undefined || Date.now() > deadline) {
				await server.stop();
				const why = exited !== undefined ? `exited with ${exited}` : 'did not become ready in time';
				throw new Error(`n8n start ${why}:\n${out}`);
			}
			await sleep(250);
		}
		return server;
	}

	/**
	 * Runs one SQL query on n8n's sqlite database with the runtime's own sqlite3 module, in a child
	 * process on the runtime's Node (so it works for both lines, and while a server is running).
	 */
	async query<T = Record<string, unknown>>(sql: string, params: Array<string | number> = []): Promise<T[]> {
		const dbFile = path.join(this.n8nFolder, 'database.sqlite');
		if (!fs.existsSync(dbFile)) return [];
		const script = `
			const [sqlite3Dir, file, sql, params] = process.argv.slice(1);
			const sqlite3 = require(sqlite3Dir);
			const db = new sqlite3.Database(file);
			db.configure('busyTimeout', 10000);
			db.all(sql, JSON.parse(params), (err, rows) => {
				if (err) { console.error(err.message); process.exit(1); }
				process.stdout.write(JSON.stringify(rows));
				db.close();
			});`;
		const args = ['-e', script, path.join(this.rt.modules, 'sqlite3'), dbFile, sql, JSON.stringify(params)];
		const r = await run(this.rt.nodeBin, args, { env: process.env, cwd: this.root, timeoutMs: 30_000 });
		if (r.exitCode !== 0) throw new Error(`sqlite query failed: ${r.stderr}\n${sql}`);
		return JSON.parse(r.stdout);
	}

	/** Executions stored in n8n's database, oldest first (optionally of one workflow). */
	async listExecutions(opts: { workflowId?: string; withData?: boolean } = {}): Promise<N8nExecution[]> {
		const sql =
			'SELECT e.id, e.workflowId, e.mode, e.status, e.finished, e.startedAt, e.stoppedAt' +
			(opts.withData
				? ', d.data FROM execution_entity e LEFT JOIN execution_data d ON d.executionId = e.id'
				: ' FROM execution_entity e') +
			(opts.workflowId ? ' WHERE e.workflowId = ?' : '') +
			' ORDER BY e.id';
		type Row = Omit<N8nExecution, 'id' | 'finished'> & { id: number; finished: number };
		const rows = await this.query<Row>(sql, opts.workflowId ? [opts.workflowId] : []);
		return rows.map((row) => ({ ...row, id: String(row.id), finished: Boolean(row.finished) }));
	}

	/** Polls until `count` executions of a workflow have finished (n8n stores them asynchronously). */
	async waitForExecutions(workflowId: string, count: number, timeoutMs = 30_000): Promise<N8nExecution[]> {
		const deadline = Date.now() + timeoutMs;
		for (;;) {
			const all = await this.listExecutions({ workflowId });
			const done = all.filter((e) => e.stoppedAt !== null && e.status !== 'running' && e.status !== 'new');
			if (done.length >= count) return all;
			if (Date.now() > deadline) {
				throw new Error(`expected ${count} finished executions of ${workflowId}, have ${JSON.stringify(all)}`);
			}
			await sleep(250);
		}
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
