import type { ICredentialsDecrypted, ICredentialTestFunctions, INodeCredentialTestResult } from 'n8n-workflow';
import { randomBytes } from 'node:crypto';

import { platformPublicKeyText, resolveBaseUrl } from './environment';
import { headerValue, readAnswer } from './outcome';
import type { PayLocoCredentials } from './environment';
import { checkCredentials, loadPrivateKey, loadPublicKey, publicKeyFingerprint, signRequest, verifyBytes } from './signing';
import { sendTestRequest } from './transport/testRequest';
import type { TestReply } from './transport/testRequest';

/**
 * The PayLoco API credential's Test button. PayLoco signs a response only after it has accepted
 * the request's signature, so a signed Transaction Query for an order that cannot exist tells a
 * key PayLoco has registered from one it has never seen: only an answer whose `signature` header
 * verifies with the platform public key passes. Every message names the merchant public key's
 * fingerprint (SHA-256 of its DER SubjectPublicKeyInfo), which the README shows how to compute
 * from a key file, so an operator can compare it with the key uploaded to PayLoco.
 */

export const TEST_PATH = '/v1/payments/open/api/query';
const TIMEOUT_MS = 15_000;

const fail = (message: string): INodeCredentialTestResult => ({ status: 'Error', message });

function keyVersionOf(credentials: PayLocoCredentials): string {
	return String(credentials.keyVersion ?? '1').trim() || '1';
}

function fingerprintOf(credentials: PayLocoCredentials): string | undefined {
	try {
		return publicKeyFingerprint(loadPrivateKey(credentials.privateKey));
	} catch {
		return undefined;
	}
}

/** Check the uploaded key and the version: the advice for any answer that shows PayLoco did not accept the signature. */
function keyAdvice(fingerprint: string, keyVersion: string): string {
	return `Check that the public key uploaded to PayLoco is the one with fingerprint ${fingerprint}, and that Key Version ${keyVersion} is the version PayLoco registered for it.`;
}

function what(reply: TestReply): string {
	const text = reply.body.toString('utf8').trim();
	if (!text) return 'an empty answer';
	if (/^</.test(text) || /text\/html/i.test(headerValue(reply.headers, 'content-type') ?? '')) return 'an HTML page';
	try {
		const { code, message } = readAnswer(JSON.parse(text) as Record<string, unknown>);
		if (code !== undefined) return `${code} ${message}`.trim().slice(0, 160);
		return 'JSON without a PayLoco code';
	} catch {
		return 'an answer that is not JSON';
	}
}

/** What the answer says about the key, in the words the operator needs. */
export function judgeReply(reply: TestReply, platformKeyText: string, fingerprint: string, keyVersion: string, target: string): INodeCredentialTestResult {
	const signature = headerValue(reply.headers, 'signature');
	const keyLine = `Merchant public key fingerprint: ${fingerprint}, Key Version ${keyVersion}.`;
	if (signature && verifyBytes(loadPublicKey(platformKeyText), reply.body, signature)) {
		return { status: 'OK', message: `Connected: PayLoco accepted this key. ${keyLine}` };
	}
	if (signature) {
		return fail(
			`PayLoco's answer carries a signature that does not verify with the PayLoco Platform Public Key in this credential. Either that platform key is wrong (paste PayLoco's platform public key for this environment), or PayLoco did not accept the request signature. ${keyAdvice(fingerprint, keyVersion)}`,
		);
	}
	const status = reply.statusCode;
	if (status === 401 || status === 403) {
		return fail(
			`PayLoco did not accept the request (HTTP ${status}, unsigned): either it did not accept the request signature, or this server's IP address is not allowlisted at PayLoco. ${keyAdvice(fingerprint, keyVersion)}`,
		);
	}
	if (status === 404) return fail(`PayLoco's gateway answered HTTP 404 at ${target}: check the Base URL, including /gateway. ${keyLine}`);
	if (status < 200 || status >= 300) {
		return fail(`PayLoco's gateway answered HTTP ${status}, unsigned, so the test cannot tell whether PayLoco accepts this key; try again later. ${keyLine}`);
	}
	const got = what(reply);
	if (/^(an empty answer|an HTML page|an answer that is not JSON|JSON without)/.test(got)) {
		return fail(`The answer from ${target} is ${got}, unsigned: it does not look like PayLoco's gateway. Check the Base URL and any proxy in between. ${keyLine}`);
	}
	return fail(`PayLoco did not accept the request signature: its answer is unsigned (${got}). ${keyAdvice(fingerprint, keyVersion)}`);
}

export async function testPayLocoCredential(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	const credentials = (credential.data ?? {}) as unknown as PayLocoCredentials;
	const fingerprint = fingerprintOf(credentials);
	const keyVersion = keyVersionOf(credentials);
	const withKey = fingerprint ? ` Merchant public key fingerprint: ${fingerprint}.` : '';
	// The local checks first (base URL, IDs, key form, size and type): each has its own message.
	try {
		checkCredentials(credentials);
	} catch (error) {
		return fail(`PayLoco API credential: ${(error as Error).message}${withKey}`);
	}
	const platformKeyText = platformPublicKeyText(credentials);
	if (!platformKeyText) {
		return fail(`PayLoco Platform Public Key is empty, so the test cannot check that PayLoco accepted this key: paste the platform public key PayLoco gave you.${withKey}`);
	}
	try {
		loadPublicKey(platformKeyText);
	} catch (error) {
		return fail(`PayLoco API credential: ${(error as Error).message}${withKey}`);
	}
	const fp = fingerprint as string;
	const target = `${resolveBaseUrl(credentials)}${TEST_PATH}`;
	// An order ID no merchant has used: the query can only be answered "not found", and changes nothing.
	const body = { transType: 'QUERY', accessType: 's2s', merchantOrderId: `n8n-credential-test-${randomBytes(12).toString('hex')}` };
	const signed = signRequest(credentials, { method: 'POST', url: TEST_PATH, body });
	const reply = await sendTestRequest(this.helpers, signed, TIMEOUT_MS);
	if ('networkError' in reply) {
		return fail(`Could not reach PayLoco at ${target} (network error ${reply.networkError}): check the Base URL and this server's network. Merchant public key fingerprint: ${fp}.`);
	}
	return judgeReply(reply, platformKeyText, fp, keyVersion, target);
}
