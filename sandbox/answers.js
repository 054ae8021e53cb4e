// @ts-check
'use strict';
// Scenarios that test how a client reads PayLoco's answers: flags that disagree, statuses PayLoco does not
// document, an unsigned refusal from something in between, HTTP statuses that do not say "not applied".
const { answer, CODES, format } = require('./gateway');

/**
 * as: the scenario the gateway processes the request as ('' = normally, so the effect is applied).
 * shape: changes the signed answer's JSON. proxy: replaces the answer, unsigned, as a proxy in between would.
 * slowQuery: a Transaction Query of the ID waits slowMs first (so it holds the client's concurrency slot).
 * @type {Record<string, { as?: string, slowQuery?: boolean, shape?: (o: any) => void, proxy?: (dialect: 'A'|'B') => { status: number, text: string } }>}
 */
const ODD = {
  // 00000003 / PENDING, with PayLoco's own success: false. Accepted and applied.
  MIXED: { as: 'PENDING', shape: (o) => { o.success = false; } },
  // 00000000 with status PROCESSING, a status PayLoco does not document. Applied.
  PROCESSING: { shape: (o) => { if ('status' in o) o.status = 'PROCESSING'; else o.data.status = 'PROCESSING'; } },
  // An empty top-level status; the status is in data.status. Applied.
  EMPTYSTATUS: { shape: (o) => { o.status = ''; o.data = { ...o.data, status: o.data?.status ?? 'SUCCESS' }; } },
  // Applied, but the answer that arrives is an unsigned "Transaction declined" (not about the signature or envelope).
  UNSIGNEDNO: { proxy: (dialect) => ({ status: 200, text: format(dialect, answer(CODES.DECLINED, 'Transaction declined')) }) },
  // Applied, but answered HTTP 409 by something in front of the gateway (unsigned, not a PayLoco body).
  CONFLICT409: { proxy: () => ({ status: 409, text: '{"status":409,"error":"Conflict"}' }) },
  // Applied, and the signed PayLoco answer comes with HTTP 400.
  SIGNED400: { shape: () => {} },
  // Cancel: refused, signed, 30020003 "Card <id> expired". Nothing applied.
  EXPIRED: {},
  // Void: accepted PENDING and never settles, like PENDINGSTUCK; a query of it waits slowMs before answering.
  SLOWPOLL: { as: 'PENDINGSTUCK', slowQuery: true },
};

/** The scenario the gateway itself acts on. */
function gatewayScenario(/** @type {string} */ scenario) {
  return scenario in ODD ? (ODD[scenario].as ?? '') : scenario;
}

/** EXPIRED-: the business refusal of an expired card (cancel only), or null. */
function oddRefusal(/** @type {string} */ scenario, /** @type {string} */ op, /** @type {Record<string, unknown>} */ body) {
  if (scenario !== 'EXPIRED' || op !== 'cancel') return null;
  return answer(CODES.CARD_EXPIRED, `Card ${String(body.cardId)} expired`);
}

/** The answer as it leaves: its text, whether the gateway signs it, and its HTTP status. */
function oddAnswer(/** @type {string} */ scenario, /** @type {'A'|'B'} */ dialect, /** @type {string} */ text) {
  const odd = ODD[scenario];
  if (!odd) return { text, signed: true, status: 200 };
  if (odd.proxy) return { ...odd.proxy(dialect), signed: false };
  const o = JSON.parse(text);
  odd.shape?.(o);
  return { text: JSON.stringify(o), signed: true, status: scenario === 'SIGNED400' ? 400 : 200 };
}

module.exports = { ODD, gatewayScenario, oddRefusal, oddAnswer };
