import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

export interface RunOptions {
	concurrency: number;
	batchInterval: number;
	timeout: number;
	retry: boolean;
	maxAttempts: number;
	verifyResponses: boolean;
	/** Build, validate and show every body; send and sign nothing (engine/preview.ts). */
	preview: boolean;
	/** Pre-Auth Void: follow a PENDING answer with Transaction Queries (engine/waitForFinal.ts). */
	waitForFinal: boolean;
	/** Total wait for a final status, from the void's answer. */
	maxWaitMs: number;
}

export const MAX_WAIT_SECONDS = 300;

export const DEFAULTS: RunOptions = {
	concurrency: 4,
	batchInterval: 0,
	timeout: 30_000,
	retry: true,
	maxAttempts: 3,
	verifyResponses: true,
	preview: false,
	waitForFinal: false,
	maxWaitMs: 60_000,
};

/** The `options` collection, shared by every operation. */
export const optionsProperty: INodeProperties = {
	displayName: 'Options',
	name: 'options',
	type: 'collection',
	placeholder: 'Add option',
	// readOptions reads them once, for the whole run: say so, since every other field is per item.
	description: 'Read once per run, not per item: an expression here is resolved for the first item only',
	default: {},
	options: [
		{
			displayName: 'Batch Interval',
			name: 'batchInterval',
			type: 'number',
			typeOptions: { minValue: 0 },
			default: 0,
			description:
				'Pause between batches of requests, in milliseconds, to stay under rate limits. With a pause, items are sent in batches of Concurrency. 0 sends each item as soon as a slot is free.',
		},
		{
			displayName: 'Concurrency',
			name: 'concurrency',
			type: 'number',
			typeOptions: { minValue: 1, maxValue: 64 },
			default: 4,
			description: 'How many requests may be in flight at once. Output order always follows input order.',
		},
		{
			displayName: 'Max Attempts',
			name: 'maxAttempts',
			type: 'number',
			typeOptions: { minValue: 1, maxValue: 10 },
			default: 3,
			description: 'Attempts per item, counting the first, when Retry Transient Failures is on',
		},
		{
			displayName: 'Max Wait (Seconds)',
			name: 'maxWaitSeconds',
			type: 'number',
			typeOptions: { minValue: 1, maxValue: MAX_WAIT_SECONDS },
			default: 60,
			displayOptions: { show: { '/resource': ['payment'], '/operation': ['preAuthVoid'] } },
			description: 'With Wait for Final Status on: how long to wait for a final status after the void is answered, in seconds (at most 300)',
		},
		{
			displayName: 'Preview (Send Nothing)',
			name: 'preview',
			type: 'boolean',
			default: false,
			description:
				'Whether to only show what would be sent: every item is validated as in a real run and comes out as the exact body that would be signed, with the envelope and the endpoint. Nothing is signed or sent, and the run says it was a preview.',
		},
		{
			displayName: 'Retry Transient Failures',
			name: 'retry',
			type: 'boolean',
			default: true,
			description:
				'Whether to retry connection errors, timeouts, HTTP 5xx and 429 (honouring Retry-After) with backoff. Every retry sends the same request ID with a fresh requestTime and signature; PayLoco refusals are never retried.',
		},
		{
			displayName: 'Timeout',
			name: 'timeout',
			type: 'number',
			typeOptions: { minValue: 1000 },
			default: 30000,
			description: 'How long to wait for each response, in milliseconds',
		},
		{
			displayName: 'Verify Response Signature',
			name: 'verifyResponses',
			type: 'boolean',
			default: true,
			description:
				"Whether to check PayLoco's signature on every response with the platform public key. Turn off only for testing: an unverified answer could be forged.",
		},
		{
			displayName: 'Wait for Final Status',
			name: 'waitForFinal',
			type: 'boolean',
			default: false,
			displayOptions: { show: { '/resource': ['payment'], '/operation': ['preAuthVoid'] } },
			description:
				'Whether to follow a PENDING void with signed Transaction Queries (first after 2 s, then further apart) until PayLoco reports SUCCESS, FAILED or CLOSED, or Max Wait ends. This waits inside the run, so the next node gets the final answer; the PayLoco Trigger instead reacts later, when PayLoco sends its notification.',
		},
	],
};

function clamp(value: unknown, min: number, max: number, fallback: number): number {
	const n = Number(value);
	return Number.isFinite(n) ? Math.min(max, Math.max(min, Math.floor(n))) : fallback;
}

export function readOptions(fns: IExecuteFunctions): RunOptions {
	const raw = fns.getNodeParameter('options', 0, {}) as IDataObject;
	return {
		concurrency: clamp(raw.concurrency, 1, 64, DEFAULTS.concurrency),
		batchInterval: clamp(raw.batchInterval, 0, 3_600_000, DEFAULTS.batchInterval),
		timeout: clamp(raw.timeout, 1000, 600_000, DEFAULTS.timeout),
		retry: raw.retry === undefined ? DEFAULTS.retry : raw.retry === true,
		maxAttempts: clamp(raw.maxAttempts, 1, 10, DEFAULTS.maxAttempts),
		verifyResponses: raw.verifyResponses === undefined ? DEFAULTS.verifyResponses : raw.verifyResponses === true,
		preview: raw.preview === true,
		waitForFinal: raw.waitForFinal === true,
		maxWaitMs: clamp(raw.maxWaitSeconds, 1, MAX_WAIT_SECONDS, DEFAULTS.maxWaitMs / 1000) * 1000,
	};
}
