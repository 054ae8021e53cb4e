/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
/**
 * The floor peer's credential (see PayLocoFloor.node.ts): `authenticate` adds the signature the
 * bench computed ahead of time for this exact body, looked up by the body's text. Nothing is signed
 * at send time, so the floor leaves out RSA signing, which the node and every baseline pay.
 * In the in-process harness the credential data is handed over as is (not decrypted), so the size
 * of the map does not cost per request.
 */
import type { ICredentialDataDecryptedObject, ICredentialType, IHttpRequestOptions, INodeProperties } from 'n8n-workflow';

export class PayLocoFloorApi implements ICredentialType {
	name = 'payLocoFloorApi';

	displayName = 'PayLoco Floor (bench)';

	properties: INodeProperties[] = [{ displayName: 'Signatures by Body', name: 'signatures', type: 'json', default: '{}' }];

	async authenticate(credentials: ICredentialDataDecryptedObject, requestOptions: IHttpRequestOptions): Promise<IHttpRequestOptions> {
		const signature = (credentials.signatures as Record<string, string>)[String(requestOptions.body)];
		return { ...requestOptions, headers: { ...requestOptions.headers, signature } };
	}
}
