import type { IDataObject, INodeProperties } from 'n8n-workflow';

import { CLOCK_WINDOW_MS, rfc3339 } from '../../signing';
import type { ItemReader, PayLocoOperation } from '../operation';
import { amount, currency, emptyExpression, freeText, httpUrl, optionalId, read, recentTime, requiredId, textOf } from '../validate';
import type { FieldKind } from '../validate';

const properties: INodeProperties[] = [
	{
		displayName: 'Merchant Order ID',
		name: 'merchantOrderId',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'e.g. 20230105586637641001-VOID',
		hint: "A new ID for this void, not the pre-authorization's. To retry, reuse it.",
		description:
			'Your new, unique order ID for this void (merchantOrderId). Reuse the same value to retry the same void; never a new one.',
	},
	{
		displayName: 'Original Merchant Order ID',
		name: 'oriMerchantOrderId',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'e.g. 20230105586637641001',
		description: 'Merchant order ID of the pre-authorization to void (oriMerchantOrderId). Its held funds are released.',
	},
	{
		displayName: 'Currency',
		name: 'currency',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'e.g. USD',
		description: 'ISO 4217 letter code of the original pre-authorization (currency), e.g. USD, CNY, EUR. Must match it.',
	},
	{
		displayName: 'Amount',
		name: 'transAmt',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'e.g. 100.01',
		description:
			'Full amount of the original pre-authorization as a decimal string (transAmt), e.g. 100.01: no leading zeros, at most 12 digits before the dot and the currency\'s decimals. Must match it.',
	},
	{
		displayName: 'Merchant Order Time',
		name: 'merchantOrderTime',
		type: 'string',
		default: '',
		placeholder: 'Leave empty to use the time the request is sent',
		description:
			'Time of this void order (merchantOrderTime), within 2 minutes of now: yyyy-MM-ddTHH:mm:ss.SSS with Z or ±HH:MM, e.g. 2024-05-24T14:29:32.682+08:00, or a date-time such as {{ $now }}. Leave empty to use the time the request is sent.',
	},
	{
		displayName: 'Additional Fields',
		name: 'additionalFields',
		type: 'collection',
		placeholder: 'Add field',
		default: {},
		options: [
			{
				displayName: 'Merchant Extension',
				name: 'reqReserved',
				type: 'string',
				default: '',
				description: 'Free text kept with the order (reqReserved); any language, at most 1024 bytes of UTF-8',
			},
			{
				displayName: 'Notify URL',
				name: 'notifyUrl',
				type: 'string',
				default: '',
				placeholder: 'e.g. https://n8n.example.com/webhook/…/payloco',
				description: 'Where PayLoco posts the final result (notifyUrl), e.g. a PayLoco Trigger webhook URL. An http(s) URL of at most 256 characters, without user name or password.',
			},
			{
				displayName: 'Original PayLoco Order ID',
				name: 'oriOrderId',
				type: 'string',
				default: '',
				placeholder: 'e.g. TR1654008732742455296',
				description: "PayLoco's order ID of the pre-authorization (oriOrderId), if you have it",
			},
			{
				displayName: 'Reserved',
				name: 'reserved',
				type: 'string',
				default: '',
				description: 'Reserved by PayLoco (reserved), at most 1024 bytes of UTF-8. Leave empty unless PayLoco tells you what to put here.',
			},
		],
	},
];

/** Merchant Order ID is never generated: an expression that gives nothing is refused by its name. */
function orderId(item: ItemReader): string {
	const value = read(item, 'merchantOrderId', 'id');
	const expression = item.expression('merchantOrderId');
	if (!value && expression) throw emptyExpression('merchantOrderId', expression, 'or build it from a field every alert has');
	return value;
}

export const preAuthVoid: PayLocoOperation = {
	resource: 'payment',
	value: 'preAuthVoid',
	name: 'Void Pre-Authorization',
	action: 'Void a pre-authorization and release its funds',
	description: 'Void (cancel) a card pre-authorization and release the held funds. This moves money and cannot be undone.',
	path: '/v1/payments/open/api/preAuthVoid',
	idField: 'merchantOrderId',
	workKey: 'oriMerchantOrderId',
	changesState: true,
	echo: ['merchantOrderId', 'oriMerchantOrderId'],
	properties,
	build(item) {
		const currencyCode = currency('currency', read(item, 'currency', 'code'));
		const body: IDataObject = {
			merchantOrderId: requiredId('merchantOrderId', orderId(item)),
			currency: currencyCode,
			transAmt: amount('transAmt', read(item, 'transAmt', 'amount'), currencyCode),
			oriMerchantOrderId: requiredId('oriMerchantOrderId', read(item, 'oriMerchantOrderId', 'id')),
		};
		const orderTime = read(item, 'merchantOrderTime', 'time');
		if (orderTime) body.merchantOrderTime = recentTime('merchantOrderTime', orderTime);
		const collection = item.value('additionalFields');
		const extra = (typeof collection === 'object' && collection !== null && !Array.isArray(collection) ? collection : {}) as IDataObject;
		const text = (name: string, kind: FieldKind) => textOf(name, extra[name], kind);
		if (text('notifyUrl', 'url')) body.notifyUrl = httpUrl('notifyUrl', text('notifyUrl', 'url'));
		if (text('oriOrderId', 'id')) body.oriOrderId = optionalId('oriOrderId', text('oriOrderId', 'id'));
		if (text('reqReserved', 'text')) body.reqReserved = freeText('reqReserved', text('reqReserved', 'text'));
		if (text('reserved', 'text')) body.reserved = freeText('reserved', text('reserved', 'text'));
		return body;
	},
	stampOnFirstSend(body, now) {
		// Stamped when first sent, not when built: a long batch would otherwise send stale times.
		// Retries keep it, because it is the void order's own time.
		if (!body.merchantOrderTime) body.merchantOrderTime = rfc3339(now);
	},
	staleAt(body) {
		return Date.parse(String(body.merchantOrderTime)) + CLOCK_WINDOW_MS;
	},
};
