/**
 * What the node forms say, where a user would otherwise guess: Cancel Card's Transaction Type
 * offers PAY and VCC first and says when to use each; the Trigger's options are in Title Case;
 * the Options collection says it is read once per run.
 */
import type { INodePropertyOptions } from 'n8n-workflow';

import { cancelCard } from '../nodes/PayLoco/actions/card/cancel.operation';
import { queryTransaction } from '../nodes/PayLoco/actions/payment/query.operation';
import { TRANS_TYPES } from '../nodes/PayLoco/actions/transTypes';
import { optionsProperty } from '../nodes/PayLoco/engine/options';
import { PayLocoTrigger } from '../nodes/PayLoco/PayLocoTrigger.node';

const transTypeOptions = (props: typeof cancelCard.properties) =>
	(props.find((p) => p.name === 'transType')?.options ?? []) as INodePropertyOptions[];

describe('node descriptions', () => {
	it("Cancel Card's Transaction Type: PAY and VCC first, each saying when to use it, then every other code once", () => {
		const options = transTypeOptions(cancelCard.properties);
		expect(options.slice(0, 2).map((o) => o.value)).toEqual(['PAY', 'VCC']);
		expect(options[0].description).toMatch(/payment card.*usual/);
		expect(options[1].description).toMatch(/virtual credit card/);
		expect(options.map((o) => o.value).sort()).toEqual([...TRANS_TYPES].sort());
		const rest = options.slice(2).map((o) => String(o.value));
		expect(rest).toEqual([...rest].sort());
		expect(cancelCard.properties.find((p) => p.name === 'transType')?.default).toBe('PAY');
	});

	it("Query Transaction's list stays alphabetical, with QUERY the default", () => {
		const options = transTypeOptions(queryTransaction.properties);
		expect(options.map((o) => o.value)).toEqual([...TRANS_TYPES].sort());
		expect(queryTransaction.properties.find((p) => p.name === 'transType')?.default).toBe('QUERY');
	});

	it('the Trigger option is Require Notify Time (Title Case, as n8n shows option names)', () => {
		const names = JSON.stringify(new PayLocoTrigger().description.properties);
		expect(names).toContain('"displayName":"Require Notify Time"');
		expect(names).not.toContain('Require notifyTime');
	});

	it('the Options collection says it is read once per run, not per item', () => {
		expect(optionsProperty.description).toMatch(/once per run, not per item/);
	});
});
