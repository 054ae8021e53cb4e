// @ts-check
'use strict';
// HTTP front of the PayLoco sandbox: raw-body capture, signature checks, routing, fault scenarios, admin endpoints.
const crypto = require('node:crypto');
const http = require('node:http');
const https = require('node:https');
const keys = require('./keys');
const { Gateway, CODES, validate, answer, format } = require('./gateway');
const { Notifier } = require('./notify');
const { makeThrowawayTls } = require('./tls');
const { ODD, gatewayScenario, oddRefusal, oddAnswer } = require('./answers');

/** @type {Record<string, { op: 'cancel'|'void'|'query', dialect: 'A'|'B', idField: string }>} */
const ROUTES = {
  '/gateway/v1/issuing/cards/cancel': { op: 'cancel', dialect: 'A', idField: 'cardId' },
  '/gateway/v1/payments/open/api/preAuthVoid': { op: 'void', dialect: 'B', idField: 'merchantOrderId' },
  '/gateway/v1/payments/open/api/query': { op: 'query', dialect: 'A', idField: 'merchantOrderId' },
};

const SCENARIOS = new Set(['PENDING', 'PENDINGFAIL', 'PENDINGSTUCK', 'FAIL', 'ERR500', 'ERR502', 'ERR503', 'RATE429', 'SLOW', 'HTML', 'EMPTY', 'NOTJSON',
  'NOTRACE', 'BADSIG', 'NOSIG', 'RESET', 'STALE', 'FLAKY500', 'FLAKY429', 'FLAKYRESET', 'FLAKYSLOW',
  'OKFAILED', 'FALSEOK', 'OTHERID', 'TIMEOUTDUP', ...Object.keys(ODD)]);

/** Canned non-PayLoco answers, as a broken proxy or load balancer in front of the gateway would give. */
/** @type {Record<string, { status: number, type: string, body: string, headers?: Record<string, string> }>} */
const FAULTS = {
  ERR500: { status: 500, type: 'application/json', body: '{"status":500,"error":"Internal Server Error"}' },
  ERR502: { status: 502, type: 'text/html', body: '<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>' },
  ERR503: { status: 503, type: 'text/plain', body: 'Service Unavailable' },
  RATE429: { status: 429, type: 'application/json', body: '{"code":"42900000","message":"Too Many Requests"}', headers: { 'Retry-After': '1' } },
  HTML: { status: 200, type: 'text/html; charset=UTF-8', body: '<!DOCTYPE html><html><body><h1>System busy</h1><p>Please try again later.</p></body></html>' },
  EMPTY: { status: 200, type: 'application/json', body: '' },
  NOTJSON: { status: 200, type: 'text/plain', body: 'OK? <<garbage>> {"success":tru' },
  TIMEOUT: { status: 504, type: 'application/json', body: '{"status":504,"error":"Gateway Timeout"}' },
};
/** What the first attempt of a FLAKY id turns into. */
const FLAKY = { FLAKY500: 'ERR500', FLAKY429: 'RATE429', FLAKYRESET: 'RESET', FLAKYSLOW: 'FLAKYSLOW' };

const MAX_BODY = 1024 * 1024;

/**
 * @typedef {{ method: string, path: string, headers: http.IncomingHttpHeaders, rawBody: Buffer, receivedAt: number,
 *   signatureValid: boolean, outcome: string, scenario: string, response?: string }} RequestRecord
 * @typedef {{ merchantOrderId: string, currency: string, transAmt: string|number, orderId?: string, merchantId?: string }} PreAuthInput
 * @typedef {{ host?: string, port?: number, merchantPublicKey: string | import('node:crypto').KeyObject,
 *   platformPrivateKey?: string | import('node:crypto').KeyObject, latencyMs?: number, slowMs?: number,
 *   notifyDelayMs?: number, notifyAttempts?: number, notifyRetryMs?: number, notifyTimeoutMs?: number, preAuths?: PreAuthInput[],
 *   clockOffsetMs?: number, replays?: boolean, keyVersion?: string, memberId?: string,
 *   log?: (line: string) => void, tls?: boolean | { hosts?: string[] } }} SandboxOptions
 * @typedef {{ baseUrl: string, port: number, platformPublicKeyPem: string, platformPublicKeyBase64: string,
 *   platformPrivateKey: import('node:crypto').KeyObject, requests: RequestRecord[],
 *   effects: import('./gateway').Effect[], notifications: import('./notify').NotificationRecord[],
 *   addPreAuth: (p: PreAuthInput) => import('./gateway').Order, reset: () => void, close: () => Promise<void>,
 *   setClockOffset: (ms: number) => void, clockOffsetMs: () => number, peakInFlight: () => number,
 *   sendNotification: (url: string, o: import('./notify').NotifyOptions) => Promise<{ status: number, body: string }>,
 *   server: http.Server, caCertFile?: string, caCertPem?: string }} Sandbox
 */

/** `application/json`, with at most a UTF-8 charset: what PayLoco's Java gateway binds a JSON body from. */
function isJsonType(/** @type {string | undefined} */ type) {
  return /^application\/json\s*(;\s*charset\s*=\s*"?utf-8"?\s*)?$/i.test(type ?? '');
}

/** OTHERID: a signed answer that echoes another card's or order's ID, as a mixed-up gateway would. */
function aboutAnotherOrder(/** @type {{ op: string, idField: string }} */ route, /** @type {string} */ text) {
  const o = JSON.parse(text);
  const target = route.op === 'cancel' ? o : (o.data ??= {});
  target[route.idField] = `ANOTHER-${crypto.randomBytes(4).toString('hex')}`;
  return JSON.stringify(o);
}

/** The scenario named by an ID's prefix (`FAIL-123` -> `FAIL`), or '' for a plain ID. */
function scenarioOf(/** @type {string} */ id) {
  const m = /^([A-Z0-9]+)-/.exec(id);
  return m && SCENARIOS.has(m[1]) ? m[1] : '';
}

/**
 * Start the sandbox on 127.0.0.1 (an ephemeral port unless told otherwise).
 * @param {SandboxOptions} options
 * @returns {Promise<Sandbox>}
 */
async function startSandbox(options) {
  const log = options.log ?? (() => {});
  const merchantKey = keys.loadPublicKey(options.merchantPublicKey);
  const platformKey = options.platformPrivateKey
    ? keys.loadPrivateKey(options.platformPrivateKey)
    : (await keys.generateRsaKeyPair()).privateKey;
  const latencyMs = options.latencyMs ?? 0;
  const slowMs = options.slowMs ?? 30000;
  const notifyDelayMs = options.notifyDelayMs ?? 500;
  // The gateway's clock against this machine's: it stamps the Date header and judges requestTime
  // and merchantOrderTime, like a PayLoco whose clock differs from the n8n server's.
  let clockOffsetMs = options.clockOffsetMs ?? 0;
  // Gateway requests being answered right now, and the most at once since the last reset().
  let inFlight = 0;
  let peakInFlight = 0;
  const gatewayNow = () => Date.now() + clockOffsetMs;

  /** @type {RequestRecord[]} */
  const requests = [];
  /** @type {import('./notify').NotificationRecord[]} */
  const notifications = [];
  /** IDs whose FLAKY first attempt has already failed. */
  const flakySeen = new Set();
  /** @type {Set<NodeJS.Timeout>} request-side waits (latency, SLOW), cancelled by close() */
  const waits = new Set();
  const notifier = new Notifier({ platformKey, notifications, log, attempts: options.notifyAttempts ?? 4,
    retryMs: options.notifyRetryMs ?? 200, timeoutMs: options.notifyTimeoutMs });
  const gateway = new Gateway({ onPending: (job, url) => notifier.schedulePending(job, url, notifyDelayMs) },
    { replays: options.replays });
  const expected = { keyVersion: options.keyVersion ?? '1', memberId: options.memberId };

  const sleep = (/** @type {number} */ ms) => new Promise((resolve) => {
    if (ms <= 0) return resolve(undefined);
    const t = setTimeout(() => { waits.delete(t); resolve(undefined); }, ms);
    waits.add(t);
  });
  const seed = () => { for (const p of options.preAuths ?? []) gateway.addPreAuth(p); };
  seed();

  /** Business answer in the endpoint's dialect, signed with the platform key unless told not to. */
  function reply(/** @type {http.ServerResponse} */ res, /** @type {string} */ text, /** @type {string | null} */ signature, status = 200) {
    send(res, status, 'application/json;charset=UTF-8', text, signature ? { signature } : {});
  }

  function send(/** @type {http.ServerResponse} */ res, /** @type {number} */ status, /** @type {string} */ type,
    /** @type {string} */ text, /** @type {Record<string, string>} */ headers = {}) {
    if (res.destroyed || res.writableEnded) return;
    const buf = Buffer.from(text, 'utf8');
    res.writeHead(status, { Date: new Date(gatewayNow()).toUTCString(), 'Content-Type': type, 'Content-Length': String(buf.length), ...headers });
    res.end(buf);
  }

  /** Answer like a half-dead upstream: some header bytes, then a dropped connection. */
  function resetSocket(/** @type {http.ServerResponse} */ res) {
    const socket = res.socket;
    if (!socket) return;
    socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/js');
    socket.destroy();
  }

  /** @param {http.IncomingMessage} req @param {http.ServerResponse} res @param {RequestRecord} rec */
  async function handleGateway(req, res, rec) {
    const route = ROUTES[rec.path];
    if (!route) {
      rec.outcome = 'notFound';
      await sleep(latencyMs);
      return send(res, 404, 'application/json', JSON.stringify({ code: '40400000', message: `No such endpoint: ${rec.path}` }));
    }
    if (req.method !== 'POST') {
      rec.outcome = 'methodNotAllowed';
      await sleep(latencyMs);
      return send(res, 405, 'application/json', JSON.stringify({ code: '40500000', message: 'Use POST' }), { Allow: 'POST' });
    }
    /** @type {any} */
    let body;
    try { body = JSON.parse(rec.rawBody.toString('utf8')); } catch { body = undefined; }
    const isObject = body !== null && typeof body === 'object' && !Array.isArray(body);
    const id = isObject && typeof body[route.idField] === 'string' ? body[route.idField] : '';
    let scenario = scenarioOf(id);
    rec.scenario = scenario;
    /** @type {string} */
    let fault = '';
    if (scenario in FLAKY) {
      const key = `${route.op}|${id}`;
      if (flakySeen.has(key)) scenario = '';
      else { flakySeen.add(key); fault = FLAKY[/** @type {keyof typeof FLAKY} */ (scenario)]; }
    } else if (scenario in FAULTS || scenario === 'RESET') fault = scenario;

    // Transport faults happen "in front of" the gateway: nothing is validated or applied.
    if (fault === 'FLAKYSLOW') {
      rec.outcome = 'fault:FLAKYSLOW';
      await sleep(slowMs + latencyMs);
      return send(res, FAULTS.TIMEOUT.status, FAULTS.TIMEOUT.type, FAULTS.TIMEOUT.body);
    }
    if (fault) {
      rec.outcome = `fault:${fault}`;
      await sleep(latencyMs);
      if (fault === 'RESET') return resetSocket(res);
      const f = FAULTS[fault];
      return send(res, f.status, f.type, f.body, f.headers);
    }
    if (scenario === 'SLOW' || (route.op === 'query' && ODD[scenario]?.slowQuery)) {
      await sleep(slowMs);
      // A client that gave up must not find the effect applied: process only if someone is still listening.
      if (res.destroyed || req.socket.destroyed) { rec.outcome = 'abandoned:SLOW'; return; }
    }

    const refuse = (/** @type {import('./gateway').Answer} */ a, signed = true) => {
      rec.outcome = `rejected:${a.code}`;
      return { text: format(route.dialect, a), signed };
    };
    let out;
    if (rec.rawBody.length === 0) out = refuse(answer(CODES.EMPTY_FIELD, 'Format error-body cannot be empty'), false);
    else if (!isJsonType(req.headers['content-type'])) {
      out = refuse(answer(CODES.BAD_CONTENT_TYPE, `Format error-Content-Type must be application/json, not ${String(req.headers['content-type'] ?? '(none)').slice(0, 60)}`), false);
    }
    // PayLoco signs only responses to requests whose signature it accepted.
    else if (!rec.signatureValid) {
      const sig = req.headers.signature;
      const why = !sig ? 'header is missing'
        : keys.decodeBase64Strict(String(sig)) ? 'does not verify with the merchant public key'
          : 'is not standard Base64 (alphabet A-Z a-z 0-9 + /, = padding, nothing else)';
      out = refuse(answer(CODES.BAD_SIGNATURE, `Signature verification failed: signature ${why}`), false);
    } else if (!isObject) out = refuse(answer(CODES.BAD_BODY, 'Format error-body is not a JSON object'));
    else if (scenario === 'STALE') out = refuse(answer(CODES.BAD_TIME, 'requestTime is outside the allowed 2-minute window'));
    else {
      const refusal = validate(route.op, body, { now: gatewayNow(), ...expected }) ?? oddRefusal(scenario, route.op, body);
      if (refusal) out = refuse(refusal);
      else {
        const { answer: a, replayed } = route.op === 'cancel' ? gateway.cancelCard(body, gatewayScenario(scenario))
          : route.op === 'void' ? gateway.voidPreAuth(body, gatewayScenario(scenario))
            : { answer: gateway.query(body, scenario), replayed: false };
        const kind = a.code === CODES.SUCCESS ? 'success' : a.code === CODES.PENDING ? 'pending' : `failed:${a.code}`;
        rec.outcome = replayed ? `replayed:${kind}` : kind;
        let text = format(route.dialect, a);
        if (scenario === 'NOTRACE') { const o = JSON.parse(text); delete o.traceId; text = JSON.stringify(o); }
        if (scenario === 'OTHERID') text = aboutAnotherOrder(route, text);
        const odd = oddAnswer(scenario, route.dialect, text);
        out = { text: odd.text, signed: scenario !== 'NOSIG' && odd.signed, status: odd.status };
        // Applied at once, answered too late: the client gives up, and its retry meets a duplicate.
        if (scenario === 'TIMEOUTDUP' && route.op !== 'query' && !replayed && a.code === CODES.SUCCESS) await sleep(slowMs);
      }
    }
    // BADSIG: a well-formed signature, but over other bytes than the body sent.
    rec.response = out.text;
    const signature = !out.signed ? null : keys.signBase64(platformKey, scenario === 'BADSIG' ? `${out.text} ` : out.text);
    await sleep(latencyMs);
    reply(res, out.text, signature, 'status' in out ? out.status : 200);
  }

  /** Out-of-process helpers for n8n end-to-end tests and `npm start`; unsigned, unrecorded. */
  async function handleAdmin(/** @type {http.IncomingMessage} */ req, /** @type {http.ServerResponse} */ res,
    /** @type {string} */ path, /** @type {Buffer} */ raw) {
    const json = (/** @type {number} */ status, /** @type {unknown} */ v) => send(res, status, 'application/json', JSON.stringify(v));
    const route = `${req.method} ${path}`;
    try {
      if (route === 'GET /__sandbox/requests') {
        return json(200, requests.map((r) => ({ ...r, rawBody: r.rawBody.toString('base64'), body: r.rawBody.toString('utf8') })));
      }
      if (route === 'GET /__sandbox/effects') return json(200, gateway.effects);
      if (route === 'GET /__sandbox/notifications') return json(200, notifications);
      if (route === 'GET /__sandbox/keys') return json(200, { platformPublicKeyBase64: sandbox.platformPublicKeyBase64, platformPublicKeyPem: sandbox.platformPublicKeyPem });
      if (route === 'POST /__sandbox/preauths') return json(201, gateway.addPreAuth(JSON.parse(raw.toString('utf8'))));
      if (route === 'POST /__sandbox/reset') { sandbox.reset(); return json(200, { ok: true }); }
      if (route === 'GET /__sandbox/clock') return json(200, { offsetMs: clockOffsetMs });
      if (route === 'POST /__sandbox/clock') {
        sandbox.setClockOffset(Number(JSON.parse(raw.toString('utf8')).offsetMs));
        return json(200, { offsetMs: clockOffsetMs });
      }
      if (route === 'POST /__sandbox/notify') {
        const { url, ...o } = JSON.parse(raw.toString('utf8'));
        return json(200, await sandbox.sendNotification(url, o));
      }
      return json(404, { error: `No such admin endpoint: ${route}` });
    } catch (e) {
      return json(400, { error: e instanceof Error ? e.message : String(e) });
    }
  }

  // HTTPS mode: a throwaway CA and server certificate made now; clients trust the CA file through
  // NODE_EXTRA_CA_CERTS (read by Node when a process starts), never by turning verification off.
  const tls = options.tls ? await makeThrowawayTls(options.tls === true ? {} : options.tls) : undefined;
  /** @type {http.Server} */
  const server = tls ? https.createServer({ key: tls.keyPem, cert: tls.certPem }) : http.createServer();
  server.on('request', (req, res) => {
    /** @type {Buffer[]} */
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > MAX_BODY) { send(res, 413, 'text/plain', 'Payload Too Large'); req.destroy(); } else chunks.push(c);
    });
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks);
      const path = new URL(req.url ?? '/', 'http://sandbox').pathname;
      if (path.startsWith('/__sandbox/')) return void handleAdmin(req, res, path, rawBody);
      const sig = req.headers.signature;
      /** @type {RequestRecord} */
      const rec = { method: req.method ?? '', path, headers: req.headers, rawBody, receivedAt: Date.now(),
        signatureValid: keys.verifyBase64(merchantKey, rawBody, Array.isArray(sig) ? sig[0] : sig), outcome: 'received', scenario: '' };
      requests.push(rec);
      inFlight++;
      peakInFlight = Math.max(peakInFlight, inFlight);
      res.on('close', () => { inFlight--; });
      res.on('finish', () => log(`${rec.method} ${path} -> ${res.statusCode} ${rec.outcome}`));
      handleGateway(req, res, rec).catch((e) => {
        rec.outcome = `error:${e instanceof Error ? e.message : e}`;
        send(res, 500, 'text/plain', 'sandbox bug: see log');
        log(`sandbox error: ${e instanceof Error ? e.stack : e}`);
      });
    });
  });

  try {
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve(undefined));
    });
  } catch (error) {
    tls?.remove();
    throw error;
  }
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const hostForUrl = (options.host ?? '127.0.0.1').includes(':') ? `[${options.host}]` : options.host ?? '127.0.0.1';

  /** @type {Sandbox} */
  const sandbox = {
    baseUrl: `${tls ? 'https' : 'http'}://${hostForUrl}:${port}/gateway`,
    port,
    platformPublicKeyPem: keys.publicKeyPem(platformKey),
    platformPublicKeyBase64: keys.publicKeyBase64(platformKey),
    platformPrivateKey: platformKey,
    server,
    caCertFile: tls?.caCertFile,
    caCertPem: tls?.caCertPem,
    requests,
    effects: gateway.effects,
    notifications,
    addPreAuth: (p) => gateway.addPreAuth(p),
    sendNotification: (url, o) => notifier.send(url, o),
    setClockOffset(ms) {
      if (!Number.isFinite(ms)) throw new Error('clock offset must be a number of milliseconds');
      clockOffsetMs = ms;
    },
    clockOffsetMs: () => clockOffsetMs,
    peakInFlight: () => peakInFlight,
    // Arrays are emptied in place so references tests already hold keep working; seeded pre-auths come back.
    reset() {
      notifier.clear();
      gateway.reset();
      requests.length = 0;
      notifications.length = 0;
      flakySeen.clear();
      clockOffsetMs = options.clockOffsetMs ?? 0;
      peakInFlight = inFlight;
      seed();
    },
    close() {
      notifier.clear();
      for (const t of waits) clearTimeout(t);
      waits.clear();
      return new Promise((resolve) => {
        server.close(() => { tls?.remove(); resolve(); });
        server.closeAllConnections();
      });
    },
  };
  return sandbox;
}

module.exports = { startSandbox, CODES, SCENARIOS: [...SCENARIOS] };
