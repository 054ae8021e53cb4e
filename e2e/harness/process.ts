/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
/** Child processes for the harness: each in its own process group, killed when the test process exits. */
import { spawn } from 'child_process';
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

export function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const srv = net.createServer();
		srv.unref();
		srv.on('error', reject);
		srv.listen(0, '127.0.0.1', () => {
			const { port } = srv.address() as net.AddressInfo;
			srv.close(() => resolve(port));
		});
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

