/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
/**
 * Secret hygiene in real n8n (issue 7): the merchant private key and the request signatures must
 * never show up in anything n8n prints or stores, whatever goes wrong.
 *
 * Per n8n line (1.x and 2.x), one N8nHome with N8N_LOG_LEVEL=debug and one `n8n execute` of one
 * workflow that drives the PayLoco node through every failure the sandbox can produce, bad input
 * (empty cardId, bad transAmt, bad currency) and bad credential keys (a public key pasted as the
 * private key, a passphrase-encrypted key, a 1024-bit key, garbage), all with Continue On Fail.
 * Then every 16-character fragment of every key text (at all offsets, in PEM, JSON-escaped PEM and
 * bare Base64 forms) and of every signature the sandbox received is searched for in:
 *   - everything n8n printed (every CLI command, debug logs included);
 *   - every file under the user folder (database, WAL, logs, event logs, config, nodes, tmp);
 *   - every row of every table in n8n's sqlite database, read through SQL (a file scan alone
 *     could miss text that sqlite splits across overflow pages).
 * The credentials table is scanned too: n8n stores it encrypted, so no fragment may appear
 * there either. What is deliberately NOT scanned is `n8n export:credentials --decrypted`: that
 * output contains the key by design (it is the one place the key legitimately lives).
 *
 * Control assertions prove the scan can fail: planted fragments, in a string and in a file inside
 * the user folder, are found.
 *
 * Needs `npm run build` (dist/ is what gets packed) and `node scripts/install-n8n.js all`.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

import { startSandbox } from '../../sandbox/server';
import type { Sandbox } from '../../sandbox/server';
import { rsaKeyPair } from '../helpers/keys';
import type { TestKeyPair } from '../helpers/keys';
import { sentBody, verifiedByOpenssl } from '../helpers/payloco';
import { N8nHome, packPackage, parseRawOutput } from '../../e2e/harness/n8n';
import { nodeBuilder } from './workflow';
import type { N8nLine, RawRun } from '../../e2e/harness/n8n';

const WORKFLOW_ID = 'payLocoSecrets01';
const SLOW_MS = 2500;
const FRAGMENT = 16;
const execFileAsync = promisify(execFile);


// ---------------------------------------------------------------------------------------------
// The scanner

/** Every form a key text may take once pasted, logged or serialized. */
function forms(pemOrText: string): string[] {
	const body = pemOrText.replace(/-----[A-Z ]+-----|\s/g, '');
	return [pemOrText, JSON.stringify(pemOrText).slice(1, -1), pemOrText.replace(/\n/g, '\r\n'), body];
}

interface Finding {
	source: string;
	secret: string;
	at: number;
	context: string;
}

/**
 * Knows every 16-character window of every secret text, at every offset. Windows that an
 * unrelated text of the same kind also contains (PEM armour lines, the ASN.1 header every RSA
 * 2048 PKCS#8 key starts with) are structure, not secret, and are left out.
 */
class SecretScanner {
	private readonly windows = new Map<string, string>();

	add(label: string, texts: string[], structure: string[] = []): void {
		const common = structure.join('\n');
		for (const text of texts) {
			for (let i = 0; i + FRAGMENT <= text.length; i++) {
				const w = text.slice(i, i + FRAGMENT);
				if (!common.includes(w)) this.windows.set(w, label);
			}
		}
	}

	scan(source: string, haystack: string): Finding[] {
		const found: Finding[] = [];
		for (let i = 0; i + FRAGMENT <= haystack.length; i++) {
			const label = this.windows.get(haystack.substr(i, FRAGMENT));
			if (label) {
				found.push({ source, secret: label, at: i, context: haystack.slice(Math.max(0, i - 60), i + 80) });
				i += FRAGMENT - 1;
			}
		}
		return found;
	}
}

/**
 * Every row of every table of n8n's sqlite database as JSON text, one entry per table, read in one
 * child process on the runtime's own Node with the runtime's own sqlite3 module.
 */
async function dumpDatabase(home: N8nHome): Promise<Record<string, string>> {
	const script = `
		const [sqlite3Dir, file] = process.argv.slice(1);
		const sqlite3 = require(sqlite3Dir);
		const db = new sqlite3.Database(file, sqlite3.OPEN_READONLY);
		db.configure('busyTimeout', 10000);
		const all = (sql) => new Promise((ok, ko) => db.all(sql, (e, rows) => (e ? ko(e) : ok(rows))));
		(async () => {
			const out = {};
			for (const { name } of await all("SELECT name FROM sqlite_master WHERE type = 'table'")) {
				out[name] = JSON.stringify(await all('SELECT * FROM "' + name.replace(/"/g, '""') + '"'));
			}
			process.stdout.write(JSON.stringify(out));
			db.close();
		})().catch((e) => { console.error(e.message); process.exit(1); });`;
	const dbFile = path.join(home.n8nFolder, 'database.sqlite');
	const { stdout } = await execFileAsync(home.rt.nodeBin, ['-e', script, path.join(home.rt.modules, 'sqlite3'), dbFile], {
		maxBuffer: 512 * 1024 * 1024,
	});
	return JSON.parse(stdout);
}

/** Everything n8n printed and stored for one home, as (source, text) pairs. */
async function everything(home: N8nHome): Promise<Array<[string, string]>> {
	const out: Array<[string, string]> = [['printed', home.printed()]];
	for (const file of home.storedFiles()) {
		// latin1 maps every byte to one character, so ASCII fragments are found in binary files too.
		out.push([path.relative(home.userFolder, file), fs.readFileSync(file).toString('latin1')]);
	}
	for (const [table, rows] of Object.entries(await dumpDatabase(home))) out.push([`sql:${table}`, rows]);
	return out;
}

// ---------------------------------------------------------------------------------------------
// Keys and credentials

const merchant = rsaKeyPair();
const pkcs1Body = (k: TestKeyPair) => k.pkcs1Pem.replace(/-----[A-Z ]+-----|\s/g, '');
const shortKey = rsaKeyPair(1024, true);
const PASSPHRASE = `pass-${randomBytes(6).toString('hex')}`;
const encrypt = (k: TestKeyPair) =>
	k.privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: PASSPHRASE }).toString();
const encryptedKey = encrypt(rsaKeyPair(2048, true));
const garbage = randomBytes(120).toString('base64');

/** Unrelated keys of the same kinds: what they share with ours is structure. */
const others = [rsaKeyPair(2048, true), rsaKeyPair(2048, true)];
const otherShort = [rsaKeyPair(1024, true), rsaKeyPair(1024, true)];
const everyForm = (k: TestKeyPair) => [k.pkcs8Pem, k.pkcs1Pem, k.pkcs8Base64, pkcs1Body(k), k.publicPem, k.publicBase64, encrypt(k)].flatMap(forms);
const structure2048 = others.flatMap(everyForm);
const structure1024 = otherShort.flatMap(everyForm);

const CREDS = {
	pkcs8: { id: 'plSecretPkcs8', name: 'PayLoco PEM PKCS#8' },
	pkcs1: { id: 'plSecretPkcs1', name: 'PayLoco PEM PKCS#1' },
	base64: { id: 'plSecretB64', name: 'PayLoco Base64 PKCS#8' },
	publicKey: { id: 'plBadPublic', name: 'PayLoco public key as private' },
	encrypted: { id: 'plBadEncrypted', name: 'PayLoco encrypted key' },
	short: { id: 'plBad1024', name: 'PayLoco 1024-bit key' },
	garbage: { id: 'plBadGarbage', name: 'PayLoco garbage key' },
};
const PRIVATE_KEYS: Record<keyof typeof CREDS, string> = {
	pkcs8: merchant.pkcs8Pem,
	pkcs1: merchant.pkcs1Pem,
	base64: merchant.pkcs8Base64,
	publicKey: merchant.publicPem,
	encrypted: encryptedKey,
	short: shortKey.pkcs8Pem,
	garbage,
};

// ---------------------------------------------------------------------------------------------
// The workflow

const { node, items, resetIds } = nodeBuilder('5ec0e700');
const payLoco = (name: string, cred: keyof typeof CREDS, parameters: object, x: number, y: number) =>
	node(name, 'n8n-nodes-payloco.payLoco', 1, x, y, { parameters, onError: 'continueRegularOutput', credentials: { payLocoApi: CREDS[cred] } });
const cancel = (options: object, cardId = '={{ $json.card }}') => ({ resource: 'card', operation: 'cancel', cardId, options });

const SCENARIOS = ['C', 'PENDING', 'FAIL', 'STALE', 'ERR500', 'ERR502', 'ERR503', 'RATE429', 'SLOW', 'HTML', 'EMPTY', 'NOTJSON', 'NOTRACE', 'BADSIG', 'NOSIG', 'RESET'];
const FLAKY = ['FLAKY500', 'FLAKY429', 'FLAKYRESET', 'FLAKYSLOW'];
const BAD_KEYS = ['publicKey', 'encrypted', 'short', 'garbage'] as const;
const BAD_KEY_MESSAGES: Record<(typeof BAD_KEYS)[number], RegExp> = {
	publicKey: /holds a public key/,
	encrypted: /encrypted with a passphrase/,
	short: /RSA key of 1024 bits; PayLoco needs 2048 bits or more/,
	garbage: /is not a key/,
};

function workflowFor(tag: string) {
	resetIds();
	const voids = [
		{ mo: `V-${tag}-ok`, ori: `PA-AUTO-${tag}-1`, cur: 'USD', amt: '100.01' },
		{ mo: `PENDING-V-${tag}`, ori: `PA-AUTO-${tag}-2`, cur: 'USD', amt: '5.00' },
		{ mo: `BADAMT-${tag}`, ori: `PA-AUTO-${tag}-3`, cur: 'USD', amt: '1,000.00' },
		{ mo: `BADCUR-${tag}`, ori: `PA-AUTO-${tag}-4`, cur: 'usd', amt: '10.00' },
		{ mo: `HTML-V-${tag}`, ori: `PA-AUTO-${tag}-5`, cur: 'USD', amt: '10.00' },
	];
	const nodes = [
		node('Start', 'n8n-nodes-base.manualTrigger', 1, 0, 600),
		items('Scenario Cards', SCENARIOS.map((s) => ({ card: `${s}-${tag}` })), 220, 0),
		payLoco('Catalogue', 'pkcs8', cancel({ retry: false, timeout: 1000 }), 440, 0),
		items('Flaky Cards', FLAKY.map((s) => ({ card: `${s}-${tag}` })), 220, 200),
		payLoco('Retries', 'pkcs1', cancel({ retry: true, maxAttempts: 2, timeout: 1000 }), 440, 200),
		items('Orders', voids, 220, 400),
		payLoco('Voids', 'base64', {
			resource: 'payment',
			operation: 'preAuthVoid',
			merchantOrderId: '={{ $json.mo }}',
			oriMerchantOrderId: '={{ $json.ori }}',
			currency: '={{ $json.cur }}',
			transAmt: '={{ $json.amt }}',
			additionalFields: { reqReserved: '退款' },
			options: { retry: false },
		}, 440, 400),
		items('Bad Cards', [{ card: '' }, { card: `C-${tag}-after-empty` }], 220, 600),
		payLoco('Empty Card ID', 'pkcs8', cancel({ retry: false }), 440, 600),
		items('Key Check', [{ n: 1 }], 220, 800),
		...BAD_KEYS.map((k, i) => payLoco(`Key ${k}`, k, cancel({}, `KEY${k.toUpperCase()}-${tag}`), 440, 800 + 150 * i)),
		// n8n marks the whole run failed when the LAST node it ran ended in an error, even one it
		// continued past: a No Op after the key checks keeps them from being last.
		node('After Key Checks', 'n8n-nodes-base.noOp', 1, 660, 900),
	];
	const to = (...names: string[]) => ({ main: [names.map((n) => ({ node: n, type: 'main', index: 0 }))] });
	const workflow = {
		id: WORKFLOW_ID,
		name: 'PayLoco secret hygiene e2e',
		active: false,
		settings: { executionOrder: 'v1' },
		nodes,
		connections: {
			Start: to('Scenario Cards', 'Flaky Cards', 'Orders', 'Bad Cards', 'Key Check'),
			'Scenario Cards': to('Catalogue'),
			'Flaky Cards': to('Retries'),
			Orders: to('Voids'),
			'Bad Cards': to('Empty Card ID'),
			'Key Check': to(...BAD_KEYS.map((k) => `Key ${k}`)),
			...Object.fromEntries(BAD_KEYS.map((k) => [`Key ${k}`, to('After Key Checks')])),
		},
	};
	return { workflow, voids };
}

/**
 * The run printed by `n8n execute --rawOutput`. With N8N_LOG_LEVEL=debug, n8n 2.x prints it
 * through its logger instead: colored, after a timestamp and level, followed by the log line's
 * metadata. Both shapes are read here.
 */
function parseRun(stdout: string): RawRun | undefined {
	const text = stdout.replace(/\x1b\[[0-9;]*m/g, '');
	const direct = parseRawOutput(text);
	if (direct?.data?.resultData) return direct;
	const end = text.search(/^\}\s+\{ "file": "base-command\.js", "function": "log" \}/m);
	if (end < 0) return undefined;
	const starts = [...text.slice(0, end).matchAll(/^[\d:.]+\s+\w+\s+\{$/gm)];
	const start = starts.at(-1);
	if (!start) return undefined;
	return JSON.parse(`{${text.slice(start.index + start[0].length, end)}}`);
}

const jsonOf = (result: RawRun | undefined, name: string) =>
	(result?.data.resultData.runData[name]?.[0]?.data?.main?.[0] ?? []).map((item) => item.json);

/**
 * The error of a node that threw and was continued past. n8n 1.x emits it as the item
 * `{ error: message }`; n8n 2.x passes the input items through and keeps the error in the run.
 */
const thrownError = (result: RawRun | undefined, name: string): string => {
	const run = result?.data.resultData.runData[name]?.[0];
	return String(run?.error?.message ?? run?.data?.main?.[0]?.[0]?.json.error ?? '');
};

// ---------------------------------------------------------------------------------------------

let sandbox: Sandbox;
let tmp: string;
let tgz: string;

beforeAll(async () => {
	sandbox = await startSandbox({ merchantPublicKey: merchant.publicPem, slowMs: SLOW_MS });
	tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'payloco-secrets-e2e-'));
	tgz = packPackage(tmp);
}, 60_000);

afterAll(async () => {
	await sandbox?.close();
	if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('the secret scanner', () => {
	const scanner = new SecretScanner();
	scanner.add('merchant private key', [merchant.pkcs8Pem, merchant.pkcs1Pem].flatMap(forms), structure2048);
	scanner.add('pasted public key', forms(merchant.publicPem), structure2048);

	test('finds a planted fragment at any offset and in any form, and ignores key structure', () => {
		const body = merchant.pkcs8Base64;
		for (const at of [60, 333, 1000, body.length - FRAGMENT]) {
			expect(scanner.scan('planted', `log: ${body.slice(at, at + FRAGMENT)} ...`)).toEqual([expect.objectContaining({ secret: 'merchant private key' })]);
		}
		// Spanning a PEM line break, escaped as JSON would store it.
		const escaped = JSON.stringify(merchant.pkcs8Pem);
		const nl = escaped.indexOf('\\n', 100);
		expect(scanner.scan('planted', `{"k":"${escaped.slice(nl - 8, nl + 8)}"}`)).toHaveLength(1);
		// A 15-character piece is below the threshold; armour and the ASN.1 header are structure.
		expect(scanner.scan('planted', body.slice(500, 515))).toEqual([]);
		// (The credential's own placeholder is such structure: every RSA 2048 public key starts like this.)
		expect(scanner.scan('planted', '-----BEGIN PRIVATE KEY----- MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA -----END PRIVATE KEY-----')).toEqual([]);
		// Every offset past the ASN.1 header counts, in the Base64 body of both private key encodings.
		for (const body of [merchant.pkcs8Base64, merchant.pkcs1Pem.replace(/-----[A-Z ]+-----|\s/g, '')]) {
			const missed = [];
			for (let i = 64; i + FRAGMENT <= body.length; i++) if (!scanner.scan('planted', body.slice(i, i + FRAGMENT)).length) missed.push(i);
			expect(missed).toEqual([]);
		}
	});
});

describe.each([1, 2] as N8nLine[])('secret hygiene in real n8n %i.x (debug logging)', (line) => {
	const tag = `S${line}`;
	const { workflow, voids } = workflowFor(tag);
	let home: N8nHome;
	let result: RawRun | undefined;
	const timings: Record<string, number> = {};

	beforeAll(async () => {
		if (!tgz) throw new Error('no package to install (see the first error)');
		sandbox.reset();
		let t = Date.now();
		const lap = (what: string) => {
			timings[what] = Date.now() - t;
			t = Date.now();
		};
		home = await N8nHome.create(line, { packageTgz: tgz, env: { N8N_LOG_LEVEL: 'debug' } });
		await home.importCredentials(
			(Object.keys(CREDS) as Array<keyof typeof CREDS>).map((k) => ({
				...CREDS[k],
				type: 'payLocoApi',
				data: {
					environment: 'custom',
					baseUrl: sandbox.baseUrl,
					merchantId: 'M20230105586637',
					keyVersion: '1',
					privateKey: PRIVATE_KEYS[k],
					platformPublicKey: sandbox.platformPublicKeyBase64,
				},
			})),
		);
		await home.importWorkflow(workflow);
		lap('create + import');
		const run = await home.execute(WORKFLOW_ID);
		lap('n8n execute');
		result = parseRun(run.stdout);
		// n8n 2.x's `execute` sometimes segfaults in process.exit() after printing and storing the run (see n8n.ts).
		const exitedOk = run.exitCode === 0 || ('signal' in run && run.signal === 'SIGSEGV');
		if (!exitedOk || result?.status !== 'success') {
			throw new Error(`n8n execute: exit ${run.exitCode}, status ${result?.status}\n${run.stdout.slice(-4000)}\n${run.stderr.slice(-4000)}`);
		}
		// Let the SLOW- request finish in the sandbox (abandoned) so every request is final.
		const deadline = Date.now() + SLOW_MS * 3;
		while (sandbox.requests.some((r) => r.outcome === 'received') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
	}, 300_000);

	afterAll(async () => {
		await home?.dispose();
		console.log(`secrets e2e n8n ${line}.x timings (ms): ${JSON.stringify(timings)}`);
	}, 60_000);

	test('every failure mode ran: each item failed or succeeded as the scenario says', () => {
		const catalogue = jsonOf(result, 'Catalogue');
		expect(catalogue.map((j) => [j.cardId, j.success])).toEqual(SCENARIOS.map((s) => [`${s}-${tag}`, s === 'C' || s === 'PENDING']));
		expect(jsonOf(result, 'Retries').map((j) => [j.cardId, j.success, j.attempts])).toEqual(FLAKY.map((s) => [`${s}-${tag}`, true, 2]));
		expect(jsonOf(result, 'Voids')).toEqual([
			expect.objectContaining({ success: true, status: 'SUCCESS', merchantOrderId: voids[0].mo }),
			expect.objectContaining({ success: true, status: 'PENDING', merchantOrderId: voids[1].mo }),
			{ success: false, sent: false, field: 'transAmt', error: expect.stringMatching(/^transAmt must be a positive decimal .*got "1,000.00"\. \[item 2\]$/) },
			{ success: false, sent: false, field: 'currency', error: expect.stringMatching(/^currency must be a three-letter uppercase ISO 4217 code .*got "usd"\. \[item 3\]$/) },
			expect.objectContaining({ success: false, fault: 'html', outcomeUnknown: true, merchantOrderId: voids[4].mo }),
		]);
		expect(jsonOf(result, 'Empty Card ID')).toEqual([
			{ success: false, sent: false, field: 'cardId', error: 'cardId is empty. Map it from the incoming item or enter a value. [item 0]' },
			expect.objectContaining({ success: true, cardId: `C-${tag}-after-empty` }),
		]);
		for (const k of BAD_KEYS) {
			expect({ k, error: thrownError(result, `Key ${k}`) }).toEqual({ k, error: expect.stringMatching(BAD_KEY_MESSAGES[k]) });
			expect(thrownError(result, `Key ${k}`)).toMatch(/^PayLoco API credential: The private key /);
			expect(jsonOf(result, `Key ${k}`)).toHaveLength(1);
		}
	});

	test('bad input and bad keys sent nothing; everything sent is signed over the bytes received', () => {
		const ids = sandbox.requests.map((r) => {
			const body = sentBody(r);
			return String(body.cardId ?? body.merchantOrderId);
		});
		for (const id of ['', voids[2].mo, voids[3].mo, ...BAD_KEYS.map((k) => `KEY${k.toUpperCase()}-${tag}`)]) {
			expect({ id, sent: ids.filter((x) => x === id).length }).toEqual({ id, sent: 0 });
		}
		expect(ids.filter((x) => x.startsWith('KEY'))).toEqual([]);
		// Exactly the valid items went out: the catalogue once each, FLAKY twice, three voids, one card.
		expect(ids.length).toBe(SCENARIOS.length + 2 * FLAKY.length + 3 + 1);
		for (const r of sandbox.requests) expect(verifiedByOpenssl(r, merchant)).toBe(true);
	});

	test('no fragment of any key or signature is in anything n8n printed or stored', async () => {
		const scanner = new SecretScanner();
		scanner.add('merchant private key', [merchant.pkcs8Pem, merchant.pkcs1Pem, merchant.pkcs8Base64].flatMap(forms), structure2048);
		scanner.add('pasted public key', forms(merchant.publicPem), structure2048);
		scanner.add('pasted encrypted key', forms(encryptedKey), structure2048);
		scanner.add('pasted 1024-bit key', [shortKey.pkcs8Pem, shortKey.pkcs1Pem].flatMap(forms), structure1024);
		scanner.add('pasted garbage', [garbage]);
		const signatures = sandbox.requests.map((r) => String(r.headers.signature ?? ''));
		expect(signatures.filter((s) => s.length >= 344)).toHaveLength(sandbox.requests.length);
		scanner.add('request signature', signatures);

		const sources = await everything(home);
		const names = sources.map(([s]) => s);
		// The scan really covers what matters: the run is stored, the debug log is there.
		expect(names).toEqual(expect.arrayContaining(['printed', 'sql:execution_data', 'sql:execution_entity', 'sql:credentials_entity']));
		expect(names.some((n) => n.endsWith('database.sqlite'))).toBe(true);
		const printed = sources[0][1];
		expect(printed).toContain('Start executing node "Catalogue"'); // a debug-level line
		expect(names).toContain(path.join('.n8n', 'logs', 'n8n.log'));
		expect(printed).toContain(`C-${tag}`);
		const executionData = sources.find(([s]) => s === 'sql:execution_data')![1];
		expect(executionData).toContain(`NOTRACE-${tag}`);

		const findings = sources.flatMap(([source, text]) => scanner.scan(source, text));
		expect(findings).toEqual([]);

		// Control: the same scan over the same home finds a fragment planted in a stored file.
		const planted = path.join(home.userFolder, 'tmp', 'planted.log');
		fs.writeFileSync(planted, `debug: key=${merchant.pkcs8Base64.slice(900, 900 + FRAGMENT)}\nsig=${signatures[3].slice(100, 100 + FRAGMENT)}\n`);
		try {
			const control = (await everything(home)).flatMap(([source, text]) => scanner.scan(source, text));
			expect(control.map((f) => [f.source, f.secret])).toEqual([
				[path.join('tmp', 'planted.log'), 'merchant private key'],
				[path.join('tmp', 'planted.log'), 'request signature'],
			]);
		} finally {
			fs.rmSync(planted, { force: true });
		}
	}, 120_000);
});
