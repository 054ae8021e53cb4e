// `npm run scan`: n8n's own verification scanner (@n8n/scan-community-package), run locally.
// Its CLI only scans a package already published with provenance; its module lints a directory
// the same way. Like the CLI, this lints the source (package.json, nodes/, credentials/) and the
// packed tarball (compiled .js and the published package.json). The scanner ignores inline
// eslint comments, so nothing here can be switched off in the code.
//
//   node scripts/scan.mjs                      source = this repository, tarball = a fresh npm pack
//   node scripts/scan.mjs --source DIR         scan only DIR as a source tree
//   node scripts/scan.mjs --tarball FILE.tgz   scan only that tarball
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyzePackage, SOURCE_FILE_PATTERNS } from '@n8n/scan-community-package/scanner/scanner.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// The tarball leg of the scanner's CLI (analyzePackageByName) uses exactly these patterns.
const TARBALL_FILE_PATTERNS = ['**/*.js', 'package.json'];

function sh(cmd, args, cwd) {
	const result = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
	if (result.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${result.stderr || result.error}`);
	return result.stdout;
}

function packTarball(workDir) {
	if (!fs.existsSync(path.join(root, 'dist'))) throw new Error('dist/ is missing: run `npm run build` first');
	const out = sh('npm', ['pack', '--json', '--pack-destination', workDir], root);
	return path.join(workDir, JSON.parse(out)[0].filename);
}

async function scan(label, dir, patterns) {
	const result = await analyzePackage(dir, patterns);
	if (result.passed) {
		console.log(`scan: ${label}: passed`);
		return true;
	}
	console.error(`scan: ${label}: FAILED: ${result.message}\n${result.details ?? ''}`);
	return false;
}

const args = process.argv.slice(2);
const option = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const only = { source: option('--source'), tarball: option('--tarball') };
const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'payloco-scan-'));
let passed = true;
try {
	if (only.source || !only.tarball) {
		passed = (await scan(`source ${only.source ?? '.'}`, path.resolve(only.source ?? root), SOURCE_FILE_PATTERNS)) && passed;
	}
	if (only.tarball || !only.source) {
		const tarball = only.tarball ? path.resolve(only.tarball) : packTarball(workDir);
		const unpacked = path.join(workDir, 'package');
		fs.mkdirSync(unpacked);
		sh('tar', ['-xzf', tarball, '-C', unpacked, '--strip-components=1'], workDir);
		passed = (await scan(`tarball ${path.basename(tarball)}`, unpacked, TARBALL_FILE_PATTERNS)) && passed;
	}
} finally {
	fs.rmSync(workDir, { recursive: true, force: true });
}
process.exit(passed ? 0 : 1);
