import type { INodeProperties } from 'n8n-workflow';

import type { PayLocoOperation } from '../operation';
import { CANCEL_TRANS_TYPE_OPTIONS, TRANS_TYPES } from '../transTypes';
import { oneOf, optionalId, read, requiredId } from '../validate';

const properties: INodeProperties[] = [
	{
		displayName: 'Card ID',
		name: 'cardId',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'e.g. 1655900976772226',
		description: 'PayLoco card ID (cardId) of the card to cancel permanently. Usually mapped from the alert with an expression.',
	},
	{
		displayName: 'Request ID',
		name: 'requestId',
		type: 'string',
		default: '',
		placeholder: 'Leave empty to generate one',
		description:
			'Your unique ID for this cancellation (requestId). Leave empty to generate one that stays the same when n8n retries this execution, so a retry is never a second request. When an AI agent uses this node as a tool, each tool call (and each retry of it) gets a new generated ID: map a stable ID here, e.g. the alert ID.',
	},
	{
		displayName: 'Transaction Type',
		name: 'transType',
		type: 'options',
		options: CANCEL_TRANS_TYPE_OPTIONS,
		default: 'PAY',
		description: 'PayLoco transType of the card. Use PAY for a payment card (the usual choice), VCC for a virtual credit card.',
	},
];

export const cancelCard: PayLocoOperation = {
	resource: 'card',
	value: 'cancel',
	name: 'Cancel',
	// n8n builds an AI tool's description from `action` alone, so it must carry the warning.
	action: 'Cancel a card permanently',
	description: 'Permanently cancel an issued card so it can no longer be used. This cannot be undone.',
	path: '/v1/issuing/cards/cancel',
	idField: 'requestId',
	changesState: true,
	echo: ['cardId', 'requestId'],
	properties,
	build(item) {
		const transType = oneOf('transType', read(item, 'transType', 'code') || 'PAY', TRANS_TYPES);
		const cardId = requiredId('cardId', read(item, 'cardId', 'id'));
		const requestId = optionalId('requestId', read(item, 'requestId', 'id')) || item.generatedId(cardId);
		return { transType, accessType: 's2s', cardId, requestId };
	},
};
