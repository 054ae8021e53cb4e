// @ts-check
'use strict';
// RSA key loading and SHA256withRSA helpers shared by the server, the notifier and the CLI.
// Users paste keys in every shape PayLoco's docs produce, so loading is lenient.
const crypto = require('node:crypto');

/** Undo the damage keys suffer when pasted: literal "\n" escapes and surrounding quotes. */
function cleanKeyText(/** @type {string} */ text) {
  return text.trim().replace(/^["']|["']$/g, '').replace(/\\n/g, '\n').trim();
}

/**
 * Public key from a KeyObject, PEM (SPKI, PKCS#1 or certificate) or bare Base64 DER (SPKI or PKCS#1).
 * @param {string | crypto.KeyObject} input
 * @returns {crypto.KeyObject}
 */
function loadPublicKey(input) {
  if (typeof input !== 'string') return input.type === 'private' ? crypto.createPublicKey(input) : input;
  const text = cleanKeyText(input);
  if (text.includes('-----BEGIN')) return crypto.createPublicKey(text);
  const der = Buffer.from(text.replace(/\s+/g, ''), 'base64');
  try {
    return crypto.createPublicKey({ key: der, format: 'der', type: 'spki' });
  } catch {
    return crypto.createPublicKey({ key: der, format: 'der', type: 'pkcs1' });
  }
}

/**
 * Private key from a KeyObject, PEM (PKCS#8 or PKCS#1) or bare Base64 DER (PKCS#8, as PayLoco's Java sample).
 * @param {string | crypto.KeyObject} input
 * @returns {crypto.KeyObject}
 */
function loadPrivateKey(input) {
  if (typeof input !== 'string') return input;
  const text = cleanKeyText(input);
  if (text.includes('-----BEGIN')) return crypto.createPrivateKey(text);
  const der = Buffer.from(text.replace(/\s+/g, ''), 'base64');
  try {
    return crypto.createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } catch {
    return crypto.createPrivateKey({ key: der, format: 'der', type: 'pkcs1' });
  }
}

/** Base64 SHA256withRSA (PKCS#1 v1.5) signature over exactly these bytes. */
function signBase64(/** @type {crypto.KeyObject} */ key, /** @type {Buffer | string} */ data) {
  return crypto.sign('sha256', Buffer.from(data), key).toString('base64');
}

/**
 * Base64 as strictly as Java's `Base64.getDecoder()` and then some: the standard alphabet only, the
 * padding required, no whitespace, line breaks, URL-safe letters or other characters. Node's own
 * decoder skips anything it does not know, so it would accept what PayLoco refuses.
 * @param {string} text @returns {Buffer | undefined}
 */
function decodeBase64Strict(text) {
  if (!text || text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(text)) return undefined;
  return Buffer.from(text, 'base64');
}

/** True only if `signature` is a strict Base64 SHA256withRSA signature of `data` by `key`. Never throws. */
function verifyBase64(
  /** @type {crypto.KeyObject} */ key,
  /** @type {Buffer | string} */ data,
  /** @type {string | undefined} */ signature,
) {
  const bytes = decodeBase64Strict(signature ?? '');
  if (!bytes) return false;
  try {
    return crypto.verify('sha256', Buffer.from(data), key, bytes);
  } catch {
    return false;
  }
}

/** Bare Base64 SPKI, the form PayLoco publishes its platform public key in. */
function publicKeyBase64(/** @type {crypto.KeyObject} */ key) {
  return crypto.createPublicKey(key).export({ format: 'der', type: 'spki' }).toString('base64');
}

/** PEM SPKI ("BEGIN PUBLIC KEY"), what `openssl dgst -verify` reads. */
function publicKeyPem(/** @type {crypto.KeyObject} */ key) {
  return String(crypto.createPublicKey(key).export({ format: 'pem', type: 'spki' }));
}

/** RSA 2048 generated off the main thread so startup does not block the event loop. */
function generateRsaKeyPair() {
  return new Promise((resolve, reject) => {
    crypto.generateKeyPair('rsa', { modulusLength: 2048 }, (err, publicKey, privateKey) =>
      err ? reject(err) : resolve({ publicKey, privateKey }),
    );
  });
}

module.exports = {
  loadPublicKey,
  loadPrivateKey,
  signBase64,
  verifyBase64,
  decodeBase64Strict,
  publicKeyBase64,
  publicKeyPem,
  /** @type {() => Promise<{ publicKey: crypto.KeyObject, privateKey: crypto.KeyObject }>} */
  generateRsaKeyPair,
};
