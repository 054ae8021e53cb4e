// @ts-check
'use strict';
// The simulated PayLoco business state: cards, orders, idempotent replies and business rules.
// No HTTP here: server.js turns a verified, parsed body into a call and the answer into bytes.
const crypto = require('node:crypto');

/** Every code the sandbox answers. Only 00000000 and 22070030 come from PayLoco's docs; the rest are ours. */
const CODES = {
  SUCCESS: '00000000',
  PENDING: '00000003',
  BAD_SIGNATURE: '10010001',
  BAD_TIME: '10010002',
  EMPTY_FIELD: '22070030',
  BAD_FIELD: '22070031',
  BAD_BODY: '22070032',
  CARD_NOT_FOUND: '30020001',
  CARD_CANCELLED: '30020002',
  CARD_EXPIRED: '30020003',
  PREAUTH_NOT_FOUND: '40030001',
  PREAUTH_VOIDED: '40030002',
  AMOUNT_MISMATCH: '40030003',
  CURRENCY_MISMATCH: '40030004',
  DUPLICATE_ORDER: '40030005',
  ORDER_NOT_FOUND: '40040001',
  DECLINED: '50000001',
  DUPLICATE_REQUEST: '40050001',
  BAD_KEY_VERSION: '10010003',
  BAD_MEMBER: '10010004',
  BAD_CONTENT_TYPE: '22070033',
};

const TRANS_TYPES = new Set(('PAY CREDIT_CARD 3D_PREAUTH_VOIDS 3D_PREAUTH_COMPLETION REFUND VOIDS QUERY TRANSFER ' +
  'DOWNLOAD REGISTRATION FILEUPLOAD INQUIRYREGISTRATIONSTATUS AUTHORIZE VCC').split(' '));
const WINDOW_MS = 2 * 60 * 1000;
// requestTime: yyyy-MM-ddTHH:mm:ss.SSSXXX exactly. merchantOrderTime: the vendor's own example has 2 fraction digits.
const REQUEST_TIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}(Z|[+-]\d{2}:\d{2})$/;
const ORDER_TIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{1,3}(Z|[+-]\d{2}:\d{2})$/;
const AMOUNT_RE = /^(0|[1-9]\d*)(\.\d{1,3})?$/;

/**
 * @typedef {{ code: string, message: string, status: string, traceId: string, data?: Record<string, unknown>,
 *   success?: boolean }} Answer  success: set only to contradict the code (scenario FALSEOK)
 * @typedef {{ kind: 'preauth'|'void'|'query', merchantOrderId: string, orderId: string, merchantId?: string,
 *   currency: string, transAmt: string, status: string, completeTime: string|null, voided?: boolean }} Order
 * @typedef {{ kind: 'cardCancelled'|'preAuthVoided', id: string, requestKey: string, at: number }} Effect
 * @typedef {{ merchantOrderId: string, currency: string, transAmt: string|number, orderId?: string, merchantId?: string }} PreAuthInput
 * @typedef {{ eventName: string, eventType: string, payload: Record<string, unknown>, settle: () => void }} PendingJob
 * @typedef {Record<string, unknown>} Body
 */

const traceId = () => crypto.randomBytes(8).toString('hex');
const newOrderId = () => `TR${Date.now()}${String(crypto.randomInt(0, 1e6)).padStart(6, '0')}`;

/** RFC 3339 with milliseconds in Beijing time, the way PayLoco stamps its own times. */
function rfc3339(ms = Date.now()) {
  return new Date(ms + 8 * 3600e3).toISOString().replace('Z', '+08:00');
}

/** "100.10" and "100.1" are the same amount; compare without floating point. */
function normAmount(/** @type {string} */ s) {
  const [int, frac = ''] = s.split('.');
  return `${BigInt(int)}.${frac.replace(/0+$/, '')}`;
}

/**
 * @param {string} code @param {string} message @param {string} [status] @param {Record<string, unknown>} [data]
 * @returns {Answer}
 */
function answer(code, message, status = 'FAILED', data = undefined) {
  return { code, message, status, traceId: traceId(), ...(data ? { data } : {}) };
}

const isEmpty = (/** @type {unknown} */ v) => v === undefined || v === null || v === '';

/** Parse an RFC 3339 time and check it is within 2 minutes of now (the gateway's clock); returns an error Answer or null. */
function checkTime(/** @type {string} */ field, /** @type {string} */ value, /** @type {RegExp} */ re, now = Date.now()) {
  const at = re.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(at)) {
    return answer(CODES.BAD_FIELD, `Format error-${field} must be RFC 3339 with milliseconds and offset, e.g. 2024-05-24T14:29:32.682+08:00`);
  }
  const skew = now - at;
  if (Math.abs(skew) > WINDOW_MS) {
    return answer(CODES.BAD_TIME, `${field} is outside the allowed 2-minute window (off by ${Math.round(skew / 1000)}s); stamp the time at send`);
  }
  return null;
}

const COMMON = ['charset', 'version', 'signType', 'keyVersion', 'merchantId', 'requestTime'];
/** @type {Record<string, string[]>} */
const REQUIRED = {
  cancel: [...COMMON, 'transType', 'accessType', 'cardId', 'requestId'],
  void: [...COMMON, 'merchantOrderId', 'merchantOrderTime', 'currency', 'transAmt', 'oriMerchantOrderId'],
  query: [...COMMON, 'transType', 'accessType'],
};
const MAX_LEN = { version: 8, keyVersion: 8, merchantId: 32, requestTime: 32, memberId: 32 };

/**
 * Envelope and field checks, in the order a client most usefully hears about them.
 * @param {'cancel'|'void'|'query'} op
 * @param {Body} b
 * @param {{ now?: number, keyVersion?: string, memberId?: string }} [context] now: the gateway's clock in ms (the
 *   sandbox's clock offset applied); keyVersion, memberId: what this merchant is registered with
 * @returns {Answer | null} the refusal, or null when the body is acceptable
 */
function validate(op, b, context = {}) {
  for (const f of REQUIRED[op]) if (isEmpty(b[f])) return answer(CODES.EMPTY_FIELD, `Format error-${f} cannot be empty`);
  if (op === 'query' && isEmpty(b.merchantOrderId) && isEmpty(b.orderId)) {
    return answer(CODES.EMPTY_FIELD, 'Format error-merchantOrderId cannot be empty');
  }
  // Strings only: a number where PayLoco documents a string is a client bug worth surfacing early.
  for (const [f, v] of Object.entries(b)) {
    if (v !== null && typeof v !== 'string') return answer(CODES.BAD_FIELD, `Format error-${f} must be a string`);
  }
  for (const [f, max] of Object.entries(MAX_LEN)) {
    if (typeof b[f] === 'string' && String(b[f]).length > max) return answer(CODES.BAD_FIELD, `Format error-${f} longer than ${max}`);
  }
  const bad = (/** @type {string} */ f, /** @type {string} */ why) => answer(CODES.BAD_FIELD, `Format error-${f} ${why}`);
  if (String(b.charset).toUpperCase() !== 'UTF-8') return bad('charset', 'must be UTF-8');
  if (b.version !== '2.0.0') return bad('version', 'must be 2.0.0');
  if (b.signType !== 'RSA') return bad('signType', 'must be RSA');
  // The key version picks the merchant key the signature is checked with: an unknown one cannot be right.
  if (b.keyVersion !== (context.keyVersion ?? '1')) {
    return answer(CODES.BAD_KEY_VERSION, `keyVersion ${String(b.keyVersion).slice(0, 8)} is not registered for this merchant`);
  }
  if (context.memberId !== undefined && !isEmpty(b.memberId) && b.memberId !== context.memberId) {
    return answer(CODES.BAD_MEMBER, `memberId ${String(b.memberId).slice(0, 32)} is not this merchant's institution`);
  }
  if (!isEmpty(b.transType) && !TRANS_TYPES.has(String(b.transType))) return bad('transType', 'is not a known transType');
  const timeError = checkTime('requestTime', String(b.requestTime), REQUEST_TIME_RE, context.now);
  if (timeError) return timeError;
  if (op === 'void') {
    const orderTimeError = checkTime('merchantOrderTime', String(b.merchantOrderTime), ORDER_TIME_RE, context.now);
    if (orderTimeError) return orderTimeError;
  }
  if (!isEmpty(b.currency) && !/^[A-Z]{3}$/.test(String(b.currency))) return bad('currency', 'must be an ISO 4217 alpha code');
  if (op === 'void' && !AMOUNT_RE.test(String(b.transAmt))) return bad('transAmt', 'must be a decimal string like 100.01');
  return null;
}

class Gateway {
  /**
   * @param {{ onPending: (job: PendingJob, notifyUrl: string | undefined) => void }} hooks
   * @param {{ replays?: boolean }} [options] replays: false processes a repeated ID afresh, as PayLoco may
   */
  constructor(hooks, options = {}) {
    this.hooks = hooks;
    this.replays = options.replays !== false;
    /** @type {Effect[]} live array, cleared in place by reset() so callers' references stay valid */
    this.effects = [];
    /** @type {Map<string, 'CANCELLED'>} */
    this.cards = new Map();
    /** @type {Map<string, Order>} by merchantOrderId */
    this.orders = new Map();
    /** @type {Map<string, Answer>} first answer per requestId / merchantOrderId, replayed on repeats */
    this.replies = new Map();
  }

  reset() {
    this.effects.length = 0;
    this.cards.clear();
    this.orders.clear();
    this.replies.clear();
  }

  /** @param {PreAuthInput} p @returns {Order} */
  addPreAuth(p) {
    const transAmt = String(p.transAmt);
    if (isEmpty(p.merchantOrderId) || !/^[A-Z]{3}$/.test(p.currency) || !AMOUNT_RE.test(transAmt)) {
      throw new Error('pre-auth needs merchantOrderId, a 3-letter currency and a decimal transAmt');
    }
    /** @type {Order} */
    const order = { kind: 'preauth', merchantOrderId: p.merchantOrderId, orderId: p.orderId || newOrderId(),
      currency: p.currency, transAmt, status: 'SUCCESS', completeTime: rfc3339(), voided: false,
      ...(isEmpty(p.merchantId) ? {} : { merchantId: String(p.merchantId) }) };
    this.orders.set(order.merchantOrderId, order);
    return order;
  }

  /** Cancel Card. Idempotent on requestId. @param {Body} b @param {string} scenario */
  cancelCard(b, scenario) {
    const cardId = String(b.cardId), requestId = String(b.requestId);
    const key = `cancel:${requestId}`;
    const prior = this.replies.get(key);
    // A retry after a timeout that PayLoco had in fact applied: it says duplicate, not the first answer.
    if (prior && scenario === 'TIMEOUTDUP') {
      return { answer: answer(CODES.DUPLICATE_REQUEST, `Duplicate request: requestId ${requestId} was already processed`), replayed: false };
    }
    if (prior && this.replays) return { answer: prior, replayed: true };
    let result;
    if (cardId.startsWith('UNKNOWN')) result = answer(CODES.CARD_NOT_FOUND, `Card ${cardId} not found`);
    else if (this.cards.get(cardId) === 'CANCELLED') result = answer(CODES.CARD_CANCELLED, `Card ${cardId} already cancelled`);
    else if (scenario === 'FAIL') result = answer(CODES.DECLINED, 'Transaction declined');
    else if (scenario === 'OKFAILED') result = answer(CODES.SUCCESS, 'Success', 'FAILED');
    else if (scenario === 'FALSEOK') result = { ...answer(CODES.SUCCESS, 'Success', 'SUCCESS'), success: false };
    else {
      this.cards.set(cardId, 'CANCELLED');
      this.effects.push({ kind: 'cardCancelled', id: cardId, requestKey: requestId, at: Date.now() });
      if (scenario === 'PENDING') {
        result = answer(CODES.PENDING, '处理中', 'PENDING');
        // Nothing to settle: the card is already cancelled and the stored reply must replay unchanged.
        this.hooks.onPending({
          eventName: 'CARD_CANCEL', eventType: 'NOTIFY',
          payload: { id: `evt_${crypto.randomUUID()}`, merchantId: b.merchantId, cardId, requestId, status: 'SUCCESS' },
          settle: () => {},
        }, optionalString(b.notifyUrl));
      } else result = answer(CODES.SUCCESS, 'Success', 'SUCCESS');
    }
    this.replies.set(key, result);
    return { answer: result, replayed: false };
  }

  /** Pre-Auth Void. Idempotent on merchantOrderId. @param {Body} b @param {string} scenario */
  voidPreAuth(b, scenario) {
    const id = String(b.merchantOrderId), oriId = String(b.oriMerchantOrderId);
    const currency = String(b.currency), transAmt = String(b.transAmt);
    const key = `void:${id}`;
    const prior = this.replies.get(key);
    if (prior && scenario === 'TIMEOUTDUP') {
      return { answer: answer(CODES.DUPLICATE_REQUEST, `Duplicate request: merchantOrderId ${id} was already processed`), replayed: false };
    }
    if (prior && this.replays) return { answer: prior, replayed: true };
    let pre = this.orders.get(oriId);
    if (!pre && oriId.startsWith('PA-AUTO-')) pre = this.addPreAuth({ merchantOrderId: oriId, currency, transAmt, merchantId: String(b.merchantId) });
    let result;
    if (!pre || pre.kind !== 'preauth') result = answer(CODES.PREAUTH_NOT_FOUND, `Original pre-authorization ${oriId} not found`);
    else if (!isEmpty(b.oriOrderId) && b.oriOrderId !== pre.orderId) {
      result = answer(CODES.PREAUTH_NOT_FOUND, `Original order ${b.oriOrderId} does not match pre-authorization ${oriId}`);
    } else if (pre.voided) result = answer(CODES.PREAUTH_VOIDED, `Pre-authorization ${oriId} already voided`);
    else if (currency !== pre.currency) result = answer(CODES.CURRENCY_MISMATCH, `Currency ${currency} does not match original ${pre.currency}`);
    else if (normAmount(transAmt) !== normAmount(pre.transAmt)) {
      result = answer(CODES.AMOUNT_MISMATCH, `Amount ${transAmt} does not match original ${pre.transAmt}`);
    } else if (this.orders.has(id)) result = answer(CODES.DUPLICATE_ORDER, `merchantOrderId ${id} is already used by another order`);
    else result = this.applyVoid(b, pre, scenario);
    this.replies.set(key, result);
    return { answer: result, replayed: false };
  }

  /** @param {Body} b @param {Order} pre @param {string} scenario @returns {Answer} */
  applyVoid(b, pre, scenario) {
    /** @type {Order} */
    const order = { kind: 'void', merchantOrderId: String(b.merchantOrderId), orderId: newOrderId(), merchantId: String(b.merchantId),
      currency: pre.currency, transAmt: String(b.transAmt), status: 'SUCCESS', completeTime: rfc3339() };
    this.orders.set(order.merchantOrderId, order);
    const data = () => ({ status: order.status, merchantOrderId: order.merchantOrderId, orderId: order.orderId,
      oriMerchantOrderId: pre.merchantOrderId, oriOrderId: pre.orderId, currency: order.currency, transAmt: order.transAmt });
    if (scenario === 'FAIL') {
      order.status = 'FAILED';
      return answer(CODES.DECLINED, 'Transaction declined', 'FAILED', data());
    }
    // Code "success" with a FAILED order, or PayLoco's own success: false: nothing was voided.
    if (scenario === 'OKFAILED' || scenario === 'FALSEOK') {
      order.status = scenario === 'OKFAILED' ? 'FAILED' : 'SUCCESS';
      const a = answer(CODES.SUCCESS, 'Success', order.status, data());
      return scenario === 'FALSEOK' ? { ...a, success: false } : a;
    }
    if (scenario in PENDING_ENDS) return pendingThatDoesNotSucceed(this.hooks, b, order, data, scenario);
    pre.voided = true;
    pre.status = 'CLOSED';
    this.effects.push({ kind: 'preAuthVoided', id: pre.merchantOrderId, requestKey: order.merchantOrderId, at: Date.now() });
    if (scenario !== 'PENDING') return answer(CODES.SUCCESS, 'Success', 'SUCCESS', data());
    order.status = 'PENDING';
    order.completeTime = null;
    const result = answer(CODES.PENDING, '处理中', 'PENDING', data());
    this.hooks.onPending({
      eventName: 'PRE_AUTH_VOID', eventType: 'NOTIFY',
      payload: { id: `evt_${crypto.randomUUID()}`, ...data(), merchantId: order.merchantId, status: 'SUCCESS',
        ...(isEmpty(b.reqReserved) ? {} : { reqReserved: b.reqReserved }) },
      settle: () => { order.status = 'SUCCESS'; order.completeTime = rfc3339(); },
    }, optionalString(b.notifyUrl));
    return result;
  }

  /** Transaction Query: by merchantOrderId, else orderId. @param {Body} b @param {string} scenario @returns {Answer} */
  query(b, scenario) {
    const id = optionalString(b.merchantOrderId);
    let order = id ? this.orders.get(id) : [...this.orders.values()].find((o) => o.orderId === b.orderId);
    if (scenario === 'FAIL') return answer(CODES.DECLINED, 'Transaction declined');
    if (!order && id && scenario === 'PENDING') order = this.pendingQueryOrder(b, id);
    // An order belongs to the merchant that created it: another merchant is told it does not exist.
    if (!order || (order.merchantId !== undefined && order.merchantId !== String(b.merchantId))) {
      return answer(CODES.ORDER_NOT_FOUND, `Order ${id ?? b.orderId} not found`);
    }
    const pending = order.status === 'PENDING';
    return answer(pending ? CODES.PENDING : CODES.SUCCESS, pending ? '处理中' : 'Success', order.status, {
      merchantId: order.merchantId ?? b.merchantId, merchantOrderId: order.merchantOrderId, payMethod: 'CARD',
      completeTime: order.completeTime, orderId: order.orderId, currency: order.currency, transAmt: order.transAmt,
    });
  }

  /** A PENDING- query for an order nobody created: invent one that settles later, so polling can be tested alone. */
  pendingQueryOrder(/** @type {Body} */ b, /** @type {string} */ id) {
    const transAmt = optionalString(b.payAmt) ?? '1.00';
    /** @type {Order} */
    const order = { kind: 'query', merchantOrderId: id, orderId: newOrderId(), merchantId: String(b.merchantId),
      currency: optionalString(b.currency) ?? 'USD', transAmt, status: 'PENDING', completeTime: null };
    this.orders.set(id, order);
    this.hooks.onPending({ eventName: 'PAYMENT', eventType: 'NOTIFY', payload: {},
      settle: () => { order.status = 'SUCCESS'; order.completeTime = rfc3339(); } }, undefined);
    return order;
  }
}

/**
 * Pending voids that do not end in SUCCESS, for following a PENDING answer to its end:
 * PENDINGFAIL- is accepted as PENDING and turns FAILED after notifyDelayMs (nothing is voided);
 * PENDINGSTUCK- is accepted as PENDING and never settles.
 */
const PENDING_ENDS = { PENDINGFAIL: 'FAILED', PENDINGSTUCK: null };

/**
 * @param {{ onPending: (job: PendingJob, notifyUrl: string | undefined) => void }} hooks
 * @param {Body} b @param {Order} order @param {() => Record<string, unknown>} data @param {string} scenario
 * @returns {Answer}
 */
function pendingThatDoesNotSucceed(hooks, b, order, data, scenario) {
  const end = PENDING_ENDS[/** @type {keyof typeof PENDING_ENDS} */ (scenario)];
  order.status = 'PENDING';
  order.completeTime = null;
  const result = answer(CODES.PENDING, '处理中', 'PENDING', data());
  if (end) {
    hooks.onPending({
      eventName: 'PRE_AUTH_VOID', eventType: 'NOTIFY',
      payload: { id: `evt_${crypto.randomUUID()}`, ...data(), merchantId: order.merchantId, status: end },
      settle: () => { order.status = end; order.completeTime = rfc3339(); },
    }, optionalString(b.notifyUrl));
  }
  return result;
}

function optionalString(/** @type {unknown} */ v) {
  return isEmpty(v) ? undefined : String(v);
}

/** Dialect A (Cancel Card, Query) or B (Pre-Auth Void), as JSON text. */
function format(/** @type {'A'|'B'} */ dialect, /** @type {Answer} */ a) {
  const ok = a.success ?? (a.code === CODES.SUCCESS || a.code === CODES.PENDING);
  if (dialect === 'A') {
    return JSON.stringify({ success: ok, errCode: a.code, errMessage: a.message, status: a.status, traceId: a.traceId,
      ...(a.data ? { data: a.data } : {}) });
  }
  return JSON.stringify({ ...(a.success === undefined ? {} : { success: a.success }), code: a.code, message: a.message,
    traceId: a.traceId, data: { ...a.data, status: a.status } });
}

module.exports = { Gateway, CODES, validate, answer, format, rfc3339 };
