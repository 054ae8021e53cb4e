/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
/**
 * POSTs to a webhook on a connection of its own (`connection: close`), and a failure names its
 * cause, which fetch's "fetch failed" hides. A fresh clone's run once failed at the first POST
 * after a 14 s test on the same server, with no cause recorded: the pattern of a kept-alive
 * socket closed by the server as it is reused.
 */
export async function postWebhook(url: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
	try {
		return await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', connection: 'close', ...headers } });
	} catch (error) {
		const cause = (error as { cause?: { code?: string; message?: string } }).cause;
		throw new Error(`POST ${url}: ${(error as Error).message} (${cause?.code ?? cause?.message ?? 'no cause given'})`);
	}
}
