#!/usr/bin/env node
// @ts-check
'use strict';
// `npm run sandbox`: a PayLoco look-alike on a fixed port for people without a PayLoco account.
// Keys persist in .sandbox-keys/ (git-ignored) so an n8n credential pasted once keeps working across restarts.
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { startSandbox, SCENARIOS } = require('./server');
const keys = require('./keys');

const keyDir = process.env.PAYLOCO_SANDBOX_KEY_DIR || path.resolve(__dirname, '..', '.sandbox-keys');

/** Load `<name>-private.pem`, or create and save an RSA 2048 pair (PKCS#8 PEM, owner-only). */
function keyPair(/** @type {string} */ name) {
  const file = path.join(keyDir, `${name}-private.pem`);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(keyDir, { recursive: true, mode: 0o700 });
    const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    fs.writeFileSync(file, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
    fs.writeFileSync(path.join(keyDir, `${name}-public.pem`), keys.publicKeyPem(privateKey));
  }
  return keys.loadPrivateKey(fs.readFileSync(file, 'utf8'));
}

async function main() {
  const merchant = keyPair('merchant');
  const platform = keyPair('platform');
  const sandbox = await startSandbox({
    host: process.env.PAYLOCO_SANDBOX_HOST || '127.0.0.1',
    port: Number(process.env.PORT || 8787),
    merchantPublicKey: crypto.createPublicKey(merchant),
    platformPrivateKey: platform,
    latencyMs: Number(process.env.PAYLOCO_SANDBOX_LATENCY_MS || 0),
    clockOffsetMs: Number(process.env.PAYLOCO_SANDBOX_CLOCK_OFFSET_MS || 0),
    // PAYLOCO_SANDBOX_REPLAYS=0: a repeated requestId / merchantOrderId is processed afresh, as PayLoco may.
    replays: process.env.PAYLOCO_SANDBOX_REPLAYS !== '0',
    preAuths: [
      { merchantOrderId: 'PA-1001', currency: 'USD', transAmt: '100.01' },
      { merchantOrderId: 'PA-1002', currency: 'CNY', transAmt: '88.00' },
    ],
    log: (line) => console.log(`${new Date().toISOString()} ${line}`),
  });
  const admin = sandbox.baseUrl.replace(/\/gateway$/, '/__sandbox');
  console.log(`PayLoco sandbox listening. Keys in ${keyDir}

Base URL (custom base URL in the n8n credential):
  ${sandbox.baseUrl}

Merchant private key (PEM PKCS#8, paste into the credential):
${String(merchant.export({ format: 'pem', type: 'pkcs8' })).trim()}

Platform public key (bare Base64 SPKI, paste into the credential):
  ${sandbox.platformPublicKeyBase64}

Any merchantId up to 32 characters works. Seeded pre-auths: PA-1001 USD 100.01, PA-1002 CNY 88.00
(or void any oriMerchantOrderId starting PA-AUTO- and it is created on the fly).
Scenario prefixes for cardId / merchantOrderId: ${SCENARIOS.map((s) => `${s}-`).join(' ')}
Cards starting UNKNOWN are not found. See sandbox/README.md.
Admin: GET ${admin}/requests | effects | notifications | keys, POST ${admin}/preauths | reset | notify | clock
Ctrl-C stops.`);

  const stop = () => { void sandbox.close().then(() => process.exit(0)); };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
