/**
 * n8n's own REST API (the one its editor uses) on a running `n8n start`, 1.x and 2.x alike: the
 * owner account, and activating imported workflows the way the editor's Active (2.x: Publish)
 * toggle does. A CLI command boots a whole n8n; a REST call on the running one does not, so a
 * suite that serves several workflows activates them here. Node built-ins only.
 *
 *   const server = await home.start();
 *   const rest = await RestSession.asOwner(server);
 *   await rest.activate(home, [workflowA.id, workflowB.id]);   // resolves once their webhooks are registered
 */
import type { N8nHome } from './n8n';
import type { N8nServer } from './server';
import { sleep } from './process';

const OWNER = { email: 'owner@payloco.example', firstName: 'Pat', lastName: 'Loco', password: 'PayLoco-e2e-1' };
// n8n binds its login cookie to the browser-id header.
const BROWSER_ID = 'payloco-e2e-rest';

export class RestSession {
	private cookie = '';

	private constructor(private readonly server: N8nServer) {}

	/** Sets up the owner account of a fresh n8n (as its setup page does) and keeps its login. */
	static async asOwner(server: N8nServer): Promise<RestSession> {
		const session = new RestSession(server);
		await session.call('POST', '/rest/owner/setup', OWNER);
		return session;
	}

	/** One call; throws on a status other than 2xx. Returns the answer's `data` (or the whole answer). */
	async call<T = unknown>(method: string, route: string, body?: unknown): Promise<T> {
		const response = await fetch(`${this.server.url}${route}`, {
			method,
			headers: { 'content-type': 'application/json', 'browser-id': BROWSER_ID, cookie: this.cookie },
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		const setCookie = response.headers.getSetCookie().find((c) => c.startsWith('n8n-auth='));
		if (setCookie) this.cookie = setCookie.split(';')[0];
		const text = await response.text();
		if (!response.ok) throw new Error(`${method} ${route}: HTTP ${response.status} ${text.slice(0, 300)}`);
		const json = JSON.parse(text) as { data?: T };
		return (json.data ?? json) as T;
	}

	/**
	 * Activates (2.x: publishes) workflows imported into `home`, then waits until their webhooks are
	 * registered (2.x registers them a moment after answering).
	 */
	async activate(home: N8nHome, ids: string[], timeoutMs = 60_000): Promise<void> {
		for (const id of ids) {
			const { versionId } = await this.call<{ versionId: string }>('GET', `/rest/workflows/${id}`);
			await this.call('POST', `/rest/workflows/${id}/activate`, { versionId });
			home.markActivated(id);
		}
		const deadline = Date.now() + timeoutMs;
		while (!(await home.webhooksRegistered())) {
			if (Date.now() > deadline) throw new Error(`the webhooks of ${ids.join(', ')} were not registered within ${timeoutMs} ms`);
			await sleep(250);
		}
	}
}
