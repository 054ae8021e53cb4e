import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import type { PayLocoOperation } from '../actions/operation';
import { resolveBaseUrl } from '../environment';
import type { PayLocoCredentials } from '../environment';
import { envelopedBody } from '../signing';
import { CREDENTIAL } from '../transport/request';
import { sentIds } from './errors';

/**
 * Preview (send nothing): every item is built and validated by the same code as a real run, and
 * comes out as the exact body the credential would serialize and sign, with the envelope. Nothing
 * is signed and nothing is sent. The fields a real run stamps at send time (requestTime, and a
 * void's merchantOrderTime when left empty) carry the time of the preview and are listed in
 * `stampedAtSend`, so nobody mistakes them for the times PayLoco will see.
 */

const NOTE =
	'Preview: nothing was sent and nothing was signed. A real run sends exactly this body, serialized as JSON and signed with SHA256withRSA, ' +
	'except the fields in stampedAtSend, which get the time each request is sent. A generated requestId shown here is the one a real run ' +
	'of this node sends for this card, unless PayLoco has definitely refused that card under it before.';

/** The body a real run would sign for one item, with the send-time fields stamped now. */
export function previewBody(
	op: PayLocoOperation,
	credentials: PayLocoCredentials,
	body: IDataObject,
	now: Date,
): { body: IDataObject; stampedAtSend: string[] } {
	const copy: IDataObject = { ...body };
	const before = new Set(Object.keys(copy));
	op.stampOnFirstSend?.(copy, now);
	const stampedAtSend = Object.keys(copy).filter((field) => !before.has(field));
	const full = envelopedBody(credentials, copy, now) as IDataObject;
	if (body.requestTime === undefined) stampedAtSend.unshift('requestTime');
	return { body: full, stampedAtSend };
}

/**
 * Fills `results` (which already holds the Continue On Fail items of bodies that failed
 * validation) with one preview item per valid body, and marks the run as a preview.
 */
export async function previewRun(
	fns: IExecuteFunctions,
	op: PayLocoOperation,
	bodies: Array<IDataObject | undefined>,
	results: INodeExecutionData[],
): Promise<INodeExecutionData[]> {
	// Already checked by the run (key, IDs, base URL); read again only to show the envelope and endpoint.
	const credentials = (await fns.getCredentials(CREDENTIAL)) as unknown as PayLocoCredentials;
	const endpoint = `${resolveBaseUrl(credentials)}${op.path}`;
	let count = 0;
	bodies.forEach((body, i) => {
		if (!body) return;
		count++;
		const { body: full, stampedAtSend } = previewBody(op, credentials, body, new Date());
		results[i] = {
			json: { preview: true, sent: false, method: 'POST', endpoint, ...sentIds(op, body), body: full, stampedAtSend, note: NOTE },
			pairedItem: { item: i },
		};
	});
	fns.addExecutionHints?.({
		message: `Preview: nothing was sent to PayLoco. ${count} of ${bodies.length} item(s) passed validation and would be sent to POST ${endpoint}; each output item shows the body that would be signed. Turn off the option "Preview (Send Nothing)" to send.`,
		type: 'info',
		location: 'outputPane',
	});
	return results;
}
