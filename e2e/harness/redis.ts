/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
/**
 * A throwaway Redis (Debian's `redis-server`) for n8n's queue (Bull): 127.0.0.1, a free port, no
 * persistence, in the foreground as our child so nothing outlives the tests.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { freePort, run, spawnService, waitUntil } from './process';
import type { Service } from './process';

export interface RedisServer {
	host: string;
	port: number;
	service: Service;
	/** The QUEUE_BULL_REDIS_* variables that point n8n here. */
	n8nEnv(): NodeJS.ProcessEnv;
	stop(): Promise<void>;
}

export async function startRedis(): Promise<RedisServer> {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'payloco-redis-'));
	const port = await freePort();
	const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8' };
	const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--dir', dir];
	const service = spawnService('redis-server', args, { env, cwd: dir });
	const ping = async () => (await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'ping'], { env, cwd: dir, timeoutMs: 10_000 })).stdout.trim() === 'PONG';
	try {
		await waitUntil(service, 'redis-server (apt-get install -y redis-server)', ping, 30_000);
	} catch (error) {
		fs.rmSync(dir, { recursive: true, force: true });
		throw error;
	}
	return {
		host: '127.0.0.1',
		port,
		service,
		n8nEnv: () => ({ QUEUE_BULL_REDIS_HOST: '127.0.0.1', QUEUE_BULL_REDIS_PORT: String(port) }),
		async stop() {
			await service.stop('SIGTERM', 10_000);
			fs.rmSync(dir, { recursive: true, force: true });
		},
	};
}
