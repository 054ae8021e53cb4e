import type { ICredentialType, INodeProperties, Icon } from 'n8n-workflow';

/** The shared secret of an HMAC-signed PayLoco webhook. Used only by the PayLoco Trigger in HMAC mode. */
export class PayLocoWebhookSecretApi implements ICredentialType {
	name = 'payLocoWebhookSecretApi';

	displayName = 'PayLoco Webhook Secret API';

	icon: Icon = { light: 'file:payloco.svg', dark: 'file:payloco.dark.svg' };

	documentationUrl = 'https://www.npmjs.com/package/n8n-nodes-payloco#payloco-trigger';

	properties: INodeProperties[] = [
		{
			displayName: 'Webhook Secret',
			name: 'secret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description:
				'The secret PayLoco issued for this webhook. PayLoco signs each notification with it (hex HMAC-SHA256 of the body in the x-signature header).',
		},
		{
			displayName: 'Merchant ID',
			name: 'merchantId',
			type: 'string',
			default: '',
			description:
				'Your merchant ID (merchantId). When set, a notification that names another merchantId (top level or in data) is refused with HTTP 401. Leave empty to accept any merchantId.',
		},
	];
}
