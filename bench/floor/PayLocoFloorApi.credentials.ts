/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
/**
 * The floor peer's credential (see PayLocoFloor.node.ts): `authenticate` adds the signature the
 * bench computed ahead of time for this exact body, looked up by the body's text. Nothing is signed
 * at send time, so the floor leaves out RSA signing, which the node and every baseline pay.
 * In the in-process harness the credential data is handed over as is (not decrypted), so the size
 * of the map does not cost per request.
 *
 * With a `privateKey` instead (the peer n8n-floor-signed), it signs each body at send time with
 * a bare crypto.sign, the key parsed once: the floor plus the RSA signing PayLoco demands.
 */
import { createPrivateKey, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

import type { ICredentialDataDecryptedObject, ICredentialType, IHttpRequestOptions, INodeProperties } from 'n8n-workflow';

const keys = new Map<string, KeyObject>();

export class PayLocoFloorApi implements ICredentialType {
	name = 'payLocoFloorApi';

	displayName = 'PayLoco Floor (bench)';

	properties: INodeProperties[] = [
		{ displayName: 'Signatures by Body', name: 'signatures', type: 'json', default: '{}' },
		{ displayName: 'Private Key', name: 'privateKey', type: 'string', typeOptions: { password: true }, default: '' },
	];

	async authenticate(credentials: ICredentialDataDecryptedObject, requestOptions: IHttpRequestOptions): Promise<IHttpRequestOptions> {
		const pem = credentials.privateKey as string | undefined;
		if (pem) {
			let key = keys.get(pem);
			if (!key) keys.set(pem, (key = createPrivateKey(pem)));
			const signature = sign('sha256', requestOptions.body as Buffer, key).toString('base64');
			return { ...requestOptions, headers: { ...requestOptions.headers, signature } };
		}
		const signature = (credentials.signatures as Record<string, string>)[String(requestOptions.body)];
		return { ...requestOptions, headers: { ...requestOptions.headers, signature } };
	}
}
