import type {
	ICredentialDataDecryptedObject,
	ICredentialType,
	IHttpRequestOptions,
	INodeProperties,
	Icon,
} from 'n8n-workflow';

import type { PayLocoCredentials } from '../nodes/PayLoco/environment';
import { signRequest } from '../nodes/PayLoco/signing';

export class PayLocoApi implements ICredentialType {
	name = 'payLocoApi';

	displayName = 'PayLoco API';

	icon: Icon = { light: 'file:payloco.svg', dark: 'file:payloco.dark.svg' };

	documentationUrl = 'https://www.npmjs.com/package/n8n-nodes-payloco#credential';

	properties: INodeProperties[] = [
		{
			displayName: 'Environment',
			name: 'environment',
			type: 'options',
			options: [
				{ name: 'Dev (Sandbox)', value: 'dev', description: 'https://gate.dev.payloco.com/gateway' },
				{ name: 'UAT', value: 'uat', description: 'https://gate.uat.payloco.com/gateway' },
				{ name: 'Custom (Production or Other Host)', value: 'custom', description: 'The gateway URL PayLoco issued to you' },
			],
			default: 'dev',
		},
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'e.g. https://gate.example.com/gateway',
			description: 'The full gateway base URL PayLoco issued, including /gateway. Must be https (http only to localhost).',
			displayOptions: { show: { environment: ['custom'] } },
		},
		{
			displayName: 'Member ID',
			name: 'memberId',
			type: 'string',
			default: '',
			placeholder: 'e.g. 2023010558663764',
			description: 'Institution ID (memberId) assigned by PayLoco. Leave empty if PayLoco gave you none.',
		},
		{
			displayName: 'Merchant ID',
			name: 'merchantId',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'e.g. 2023010558663764',
			description: 'Merchant ID (merchantId) assigned by PayLoco, at most 32 characters',
		},
		{
			displayName: 'Key Version',
			name: 'keyVersion',
			type: 'string',
			default: '1',
			description: 'Version of the key pair registered with PayLoco (keyVersion). Currently 1.',
		},
		{
			displayName: 'Merchant Private Key',
			name: 'privateKey',
			type: 'string',
			typeOptions: { password: true, rows: 6 },
			default: '',
			required: true,
			placeholder: '-----BEGIN PRIVATE KEY-----',
			description:
				'Your RSA private key (2048 bits or more) that signs every request. PEM PKCS#8, PEM PKCS#1 or bare Base64 PKCS#8, with or without line breaks. Upload only its public half to PayLoco.',
		},
		{
			displayName: 'PayLoco Platform Public Key',
			name: 'platformPublicKey',
			type: 'string',
			typeOptions: { rows: 4 },
			default: '',
			placeholder: 'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA...',
			description:
				"PayLoco's public key, used to verify the signature on its responses and notifications. Bare Base64 or PEM. On Dev, PayLoco's published test key is used when this is empty.",
		},
	];

	// Every request made with this credential is signed here, at send time: the PayLoco node's
	// and the HTTP Request node's in "Predefined Credential Type" mode.
	// A URL outside the credential's gateway is refused: a signature must never reach another host.
	async authenticate(credentials: ICredentialDataDecryptedObject, requestOptions: IHttpRequestOptions): Promise<IHttpRequestOptions> {
		return signRequest(credentials as unknown as PayLocoCredentials, requestOptions as never) as unknown as IHttpRequestOptions;
	}

	// No `test` here: n8n runs a credential's own `test` in place of any node's, and a declarative
	// test cannot check the signature on PayLoco's answer. The Test button runs the PayLoco node's
	// `credentialTest` (testedBy: 'payLocoApiTest', nodes/PayLoco/credentialTest.ts) instead, for
	// this credential wherever it was created, the HTTP Request node included.
}
