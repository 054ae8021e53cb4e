/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
/**
 * `npm start`: the product, working, for someone without a PayLoco account. A local PayLoco
 * sandbox, a real n8n 2.x with this package installed as a community node, the credential
 * pointing at the sandbox, the example workflows active, and one example alert fired.
 * (`npm start` builds and packs the package and installs n8n before running this.)
 */
import { N8nHome } from '../e2e/harness/n8n';
import { fireFirstAlert, importDemo, OWNER, packedPackage, setupOwner, startDemoSandbox, WORKFLOWS } from './demo';

const N8N_PORT = Number(process.env.N8N_PORT ?? 5678);
const SANDBOX_PORT = Number(process.env.PAYLOCO_SANDBOX_PORT ?? 8787);

async function main() {
	const demo = await startDemoSandbox(SANDBOX_PORT);
	const home = await N8nHome.create(2, { packageTgz: packedPackage('npm start') });
	const hookKey = await importDemo(home, demo);
	console.log('Starting n8n 2.x (about 20 s) ...');
	const server = await home.start({ port: N8N_PORT, env: { N8N_DISABLE_UI: 'false' } });
	await setupOwner(server.url);

	console.log(`
n8n editor:  ${server.url}
login:       ${OWNER.email} / ${OWNER.password}
n8n data:    ${home.userFolder} (removed when you stop)
${WORKFLOWS}${hookKey}
`);
	await fireFirstAlert(server.url, hookKey);
	console.log('Ctrl-C stops everything.');

	const stop = async () => {
		console.log('\nStopping n8n and the sandbox ...');
		await server.stop();
		await demo.sandbox.close();
		await home.dispose();
		process.exit(0);
	};
	process.once('SIGINT', () => void stop());
	process.once('SIGTERM', () => void stop());
}

main().catch((error) => {
	console.error(error instanceof Error ? error.message : error);
	process.exit(1);
});
