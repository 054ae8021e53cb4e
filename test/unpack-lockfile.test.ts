/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';

// CommonJS, no types: the installer of the n8n runtimes (scripts/install-n8n.js runs it).
const { unpackLockfile } = require('../scripts/unpack-lockfile.js') as {
	unpackLockfile: (dir: string, opts: { cacheDir: string; registry: string }) => Promise<{ packages: number; downloaded: number }>;
};

/**
 * scripts/unpack-lockfile.js against a registry of its own on 127.0.0.1: what it puts into
 * node_modules (as npm's pacote would), and what it refuses. The tarballs are written here, byte
 * by byte, so that a path npm would never pack can be tried too.
 */
type Entry = { name: string; body?: string; mode?: number; type?: '0' | '5' | '2' };

function header(name: string, size: number, mode: number, type: string): Buffer {
	const h = Buffer.alloc(512);
	h.write(name, 0, 100, 'utf8');
	h.write(`${mode.toString(8).padStart(7, '0')}\0`, 100, 'latin1');
	h.write('0000000\0', 108, 'latin1');
	h.write('0000000\0', 116, 'latin1');
	h.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'latin1');
	h.write('00000000000\0', 136, 'latin1');
	h.write(type, 156, 'latin1');
	h.write('ustar\0', 257, 'latin1');
	h.write('00', 263, 'latin1');
	h.fill(' ', 148, 156);
	let sum = 0;
	for (const b of h) sum += b;
	h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
	return h;
}

function tgz(entries: Entry[]): Buffer {
	const parts: Buffer[] = [];
	for (const e of entries) {
		const body = Buffer.from(e.body ?? '');
		parts.push(header(e.name, e.type === '5' || e.type === '2' ? 0 : body.length, e.mode ?? 0o644, e.type ?? '0'));
		if (e.type !== '5' && e.type !== '2') parts.push(body, Buffer.alloc((512 - (body.length % 512)) % 512));
	}
	parts.push(Buffer.alloc(1024));
	return gzipSync(Buffer.concat(parts));
}

const sri = (bytes: Buffer) => `sha512-${createHash('sha512').update(bytes).digest('base64')}`;

let work: string;
let server: http.Server;
let registry: string;
const served = new Map<string, Buffer>();
const requested: string[] = [];

beforeAll(async () => {
	work = fs.mkdtempSync(path.join(os.tmpdir(), 'payloco-unpack-'));
	server = http.createServer((req, res) => {
		requested.push(req.url ?? '');
		const bytes = served.get(req.url ?? '');
		res.writeHead(bytes ? 200 : 404).end(bytes);
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	registry = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(async () => {
	await new Promise((resolve) => server.close(resolve));
	fs.rmSync(work, { recursive: true, force: true });
});

/** A project folder with this lockfile; every package's tarball served at its registry address. */
function project(name: string, packages: Record<string, { tarball: Buffer; extra?: object; integrity?: string }>) {
	const dir = path.join(work, name);
	fs.mkdirSync(dir, { recursive: true });
	const lock: { lockfileVersion: number; packages: Record<string, object> } = { lockfileVersion: 3, packages: { '': { name } } };
	for (const [where, p] of Object.entries(packages)) {
		const pkg = where.slice(where.lastIndexOf('node_modules/') + 'node_modules/'.length);
		const base = pkg.split('/').pop();
		served.set(`/${pkg}/-/${base}-1.0.0.tgz`, p.tarball);
		lock.packages[where] = { version: '1.0.0', integrity: p.integrity ?? sri(p.tarball), ...p.extra };
	}
	fs.writeFileSync(path.join(dir, 'package-lock.json'), JSON.stringify(lock));
	return dir;
}

const modeOf = (file: string) => fs.statSync(file).mode & 0o777;

it('unpacks every locked package as npm would: nested folders, modes, bins, .gitignore, links left out, other platforms skipped', async () => {
	const a = tgz([
		{ name: 'package/package.json', body: '{"name":"a"}' },
		{ name: 'package/lib/index.js', body: 'module.exports = 1;', mode: 0o600 },
		{ name: 'package/bin/cli.js', body: '#!/usr/bin/env node', mode: 0o644 },
		{ name: 'package/.gitignore', body: 'x' },
		{ name: 'package/link', type: '2' },
	]);
	const scoped = tgz([
		{ name: 'scoped/package.json', body: '{"name":"@s/b"}' },
		{ name: 'scoped/.npmignore', body: 'kept' },
		{ name: 'scoped/.gitignore', body: 'dropped' },
		{ name: 'scoped/run.sh', body: 'echo', mode: 0o755 },
	]);
	const nested = tgz([{ name: 'package/package.json', body: '{"name":"c"}' }]);
	const other = tgz([{ name: 'package/package.json', body: '{"name":"d"}' }]);
	const dir = project('good', {
		'node_modules/a': { tarball: a, extra: { bin: { acli: 'bin/cli.js' } } },
		'node_modules/@s/b': { tarball: scoped },
		'node_modules/a/node_modules/c': { tarball: nested },
		'node_modules/d': { tarball: other, extra: { os: ['darwin'], optional: true } },
	});
	const cacheDir = path.join(work, 'cache');
	const first = await unpackLockfile(dir, { cacheDir, registry });
	expect(first).toEqual({ packages: 3, downloaded: 3 });
	const nm = path.join(dir, 'node_modules');
	expect(fs.readFileSync(path.join(nm, 'a', 'lib', 'index.js'), 'utf8')).toBe('module.exports = 1;');
	expect(modeOf(path.join(nm, 'a', 'lib', 'index.js'))).toBe(0o644);
	expect(modeOf(path.join(nm, 'a', 'bin', 'cli.js'))).toBe(0o755);
	expect(fs.readlinkSync(path.join(nm, '.bin', 'acli'))).toBe(path.join('..', 'a', 'bin', 'cli.js'));
	expect(fs.readFileSync(path.join(nm, 'a', '.npmignore'), 'utf8')).toBe('x');
	expect(fs.existsSync(path.join(nm, 'a', '.gitignore'))).toBe(false);
	expect(fs.existsSync(path.join(nm, 'a', 'link'))).toBe(false);
	expect(fs.readFileSync(path.join(nm, '@s', 'b', '.npmignore'), 'utf8')).toBe('kept');
	expect(modeOf(path.join(nm, '@s', 'b', 'run.sh'))).toBe(0o755);
	expect(JSON.parse(fs.readFileSync(path.join(nm, 'a', 'node_modules', 'c', 'package.json'), 'utf8')).name).toBe('c');
	expect(fs.existsSync(path.join(nm, 'd'))).toBe(false);
	expect(requested).not.toContain('/d/-/d-1.0.0.tgz');

	// Again into a new folder: every tarball from the cache, none from the registry.
	fs.rmSync(nm, { recursive: true });
	const again = await unpackLockfile(dir, { cacheDir, registry });
	expect(again).toEqual({ packages: 3, downloaded: 0 });
	expect(fs.existsSync(path.join(nm, 'a', 'lib', 'index.js'))).toBe(true);
});

it('refuses a tarball whose bytes are not the ones the lockfile pins, as fatal', async () => {
	const real = tgz([{ name: 'package/package.json', body: '{"name":"e"}' }]);
	const pinned = sri(tgz([{ name: 'package/package.json', body: '{"name":"e","other":true}' }]));
	const dir = project('tampered', { 'node_modules/e': { tarball: real, integrity: pinned } });
	await expect(unpackLockfile(dir, { cacheDir: path.join(work, 'cache-e'), registry })).rejects.toMatchObject({
		message: expect.stringContaining('integrity mismatch'),
		fatal: true,
	});
	expect(fs.existsSync(path.join(dir, 'node_modules', 'e', 'package.json'))).toBe(false);
});

it('refuses a path that leaves the package folder, as fatal, and writes nothing outside it', async () => {
	const evil = tgz([{ name: 'package/../../escaped.txt', body: 'no' }]);
	const dir = project('evil', { 'node_modules/f': { tarball: evil } });
	await expect(unpackLockfile(dir, { cacheDir: path.join(work, 'cache-f'), registry })).rejects.toMatchObject({
		message: expect.stringContaining('unsafe path'),
		fatal: true,
	});
	expect(fs.existsSync(path.join(dir, 'escaped.txt'))).toBe(false);
	expect(fs.existsSync(path.join(dir, 'node_modules', 'escaped.txt'))).toBe(false);
});

it('a required package the registry does not have fails (not fatal: the installer then runs npm ci)', async () => {
	const dir = project('missing', { 'node_modules/g': { tarball: tgz([{ name: 'package/x', body: '1' }]) } });
	served.delete('/g/-/g-1.0.0.tgz');
	const failure = await unpackLockfile(dir, { cacheDir: path.join(work, 'cache-g'), registry }).catch((e: Error & { fatal?: boolean }) => e);
	expect(failure).toBeInstanceOf(Error);
	expect((failure as Error).message).toContain('HTTP 404');
	expect((failure as { fatal?: boolean }).fatal).toBeUndefined();
}, 30_000);
