/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * What n8n's verification checks, and that each check here can fail. The passing runs are in the
 * test command itself (`npm run lint`, `npm run scan`); these prove the checks bite.
 */
const root = path.resolve(__dirname, '..');
let work: string;

beforeAll(() => {
	work = fs.mkdtempSync(path.join(os.tmpdir(), 'payloco-verification-'));
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function run(cmd: string, args: string[], cwd: string) {
	const result = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_loglevel: 'error' } });
	return { status: result.status, output: `${result.stdout}\n${result.stderr}` };
}

const scan = (...args: string[]) => run(process.execPath, [path.join(root, 'scripts/scan.mjs'), ...args], root);

function copy(from: string, to: string) {
	fs.cpSync(path.join(root, from), path.join(to, from), { recursive: true });
}

describe("n8n's scanner", () => {
	it('fails the source on a miscased field name, even with an eslint-disable comment', () => {
		const source = path.join(work, 'source');
		['package.json', 'nodes', 'credentials'].forEach((entry) => copy(entry, source));
		const options = path.join(source, 'nodes/PayLoco/engine/options.ts');
		const text = fs.readFileSync(options, 'utf8');
		expect(text).toContain("displayName: 'Timeout',");
		fs.writeFileSync(
			options,
			text.replace(
				"displayName: 'Timeout',",
				"// eslint-disable-next-line n8n-nodes-base/node-param-display-name-miscased\n\t\t\tdisplayName: 'Timeout (ms)',",
			),
		);
		const { status, output } = scan('--source', source);
		expect(output).toMatch(/options\.ts[\s\S]*n8n-nodes-base\/node-param-display-name-miscased/);
		expect(status).toBe(1);
	}, 120_000);

	it('fails the tarball on console output in compiled node code', () => {
		expect(fs.existsSync(path.join(root, 'dist/nodes/PayLoco/PayLoco.node.js'))).toBe(true); // `npm run build` first
		const packageDir = path.join(work, 'tarball/package');
		copy('package.json', packageDir);
		copy('dist', packageDir);
		const compiled = path.join(packageDir, 'dist/nodes/PayLoco/PayLoco.node.js');
		fs.appendFileSync(compiled, '\nconsole.log("leak");\n');
		const tarball = path.join(work, 'tarball/bad.tgz');
		expect(run('tar', ['-czf', tarball, 'package'], path.dirname(packageDir)).status).toBe(0);
		const { status, output } = scan('--tarball', tarball);
		expect(output).toMatch(/PayLoco\.node\.js[\s\S]*no-console/);
		expect(status).toBe(1);
	}, 120_000);
});

describe('strict mode', () => {
	it("keeps eslint.config.mjs exactly n8n's default, with strict on", () => {
		const template = fs.readFileSync(
			path.join(root, 'node_modules/@n8n/node-cli/dist/template/templates/shared/default/eslint.config.mjs'),
			'utf8',
		);
		const normalize = (text: string) => text.replace(/\s+/g, ' ').trim();
		expect(normalize(fs.readFileSync(path.join(root, 'eslint.config.mjs'), 'utf8'))).toBe(normalize(template));
		expect(JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).n8n.strict).toBe(true);
	});
});

describe('the lockfile', () => {
	function project(name: string, edit?: (pkg: Record<string, Record<string, string>>) => void) {
		const dir = path.join(work, name);
		fs.mkdirSync(dir);
		['package.json', 'package-lock.json', '.npmrc'].forEach((file) => copy(file, dir));
		if (edit) {
			const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
			edit(pkg);
			fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(pkg, null, 2));
		}
		return dir;
	}

	it('is in sync with package.json: npm ci accepts it', () => {
		const { status, output } = run('npm', ['ci', '--dry-run'], project('in-sync'));
		expect(output).not.toMatch(/in sync/);
		expect(status).toBe(0);
	}, 120_000);

	it('a dependency changed without the lockfile makes npm ci refuse', () => {
		const dir = project('out-of-sync', (pkg) => {
			pkg.devDependencies.typescript = '5.8.2';
		});
		const { status, output } = run('npm', ['ci', '--dry-run'], dir);
		expect(output).toMatch(/package\.json and package-lock\.json[\s\S]*in sync/);
		expect(status).not.toBe(0);
	}, 120_000);
});
