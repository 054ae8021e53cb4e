/*
 * Installs exactly what a package-lock.json (v3) lists into <dir>/node_modules, for the n8n
 * runtimes of the end-to-end tests (scripts/install-n8n.js): what `npm ci --ignore-scripts` does,
 * on less CPU. Measured on this 2-core machine, npm ci of n8n 2.x (2,217 packages, 250,000 files)
 * from a warm npm cache takes 116 s user + 69 s system CPU; the two n8n lines install side by side
 * with the checks, so that CPU is wall time on the critical path of every fresh clone's `npm test`.
 *
 * Per locked package: the tarball from .cache/.tarballs (or npm's own cache), else from the
 * registry; its integrity checked against the lockfile (a mismatch fails the install); unpacked the
 * way npm's pacote does (first path component stripped, links skipped, modes at least 0644/0755).
 * Packages for another platform (os / cpu / libc) are skipped, as npm skips them; nothing runs
 * (no install scripts). The caller checks the lockfile against package.json first (npm ci --dry-run).
 *
 *   await unpackLockfile(dir, { cacheDir, registry, log })
 *   node scripts/unpack-lockfile.js <dir> <cacheDir> [registry]
 *       exit 0: done; 2: the lockfile's pins were not met (integrity, unsafe path); 1: other
 *       failures (a download). scripts/install-n8n.js runs one such process per runtime: the
 *       unpacking is synchronous, and two runtimes in one process would share one core.
 *
 * CommonJS, Node >= 20, no dependencies.
 */
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const zlib = require('zlib');

/** Downloads at once: enough to fill the link, few enough for the registry's patience. */
const DOWNLOADS = 8;
const TRIES = 4;
/** A download that stalls is given up after this long and tried again. */
const DOWNLOAD_TIMEOUT_MS = 45_000;

/** glibc or musl (what npm's libc field means), read once: a diagnostic report is not cheap. */
let libcOnce;
function libc() {
	if (libcOnce === undefined) libcOnce = process.platform === 'linux' ? (process.report.getReport().header.glibcVersionRuntime ? 'glibc' : 'musl') : null;
	return libcOnce;
}

function platformMatches(entry) {
	const fits = (field, value) => {
		const list = typeof field === 'string' ? [field] : field;
		if (!list || list.length === 0) return true;
		const allowed = list.filter((v) => !v.startsWith('!'));
		if (list.includes(`!${value}`)) return false;
		return allowed.length === 0 || allowed.includes(value);
	};
	return fits(entry.os, process.platform) && fits(entry.cpu, process.arch) && (!entry.libc || !libc() || fits(entry.libc, libc()));
}

/**
 * The packages to unpack: where (node_modules/...), name, version, integrity and its strongest
 * hash, resolved (if the lockfile has it), optional, bins.
 */
function lockedPackages(lock) {
	if (lock.lockfileVersion < 2 || !lock.packages) throw new Error('needs a package-lock.json of lockfileVersion 2 or 3');
	const out = [];
	for (const [where, entry] of Object.entries(lock.packages)) {
		if (!where || entry.link || entry.inBundle) continue;
		if (!platformMatches(entry)) continue;
		const name = entry.name || where.slice(where.lastIndexOf('node_modules/') + 'node_modules/'.length);
		if (!entry.version || !entry.integrity) throw new Error(`${where}: no version or integrity in the lockfile`);
		if (entry.resolved && !/^https:\/\//.test(entry.resolved)) throw new Error(`${where}: resolved from ${entry.resolved}, not a registry`);
		const bin = typeof entry.bin === 'string' ? { [name.split('/').pop()]: entry.bin } : entry.bin || {};
		out.push({ where, name, version: entry.version, integrity: entry.integrity, hash: strongest(entry.integrity), resolved: entry.resolved, optional: !!entry.optional, bin });
	}
	return out;
}

/** Strongest hash of an SRI string: { algorithm, digest (base64), hex }. */
function strongest(integrity) {
	const order = ['sha512', 'sha384', 'sha256', 'sha1'];
	const parts = integrity.split(/\s+/).map((p) => p.match(/^(sha\d+)-(.+)$/)).filter(Boolean);
	parts.sort((a, b) => order.indexOf(a[1]) - order.indexOf(b[1]));
	if (!parts.length) throw new Error(`unsupported integrity ${integrity}`);
	const [, algorithm, digest] = parts[0];
	return { algorithm, digest, hex: Buffer.from(digest, 'base64').toString('hex') };
}

/** Whether these are the bytes the lockfile pins. */
const pinned = (bytes, { algorithm, digest }) => crypto.createHash(algorithm).update(bytes).digest('base64') === digest;

/** Where .cache/.tarballs keeps a package's tarball: by its hash. */
const keptAt = (cacheDir, { algorithm, hex }) => path.join(cacheDir, `${algorithm}-${hex}.tgz`);

/** The tarball's bytes if a cache has them and they match; undefined otherwise. */
function fromCaches(pkg, cacheDir) {
	const { algorithm, hex } = pkg.hash;
	const npmCache = path.join(process.env.npm_config_cache || path.join(os.homedir(), '.npm'), '_cacache', 'content-v2', algorithm, hex.slice(0, 2), hex.slice(2, 4), hex.slice(4));
	for (const file of [keptAt(cacheDir, pkg.hash), npmCache]) {
		let bytes;
		try {
			bytes = fs.readFileSync(file);
		} catch {
			continue;
		}
		if (pinned(bytes, pkg.hash)) return bytes;
	}
	return undefined;
}

function tarballUrl(pkg, registry) {
	if (pkg.resolved) return pkg.resolved;
	const base = pkg.name.startsWith('@') ? pkg.name.split('/')[1] : pkg.name;
	return `${registry.replace(/\/$/, '')}/${pkg.name}/-/${base}-${pkg.version}.tgz`;
}

async function download(pkg, registry, cacheDir) {
	const url = tarballUrl(pkg, registry);
	let last;
	for (let attempt = 1; attempt <= TRIES; attempt++) {
		try {
			const res = await fetch(url, { signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS) });
			if (!res.ok) throw new Error(`HTTP ${res.status}`);
			const bytes = Buffer.from(await res.arrayBuffer());
			// Not retried: the registry served other bytes than the lockfile pins.
			if (!pinned(bytes, pkg.hash)) {
				const got = crypto.createHash(pkg.hash.algorithm).update(bytes).digest('base64');
				throw Object.assign(new Error(`integrity mismatch for ${url}: ${pkg.hash.algorithm}-${got}, locked ${pkg.integrity}`), { fatal: true });
			}
			const file = keptAt(cacheDir, pkg.hash);
			const tmp = `${file}.${process.pid}.tmp`;
			fs.writeFileSync(tmp, bytes);
			fs.renameSync(tmp, file);
			return bytes;
		} catch (error) {
			if (error.fatal) throw error;
			last = error;
			await new Promise((r) => setTimeout(r, 500 * attempt));
		}
	}
	throw new Error(`cannot download ${url}: ${last && last.message}`);
}

/** Reads a tar header's octal (or base-256) number field. */
function number(buf, at, len) {
	if (buf[at] & 0x80) {
		let n = 0;
		for (let i = at + 1; i < at + len; i++) n = n * 256 + buf[i];
		return n;
	}
	const s = buf.toString('latin1', at, at + len).replace(/\0.*$/s, '').trim();
	return s ? parseInt(s, 8) : 0;
}

function cString(buf, at, len) {
	const end = buf.indexOf(0, at);
	return buf.toString('utf8', at, end === -1 || end > at + len ? at + len : end);
}

/** pax records "len key=value\n": only the path matters here (links are skipped). */
function paxPath(data) {
	let out;
	for (let at = 0; at < data.length; ) {
		const space = data.indexOf(0x20, at);
		const len = parseInt(data.toString('latin1', at, space), 10);
		if (!(len > 0)) break;
		const record = data.toString('utf8', space + 1, at + len - 1);
		const eq = record.indexOf('=');
		if (record.slice(0, eq) === 'path') out = record.slice(eq + 1);
		at += len;
	}
	return out;
}

const binPath = (p) => path.posix.normalize(String(p)).replace(/^(\.\/)+/, '');

/**
 * Unpacks a .tgz's files into `into` as pacote would (a .gitignore becomes .npmignore unless the
 * package has one; bins are executable); `made` caches the directories created.
 */
function unpack(tgz, into, where, made, bins = {}) {
	const tar = zlib.gunzipSync(tgz);
	const binFiles = new Set(Object.values(bins).map(binPath));
	const sawIgnores = new Set();
	let longName;
	let paxName;
	for (let at = 0; at + 512 <= tar.length; ) {
		const header = tar.subarray(at, at + 512);
		if (header.every((b) => b === 0)) break;
		const size = number(header, 124, 12);
		const type = String.fromCharCode(header[156] || 0x30);
		const data = tar.subarray(at + 512, at + 512 + size);
		at += 512 + Math.ceil(size / 512) * 512;
		if (type === 'x') {
			paxName = paxPath(data);
			continue;
		}
		if (type === 'g') continue;
		if (type === 'L') {
			longName = cString(data, 0, data.length);
			continue;
		}
		if (type === 'K') continue;
		const prefix = header.toString('latin1', 257, 262) === 'ustar' ? cString(header, 345, 155) : '';
		const plain = cString(header, 0, 100);
		const full = paxName || longName || (prefix ? `${prefix}/${plain}` : plain);
		paxName = longName = undefined;
		if (!['0', '5', '7'].includes(type)) continue; // links, devices, fifos: npm skips them too
		const rel = full.split('/').slice(1).filter((p) => p && p !== '.');
		if (rel.length === 0) continue;
		let relPath = rel.join('/');
		if (type !== '5') {
			const base = rel[rel.length - 1];
			if (base === '.npmignore') sawIgnores.add(relPath);
			else if (base === '.gitignore') {
				relPath = relPath.replace(/\.gitignore$/, '.npmignore');
				if (sawIgnores.has(relPath)) continue;
				rel[rel.length - 1] = '.npmignore';
			}
		}
		if (rel.some((p) => p === '..') || path.isAbsolute(full)) throw Object.assign(new Error(`${where}: unsafe path in its tarball: ${full}`), { fatal: true });
		const target = path.join(into, ...rel);
		const mode = number(header, 100, 8);
		if (type === '5') {
			if (!made.has(target)) fs.mkdirSync(target, { recursive: true, mode: ((mode | 0o755) & ~0o022) });
			made.add(target);
			continue;
		}
		const dir = path.dirname(target);
		if (!made.has(dir)) {
			fs.mkdirSync(dir, { recursive: true });
			made.add(dir);
		}
		const exe = binFiles.has(relPath) ? 0o111 : 0;
		fs.writeFileSync(target, data, { mode: (((mode | 0o666) & ~0o022) | exe | 0o600) & 0o7777 });
	}
}

/**
 * node_modules/.bin links, as npm makes them: a package's bins in the .bin folder of the
 * node_modules it sits in, pointing at the file relatively; the first package to claim a name keeps it.
 */
function linkBins(dir, packages) {
	for (const pkg of packages) {
		const parent = pkg.where.slice(0, pkg.where.lastIndexOf('node_modules/') + 'node_modules'.length);
		const binDir = path.join(dir, parent, '.bin');
		for (const [name, file] of Object.entries(pkg.bin)) {
			if (name.includes('/') || name.includes('..')) continue;
			const link = path.join(binDir, name);
			const target = path.relative(binDir, path.join(dir, pkg.where, binPath(file)));
			fs.mkdirSync(binDir, { recursive: true });
			try {
				fs.symlinkSync(target, link);
			} catch (error) {
				if (error.code !== 'EEXIST') throw error;
			}
		}
	}
}

/**
 * Fetches every locked package (DOWNLOADS at a time) and unpacks each as it arrives. Resolves to
 * { packages, downloaded } or rejects on the first failure (a required package that cannot be
 * fetched, an integrity mismatch, an unsafe path).
 */
async function unpackLockfile(dir, { cacheDir, registry = 'https://registry.npmjs.org/', log = () => {} }) {
	const lock = JSON.parse(fs.readFileSync(path.join(dir, 'package-lock.json'), 'utf8'));
	const packages = lockedPackages(lock);
	fs.mkdirSync(cacheDir, { recursive: true });
	const made = new Set();
	let downloaded = 0;
	let next = 0;
	const worker = async () => {
		while (next < packages.length) {
			const pkg = packages[next++];
			let bytes = fromCaches(pkg, cacheDir);
			if (!bytes) {
				try {
					bytes = await download(pkg, registry, cacheDir);
					downloaded++;
				} catch (error) {
					// An optional package that cannot be fetched is left out, as npm leaves it out.
					if (pkg.optional && !error.fatal) {
						log(`skipped optional ${pkg.where}: ${error.message}`);
						continue;
					}
					throw error;
				}
			}
			unpack(bytes, path.join(dir, pkg.where), pkg.where, made, pkg.bin);
		}
	};
	await Promise.all(Array.from({ length: DOWNLOADS }, worker));
	linkBins(dir, packages);
	return { packages: packages.length, downloaded };
}

module.exports = { unpackLockfile };

if (require.main === module) {
	const [dir, cacheDir, registry] = process.argv.slice(2);
	if (!dir || !cacheDir) {
		console.error('usage: node scripts/unpack-lockfile.js <dir> <cacheDir> [registry]');
		process.exit(1);
	}
	const started = Date.now();
	unpackLockfile(dir, { cacheDir, registry: registry || undefined, log: (m) => console.log(m) }).then(
		(r) => console.log(`${r.packages} packages (${r.downloaded} downloaded) in ${((Date.now() - started) / 1000).toFixed(1)}s`),
		(error) => {
			console.error(error.message);
			process.exit(error.fatal ? 2 : 1);
		},
	);
}
