/** Builders for the workflows the end-to-end tests import: plain n8n workflow JSON. */

/** Makes nodes with stable, distinct IDs (the prefix keeps test files apart). */
export function nodeBuilder(idPrefix: string) {
	let seq = 0;
	const node = (name: string, type: string, typeVersion: number, x: number, y: number, extra: object = {}) => ({
		id: `${idPrefix}-0000-4000-8000-${String(++seq).padStart(12, '0')}`,
		name,
		type,
		typeVersion,
		position: [x, y],
		parameters: {},
		...extra,
	});
	/** A Code node that outputs these objects as items. */
	const items = (name: string, list: object[], x: number, y: number) =>
		node(name, 'n8n-nodes-base.code', 2, x, y, { parameters: { jsCode: `return ${JSON.stringify(list.map((json) => ({ json })))};` } });
	/** Starts IDs again, so every workflow built gets the same IDs for the same nodes. */
	const resetIds = () => {
		seq = 0;
	};
	return { node, items, resetIds };
}
