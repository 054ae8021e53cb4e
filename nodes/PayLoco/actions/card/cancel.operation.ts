import type { INodeProperties } from 'n8n-workflow';

import type { PayLocoOperation } from '../operation';
import { CANCEL_TRANS_TYPE_OPTIONS, TRANS_TYPES } from '../transTypes';
import { emptyExpression, oneOf, optionalId, read, requiredId } from '../validate';

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
		hint: 'Empty: the node generates an ID from this workflow, this node and the card, the same in every execution. An expression that gives nothing for an item is refused, not replaced.',
		description:
			'Your unique ID for this cancellation (requestId). Best: map a stable ID from your data, e.g. the alert ID. Left empty, the node generates one from the workflow, this node and the card, so n8n\'s Retry, a rerun on the same input and a redelivered alert resend the same ID; a new one is made only after PayLoco definitely refused the card. A generated ID does not protect a copy of the workflow or another node (their IDs differ), and PayLoco\'s own deduplication of repeated IDs is not documented. An expression that resolves to empty for an item is refused, and nothing is sent for that item.',
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
	workKey: 'cardId',
	changesState: true,
	echo: ['cardId', 'requestId'],
	properties,
	build(item) {
		const transType = oneOf('transType', read(item, 'transType', 'code') || 'PAY', TRANS_TYPES);
		const cardId = requiredId('cardId', read(item, 'cardId', 'id'));
		const mapped = optionalId('requestId', read(item, 'requestId', 'id'));
		const expression = item.expression('requestId');
		if (!mapped && expression) throw emptyExpression('requestId', expression, 'or clear Request ID to let the node generate one');
		const requestId = mapped || item.generatedId(cardId);
		return { transType, accessType: 's2s', cardId, requestId };
	},
};
