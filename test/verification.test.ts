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

describe('the repository n8n verifies', () => {
	const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

	it('package.json names one GitHub repository; the codex files and the credentials link to the npm page', () => {
		// The owner is a placeholder until the real one is known (CONTRIBUTING.md, Releasing); the
		// publish workflow refuses to publish while it is there.
		const repo = /^git\+https:\/\/github\.com\/([A-Za-z0-9-]+)\/([A-Za-z0-9._-]+)\.git$/.exec(pkg.repository.url);
		expect(repo).not.toBeNull();
		const [, owner, name] = repo as RegExpExecArray;
		expect(name).toBe(pkg.name);
		const base = `https://github.com/${owner}/${name}`;
		expect(pkg.homepage).toBe(`${base}#readme`);
		expect(pkg.bugs.url).toBe(`${base}/issues`);
		expect(pkg.author).toMatchObject({ name: owner, url: `https://github.com/${owner}` });
		expect(pkg.author.email).toMatch(/^[^@\s]+@[^@\s]+$/); // n8n's valid-author rule wants one
		expect(pkg.license).toBe('MIT');
		expect(pkg.dependencies ?? {}).toEqual({});

		// The Docs links n8n shows open the package's npm page, which exists as soon as it is
		// published (a GitHub link would be broken until the placeholder owner is replaced), at a
		// heading the README really has.
		const published = ['nodes', 'credentials'].flatMap((dir) =>
			(fs.readdirSync(path.join(root, dir), { recursive: true }) as string[])
				.filter((file) => /\.(ts|json)$/.test(file))
				.map((file) => path.join(dir, file)),
		);
		const links = published.flatMap((file) => fs.readFileSync(path.join(root, file), 'utf8').match(/https:\/\/(?:github\.com|www\.npmjs\.com)\/[^'"\s)]*/g) ?? []);
		expect(links.length).toBeGreaterThanOrEqual(6); // two credentials, two links in each codex file
		const slug = (heading: string) => heading.trim().toLowerCase().replace(/[^\w\s-]/g, '').replace(/\s/g, '-');
		const anchors = new Set(
			fs.readFileSync(path.join(root, 'README.md'), 'utf8')
				.split('\n')
				.filter((line) => /^#{1,6} /.test(line))
				.map((line) => slug(line.replace(/^#+ /, ''))),
		);
		for (const link of links) {
			const [page, anchor] = link.split('#');
			expect({ link, page }).toEqual({ link, page: `https://www.npmjs.com/package/${pkg.name}` });
			expect({ link, anchorInReadme: anchors.has(anchor) }).toEqual({ link, anchorInReadme: true });
		}
	});

	it('each node has a codex file in Finance & Accounting with documentation links', () => {
		for (const file of pkg.n8n.nodes as string[]) {
			const codexPath = path.join(root, file.replace(/^dist\//, '').replace(/\.js$/, '.json'));
			const codex = JSON.parse(fs.readFileSync(codexPath, 'utf8'));
			expect(codex.categories).toEqual(['Finance & Accounting']);
			expect(codex.node).toBe(`${pkg.name}.${path.basename(file, '.node.js').replace(/^./, (c) => c.toLowerCase())}`);
			expect(codex.resources.primaryDocumentation[0].url).toMatch(/^https:\/\//);
			expect(codex.resources.credentialDocumentation[0].url).toMatch(/^https:\/\//);
			expect(fs.existsSync(path.join(root, 'dist', path.relative(root, codexPath)))).toBe(true); // the build copies it
		}
	});

	it('the publish workflow publishes on a version tag with provenance, after the test command', () => {
		const publish = fs.readFileSync(path.join(root, '.github/workflows/publish.yml'), 'utf8');
		expect(publish).toMatch(/tags:\s*\n\s*- '\*\.\*\.\*'/);
		expect(publish).toMatch(/id-token: write/);
		expect(publish).toMatch(/run: \.ci\/run/);
		expect(publish).toMatch(/needs: test/);
		expect(publish).toMatch(/run: npm ci/);
		expect(publish).toMatch(/npm run release/);
		expect(pkg.scripts.release).toBe('n8n-node release');
		const ci = fs.readFileSync(path.join(root, '.ci/run'), 'utf8');
		expect(ci).toMatch(/^npm ci && npm test$/m);
		expect(fs.readFileSync(path.join(root, '.github/workflows/ci.yml'), 'utf8')).toMatch(/run: \.ci\/run/);
	});
});
