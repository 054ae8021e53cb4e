import { NodeOperationError } from 'n8n-workflow';
import type { IDataObject, IWebhookFunctions, IWebhookResponseData } from 'n8n-workflow';
import { createHash } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

import { platformPublicKeyText } from '../environment';
import type { PayLocoCredentials } from '../environment';
import { headerValue } from '../outcome';
import { loadPublicKey } from '../signing';
import { admit, peek } from './admit';
import type { AdmitInput } from './admit';
import { acknowledgement, readRawBody, refuse, respond, unconfirmed } from './answer';
import { confirmOnce, confirmWithPayLoco } from './confirm';
import type { Confirmation } from './confirm';
import { emittedHeaders, parseHeaderList } from './headers';
import { mayHaveBeenDropped, readSeen, REPLAY_WINDOW_MS } from './replay';
import { checkMerchant, checkNotifyTime } from './rules';
import { verifyFormNotification, verifyHmacNotification, verifyRsaNotification } from './verify';
import type { RequestHeaders, VerifyResult } from './verify';

/**
 * One notification, from the bytes that arrived to the answer: verify, check, (confirm with
 * PayLoco), admit once, emit. What PayLocoTrigger.webhook() does.
 *
 * Answers: 401 to a forged, tampered, wrongly signed or stale notification; 503 to a genuine one
 * PayLoco does not confirm (Confirm with PayLoco); 200 to every other genuine one, including a
 * resend of one already let in, which starts nothing.
 */

type Verification = 'rsa' | 'hmac' | 'form';

const SEEN_EVENTS = 'seenEvents';

interface Verified {
	result: VerifyResult;
	merchantId?: string;
	/** RSA and form: the PayLoco API credential and its platform key, for Confirm with PayLoco. */
	api?: { credentials: PayLocoCredentials; key: KeyObject };
}

async function verify(ctx: IWebhookFunctions, verification: Verification, rawBody: Buffer, headers: RequestHeaders): Promise<Verified> {
	if (verification === 'hmac') {
		const credential = await ctx.getCredentials<{ secret?: string; merchantId?: string }>('payLocoWebhookSecretApi');
		if (!credential.secret) throw new NodeOperationError(ctx.getNode(), 'The PayLoco Webhook Secret credential has an empty secret');
		return { result: verifyHmacNotification(rawBody, headers, credential.secret, Date.now()), merchantId: credential.merchantId };
	}
	const credentials = await ctx.getCredentials<PayLocoCredentials>('payLocoApi');
	const key = platformKey(ctx, credentials);
	const result = verification === 'form' ? verifyFormNotification(rawBody, headers, key) : verifyRsaNotification(rawBody, headers, key);
	return { result, merchantId: credentials.merchantId, api: { credentials, key } };
}

export async function handleNotification(ctx: IWebhookFunctions): Promise<IWebhookResponseData> {
	const verification = ctx.getNodeParameter('verification', 'rsa') as Verification;
	const options = ctx.getNodeParameter('options', {}) as IDataObject;
	const ack = acknowledgement(ctx, options.acknowledgement);
	const req = ctx.getRequestObject();
	const headers = req.headers as RequestHeaders;

	const rawBody = await readRawBody(req);
	if (rawBody === undefined) return refuse(ctx, 'malformed');
	const { result, merchantId, api } = await verify(ctx, verification, rawBody, headers);
	if (!result.ok) return refuse(ctx, result.reason);

	const manual = ctx.getMode() === 'manual';
	const store = manual ? undefined : ctx.getWorkflowStaticData('node');
	const scope = `${ctx.getWorkflow().id ?? ''}/${ctx.getNode().id}`;
	const time = checkNotifyTime(result.body, Date.now(), Date.now() - REPLAY_WINDOW_MS, options.requireNotifyTime === true);
	const wrong = checkMerchant(result.body, merchantId, options.requireMerchantId === true) ?? time.failure;
	if (wrong) return refuse(ctx, wrong);
	const admission = (now: number): AdmitInput => ({
		seen: readSeen(store?.[SEEN_EVENTS], now),
		scope,
		body: result.body,
		rawBody,
		hmac: verification === 'hmac',
		dedupe: options.dropRepeatedEvents !== false,
		now,
	});
	if (store) {
		const input = admission(Date.now());
		// A resend of one already let in: acknowledged at once, PayLoco is not asked again.
		if (peek(input) !== 'new') return respond(ctx, 200, ack);
		if (mayHaveBeenDropped(input.seen, time.reading.earliest)) {
			ctx.logger.warn(
				'PayLoco Trigger acknowledged a notification without starting the workflow: its notifyTime is older than what the replay memory still holds (more than 20,000 notifications in 24 hours), so it may be one already let in',
				{ node: ctx.getNode().name, workflowId: ctx.getWorkflow().id, eventId: typeof result.body.id === 'string' ? result.body.id : undefined },
			);
			return respond(ctx, 200, ack);
		}
	}

	let confirmation: Confirmation | undefined;
	if (options.confirmWithPayLoco === true) {
		if (!api) throw new NodeOperationError(ctx.getNode(), 'Confirm with PayLoco needs RSA Signature or Form POST verification (the PayLoco API credential)');
		const key = `${scope}\n${createHash('sha256').update(rawBody).digest('base64url')}`;
		confirmation = await confirmOnce(key, async () => await confirmWithPayLoco(ctx, result.body, api.credentials.merchantId, api.key));
		if (!confirmation.confirmed) return unconfirmed(ctx, confirmation.reason);
	}

	// From here to the return nothing is awaited: the replay check and the claim it makes happen in
	// one tick, so no other request to this process runs in between (guard.ts). Copies that waited
	// for the same confirmation meet the first one's claim here.
	if (store) {
		const input = admission(Date.now());
		const { outcome, state } = admit(input);
		if (outcome !== 'new') return respond(ctx, 200, ack);
		if (state !== input.seen) store[SEEN_EVENTS] = state as unknown as IDataObject;
	}

	const header = (name: string) => headerValue(headers, name) ?? null;
	const json: IDataObject = {
		eventName: header('x-eventname'),
		eventType: header('x-eventtype'),
		body: result.body as IDataObject,
		headers: emittedHeaders(headers, parseHeaderList(options.excludeHeaders)) as IDataObject,
		notifyTimeCheck: time.reading.check,
	};
	if (confirmation?.confirmed) Object.assign(json, { confirmed: true, queryTraceId: confirmation.traceId });
	if (options.includeRawBody === true) json.rawBody = result.rawText ?? rawBody.toString('utf8');
	return { ...respond(ctx, 200, ack), workflowData: [[{ json }]] };
}

/** The platform public key of the PayLoco API credential (PayLoco's test key on Dev when none is set). */
function platformKey(ctx: IWebhookFunctions, credentials: PayLocoCredentials): KeyObject {
	const text = platformPublicKeyText(credentials);
	if (!text) {
		throw new NodeOperationError(ctx.getNode(), 'The PayLoco API credential has no platform public key', {
			description: 'Paste the PayLoco platform public key PayLoco gave you into the credential (required outside Dev).',
		});
	}
	try {
		return loadPublicKey(text);
	} catch (error) {
		throw new NodeOperationError(ctx.getNode(), `PayLoco API credential: ${(error as Error).message}`);
	}
}
