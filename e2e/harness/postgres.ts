/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
/**
 * A throwaway PostgreSQL server (Debian's `postgresql` package) for queue-mode n8n: initdb into a
 * fresh temporary folder, `postgres` in the foreground on 127.0.0.1 and a free port, no systemd,
 * nothing global touched. stop() shuts it down and deletes the folder.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import type { DatabaseTarget } from './database';
import { freePort, run, spawnService, waitUntil } from './process';
import type { Service } from './process';

export type PostgresTarget = Extract<DatabaseTarget, { kind: 'postgres' }>;

export interface PostgresServer {
	host: string;
	port: number;
	/** Superuser; trust authentication on loopback, so no password. */
	user: string;
	dataDir: string;
	service: Service;
	/** CREATE DATABASE name. */
	createDatabase(name: string): Promise<void>;
	/** Where n8n finds `database` here (N8nHome's `database` option). */
	target(database: string): PostgresTarget;
	stop(): Promise<void>;
}

/** The newest /usr/lib/postgresql/<major>/bin (or $PAYLOCO_PG_BIN), where initdb and postgres live. */
export function postgresBin(): string {
	if (process.env.PAYLOCO_PG_BIN) return process.env.PAYLOCO_PG_BIN;
	const base = '/usr/lib/postgresql';
	const majors = fs.existsSync(base) ? fs.readdirSync(base).filter((d) => fs.existsSync(path.join(base, d, 'bin', 'initdb'))) : [];
	if (!majors.length) throw new Error('PostgreSQL is not installed: `apt-get install -y postgresql` (Debian), or set PAYLOCO_PG_BIN');
	return path.join(base, majors.sort((a, b) => Number(b) - Number(a))[0], 'bin');
}

/**
 * PostgreSQL refuses to run as root. As root (CI, these machines) its commands run as the
 * `postgres` user that Debian's package creates, through setpriv (which execs, so the server's
 * pid is the one we track); as anyone else, as that user.
 */
function asServerUser(): { wrap: (cmd: string, args: string[]) => [string, string[]]; uid?: number; gid?: number } {
	if (process.getuid?.() !== 0) return { wrap: (cmd, args) => [cmd, args] };
	const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
	const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
	const wrap = (cmd: string, args: string[]): [string, string[]] => [
		'setpriv',
		[`--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', cmd, ...args],
	];
	return { wrap, uid, gid };
}

export async function startPostgres(): Promise<PostgresServer> {
	const bin = postgresBin();
	const user = asServerUser();
	const root = fs.mkdtempSync(path.join(os.tmpdir(), 'payloco-pg-'));
	const dataDir = path.join(root, 'data');
	fs.mkdirSync(dataDir, { mode: 0o700 });
	if (user.uid !== undefined) {
		fs.chownSync(root, user.uid, user.gid!);
		fs.chownSync(dataDir, user.uid, user.gid!);
	}
	const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', TZ: 'UTC' };
	const cleanup = () => fs.rmSync(root, { recursive: true, force: true });

	const [initCmd, initArgs] = user.wrap(path.join(bin, 'initdb'), [
		'-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions',
	]);
	const init = await run(initCmd, initArgs, { env, cwd: root, timeoutMs: 120_000 });
	if (init.exitCode !== 0) {
		cleanup();
		throw new Error(`initdb failed (exit ${init.exitCode}):\n${init.stdout}\n${init.stderr}`);
	}

	const port = await freePort();
	// Durability settings off: the data is thrown away when the tests end.
	const [cmd, args] = user.wrap(path.join(bin, 'postgres'), [
		'-D', dataDir, '-p', String(port), '-k', root, '-c', 'listen_addresses=127.0.0.1',
		'-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=200',
	]);
	const service = spawnService(cmd, args, { env, cwd: root });
	const psql = (sql: string, database = 'postgres') =>
		run(path.join(bin, 'psql'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', database, '-v', 'ON_ERROR_STOP=1', '-Atc', sql], {
			env,
			cwd: root,
			timeoutMs: 30_000,
		});
	try {
		await waitUntil(service, 'postgres', async () => (await psql('SELECT 1')).exitCode === 0, 60_000);
	} catch (error) {
		cleanup();
		throw error;
	}

	return {
		host: '127.0.0.1',
		port,
		user: 'postgres',
		dataDir,
		service,
		async createDatabase(name) {
			const r = await psql(`CREATE DATABASE "${name}"`);
			if (r.exitCode !== 0) throw new Error(`CREATE DATABASE ${name}: ${r.stderr}`);
		},
		target: (database) => ({ kind: 'postgres', host: '127.0.0.1', port, database, user: 'postgres' }),
		async stop() {
			await service.stop('SIGINT', 20_000); // SIGINT = "fast" shutdown: ends sessions, no wait
			cleanup();
		},
	};
}
