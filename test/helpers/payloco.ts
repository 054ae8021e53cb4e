/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
import type { INodeParameters } from 'n8n-workflow';
import { resolve } from 'node:path';

import type { Sandbox } from '../../sandbox/server';
import { runNode } from '../../e2e/harness/engine';
import type { ProcessedStore, RunNodeOptions } from '../../e2e/harness/engine';
import type { TestKeyPair } from './keys';
import { opensslVerify } from './openssl';

export const PACKAGE_DIR = resolve(__dirname, '../..');

/** The institution ID the test credentials send, and the sandbox is told to expect. */
export const MEMBER_ID = '2023010558663764';

/**
 * Sandbox options as strict as PayLoco is assumed to be: no idempotent replays (a repeated ID is
 * processed afresh and meets the card's or order's new state), and only this merchant's
 * memberId and keyVersion. With these, "one effect per item, the same ID on every attempt" is
 * proven by what the node sends, not granted by the server.
 */
export const STRICT = { replays: false, memberId: MEMBER_ID, keyVersion: '1' } as const;

/** Plain credential data pointing at a sandbox, as n8n would hand it to the node decrypted. */
export function sandboxCredentials(sandbox: Sandbox, merchant: TestKeyPair, extra: Record<string, unknown> = {}) {
	return {
		environment: 'custom',
		baseUrl: sandbox.baseUrl,
		memberId: MEMBER_ID,
		merchantId: 'M20230105586637',
		keyVersion: '1',
		privateKey: merchant.pkcs8Pem,
		platformPublicKey: sandbox.platformPublicKeyBase64,
		...extra,
	};
}

/** Runs the compiled PayLoco node inside n8n-core's WorkflowExecute. */
export function runPayLoco(
	sandbox: Sandbox,
	merchant: TestKeyPair,
	parameters: RunNodeOptions['parameters'],
	items: RunNodeOptions['items'],
	extra: Omit<Partial<RunNodeOptions>, 'credentials'> & { credentials?: Record<string, unknown> } = {},
) {
	const { credentials, ...rest } = extra;
	return runNode({
		packageDir: PACKAGE_DIR,
		nodeType: 'payLoco',
		parameters,
		items,
		credentials: { payLocoApi: sandboxCredentials(sandbox, merchant, credentials) },
		...rest,
	});
}

/** The JSON body of a request as it crossed the socket. */
export function sentBody(record: { rawBody: Buffer }): Record<string, unknown> {
	return JSON.parse(record.rawBody.toString('utf8'));
}

/** openssl's verdict on the signature header over the exact bytes the sandbox received. */
export function verifiedByOpenssl(record: { rawBody: Buffer; headers: Record<string, unknown> }, merchant: TestKeyPair): boolean {
	return opensslVerify(merchant.publicPem, record.rawBody, String(record.headers.signature ?? ''));
}

/**
 * The record tests' runs (issue #19): each call is a new execution of the node with Continue On
 * Fail, one item per card; runs given the same store share it, as executions share n8n's database.
 * `sandbox` is read at call time (the tests start it in beforeAll).
 */
export function executionsOf(sandbox: () => Sandbox, merchant: TestKeyPair) {
	let executions = 0;
	return {
		run: (store: ProcessedStore | false, parameters: INodeParameters, cards: string[], extra: Omit<Partial<RunNodeOptions>, 'credentials'> = {}) =>
			runPayLoco(sandbox(), merchant, parameters, cards.map((card) => ({ card })), {
				executionId: `exec-${++executions}`,
				continueOnFail: true,
				processedStore: store,
				...extra,
			}),
		cancelsOf: (card: string) => sandbox().requests.filter((r) => sentBody(r).cardId === card),
	};
}
