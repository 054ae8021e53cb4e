import { NodeConnectionTypes } from 'n8n-workflow';
import type {
	ICredentialTestFunctions,
	ICredentialsDecrypted,
	IHookFunctions,
	INodeCredentialTestResult,
	INodeType,
	INodeTypeDescription,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';

import { testPayLocoCredential } from './credentialTest';
import { DEFAULT_ACK } from './trigger/answer';
import { CONFIRM_TIMEOUT_MS } from './trigger/confirm';
import { handleNotification } from './trigger/handle';

export class PayLocoTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'PayLoco Trigger',
		name: 'payLocoTrigger',
		icon: { light: 'file:payloco.svg', dark: 'file:payloco.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: '={{ {rsa: "RSA signature", hmac: "HMAC-SHA256", form: "Form POST"}[$parameter["verification"]] }}',
		description: 'Starts the workflow when PayLoco sends a notification, after checking its signature',
		defaults: { name: 'PayLoco Trigger' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			// `hide`, not `show: ['rsa', 'form']`: when every option of a field selects a credential, n8n's
			// editor takes that field for the node's authentication method, removes it from the form and
			// offers it only while a new credential is created, so Form POST could not be chosen for an
			// existing PayLoco API credential.
			{ name: 'payLocoApi', required: true, testedBy: 'payLocoApiTest', displayOptions: { hide: { verification: ['hmac'] } } },
			{
				name: 'payLocoWebhookSecretApi',
				required: true,
				testedBy: 'webhookSecretTest',
				displayOptions: { show: { verification: ['hmac'] } },
			},
		],
		webhooks: [{ name: 'default', httpMethod: 'POST', responseMode: 'onReceived', path: 'payloco' }],
		properties: [
			{
				displayName:
					"Use this node's Production URL as notifyUrl in your PayLoco requests (or register it with PayLoco). Notifications whose signature does not verify are refused with HTTP 401 and start nothing.",
				name: 'notice',
				type: 'notice',
				default: '',
			},
			{
				displayName: 'Verification',
				name: 'verification',
				type: 'options',
				options: [
					{
						name: 'RSA Signature (Header "Signature")',
						value: 'rsa',
						description:
							"JSON body; the signature header is SHA256withRSA over the raw body, checked with the platform public key from the PayLoco API credential. PayLoco's standard.",
					},
					{
						name: 'HMAC-SHA256 (Headers "X-Signature", "X-Timestamp")',
						value: 'hmac',
						description:
							'JSON body; x-signature is the hex HMAC-SHA256 of the raw body with the webhook secret; x-timestamp (ms) must be within 5 minutes of this server clock',
					},
					{
						name: 'Form POST (Field "Signature")',
						value: 'form',
						description:
							'Form-encoded body; the signature field is SHA256withRSA over the other fields, sorted by name, as a JSON string. Checked with the platform public key.',
					},
				],
				default: 'rsa',
				description: 'How PayLoco signs the notifications sent to this URL',
			},
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add option',
				default: {},
				options: [
					{
						displayName: 'Acknowledgement Body',
						name: 'acknowledgement',
						type: 'json',
						default: DEFAULT_ACK,
						description:
							'JSON answered with HTTP 200 to every verified notification. PayLoco retries a notification until it gets HTTP 200.',
					},
					{
						displayName: 'Confirm with PayLoco',
						name: 'confirmWithPayLoco',
						type: 'boolean',
						default: false,
						displayOptions: { show: { '/verification': ['rsa', 'form'] } },
						description: `Whether to let a notification in only when PayLoco confirms it: a signed Transaction Query with this credential must show that this merchant has the order named (merchantOrderId or orderId) with the notified status. Otherwise it is not acknowledged (HTTP 503) and PayLoco sends it again later. Closes the door to other merchants' signed notifications; costs one query (at most ${CONFIRM_TIMEOUT_MS / 1000} seconds) per new notification. Recommended for anything that moves money.`,
					},
					{
						displayName: 'Drop Repeated Events',
						name: 'dropRepeatedEvents',
						type: 'boolean',
						default: true,
						description:
							'Whether to acknowledge a notification already received in the last 24 hours without starting the workflow again: the same ID, or the same bytes when it has no ID (PayLoco resends an event until it is acknowledged). Not applied to test events.',
					},
					{
						displayName: 'Headers to Leave Out',
						name: 'excludeHeaders',
						type: 'string',
						default: '',
						placeholder: 'x-acme-user, x-internal-*',
						description:
							'More request header names to keep out of the output, separated by commas (a trailing * matches a prefix). Cookies, authorization, signatures, x-n8n-* and forwarded credentials are always left out.',
					},
					{
						displayName: 'Include Raw Body',
						name: 'includeRawBody',
						type: 'boolean',
						default: false,
						description:
							'Whether to add the body exactly as received (UTF-8 text) as rawBody, e.g. to archive what was signed. A form body is given without its signature field.',
					},
					{
						displayName: 'Require Merchant ID',
						name: 'requireMerchantId',
						type: 'boolean',
						default: false,
						description:
							"Whether to refuse (HTTP 401) a notification that names no merchantId. PayLoco's API answers are signed with the same platform key as notifications; a body naming no merchant cannot be bound to yours.",
					},
					{
						displayName: 'Require Notify Time',
						name: 'requireNotifyTime',
						type: 'boolean',
						default: false,
						description:
							'Whether to refuse (HTTP 401) a notification without notifyTime. Without it a notification cannot be dated, so only the replay memory (24 hours, 20,000 notifications) stops a replay.',
					},
				],
			},
		],
	};

	// PayLoco has no API to register a webhook: the URL travels as notifyUrl in each request, or is set
	// up with PayLoco once. There is nothing to create or delete when the workflow is (de)activated.
	webhookMethods = {
		default: {
			async checkExists(this: IHookFunctions): Promise<boolean> {
				return true;
			},
			async create(this: IHookFunctions): Promise<boolean> {
				return true;
			},
			async delete(this: IHookFunctions): Promise<boolean> {
				return true;
			},
		},
	};

	methods = {
		credentialTest: {
			// The same test as the PayLoco node's: n8n uses whichever node it finds first.
			payLocoApiTest: testPayLocoCredential,
			async webhookSecretTest(
				this: ICredentialTestFunctions,
				credential: ICredentialsDecrypted,
			): Promise<INodeCredentialTestResult> {
				const secret = String(credential.data?.secret ?? '');
				return secret.trim()
					? { status: 'OK', message: 'The secret is set. It is checked against the first HMAC notification.' }
					: { status: 'Error', message: 'The webhook secret is empty' };
			},
		},
	};

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		return await handleNotification(this);
	}
}
