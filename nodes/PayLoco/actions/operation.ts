import type { IDataObject, INodeProperties } from 'n8n-workflow';

/** Reads one item's parameters; every read names the field, so a bad value can be reported by name. */
export interface ItemReader {
	readonly itemIndex: number;
	/** The parameter's value for this item, with expressions resolved and text trimmed. */
	text(field: string): string;
	value(field: string): unknown;
	/** The field's expression as the user wrote it (e.g. "{{ $json.alertId }}"), or undefined for a fixed value. */
	expression(field: string): string | undefined;
	/**
	 * A request ID that is the same for the same work (this card, from this workflow and node) in
	 * every execution, and never the same for two cards (see engine/ids.ts).
	 */
	generatedId(businessKey: string): string;
}

/**
 * One PayLoco call. An operation is its fields and how it turns an item into a request body;
 * the per-item loop, signing, sending, retries and errors are shared (see ../engine).
 */
export interface PayLocoOperation {
	resource: 'card' | 'payment';
	value: string;
	name: string;
	action: string;
	description: string;
	/** Path below the gateway base URL. */
	path: string;
	/** For calls that change state: the body field that makes a retry the same request for PayLoco. */
	idField?: 'requestId' | 'merchantOrderId';
	/**
	 * For calls that change state: the body field naming the thing changed (the card, the
	 * pre-authorization). Two items of one run with the same value are refused before anything is sent.
	 */
	workKey?: 'cardId' | 'oriMerchantOrderId';
	/** True when the call can move money or change a card, so its descriptions must say so. */
	changesState: boolean;
	/** Body fields copied to the output, so the next node knows which card or order this was. */
	echo: string[];
	properties: INodeProperties[];
	/** The body without the envelope; throws InputError for a bad field. */
	build(item: ItemReader): IDataObject;
	/** Fields that must be stamped when the request is first sent, not when it is built. */
	stampOnFirstSend?(body: IDataObject, now: Date): void;
	/** When a body with its own timestamp (kept across retries) goes stale for PayLoco, in ms since epoch. */
	staleAt?(body: IDataObject): number | undefined;
}
