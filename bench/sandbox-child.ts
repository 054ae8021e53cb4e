/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
/** The sandbox in a process of its own; its parent talks to it over HTTP and stops it by disconnecting. */
import { join } from 'node:path';

import type * as SandboxModule from '../sandbox/server';
import { packageRoot } from './common';

async function main() {
	const { startSandbox } = require(join(packageRoot(), 'sandbox', 'server.js')) as typeof SandboxModule;
	const sandbox = await startSandbox({
		merchantPublicKey: String(process.env.BENCH_MERCHANT_PUBLIC_PEM),
		latencyMs: Number(process.env.BENCH_LATENCY_MS ?? 0),
	});
	process.once('disconnect', () => void sandbox.close().then(() => process.exit(0)));
	process.send?.({ baseUrl: sandbox.baseUrl, platformPublicKeyBase64: sandbox.platformPublicKeyBase64 });
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});
