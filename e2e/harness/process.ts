/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
/** Child processes for the harness: each in its own process group, killed when the test process exits. */
import { spawn } from 'child_process';
import type { ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';

export interface CommandResult {
	/** The process's exit code; -1 when a signal ended it (see `signal`). */
	exitCode: number;
	signal: NodeJS.Signals | null;
	stdout: string;
	stderr: string;
	ms: number;
}


/** Process groups still running, killed if the test process exits without stopping them. */
export const live = new Set<number>();
process.on('exit', () => live.forEach((pid) => killGroup(pid, 'SIGKILL')));

export function killGroup(pid: number, signal: NodeJS.Signals): void {
	try {
		process.kill(-pid, signal); // children are spawned detached: -pid is their own group
	} catch {
		/* already gone */
	}
}

/**
 * Counts one n8n process for the per-suite table test/summary-reporter.js prints after a jest run:
 * appends "<test file>\t<command>" to the file the reporter names in PAYLOCO_N8N_SPAWN_LOG. The
 * test file is jest's current one, or PAYLOCO_TEST_FILE for a test's own child process (the
 * benchmark). Outside jest (npm start) there is no such file and nothing is written.
 */
export function noteN8nProcess(command: string): void {
	const file = process.env.PAYLOCO_N8N_SPAWN_LOG;
	if (!file) return;
	const jest = (globalThis as { expect?: { getState?: () => { testPath?: string } } }).expect;
	const testFile = jest?.getState?.().testPath ?? process.env.PAYLOCO_TEST_FILE ?? 'outside a test file';
	fs.appendFileSync(file, `${testFile}\t${command}\n`);
}

/**
 * A port nothing listens on, below Linux's ephemeral range (32768-60999): a port the kernel hands
 * out for listen(0) is also handed to outgoing connections, and n8n opens a new one per request,
 * so a port picked that way was taken by a client socket before n8n could bind it (seen in CI).
 */
export async function freePort(): Promise<number> {
	for (let attempt = 0; ; attempt++) {
		const port = 20_000 + Math.floor(Math.random() * 12_000);
		if (await canListen(port)) return port;
		if (attempt > 50) throw new Error('no free port found between 20000 and 32000');
	}
}

function canListen(port: number): Promise<boolean> {
	return new Promise((resolve) => {
		const srv = net.createServer();
		srv.unref();
		srv.on('error', () => resolve(false));
		srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
	});
}

/** Runs a command to completion, in its own process group so a timeout kills its children too. */
export function run(
	cmd: string,
	args: string[],
	opts: { env: NodeJS.ProcessEnv; cwd: string; timeoutMs: number },
): Promise<CommandResult> {
	const started = Date.now();
	return new Promise((resolve, reject) => {
		const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
		live.add(child.pid!);
		let stdout = '';
		let stderr = '';
		child.stdout!.on('data', (d) => (stdout += d));
		child.stderr!.on('data', (d) => (stderr += d));
		let timedOut = false;
		const timer = setTimeout(() => {
			timedOut = true;
			killGroup(child.pid!, 'SIGKILL');
		}, opts.timeoutMs);
		child.on('error', reject);
		child.on('close', (code, signal) => {
			clearTimeout(timer);
			live.delete(child.pid!);
			if (timedOut) {
				reject(new Error(`${path.basename(cmd)} ${args.join(' ')}: timed out after ${opts.timeoutMs} ms\n${stdout}\n${stderr}`));
			} else {
				resolve({ exitCode: code ?? -1, signal, stdout, stderr, ms: Date.now() - started });
			}
		});
	});
}


export function sleep(ms: number): Promise<void> {
	return new Promise((r) => setTimeout(r, ms));
}

export async function healthy(url: string): Promise<boolean> {
	try {
		const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
		return res.ok;
	} catch {
		return false;
	}
}


/** A long-running child (a server) whose output is kept; see spawnService. */
export interface Service {
	child: ChildProcess;
	/** Everything it printed so far (stdout and stderr interleaved). */
	output(): string;
	/** Exit code once it has exited (-1 when a signal ended it), else undefined. */
	exitCode(): number | undefined;
	/** Resolves when it has exited. */
	exited: Promise<void>;
	/** Sends `signal` to its process group, waits, and SIGKILLs the group after `graceMs`. */
	stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
}

/** Starts a server in its own process group (so stop() reaches its children too). */
export function spawnService(cmd: string, args: string[], opts: { env: NodeJS.ProcessEnv; cwd: string }): Service {
	const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
	live.add(child.pid!);
	let out = '';
	child.stdout!.on('data', (d) => (out += d));
	child.stderr!.on('data', (d) => (out += d));
	let code: number | undefined;
	const exited = new Promise<void>((resolve) => {
		child.on('error', (e) => {
			out += `\n${e.message}`;
			code = -1;
			resolve();
		});
		child.on('exit', (c, signal) => {
			code = c ?? (signal ? -1 : 0);
			live.delete(child.pid!);
			resolve();
		});
	});
	const stop = async (signal: NodeJS.Signals = 'SIGTERM', graceMs = 20_000) => {
		if (code === undefined) {
			killGroup(child.pid!, signal);
			const hard = setTimeout(() => killGroup(child.pid!, 'SIGKILL'), graceMs);
			await exited;
			clearTimeout(hard);
		}
		// The group may outlive its leader (e.g. a task runner): make sure nothing is left.
		killGroup(child.pid!, 'SIGKILL');
	};
	return { child, output: () => out, exitCode: () => code, exited, stop };
}

/** Polls `ready` every 250 ms until it is true; fails if the service exits or time runs out. */
export async function waitUntil(service: Service, what: string, ready: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!(await ready())) {
		if (service.exitCode() !== undefined || Date.now() > deadline) {
			const why = service.exitCode() !== undefined ? `exited with ${service.exitCode()}` : `was not ready within ${timeoutMs} ms`;
			await service.stop('SIGKILL');
			throw new Error(`${what} ${why}:\n${service.output().slice(-20_000)}`);
		}
		await sleep(250);
	}
}
