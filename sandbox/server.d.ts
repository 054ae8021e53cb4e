/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
// Types for server.js, so TypeScript tests can import the sandbox without allowJs.
// Keep in step with the JSDoc in server.js, gateway.js and notify.js (the JS is the source of truth).
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { KeyObject } from 'node:crypto';

export interface PreAuthInput {
  merchantOrderId: string; currency: string; transAmt: string | number; orderId?: string;
  /** The merchant that owns it: only it finds it with a Transaction Query. Unset: any merchant. */
  merchantId?: string;
}

export interface SandboxOptions {
  host?: string;
  port?: number;
  /** PEM (SPKI or PKCS#1), bare Base64 SPKI, or a KeyObject; verifies request signatures. */
  merchantPublicKey: string | KeyObject;
  /** Signs responses and notifications; an RSA 2048 key is generated when absent. */
  platformPrivateKey?: string | KeyObject;
  latencyMs?: number;
  slowMs?: number;
  notifyDelayMs?: number;
  /** Delivery tries per PENDING notification (default 4). */
  notifyAttempts?: number;
  /** First retry delay; doubles each try (default 200). */
  notifyRetryMs?: number;
  /** How long a notification's answer is waited for, then it counts as not delivered (default 5000). */
  notifyTimeoutMs?: number;
  preAuths?: PreAuthInput[];
  /** The gateway's clock minus this machine's, in ms: Date headers and the requestTime check follow it (default 0). */
  clockOffsetMs?: number;
  /**
   * false: a repeated requestId / merchantOrderId is processed afresh (PayLoco may not deduplicate),
   * so a second send meets the card's or order's new state. Default true: the first answer is replayed.
   */
  replays?: boolean;
  /** The keyVersion this merchant is registered with (default '1'); any other is refused. */
  keyVersion?: string;
  /** The merchant's institution ID; a request with another memberId is refused. Unset: any. */
  memberId?: string;
  log?: (line: string) => void;
  /**
   * HTTPS instead of HTTP: a throwaway CA and a server certificate for 127.0.0.1, ::1, localhost
   * (and `hosts`) are made at start with the openssl command line. Clients trust `caCertFile`
   * through NODE_EXTRA_CA_CERTS. The folder holding it is removed by close().
   */
  tls?: boolean | { hosts?: string[] };
}

export interface RequestRecord {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  rawBody: Buffer;
  receivedAt: number;
  signatureValid: boolean;
  /** received (still in progress) | success | pending | failed:<code> | rejected:<code> | replayed:<...> | fault:<SCENARIO> | abandoned:SLOW | notFound | methodNotAllowed */
  outcome: string;
  scenario: string;
  /** The business answer's JSON text (not set for transport faults), e.g. to read the traceId the client got. */
  response?: string;
}

export interface Effect { kind: 'cardCancelled' | 'preAuthVoided'; id: string; requestKey: string; at: number }

export interface Order {
  kind: 'preauth' | 'void' | 'query';
  merchantOrderId: string;
  orderId: string;
  merchantId?: string;
  currency: string;
  transAmt: string;
  status: string;
  completeTime: string | null;
  voided?: boolean;
}

export interface NotificationRecord {
  url: string;
  /** HTTP status the receiver answered; 0 when unreachable. */
  status: number;
  body: string;
  headers: Record<string, string>;
  style: string;
  eventId?: unknown;
  attempt: number;
  at: number;
  response: string;
}

export interface NotifyOptions {
  style?: 'rsa' | 'hmac' | 'form';
  payload?: Record<string, unknown>;
  secret?: string;
  timestamp?: number;
  tamper?: boolean;
  omitSignature?: boolean;
  signWith?: KeyObject;
  eventName?: string;
  eventType?: string;
  /** Extra headers sent as given (e.g. cookie, authorization a proxy adds). */
  headers?: Record<string, string>;
  /** Form: percent-encode everything but "+" (a sender that leaves it unencoded). */
  plusUnencoded?: boolean;
}

export interface Sandbox {
  baseUrl: string;
  port: number;
  platformPublicKeyPem: string;
  platformPublicKeyBase64: string;
  platformPrivateKey: KeyObject;
  /** The listening server (an https.Server in HTTPS mode): for counting connections and handshakes. */
  server: Server;
  /** HTTPS mode only: the throwaway CA's certificate (PEM) and the file holding it, for NODE_EXTRA_CA_CERTS. */
  caCertFile?: string;
  caCertPem?: string;
  requests: RequestRecord[];
  effects: Effect[];
  notifications: NotificationRecord[];
  addPreAuth(p: PreAuthInput): Order;
  /** reset() restores the clockOffsetMs option. */
  reset(): void;
  close(): Promise<void>;
  setClockOffset(ms: number): void;
  clockOffsetMs(): number;
  /** The most gateway requests in progress at once since the last reset(). */
  peakInFlight(): number;
  sendNotification(url: string, o: NotifyOptions): Promise<{ status: number; body: string }>;
}

export declare function startSandbox(options: SandboxOptions): Promise<Sandbox>;
export declare const CODES: Readonly<Record<
  'SUCCESS' | 'PENDING' | 'BAD_SIGNATURE' | 'BAD_TIME' | 'EMPTY_FIELD' | 'BAD_FIELD' | 'BAD_BODY' | 'CARD_NOT_FOUND' |
  'CARD_CANCELLED' | 'PREAUTH_NOT_FOUND' | 'PREAUTH_VOIDED' | 'AMOUNT_MISMATCH' | 'CURRENCY_MISMATCH' |
  'DUPLICATE_ORDER' | 'ORDER_NOT_FOUND' | 'DECLINED' | 'DUPLICATE_REQUEST' | 'BAD_KEY_VERSION' | 'BAD_MEMBER' |
  'BAD_CONTENT_TYPE', string>>;
export declare const SCENARIOS: string[];
