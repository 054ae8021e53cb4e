/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
/**
 * The floor peer `n8n-floor` of `npm run bench`: a measuring instrument, not part of the package.
 * The least a community node can do to send the bench's Cancel Card requests through n8n's
 * supported path: one fixed body per item (taken from the item as is, already signed by the
 * bench), `httpRequestWithAuthentication` with a credential that adds the precomputed signature
 * header, at most `concurrency` requests at a time. No parameter read per item, no validation,
 * no response verification, one small output item per item. Whatever the PayLoco node costs
 * beyond this is the node's own; this much is n8n's.
 */
import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';

export class PayLocoFloor implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'PayLoco Floor (bench)',
		name: 'payLocoFloor',
		group: ['output'],
		version: 1,
		description: 'Sends each item\'s precomputed body (bench only)',
		defaults: { name: 'PayLoco Floor' },
		inputs: ['main'],
		outputs: ['main'],
		credentials: [{ name: 'payLocoFloorApi', required: true }],
		properties: [
			{ displayName: 'URL', name: 'url', type: 'string', default: '' },
			{ displayName: 'Concurrency', name: 'concurrency', type: 'number', default: 8 },
		],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		// Fixed values, read once per run as the node does with its fixed parameters.
		const url = this.getNodeParameter('url', 0) as string;
		const concurrency = this.getNodeParameter('concurrency', 0) as number;
		const output: INodeExecutionData[] = new Array(items.length);
		let next = 0;
		const worker = async () => {
			while (next < items.length) {
				const i = next++;
				// The same request options as the node's (transport/request.ts), minus what only
				// verification needs: no full response, the answer as raw bytes, no redirects. The
				// body goes as a Buffer, as the node's does: axios would JSON.parse a string body
				// with a JSON content type before sending it, a cost the node does not pay.
				const body = Buffer.from(items[i].json.body as string, 'utf8');
				await this.helpers.httpRequestWithAuthentication.call(this, 'payLocoFloorApi', {
					method: 'POST',
					url,
					body,
					headers: { 'Content-Type': 'application/json' },
					encoding: 'arraybuffer',
					json: false,
					disableFollowRedirect: true,
				});
				output[i] = { json: { cardId: items[i].json.card }, pairedItem: { item: i } };
			}
		};
		await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
		return [output];
	}
}
