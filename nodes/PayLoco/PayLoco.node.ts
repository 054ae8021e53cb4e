import { NodeConnectionTypes } from 'n8n-workflow';
import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';

import { OPERATIONS, operationProperties } from './actions/router';
import { testPayLocoCredential } from './credentialTest';
import { optionsProperty } from './engine/options';
import { runOperation } from './engine/run';
import { toolDescriptionProperties } from './engine/toolDescription';
import { toolLimitsProperties } from './engine/toolLimitsFields';

/** Under the node on the canvas: "Card: Cancel", "Payment: Void Pre-Authorization", ... not the raw values. */
const SUBTITLE = `={{ ${JSON.stringify(
	Object.fromEntries(OPERATIONS.map((op) => [`${op.resource}:${op.value}`, `${op.resource[0].toUpperCase()}${op.resource.slice(1)}: ${op.name}`])),
)}[$parameter["resource"] + ":" + $parameter["operation"]] }}`;

export class PayLoco implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'PayLoco',
		name: 'payLoco',
		icon: { light: 'file:payloco.svg', dark: 'file:payloco.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: SUBTITLE,
		description: 'Cancel cards, void pre-authorizations and query transactions on the PayLoco payment gateway',
		defaults: { name: 'PayLoco' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		// testedBy: the Test button proves PayLoco accepts the key (see credentialTest.ts).
		credentials: [{ name: 'payLocoApi', required: true, testedBy: 'payLocoApiTest' }],
		properties: [...operationProperties(), optionsProperty, ...toolDescriptionProperties(OPERATIONS), ...toolLimitsProperties],
	};

	methods = {
		credentialTest: { payLocoApiTest: testPayLocoCredential },
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await runOperation(this);
	}
}
