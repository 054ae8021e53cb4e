/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
/**
 * A minimal SMTP server on 127.0.0.1 (no TLS, no auth) that keeps every message it receives, so a
 * test can read the approval email n8n's Send and Wait / human review sends and follow its link.
 */
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface Mail {
	from: string;
	to: string[];
	/** The message as received, quoted-printable soft breaks and escapes decoded. */
	text: string;
}

export interface FakeSmtp {
	port: number;
	mails: Mail[];
	close(): Promise<void>;
}

const decodeQuotedPrintable = (s: string) =>
	s.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));

export async function startFakeSmtp(): Promise<FakeSmtp> {
	const mails: Mail[] = [];
	const server = net.createServer((socket) => {
		let buffer = '';
		let inData = false;
		let mail: Mail = { from: '', to: [], text: '' };
		const reply = (line: string) => socket.write(`${line}\r\n`);
		reply('220 fake-smtp ready');
		socket.on('data', (chunk) => {
			buffer += chunk.toString('latin1');
			for (;;) {
				if (inData) {
					const end = buffer.indexOf('\r\n.\r\n');
					if (end < 0) return;
					mail.text = decodeQuotedPrintable(buffer.slice(0, end)).replace(/&amp;/g, '&');
					mails.push(mail);
					mail = { from: '', to: [], text: '' };
					buffer = buffer.slice(end + 5);
					inData = false;
					reply('250 OK queued');
					continue;
				}
				const nl = buffer.indexOf('\r\n');
				if (nl < 0) return;
				const line = buffer.slice(0, nl);
				buffer = buffer.slice(nl + 2);
				const verb = line.slice(0, 4).toUpperCase();
				if (verb === 'EHLO' || verb === 'HELO') reply('250 fake-smtp');
				else if (verb === 'MAIL') {
					mail.from = line.slice(10).trim();
					reply('250 OK');
				} else if (verb === 'RCPT') {
					mail.to.push(line.slice(8).trim());
					reply('250 OK');
				} else if (verb === 'DATA') {
					inData = true;
					reply('354 end with <CRLF>.<CRLF>');
				} else if (verb === 'QUIT') {
					reply('221 bye');
					socket.end();
				} else if (verb === 'RSET' || verb === 'NOOP') reply('250 OK');
				else reply('502 not implemented');
			}
		});
		socket.on('error', () => socket.destroy());
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	return {
		port: (server.address() as AddressInfo).port,
		mails,
		close: () => new Promise<void>((resolve) => server.close(() => resolve())),
	};
}
