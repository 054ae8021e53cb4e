/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

/**
 * The n8n runtimes install exactly as committed: scripts/install-n8n.js refuses a lockfile that
 * is out of date with its package.json, before it installs anything. Neither test installs
 * anything: `check` runs `npm ci --dry-run` on copies, and the install stops at that same check,
 * made before anything is unpacked.
 */
const root = path.resolve(__dirname, '..');
const exec = promisify(execFile);
let work: string;

beforeAll(() => {
	work = fs.mkdtempSync(path.join(os.tmpdir(), 'payloco-install-n8n-'));
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** Runs `node <scriptsDir>/install-n8n.js <args>` with its cache in `cache`; never throws on a non-zero exit. */
async function installScript(scriptsDir: string, args: string[], cache: string) {
	const env = { ...process.env, PAYLOCO_E2E_CACHE: cache, npm_config_loglevel: 'error' };
	try {
		const { stdout, stderr } = await exec(process.execPath, [path.join(scriptsDir, 'install-n8n.js'), ...args], { env, timeout: 120_000 });
		return { code: 0, output: stdout + stderr };
	} catch (e) {
		const err = e as { code?: number; stdout?: string; stderr?: string };
		return { code: err.code ?? -1, output: `${err.stdout ?? ''}${err.stderr ?? ''}` };
	}
}

it('the committed lockfiles of n8n 1.x, Node 24 and n8n 2.x are in sync with their package.json', async () => {
	const { code, output } = await installScript(path.join(root, 'scripts'), ['check'], path.join(work, 'unused-cache'));
	expect(output).toContain('lockfiles in sync with their package.json: n8n-1, node24, n8n-2');
	expect(code).toBe(0);
}, 120_000);

it('an n8n 1.x package.json changed without its lockfile fails the install, and nothing is installed', async () => {
	// A copy of the repository's script and runtime folders, as a contributor would leave them after
	// changing an override in package.json without updating the lockfile.
	const copy = path.join(work, 'repo');
	for (const f of ['install-n8n.js', 'unpack-lockfile.js']) fs.cpSync(path.join(root, 'scripts', f), path.join(copy, 'scripts', f));
	fs.cpSync(path.join(root, 'e2e', 'runtimes'), path.join(copy, 'e2e', 'runtimes'), { recursive: true });
	const pkgFile = path.join(copy, 'e2e', 'runtimes', 'n8n-1', 'package.json');
	const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8'));
	expect(pkg.overrides.xlsx).toBe('0.18.5');
	pkg.overrides.xlsx = '0.18.4';
	fs.writeFileSync(pkgFile, JSON.stringify(pkg, null, 2));
	const cache = path.join(work, 'cache');

	const { code, output } = await installScript(path.join(copy, 'scripts'), ['1'], cache);
	expect(output).toContain('e2e/runtimes/n8n-1/package-lock.json is out of date with its package.json; nothing was installed.');
	expect(output).toMatch(/xlsx@0\.18\.4/);
	expect(code).toBe(1);
	expect(fs.existsSync(path.join(cache, 'n8n-1', 'node_modules'))).toBe(false);
	expect(fs.existsSync(path.join(cache, 'n8n-1', '.install-stamp'))).toBe(false);
}, 120_000);
