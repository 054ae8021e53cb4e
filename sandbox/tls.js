// @ts-check
'use strict';
// A throwaway certificate authority and server certificate for the sandbox's HTTPS mode.
// Clients trust the CA through NODE_EXTRA_CA_CERTS, as a company CA would be trusted; nothing
// turns certificate verification off. node:crypto can read X.509 certificates but cannot make
// or sign one (it has X509Certificate for parsing only), so the `openssl` command line signs them.
const { execFile } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { promisify } = require('node:util');

const run = promisify(execFile);

/**
 * @typedef {{ dir: string, caCertFile: string, caCertPem: string, certPem: string, keyPem: string,
 *   remove: () => void }} ThrowawayTls
 */

/**
 * Makes a CA (RSA 2048, valid one day) and a server certificate it signed for 127.0.0.1, ::1 and
 * localhost, in a fresh temporary folder. The CA's private key is deleted once the server
 * certificate is signed: nothing else can ever be signed with it.
 * @param {{ hosts?: string[] }} [options] extra host names or IP addresses for the certificate
 * @returns {Promise<ThrowawayTls>}
 */
async function makeThrowawayTls(options = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'payloco-sandbox-tls-'));
  const file = (/** @type {string} */ name) => path.join(dir, name);
  const openssl = (/** @type {string[]} */ args) => run('openssl', args, { cwd: dir });
  try {
    const names = ['IP:127.0.0.1', 'IP:::1', 'DNS:localhost',
      ...(options.hosts ?? []).map((h) => (/^[\d.]+$|:/.test(h) ? `IP:${h}` : `DNS:${h}`))];
    fs.writeFileSync(file('server.ext'), [
      'basicConstraints = critical, CA:FALSE',
      'keyUsage = critical, digitalSignature, keyEncipherment',
      'extendedKeyUsage = serverAuth',
      `subjectAltName = ${[...new Set(names)].join(', ')}`,
      '',
    ].join('\n'));
    await openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '1',
      '-subj', '/O=PayLoco sandbox/CN=PayLoco sandbox throwaway CA',
      '-addext', 'basicConstraints = critical, CA:TRUE, pathlen:0',
      '-addext', 'keyUsage = critical, keyCertSign, cRLSign',
      '-keyout', 'ca.key', '-out', 'ca.pem']);
    await openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-subj', '/O=PayLoco sandbox/CN=127.0.0.1',
      '-keyout', 'server.key', '-out', 'server.csr']);
    await openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', `0x${Date.now().toString(16)}`,
      '-days', '1', '-sha256', '-extfile', 'server.ext', '-out', 'server.pem']);
    fs.rmSync(file('ca.key'));
    const tls = {
      dir,
      caCertFile: file('ca.pem'),
      caCertPem: fs.readFileSync(file('ca.pem'), 'utf8'),
      certPem: fs.readFileSync(file('server.pem'), 'utf8'),
      keyPem: fs.readFileSync(file('server.key'), 'utf8'),
      remove: () => fs.rmSync(dir, { recursive: true, force: true }),
    };
    fs.rmSync(file('server.key'));
    return tls;
  } catch (error) {
    fs.rmSync(dir, { recursive: true, force: true });
    const why = /** @type {NodeJS.ErrnoException} */ (error).code === 'ENOENT'
      ? 'the `openssl` command line is not installed (apt-get install -y openssl)'
      : String(/** @type {{ stderr?: string }} */ (error).stderr || error);
    throw new Error(`The sandbox's HTTPS mode could not make its throwaway certificates: ${why}`);
  }
}

module.exports = { makeThrowawayTls };
