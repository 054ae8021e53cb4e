/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
/**
 * The PayLoco API credential's Test button in real n8n 1.x and 2.x, through n8n's own REST
 * endpoint, the way the editor calls it: sign in as the owner, save the credential
 * (POST /rest/credentials), read it back redacted (GET /rest/credentials/:id?includeData=true)
 * and send that to POST /rest/credentials/test, where n8n restores the redacted secrets and runs
 * the test n8n finds for the type (the PayLoco node's `testedBy`). Three cases against the
 * sandbox: the key is registered, a different key is registered, the platform key is wrong. The
 * fingerprint in every message is compared with what the openssl command in the README prints.
 *
 * The editor offers the Test button for a credential opened from any node (the PayLoco node or
 * the HTTP Request node) when some node that supports the type names a `testedBy`; that is read
 * from the same type files the editor loads (/types/credentials.json, /types/nodes.json).
 *
 * Needs `npm run build` (dist/ is what gets packed) and `node scripts/install-n8n.js all`.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { startSandbox } from '../../sandbox/server';
import type { Sandbox } from '../../sandbox/server';
import { N8nHome, packPackage } from '../../e2e/harness/n8n';
import type { N8nLine, N8nServer } from '../../e2e/harness/n8n';
import { RestSession } from '../../e2e/harness/rest';
import { rsaKeyPair } from '../helpers/keys';
import { opensslFingerprint } from '../helpers/openssl';
import { sandboxCredentials, sentBody, verifiedByOpenssl } from '../helpers/payloco';

const merchant = rsaKeyPair();
const stranger = rsaKeyPair(2048, true);
let registered: Sandbox;
let unregistered: Sandbox;
let tmp: string;
let tgz: string;
let fingerprint: string;

beforeAll(async () => {
	registered = await startSandbox({ merchantPublicKey: merchant.publicPem });
	unregistered = await startSandbox({ merchantPublicKey: stranger.publicPem });
	tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'payloco-credtest-e2e-'));
	fingerprint = opensslFingerprint(merchant.pkcs8Pem);
	tgz = packPackage(tmp);
}, 60_000);

afterAll(async () => {
	await registered?.close();
	await unregistered?.close();
	if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/** The owner's session on one n8n server (RestSession: the editor's REST API), plus what the editor does. */
class Session {
	private constructor(private readonly rest: RestSession) {}

	static async asOwner(server: N8nServer): Promise<Session> {
		return new Session(await RestSession.asOwner(server));
	}

	call<T = unknown>(method: string, route: string, body?: unknown): Promise<T> {
		return this.rest.call<T>(method, route, body);
	}

	/** For files n8n writes in the background: retried for up to 30 s. */
	async eventually<T>(method: string, route: string): Promise<T> {
		for (let tries = 0; ; tries++) {
			try {
				return await this.call<T>(method, route);
			} catch (error) {
				if (tries >= 60) throw error;
				await new Promise((resolve) => setTimeout(resolve, 500));
			}
		}
	}

	/** What the editor does on Save and then Test. */
	async saveAndTest(name: string, data: Record<string, unknown>): Promise<{ status: string; message: string }> {
		const saved = await this.call<{ id: string }>('POST', '/rest/credentials', { name, type: 'payLocoApi', data });
		const shown = await this.call<{ id: string; name: string; type: string; data: Record<string, unknown> }>('GET', `/rest/credentials/${saved.id}?includeData=true`);
		// The editor never holds the private key again: it sends back what it was shown, redacted.
		expect(String(shown.data.privateKey)).not.toContain('PRIVATE KEY');
		return this.call('POST', '/rest/credentials/test', { credentials: { id: saved.id, name: shown.name, type: shown.type, data: shown.data } });
	}
}

describe.each([1, 2] as N8nLine[])("the PayLoco API credential's Test button in real n8n %i.x", (line) => {
	let home: N8nHome;
	let server: N8nServer;
	let session: Session;

	beforeAll(async () => {
		home = await N8nHome.create(line, { packageTgz: tgz });
		// With the editor on, as operators run n8n: only then does n8n serve its settings and type files.
		server = await home.start({ env: { N8N_DISABLE_UI: 'false' } });
		session = await Session.asOwner(server);
	}, 240_000);

	afterAll(async () => {
		await home?.dispose();
	}, 60_000);

	test('the editor offers the Test button for the type, whichever node the credential is opened from', async () => {
		// The editor loads its settings first; that is also when n8n writes the type files it serves.
		await session.call('GET', '/rest/settings');
		const types = await session.eventually<Array<{ name: string; supportedNodes?: string[]; test?: unknown }>>('GET', '/types/credentials.json');
		const payLocoApi = types.find((t) => t.name === 'payLocoApi');
		expect(payLocoApi?.test).toBeUndefined(); // a credential `test` would win over the node's, and cannot check signatures
		expect(payLocoApi?.supportedNodes).toEqual(expect.arrayContaining(['n8n-nodes-payloco.payLoco']));
		const nodes = await session.eventually<Array<{ name: string; credentials?: Array<{ name: string; testedBy?: string }> }>>('GET', '/types/nodes.json');
		const node = nodes.find((n) => n.name === 'n8n-nodes-payloco.payLoco');
		expect(node?.credentials).toEqual([expect.objectContaining({ name: 'payLocoApi', testedBy: 'payLocoApiTest' })]);
	});

	test('key registered: "Connected: PayLoco accepted this key", with the fingerprint openssl prints', async () => {
		registered.reset();
		for (const name of [`PayLoco (from the PayLoco node) ${line}`, `PayLoco (from the HTTP Request node) ${line}`]) {
			const result = await session.saveAndTest(name, sandboxCredentials(registered, merchant));
			expect(result).toEqual({ status: 'OK', message: `Connected: PayLoco accepted this key. Merchant public key fingerprint: ${fingerprint}, Key Version 1.` });
		}
		expect(registered.requests).toHaveLength(2);
		for (const record of registered.requests) {
			expect(record.path).toBe('/gateway/v1/payments/open/api/query');
			expect(verifiedByOpenssl(record, merchant)).toBe(true);
			expect(sentBody(record)).toMatchObject({ transType: 'QUERY', merchantOrderId: expect.stringMatching(/^n8n-credential-test-[0-9a-f]{24}$/) });
		}
	});

	test('a different key registered: the test fails, saying PayLoco did not accept the request signature', async () => {
		unregistered.reset();
		const result = await session.saveAndTest(`PayLoco unregistered ${line}`, sandboxCredentials(unregistered, merchant));
		expect(result.status).toBe('Error');
		// The refusal's own words are the sandbox's; the node's sentence around them is fixed.
		expect(result.message.startsWith('PayLoco did not accept the request signature: its answer is unsigned (10010001 ')).toBe(true);
		expect(result.message.endsWith(`). Check that the public key uploaded to PayLoco is the one with fingerprint ${fingerprint}, and that Key Version 1 is the version PayLoco registered for it.`)).toBe(true);
		expect(unregistered.requests).toHaveLength(1);
	});

	test('the platform key is wrong: the test fails and names both keys to check', async () => {
		registered.reset();
		const result = await session.saveAndTest(`PayLoco wrong platform key ${line}`, sandboxCredentials(registered, merchant, { platformPublicKey: stranger.publicBase64 }));
		expect(result.status).toBe('Error');
		expect(result.message).toMatch(/^PayLoco's answer carries a signature that does not verify with the PayLoco Platform Public Key in this credential\. Either that platform key is wrong/);
		expect(result.message).toContain(`PayLoco did not accept the request signature. Check that the public key uploaded to PayLoco is the one with fingerprint ${fingerprint}`);
		expect(registered.requests).toHaveLength(1);
	});
});
