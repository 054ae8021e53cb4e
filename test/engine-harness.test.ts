/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
/**
 * Proves test/e2e/harness/engine.ts against n8n-core's real engine with a throwaway community package
 * (plain CommonJS) that signs requests in its credential's `authenticate` function and sends them
 * to a local HTTP server.
 */
import { createHmac } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import { runNode } from '../e2e/harness/engine';

const TOKEN = 'fixture-token-do-not-leak';
const sign = (bytes: Buffer) => createHmac('sha256', TOKEN).update(bytes).digest('base64');

const CREDENTIAL_JS = `
const { createHmac } = require('node:crypto');
class FixtureApi {
	constructor() {
		this.name = 'fixtureApi';
		this.displayName = 'Fixture API';
		this.properties = [
			{ displayName: 'Token', name: 'token', type: 'string', typeOptions: { password: true }, default: '' },
		];
		// Serialize once, sign exactly those bytes, send exactly those bytes. On a 401 n8n calls this
		// again with its own output (body already a Buffer), so it must not re-serialize that.
		this.authenticate = async (credentials, requestOptions) => {
			globalThis.fixtureAuthCalls?.push(Buffer.isBuffer(requestOptions.body) ? 'buffer' : typeof requestOptions.body);
			const text = Buffer.isBuffer(requestOptions.body)
				? requestOptions.body.toString('utf8')
				: JSON.stringify(requestOptions.body);
			const bytes = Buffer.from(text, 'utf8');
			return {
				...requestOptions,
				body: bytes,
				headers: {
					...requestOptions.headers,
					'Content-Type': 'application/json; charset=UTF-8',
					signature: createHmac('sha256', credentials.token).update(bytes).digest('base64'),
				},
			};
		};
	}
}
module.exports = { FixtureApi };
`;

/** n8n's declarative form: headers/qs/body/auth entries whose values may be expressions over $credentials. */
const GENERIC_CREDENTIAL_JS = `
class FixtureGenericApi {
	constructor() {
		this.name = 'fixtureGenericApi';
		this.displayName = 'Fixture Generic API';
		this.properties = [{ displayName: 'API Key', name: 'apiKey', type: 'string', default: '' }];
		this.authenticate = {
			type: 'generic',
			properties: { headers: { 'X-Api-Key': '={{ $credentials.apiKey }}' }, qs: { merchant: 'm-1' } },
		};
	}
}
module.exports = { FixtureGenericApi };
`;

const NODE_JS = `
const { NodeApiError, NodeOperationError } = require('n8n-workflow');
class Fixture {
	constructor() {
		this.description = {
			displayName: 'Fixture',
			name: 'fixture',
			group: ['transform'],
			version: [1, 2],
			description: 'Test fixture',
			defaults: { name: 'Fixture' },
			inputs: ['main'],
			outputs: ['main'],
			credentials: [{ name: 'fixtureApi' }, { name: 'fixtureGenericApi' }],
			properties: [
				{ displayName: 'URL', name: 'url', type: 'string', default: '' },
				{ displayName: 'Card ID', name: 'cardId', type: 'string', default: '' },
				{ displayName: 'Timeout', name: 'timeout', type: 'number', default: 0 },
				{ displayName: 'Rewrap', name: 'rewrap', type: 'boolean', default: false },
				{ displayName: 'Credential Type', name: 'credentialType', type: 'string', default: 'fixtureApi' },
			],
		};
	}
	async execute() {
		const items = this.getInputData();
		const out = [];
		for (let i = 0; i < items.length; i++) {
			try {
				const cardId = this.getNodeParameter('cardId', i);
				if (!cardId) {
					throw new NodeOperationError(this.getNode(), 'Card ID is required', {
						itemIndex: i,
						description: 'Set the Card ID parameter',
					});
				}
				const timeout = this.getNodeParameter('timeout', i);
				const requestId = [this.getExecutionId(), this.getNode().id, i].join(':');
				let response;
				try {
					response = await this.helpers.httpRequestWithAuthentication.call(this, this.getNodeParameter('credentialType', i), {
						method: 'POST',
						url: this.getNodeParameter('url', i),
						headers: { 'x-request-id': requestId },
						body: { cardId, remark: '扩展' },
						returnFullResponse: true,
						encoding: 'arraybuffer',
						...(timeout ? { timeout } : {}),
					});
				} catch (error) {
					globalThis.fixtureLiveErrors?.push(error);
					if (this.getNodeParameter('rewrap', i)) throw new NodeApiError(this.getNode(), error, { itemIndex: i });
					error.context.itemIndex = i;
					throw error;
				}
				out.push({
					json: {
						statusCode: response.statusCode,
						bodyIsBuffer: Buffer.isBuffer(response.body),
						body: JSON.parse(Buffer.from(response.body).toString('utf8')),
						requestId,
						runIndex: this.getWorkflowDataProxy(i).$runIndex,
						typeVersion: this.getNode().typeVersion,
					},
					pairedItem: { item: i },
				});
			} catch (error) {
				if (!this.continueOnFail()) throw error;
				out.push({ json: { error: error.message }, pairedItem: { item: i } });
			}
		}
		return [out];
	}
}
module.exports = { Fixture };
`;

/** Writes the fixture package; `node_modules/n8n-workflow` links to the repo's copy, as a peer dependency would resolve. */
function writeFixturePackage(): string {
	const dir = mkdtempSync(join(tmpdir(), 'n8n-nodes-fixture-'));
	const files: Record<string, string> = {
		'package.json': JSON.stringify({
			name: 'n8n-nodes-fixture',
			version: '0.0.1',
			n8n: {
				n8nNodesApiVersion: 1,
				credentials: ['dist/credentials/FixtureApi.credentials.js', 'dist/credentials/FixtureGenericApi.credentials.js'],
				nodes: ['dist/nodes/Fixture/Fixture.node.js'],
			},
		}),
		'dist/credentials/FixtureApi.credentials.js': CREDENTIAL_JS,
		'dist/credentials/FixtureGenericApi.credentials.js': GENERIC_CREDENTIAL_JS,
		'dist/nodes/Fixture/Fixture.node.js': NODE_JS,
	};
	for (const [file, text] of Object.entries(files)) {
		mkdirSync(dirname(join(dir, file)), { recursive: true });
		writeFileSync(join(dir, file), text);
	}
	mkdirSync(join(dir, 'node_modules'));
	symlinkSync(dirname(require.resolve('n8n-workflow/package.json')), join(dir, 'node_modules', 'n8n-workflow'));
	return dir;
}

interface Received {
	url: string;
	headers: IncomingMessage['headers'];
	body: Buffer;
}

/** Next responses to send, in order; when empty, 200 with a JSON body. 'hang' never answers. */
type Reply = { status: number; body: string } | 'hang';

/** What the fixture records: the body type authenticate received, the errors httpRequestWithAuthentication threw. */
const fixtureGlobals = globalThis as { fixtureAuthCalls?: string[]; fixtureLiveErrors?: unknown[] };

let packageDir: string;
let server: Server;
let url: string;
let received: Received[];
let replies: Reply[];
const hanging: ServerResponse[] = [];

beforeAll(async () => {
	packageDir = writeFixturePackage();
	server = createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (chunk: Buffer) => chunks.push(chunk));
		req.on('end', () => {
			received.push({ url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
			const reply = replies.shift() ?? { status: 200, body: '{"code":"00000000","message":"成功"}' };
			if (reply === 'hang') {
				hanging.push(res);
				return;
			}
			res.writeHead(reply.status, { 'Content-Type': 'application/json' }).end(reply.body);
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/cards/cancel`;
});

beforeEach(() => {
	received = [];
	replies = [];
	fixtureGlobals.fixtureAuthCalls = [];
	fixtureGlobals.fixtureLiveErrors = [];
});

afterAll(async () => {
	hanging.forEach((res) => res.destroy());
	await new Promise((resolve) => server.close(resolve));
	rmSync(packageDir, { recursive: true, force: true });
});

const run = (overrides: Partial<Parameters<typeof runNode>[0]> = {}) =>
	runNode({
		packageDir,
		nodeType: 'fixture',
		parameters: { url, cardId: '={{ $json.cardId }}' },
		credentials: { fixtureApi: { token: TOKEN } },
		items: [{ cardId: 'card-1' }, { cardId: 'card-2' }],
		executionId: 'exec-42',
		...overrides,
	});

/** True when `needle` appears anywhere in the object graph (own properties, enumerable or not). */
function contains(value: unknown, needle: string, seen = new Set<unknown>()): boolean {
	if (typeof value === 'string') return value.includes(needle);
	if (Buffer.isBuffer(value)) return value.includes(needle);
	if (value === null || typeof value !== 'object' || seen.has(value)) return false;
	seen.add(value);
	return Reflect.ownKeys(value).some((key) => {
		const descriptor = Object.getOwnPropertyDescriptor(value, key);
		return descriptor !== undefined && 'value' in descriptor && contains(descriptor.value, needle, seen);
	});
}

describe('engine harness', () => {
	it('sends the Buffer returned by authenticate byte for byte, with its headers, resolving expressions per item', async () => {
		const { items, error } = await run();

		expect(error).toBeUndefined();
		expect(received).toHaveLength(2);
		received.forEach(({ headers, body }, i) => {
			const expected = Buffer.from(`{"cardId":"card-${i + 1}","remark":"扩展"}`, 'utf8');
			expect(body.equals(expected)).toBe(true);
			expect(headers['content-type']).toBe('application/json; charset=UTF-8');
			expect(headers['content-length']).toBe(String(expected.length));
			expect(headers.signature).toBe(sign(expected));
			expect(headers['x-request-id']).toBe(`exec-42:0f5532f9-36ba-4bef-86c7-30d607400b15:${i}`);
		});
		expect(items.map((item) => item.json)).toEqual(
			['card-1', 'card-2'].map((_, i) => ({
				statusCode: 200,
				bodyIsBuffer: true,
				body: { code: '00000000', message: '成功' },
				requestId: `exec-42:0f5532f9-36ba-4bef-86c7-30d607400b15:${i}`,
				runIndex: 0,
				typeVersion: 2,
			})),
		);
		expect(items.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
	});

	it('returns the NodeOperationError with its message, description and item index', async () => {
		const { items, error } = await run({ items: [{ cardId: 'card-1' }, {}] });

		expect(items).toEqual([]);
		expect(error).toMatchObject({
			name: 'NodeOperationError',
			message: 'Card ID is required',
			description: 'Set the Card ID parameter',
			context: { itemIndex: 1 },
		});
		expect(received).toHaveLength(1);
	});

	it('with continueOnFail, outputs an error item paired with its input and carries on', async () => {
		const { items, error } = await run({ items: [{}, { cardId: 'card-2' }], continueOnFail: true });

		expect(error).toBeUndefined();
		expect(items).toHaveLength(2);
		expect(items[0]).toEqual({ json: { error: 'Card ID is required' }, pairedItem: { item: 0 } });
		expect(items[1].json.statusCode).toBe(200);
		expect(items[1].pairedItem).toEqual({ item: 1 });
	});

	it('turns a non-2xx answer into a NodeApiError that holds neither the signature nor the key', async () => {
		replies = [{ status: 500, body: '{"code":"E500","message":"upstream broke"}' }];
		const { error, runData } = await run({ items: [{ cardId: 'card-1' }] });

		expect(error).toMatchObject({
			name: 'NodeApiError',
			httpCode: '500',
			message: 'The service was not able to process your request',
			context: { itemIndex: 0 },
		});
		const signature = received[0].headers.signature as string;
		// Neither the error n8n records nor the live one the node caught (walked through all own
		// properties, non-enumerable ones included) holds the request options.
		expect(fixtureGlobals.fixtureLiveErrors).toHaveLength(1);
		expect(contains(error, 'upstream broke')).toBe(true); // the walk does reach the response body (context.data)
		for (const value of [error, fixtureGlobals.fixtureLiveErrors]) {
			expect(contains(value, signature)).toBe(false);
			expect(contains(value, TOKEN)).toBe(false);
		}
		expect(contains(runData, signature)).toBe(false);
		expect(contains(runData, TOKEN)).toBe(false);
	});

	it('wrapping n8n\'s NodeApiError in new NodeApiError(node, error, { itemIndex }) loses the item index', async () => {
		replies = [{ status: 404, body: '{}' }];
		const { error } = await run({ items: [{ cardId: 'card-1' }], parameters: { url, cardId: 'c', rewrap: true } });

		expect(error).toMatchObject({ name: 'NodeApiError', httpCode: '404' });
		expect(error?.context.itemIndex).toBeUndefined();
	});

	it('maps connection refused and timeouts to NodeApiErrors with the system error code', async () => {
		const closed = createServer();
		await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
		const deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/`;
		await new Promise((resolve) => closed.close(resolve));

		const refused = await run({ items: [{ cardId: 'c' }], parameters: { url: deadUrl, cardId: '={{ $json.cardId }}' } });
		expect(refused.error).toMatchObject({
			name: 'NodeApiError',
			httpCode: 'ECONNREFUSED',
			message: 'The service refused the connection - perhaps it is offline',
		});

		replies = ['hang'];
		const timedOut = await run({ items: [{ cardId: 'c' }], parameters: { url, cardId: 'c', timeout: 200 } });
		expect(timedOut.error).toMatchObject({ name: 'NodeApiError', httpCode: 'ECONNABORTED' });
	});

	it('on a 401, n8n calls authenticate again with the already-authenticated options and resends', async () => {
		replies = [{ status: 401, body: '{"message":"bad signature"}' }];
		const { error } = await run({ items: [{ cardId: 'card-1' }] });

		expect(error).toBeUndefined();
		expect(fixtureGlobals.fixtureAuthCalls).toEqual(['object', 'buffer']);
		expect(received).toHaveLength(2);
		expect(received[1].body.equals(received[0].body)).toBe(true);
		expect(received[1].headers.signature).toBe(received[0].headers.signature);
	});

	it('applies a generic (declarative) authenticate, resolving $credentials expressions', async () => {
		const { error } = await run({
			items: [{ cardId: 'card-1' }],
			parameters: { url, cardId: '={{ $json.cardId }}', credentialType: 'fixtureGenericApi' },
			credentials: { fixtureGenericApi: { apiKey: 'key-123' } },
		});

		expect(error).toBeUndefined();
		expect(received[0].headers['x-api-key']).toBe('key-123');
		expect(new URL(received[0].url, url).searchParams.get('merchant')).toBe('m-1');
		expect(received[0].body.toString()).toBe('{"cardId":"card-1","remark":"扩展"}');
	});

	it('retries the whole node with the same execution id, node id and item index (so the same request id)', async () => {
		replies = [{ status: 503, body: '{}' }];
		const { items, error } = await run({ retryOnFail: true, maxTries: 2, waitBetweenTries: 1 });

		expect(error).toBeUndefined();
		expect(received.map((r) => r.headers['x-request-id'])).toEqual(
			[0, 0, 1].map((i) => `exec-42:0f5532f9-36ba-4bef-86c7-30d607400b15:${i}`),
		);
		expect(items.map((item) => item.json.runIndex)).toEqual([0, 0]);
	});
});
