/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
/**
 * Reading n8n's own database: SQLite (one process) or PostgreSQL (queue mode). Queries run in a
 * child process on the runtime's Node with the runtime's own driver (sqlite3 or pg), so they work
 * for both lines and while n8n is running. SQL is written once for both: `?` placeholders and
 * double-quoted camelCase columns ("workflowId"), which SQLite accepts too.
 */
import * as path from 'path';

import { run, sleep } from './process';
import type { N8nRuntime } from './runtime';

export type DatabaseTarget =
	| { kind: 'sqlite'; file: string }
	| { kind: 'postgres'; host: string; port: number; database: string; user: string };

export interface N8nExecution {
	id: string;
	workflowId: string;
	/** "cli" for `n8n execute`, "webhook", "trigger", ... */
	mode: string;
	/** success, error, crashed, running, new, waiting, canceled */
	status: string;
	finished: boolean;
	startedAt: string | null;
	stoppedAt: string | null;
	/** n8n's stored run data (a flatted JSON string), only with { withData: true }. */
	data?: string;
}

const SQLITE = `
	const [dir, target, sql, params] = process.argv.slice(1);
	const sqlite3 = require(dir);
	const db = new sqlite3.Database(JSON.parse(target).file);
	db.configure('busyTimeout', 10000);
	db.all(sql, JSON.parse(params), (err, rows) => {
		if (err) { console.error(err.message); process.exit(1); }
		process.stdout.write(JSON.stringify(rows));
		db.close();
	});`;

const POSTGRES = `
	const [dir, target, sql, params] = process.argv.slice(1);
	const { Client } = require(dir);
	const client = new Client(JSON.parse(target));
	let n = 0;
	client.connect()
		.then(() => client.query(sql.replace(/\\?/g, () => '$' + ++n), JSON.parse(params)))
		.then((r) => { process.stdout.write(JSON.stringify(r.rows)); return client.end(); })
		.catch((err) => { console.error(err.message); process.exit(1); });`;

export async function queryDatabase<T>(
	rt: N8nRuntime,
	target: DatabaseTarget,
	sql: string,
	params: Array<string | number> = [],
	cwd: string,
): Promise<T[]> {
	const [script, driver] = target.kind === 'sqlite' ? [SQLITE, 'sqlite3'] : [POSTGRES, 'pg'];
	const args = ['-e', script, path.join(rt.modules, driver), JSON.stringify(target), sql, JSON.stringify(params)];
	const r = await run(rt.nodeBin, args, { env: process.env, cwd, timeoutMs: 30_000 });
	if (r.exitCode !== 0) throw new Error(`${target.kind} query failed: ${r.stderr}\n${sql}`);
	return JSON.parse(r.stdout);
}

type Query = <T>(sql: string, params?: Array<string | number>) => Promise<T[]>;

/** Executions stored in n8n's database, oldest first (optionally of one workflow). */
export async function listExecutions(query: Query, opts: { workflowId?: string; withData?: boolean } = {}): Promise<N8nExecution[]> {
	const sql =
		'SELECT e.id, e."workflowId", e.mode, e.status, e.finished, e."startedAt", e."stoppedAt"' +
		(opts.withData
			? ', d.data FROM execution_entity e LEFT JOIN execution_data d ON d."executionId" = e.id'
			: ' FROM execution_entity e') +
		(opts.workflowId ? ' WHERE e."workflowId" = ?' : '') +
		' ORDER BY e.id';
	type Row = Omit<N8nExecution, 'id' | 'finished'> & { id: number; finished: number | boolean };
	const rows = await query<Row>(sql, opts.workflowId ? [opts.workflowId] : []);
	return rows.map((row) => ({ ...row, id: String(row.id), finished: Boolean(row.finished) }));
}

/** Whether n8n is done with an execution (it stores them asynchronously, and queue mode later still). */
export const isDone = (e: N8nExecution) => e.stoppedAt !== null && e.status !== 'running' && e.status !== 'new';

/** Polls until `count` executions of a workflow are done. */
export async function waitForExecutions(query: Query, workflowId: string, count: number, timeoutMs = 30_000): Promise<N8nExecution[]> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const all = await listExecutions(query, { workflowId });
		if (all.filter(isDone).length >= count) return all;
		if (Date.now() > deadline) {
			throw new Error(`expected ${count} finished executions of ${workflowId}, have ${JSON.stringify(all)}`);
		}
		await sleep(250);
	}
}
