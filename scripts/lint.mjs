// `npm run lint`: n8n's own lint in strict mode, then the project's lint of development code.
//
// eslint.config.mjs must stay n8n's default (strict mode compares it with the template), and that
// default applies n8n's node rules to every .ts file. So:
// - nodes/ and credentials/ are published: n8n's rules hold there with no exception. Inline
//   `eslint-disable` comments are refused, because n8n's scanner ignores them.
// - every other .ts file is development code. When n8n's rules flag one, it starts with DEV_HEADER,
//   and eslint.dev.config.mjs lints it with --no-inline-config, so the header hides nothing there.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
const DEV_HEADER =
	"/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */";

function publishedSources(dir) {
	const full = path.join(root, dir);
	if (!fs.existsSync(full)) return [];
	return fs
		.readdirSync(full, { recursive: true })
		.filter((name) => /\.(ts|js|json)$/.test(name))
		.map((name) => path.join(dir, name));
}

function run(cmd, args) {
	const result = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', env: process.env });
	process.stdout.write(result.stdout ?? '');
	process.stderr.write(result.stderr ?? '');
	if (result.error) throw result.error;
	return { ok: result.status === 0, output: `${result.stdout}\n${result.stderr}` };
}

const inline = publishedSources('nodes')
	.concat(publishedSources('credentials'))
	.filter((file) => /eslint-(disable|enable)|\/\*\s*eslint\s/.test(fs.readFileSync(path.join(root, file), 'utf8')));
if (inline.length > 0) {
	console.error(
		`lint: inline eslint directives in published code (n8n's scanner ignores them, so fix the code instead):\n  ${inline.join('\n  ')}`,
	);
	process.exit(1);
}

const n8n = run(bin('n8n-node'), ['lint']);
if (!n8n.ok) {
	// ESLint's stylish output names each failing file on a line of its own, as an absolute path.
	const plain = stripVTControlCharacters(n8n.output);
	const devFiles = plain
		.split('\n')
		.map((line) => line.trim())
		.filter((line) => line.startsWith(root + path.sep))
		.map((line) => path.relative(root, line))
		.filter((file) => file.endsWith('.ts') && !/^(nodes|credentials)[/\\]/.test(file));
	if (devFiles.length > 0) {
		console.error(
			`\nlint: n8n's default eslint.config.mjs (strict mode: it must not change) applies n8n's node rules to every .ts file.\n` +
				`These are development files; make this their first line, and eslint.dev.config.mjs lints them instead:\n` +
				`  ${DEV_HEADER}\n  ${devFiles.join('\n  ')}\n` +
				`(Do NOT run the "disable cloud support" command n8n-node suggests: it would make the package unverifiable.)`,
		);
	}
	process.exit(1);
}

const dev = run(bin('eslint'), ['-c', 'eslint.dev.config.mjs', '--no-inline-config', '--max-warnings', '0', '.']);
if (!dev.ok) {
	console.error(
		'lint: eslint.dev.config.mjs failed. It ignores inline eslint comments; a needed exception goes into that file, with its reason.',
	);
	process.exit(1);
}
