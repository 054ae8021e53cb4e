import type { IDataObject } from 'n8n-workflow';

import { Fault, Refusal } from '../nodes/PayLoco/faults';
import { normalize, readReply } from '../nodes/PayLoco/engine/reply';
import { loadPublicKey, signBytes, loadPrivateKey } from '../nodes/PayLoco/signing';
import { rsaKeyPair } from './helpers/keys';

/** The outcome rules on their own: which answers are a success, for actions and for Query. */

function thrown(fn: () => unknown): unknown {
	try {
		fn();
	} catch (error) {
		return error;
	}
	throw new Error('expected a throw');
}

const action = (sent: IDataObject = {}) => ({ sent, readOnly: false });
const lookup = (sent: IDataObject = {}) => ({ sent, readOnly: true });

describe('Cancel Card and Pre-Auth Void: code, status and success must all agree', () => {
	it.each([
		['A, SUCCESS', { success: true, errCode: '00000000', status: 'SUCCESS', traceId: 't' }, 'SUCCESS'],
		['A, PENDING', { success: true, errCode: '00000003', status: 'PENDING', traceId: 't' }, 'PENDING'],
		['B, data.status SUCCESS', { code: '00000000', traceId: 't', data: { status: 'SUCCESS' } }, 'SUCCESS'],
		['B, 00000000 but still PENDING', { code: '00000000', traceId: 't', data: { status: 'PENDING' } }, 'PENDING'],
		['lower-case status, shown as sent', { code: '00000000', traceId: 't', status: 'success' }, 'success'],
		['empty top-level status: data.status counts', { code: '00000000', traceId: 't', status: '', data: { status: 'SUCCESS' } }, 'SUCCESS'],
		['00000003 with success false is still pending', { success: false, errCode: '00000003', status: 'PENDING', traceId: 't' }, 'PENDING'],
		['00000003 with an undocumented status is pending', { code: '00000003', traceId: 't', status: 'PROCESSING' }, 'PROCESSING'],
	])('%s is a success', (_name, json, status) => {
		expect(normalize(json, action())).toMatchObject({ success: true, status });
	});

	it('no status at all: the code decides, and no status is made up', () => {
		const outcome = normalize({ code: '00000000', traceId: 't' }, action());
		expect(outcome).toMatchObject({ success: true, code: '00000000' });
		expect(outcome).not.toHaveProperty('status');
	});

	it.each([
		['00000000 with an undocumented status', { code: '00000000', traceId: 't', status: 'PROCESSING' }, 'PROCESSING'],
		['00000000 with success false', { success: false, errCode: '00000000', status: 'SUCCESS', traceId: 't' }, 'SUCCESS'],
		['00000000 with success "false"', { success: 'false', code: '00000000', traceId: 't', data: { status: 'SUCCESS' } }, 'SUCCESS'],
		['a failure code with status SUCCESS', { errCode: '50000001', status: 'SUCCESS', traceId: 't' }, 'SUCCESS'],
	])('%s is an unknown outcome, not a refusal', (_name, json, status) => {
		const error = thrown(() => normalize(json, action())) as Fault;
		expect(error).toBeInstanceOf(Fault);
		expect(error).toMatchObject({ kind: 'unclear', details: { outcomeUnknown: true, answer: { status, traceId: 't' } } });
	});

	it.each([
		['00000000 with status FAILED', { success: true, errCode: '00000000', status: 'FAILED', traceId: 't' }, 'FAILED'],
		['00000000 with data.status FAILED', { code: '00000000', traceId: 't', data: { status: 'FAILED' } }, 'FAILED'],
		['00000000 with status CLOSED', { code: '00000000', traceId: 't', status: 'CLOSED' }, 'CLOSED'],
		['a failure code', { errCode: '50000001', errMessage: 'declined', traceId: 't', status: 'FAILED' }, 'FAILED'],
	])('%s is a refusal carrying code, status, message and traceId', (_name, json, status) => {
		const error = thrown(() => normalize(json, action())) as Refusal;
		expect(error).toBeInstanceOf(Refusal);
		expect(error).toMatchObject({ status, traceId: 't' });
	});
});

describe('Transaction Query: success means PayLoco answered', () => {
	it.each([
		[{ errCode: '00000000', status: 'SUCCESS', traceId: 't' }, 'SUCCESS', true],
		[{ errCode: '00000000', status: 'FAILED', traceId: 't' }, 'FAILED', true],
		[{ errCode: '00000000', status: 'CLOSED', traceId: 't' }, 'CLOSED', true],
		[{ errCode: '00000003', status: 'PENDING', traceId: 't' }, 'PENDING', false],
		[{ errCode: '00000003', traceId: 't' }, undefined, false],
		[{ errCode: '00000000', traceId: 't' }, undefined, false],
		[{ errCode: '00000000', traceId: 't', status: 'REVERSING' }, 'REVERSING', false],
	])('%j: status %s, final %s', (json, status, final) => {
		const outcome = normalize(json, lookup());
		expect(outcome).toMatchObject({ success: true, final });
		expect(outcome.status).toBe(status);
	});

	it('a refusal code is a failed query; success false with an OK code is an unclear answer', () => {
		expect(thrown(() => normalize({ errCode: '40040001', traceId: 't' }, lookup()))).toBeInstanceOf(Refusal);
		expect(thrown(() => normalize({ success: false, errCode: '00000000', status: 'SUCCESS', traceId: 't' }, lookup()))).toMatchObject({ kind: 'unclear' });
	});

	it('actions carry no final', () => {
		expect(normalize({ code: '00000000', traceId: 't' }, action()).final).toBeUndefined();
	});
});

describe('an answer about another request is not this one', () => {
	it.each([
		['cardId at the top level', { cardId: 'C-2' }, { cardId: 'C-1' }],
		['requestId at the top level', { requestId: 'R-2' }, { requestId: 'R-1' }],
		['merchantOrderId in data', { data: { merchantOrderId: 'V-2', status: 'SUCCESS' } }, { merchantOrderId: 'V-1' }],
		['oriMerchantOrderId in data', { data: { oriMerchantOrderId: 'PA-2', status: 'SUCCESS' } }, { oriMerchantOrderId: 'PA-1' }],
		['orderId of a query by orderId', { data: { orderId: 'TR2' } }, { orderId: 'TR1' }],
	])('%s', (_name, echoed, sent) => {
		const json = { code: '00000000', traceId: 't', status: 'SUCCESS', ...echoed };
		expect(thrown(() => normalize(json, action(sent)))).toMatchObject({ kind: 'otherRequest', details: { outcomeUnknown: true, retryable: false } });
		// Even a refusal about another request is no refusal of this one.
		expect(thrown(() => normalize({ ...json, code: '50000001' }, action(sent)))).toBeInstanceOf(Fault);
	});

	it('the same IDs, a number for a string, or IDs not sent are fine', () => {
		expect(normalize({ code: '00000000', traceId: 't', cardId: 1655900976772226, data: { merchantOrderId: 'V-1', orderId: 'TR9' } }, action({ cardId: '1655900976772226', merchantOrderId: 'V-1' }))).toMatchObject({ success: true });
	});

	it('an unsigned refusal about another request is not shown as a refusal', () => {
		const platform = rsaKeyPair();
		const key = loadPublicKey(platform.publicBase64);
		const body = Buffer.from('{"errCode":"30020002","errMessage":"already cancelled","traceId":"t","cardId":"C-2"}');
		const reply = { statusCode: 200, headers: {}, body };
		expect(thrown(() => readReply(reply, key, action({ cardId: 'C-1' })))).toMatchObject({ kind: 'otherRequest' });
		const signed = { ...reply, headers: { signature: signBytes(loadPrivateKey(platform.pkcs8Pem), body) } };
		expect(thrown(() => readReply(signed, key, action({ cardId: 'C-2' })))).toBeInstanceOf(Refusal);
	});
});
