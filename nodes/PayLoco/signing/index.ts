export { KeyError, loadPrivateKey, loadPublicKey, MIN_RSA_BITS, publicKeyFingerprint } from './keys';
export type { KeyProblem } from './keys';
export { signBytes, verifyBytes } from './signature';
export { CLOCK_WINDOW_MS, envelopedBody, envelopeFields, parseRfc3339, rfc3339, PAYLOCO_VERSION } from './envelope';
export { checkCredentials, signBody, signRequest } from './request';
export type { SignableRequest, SignedBody } from './request';
