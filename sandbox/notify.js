// @ts-check
'use strict';
// Outgoing notifications: the three signing styles seen in PayLoco's pages, plus delivery with retries.
const crypto = require('node:crypto');
const http = require('node:http');
const https = require('node:https');
const { signBase64 } = require('./keys');
const { rfc3339 } = require('./gateway');

/**
 * @typedef {{ style?: 'rsa'|'hmac'|'form', payload?: Record<string, unknown>, secret?: string, timestamp?: number,
 *   tamper?: boolean, omitSignature?: boolean, signWith?: crypto.KeyObject, eventName?: string, eventType?: string,
 *   headers?: Record<string, string>, plusUnencoded?: boolean }} NotifyOptions
 * @typedef {{ url: string, status: number, body: string, headers: Record<string, string>, style: string,
 *   eventId?: unknown, attempt: number, at: number, response: string }} NotificationRecord
 */

/**
 * Build the exact bytes and headers of one notification.
 * rsa:  JSON body; `signature` = Base64 SHA256withRSA over the raw body.
 * hmac: JSON body; `x-signature` = hex HMAC-SHA256 over the raw body ONLY (x-timestamp is sent but not signed,
 *       as PayLoco's notes describe "HMAC of the body").
 * form: x-www-form-urlencoded; every field but `signature` as a string, keys sorted, JSON.stringify'd (no spaces),
 *       RSA-signed; the signature travels as form field `signature`.
 * tamper: the signature is made over the real content, then a field `tampered` is added to what is sent.
 * headers: extra headers sent as given (e.g. what a proxy on the way adds: cookie, authorization).
 * plusUnencoded (form): percent-encodes everything except "+", which a sloppy sender leaves as is
 *       (a space is then %20). The signature is the same; only the encoding on the wire differs.
 * @param {crypto.KeyObject} platformKey
 * @param {NotifyOptions} o
 */
function buildNotification(platformKey, o) {
  const style = o.style ?? 'rsa';
  /** @type {Record<string, unknown>} */
  const payload = o.payload ?? defaultPayload();
  const key = o.signWith ?? platformKey;
  /** @type {Record<string, string>} */
  const headers = { 'X-eventName': o.eventName ?? 'PRE_AUTH_VOID', 'X-eventType': o.eventType ?? 'NOTIFY', ...o.headers };
  if (style === 'form') {
    /** @type {Record<string, string>} */
    const fields = {};
    for (const k of Object.keys(payload).filter((k) => k !== 'signature').sort()) {
      const v = payload[k];
      if (v !== undefined && v !== null) fields[k] = typeof v === 'object' ? JSON.stringify(v) : String(v);
    }
    const signature = signBase64(key, JSON.stringify(fields));
    if (o.tamper) fields.tampered = 'true';
    const form = new URLSearchParams(fields);
    if (!o.omitSignature) form.append('signature', signature);
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
    if (!o.plusUnencoded) return { style, body: form.toString(), headers };
    const enc = (/** @type {string} */ t) => encodeURIComponent(t).replace(/%2B/g, '+');
    return { style, body: [...form].map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&'), headers };
  }
  const body = JSON.stringify(payload);
  const sent = o.tamper ? JSON.stringify({ ...payload, tampered: true }) : body;
  headers['Content-Type'] = 'application/json;charset=UTF-8';
  if (style === 'hmac') {
    if (!o.secret) throw new Error('hmac notifications need a secret');
    headers['x-timestamp'] = String(o.timestamp ?? Date.now());
    if (!o.omitSignature) headers['x-signature'] = crypto.createHmac('sha256', o.secret).update(body, 'utf8').digest('hex');
  } else if (style === 'rsa') {
    if (!o.omitSignature) headers.signature = signBase64(key, body);
  } else {
    throw new Error(`unknown notification style ${style}`);
  }
  return { style, body: sent, headers };
}

function defaultPayload() {
  const id = crypto.randomUUID();
  return { id: `evt_${id}`, notifyTime: rfc3339(), merchantOrderId: `DEMO-${id.slice(0, 8)}`,
    orderId: `TR${Date.now()}`, status: 'SUCCESS', currency: 'USD', transAmt: '100.01' };
}

class Notifier {
  /**
   * @param {{ platformKey: crypto.KeyObject, notifications: NotificationRecord[], log: (line: string) => void,
   *   attempts: number, retryMs: number, timeoutMs?: number }} o
   */
  constructor(o) {
    this.o = o;
    /** @type {Set<NodeJS.Timeout>} */
    this.timers = new Set();
    /** @type {Set<http.ClientRequest>} */
    this.inflight = new Set();
  }

  /** A timer that clear() can cancel, so close() never leaves work behind. */
  later(/** @type {number} */ ms, /** @type {() => void} */ fn) {
    const t = setTimeout(() => { this.timers.delete(t); fn(); }, ms);
    this.timers.add(t);
  }

  /**
   * After `delayMs`, settle a PENDING order (it becomes SUCCESS) and, if there is a notifyUrl, notify it.
   * Settling first means a receiver that queries on receipt already sees SUCCESS.
   * @param {import('./gateway').PendingJob} job @param {string | undefined} url @param {number} delayMs
   */
  schedulePending(job, url, delayMs) {
    this.later(delayMs, () => {
      job.settle();
      if (!url) return;
      // notifyTime and id are fixed at the first attempt: retries resend the same bytes (receivers dedupe on id).
      /** @type {Record<string, unknown>} */
      const payload = { ...job.payload, notifyTime: rfc3339() };
      const message = buildNotification(this.o.platformKey, { payload, eventName: job.eventName, eventType: job.eventType });
      void this.deliver(url, message, payload.id, 1);
    });
  }

  /** One attempt; anything but HTTP 200 is retried with exponential backoff, `attempts` tries in all. */
  async deliver(/** @type {string} */ url, /** @type {ReturnType<typeof buildNotification>} */ m, /** @type {unknown} */ eventId, attempt = 1) {
    const res = await this.post(url, m, eventId, attempt);
    if (res.status !== 200 && attempt < this.o.attempts) {
      this.later(this.o.retryMs * 2 ** (attempt - 1), () => void this.deliver(url, m, eventId, attempt + 1));
    }
  }

  /** Public one-shot send used by tests (no retries). @param {string} url @param {NotifyOptions} o */
  async send(url, o) {
    const m = buildNotification(this.o.platformKey, o);
    const res = await this.post(url, m, o.payload?.id, 1);
    return { status: res.status, body: res.body };
  }

  /** @returns {Promise<{ status: number, body: string }>} status 0 when the receiver could not be reached */
  async post(/** @type {string} */ url, /** @type {ReturnType<typeof buildNotification>} */ m, /** @type {unknown} */ eventId, /** @type {number} */ attempt) {
    const res = await this.request(url, m.body, m.headers);
    this.o.notifications.push({ url, status: res.status, body: m.body, headers: m.headers, style: m.style, eventId,
      attempt, at: Date.now(), response: res.body });
    this.o.log(`notify ${m.style} ${url} attempt ${attempt} -> ${res.status || 'unreachable'}`);
    return res;
  }

  /** @returns {Promise<{ status: number, body: string }>} */
  request(/** @type {string} */ url, /** @type {string} */ body, /** @type {Record<string, string>} */ headers) {
    // A local simulator never sends anything off this machine, whatever notifyUrl a request names.
    if (!isLoopback(url)) return Promise.resolve({ status: 0, body: 'not delivered: the sandbox notifies only loopback addresses' });
    return new Promise((resolve) => {
      const lib = url.startsWith('https:') ? https : http;
      const buf = Buffer.from(body, 'utf8');
      const req = lib.request(url, { method: 'POST', headers: { ...headers, 'Content-Length': String(buf.length) },
        timeout: this.o.timeoutMs ?? 5000 });
      this.inflight.add(req);
      const done = (/** @type {number} */ status, /** @type {string} */ text) => { this.inflight.delete(req); resolve({ status, body: text }); };
      req.on('response', (res) => {
        /** @type {Buffer[]} */
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => done(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8')));
        res.on('error', (e) => done(0, e.message));
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (e) => done(0, e.message));
      req.end(buf);
    });
  }

  clear() {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const r of this.inflight) r.destroy();
    this.inflight.clear();
  }
}

/** True for http(s) URLs on localhost, 127.0.0.0/8 or [::1]. */
function isLoopback(/** @type {string} */ url) {
  try {
    const { protocol, hostname } = new URL(url);
    return /^https?:$/.test(protocol) && /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i.test(hostname);
  } catch {
    return false;
  }
}

module.exports = { Notifier, buildNotification };
