/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
/**
 * The shipped example workflows (examples/), read as they are, and the credential IDs and header
 * they reference: for the end-to-end suites that run them (examples.e2e, queue-trigger.e2e).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const REPO = path.resolve(__dirname, '..', '..');
export const example = (file: string) => JSON.parse(fs.readFileSync(path.join(REPO, 'examples', file), 'utf8'));

export const chargeback = example('chargeback-alert-cancel-card.json');
export const voidExample = example('order-cancelled-void-preauth.json');
/** The Webhook's Header Auth credential and header the examples name. */
export const HOOK_CREDENTIAL = { id: 'payLocoExampleHook', name: 'PayLoco example webhook key' };
export const HOOK_HEADER = 'X-PayLoco-Webhook-Key';
/** The PayLoco API credential the examples name. */
export const EXAMPLE_CREDENTIAL = { id: 'payLocoSandbox', name: 'PayLoco Sandbox' };
