import type { IDataObject, INodeProperties } from 'n8n-workflow';

import type { PayLocoOperation } from '../operation';
import { TRANS_TYPE_OPTIONS, TRANS_TYPES } from '../transTypes';
import { amount, currency, InputError, oneOf, optionalId, read } from '../validate';

const properties: INodeProperties[] = [
	{
		displayName: 'Merchant Order ID',
		name: 'merchantOrderId',
		type: 'string',
		default: '',
		placeholder: 'e.g. 20230105586637641001',
		description: 'Your order ID to look up (merchantOrderId), e.g. the Merchant Order ID of a void that came back PENDING',
	},
	{
		displayName: 'PayLoco Order ID',
		name: 'orderId',
		type: 'string',
		default: '',
		placeholder: 'e.g. TR1654008732742455296',
		description: "PayLoco's order ID (orderId), if you have it. Give this or the Merchant Order ID.",
	},
	{
		displayName: 'Transaction Type',
		name: 'transType',
		type: 'options',
		options: TRANS_TYPE_OPTIONS,
		default: 'QUERY',
		description: 'PayLoco transType of the query. Leave QUERY unless PayLoco asks for another value.',
	},
	{
		displayName: 'Currency',
		name: 'currency',
		type: 'string',
		default: '',
		placeholder: 'e.g. USD',
		description: 'ISO 4217 letter code of the order (currency); optional',
	},
	{
		displayName: 'Amount',
		name: 'payAmt',
		type: 'string',
		default: '',
		placeholder: 'e.g. 100.01',
		description: 'Amount of the order as a decimal string (payAmt); optional, needs Currency',
	},
];

export const queryTransaction: PayLocoOperation = {
	resource: 'payment',
	value: 'query',
	name: 'Query Transaction',
	action: 'Query a transaction',
	description: 'Look up the current status of an order (read-only; moves no money). Use it to follow a PENDING result.',
	path: '/v1/payments/open/api/query',
	changesState: false,
	echo: ['merchantOrderId', 'orderId'],
	properties,
	build(item) {
		const merchantOrderId = optionalId('merchantOrderId', read(item, 'merchantOrderId', 'id'));
		const orderId = optionalId('orderId', read(item, 'orderId', 'id'));
		if (!merchantOrderId && !orderId) {
			throw new InputError('merchantOrderId', 'merchantOrderId is empty: give the Merchant Order ID or the PayLoco Order ID to look up.');
		}
		const body: IDataObject = { transType: oneOf('transType', read(item, 'transType', 'code') || 'QUERY', TRANS_TYPES), accessType: 's2s' };
		if (merchantOrderId) body.merchantOrderId = merchantOrderId;
		if (orderId) body.orderId = orderId;
		const currencyCode = read(item, 'currency', 'code');
		const payAmt = read(item, 'payAmt', 'amount');
		if (currencyCode) body.currency = currency('currency', currencyCode);
		if (payAmt) {
			if (!currencyCode) throw new InputError('currency', 'currency is empty but payAmt is set: give the currency of the amount.');
			body.payAmt = amount('payAmt', payAmt, currencyCode);
		}
		return body;
	},
};
