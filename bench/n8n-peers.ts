/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
/**
 * The peers that run in a real n8n 1.x (the installed runtime, `n8n execute`): n8n's own HTTP
 * Request node 4.2 with the PayLoco API credential, and, as a cross-check, the PayLoco node in the
 * same runtime. Each is timed by its own execution time in n8n's run data, as the in-process node
 * is, so n8n's start-up is left out.
 *
 * The HTTP Request node has no concurrency setting. Its Batching option is a rate, not a limit:
 * it starts `Items per Batch` requests, sleeps `Batch Interval` ms, starts the next batch, and
 * never waits for answers (n8n-nodes-base HttpRequestV3: `sleep(batchInterval)` before every
 * batchSize-th item, then one `Promise.allSettled` over all requests; an interval of 0 turns it
 * off). So two configurations:
 * - `http-request-node`: inside Loop Over Items with batch size C, the way an n8n user keeps the
 *   HTTP Request node to C requests at a time: each batch of C is sent at once and the loop waits
 *   for it. Its time is the sum of the HTTP Request node's runs; the loop node's own time is left
 *   out, which favours the HTTP Request node.
 * - `http-request-node batching C/1 ms`: its own Batching, Items per Batch C, the shortest
 *   interval that is on. Reported with the number of requests in flight the gateway saw.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { N8nHome, packPackage } from '../e2e/harness/n8n';
import type { RawRun } from '../e2e/harness/n8n';
import { cancelParameters, credentialsFor } from './common';
import type { BenchTarget } from './common';
import type { Scheme } from './sandbox';

export type N8nPeer = 'http-request-node' | 'http-request-batching' | 'node-n8n-cli';

export interface N8nBranch {
	peer: N8nPeer;
	scheme: Scheme;
	concurrency: number;
	label: string;
	count: number;
}

export interface BranchResult {
	/** Sum of the node's execution times over its runs, from n8n's run data. */
	ms: number;
	runs: number;
}

const credentialOf = (scheme: Scheme) => ({ id: `payLocoBench${scheme}`, name: `PayLoco bench sandbox (${scheme})` });
const nodeName = (branch: N8nBranch) => `${branch.peer} ${branch.label}`;

function workflowFor(id: string, branches: N8nBranch[], targets: Record<Scheme, BenchTarget>) {
	const nodes: object[] = [{ id: `${id}-start`, name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} }];
	const connections: Record<string, { main: Array<Array<{ node: string; type: 'main'; index: number }>> }> = { Start: { main: [[]] } };
	const to = (node: string) => ({ node, type: 'main' as const, index: 0 });
	branches.forEach((branch, n) => {
		const y = 200 * n; // v1 execution order runs the branches one after the other, top to bottom
		const cards = `Cards ${branch.label}`;
		const peer = nodeName(branch);
		const credentials = { payLocoApi: credentialOf(branch.scheme) };
		nodes.push({
			id: `${id}-${n}-cards`,
			name: cards,
			type: 'n8n-nodes-base.code',
			typeVersion: 2,
			position: [200, y],
			parameters: { jsCode: `return Array.from({ length: ${branch.count} }, (_, i) => ({ json: { card: ${JSON.stringify(`C-${branch.label}-`)} + i } }));` },
		});
		connections.Start.main[0].push(to(cards));
		if (branch.peer === 'node-n8n-cli') {
			nodes.push({ id: `${id}-${n}-peer`, name: peer, type: 'n8n-nodes-payloco.payLoco', typeVersion: 1, position: [400, y], parameters: cancelParameters(branch.concurrency), credentials });
			connections[cards] = { main: [[to(peer)]] };
			return;
		}
		// What a user writes: the endpoint's own fields, with IDs from the item so that a retry resends them.
		const jsonBody = '={\n  "transType": "PAY",\n  "accessType": "s2s",\n  "cardId": "{{ $json.card }}",\n  "requestId": "R-{{ $json.card }}"\n}';
		const batching = branch.peer === 'http-request-batching' ? { batching: { batch: { batchSize: branch.concurrency, batchInterval: 1 } } } : {};
		nodes.push({
			id: `${id}-${n}-peer`,
			name: peer,
			type: 'n8n-nodes-base.httpRequest',
			typeVersion: 4.2,
			position: [600, y],
			parameters: {
				method: 'POST',
				url: `${targets[branch.scheme].baseUrl}/v1/issuing/cards/cancel`,
				authentication: 'predefinedCredentialType',
				nodeCredentialType: 'payLocoApi',
				sendBody: true,
				contentType: 'json',
				specifyBody: 'json',
				jsonBody,
				options: batching,
			},
			credentials,
		});
		if (branch.peer === 'http-request-batching') {
			connections[cards] = { main: [[to(peer)]] };
			return;
		}
		const loop = `Loop ${branch.label}`;
		nodes.push({ id: `${id}-${n}-loop`, name: loop, type: 'n8n-nodes-base.splitInBatches', typeVersion: 3, position: [400, y], parameters: { batchSize: branch.concurrency, options: {} } });
		connections[cards] = { main: [[to(loop)]] };
		connections[loop] = { main: [[], [to(peer)]] }; // output 0 "done", output 1 "loop"
		connections[peer] = { main: [[to(loop)]] };
	});
	return { id, name: `PayLoco bench ${id}`, active: false, settings: { executionOrder: 'v1' }, nodes, connections };
}

/** Sums a node's runs and checks that every item came back successful. */
function resultOf(run: RawRun, branch: N8nBranch): BranchResult {
	const tasks = run.data.resultData.runData[nodeName(branch)] ?? [];
	const items = tasks.flatMap((task) => task.data?.main?.[0] ?? []).map((item) => item.json);
	const ok = items.filter((json) => (branch.peer === 'node-n8n-cli' ? json.success === true : json.errCode === '00000000'));
	if (items.length !== branch.count || ok.length !== branch.count) {
		throw new Error(`${nodeName(branch)}: ${items.length} items for ${branch.count}, ${ok.length} successful; first: ${JSON.stringify(items.find((j) => !ok.includes(j)) ?? null).slice(0, 300)}`);
	}
	return { ms: tasks.reduce((sum, task) => sum + Number(task.executionTime ?? 0), 0), runs: tasks.length };
}

export interface N8nPeers {
	version: string;
	/** Runs one imported workflow; results by branch label. */
	run(workflow: number): Promise<Map<string, BranchResult>>;
	dispose(): Promise<void>;
}

/**
 * Installs the packed package into a fresh n8n 1.x home, imports one credential per scheme and
 * one workflow per entry of `plan` (all in one import), trusting the sandbox CA by NODE_EXTRA_CA_CERTS.
 */
export async function startN8nPeers(targets: Record<Scheme, BenchTarget>, caCertFile: string, plan: N8nBranch[][]): Promise<N8nPeers> {
	const tmp = mkdtempSync(join(tmpdir(), 'payloco-bench-n8n-'));
	try {
		const packageTgz = packPackage(tmp);
		const home = await N8nHome.create(1, { packageTgz, env: { NODE_EXTRA_CA_CERTS: caCertFile }, timeoutMs: 600_000 });
		await home.importCredentials((['http', 'https'] as Scheme[]).map((scheme) => ({ ...credentialOf(scheme), type: 'payLocoApi', data: credentialsFor(targets[scheme]) })));
		const workflows = plan.map((branches, n) => workflowFor(`payLocoBench${String(n).padStart(3, '0')}`, branches, targets));
		const file = join(tmp, 'workflows.json');
		writeFileSync(file, JSON.stringify(workflows));
		const imported = await home.n8n(['import:workflow', `--input=${file}`]);
		if (imported.exitCode !== 0) throw new Error(`n8n import:workflow failed:\n${imported.stdout}\n${imported.stderr}`);
		return {
			version: home.rt.version,
			async run(index) {
				const result = await home.execute(workflows[index].id);
				if (result.exitCode !== 0 || !result.json) {
					throw new Error(`n8n execute exited ${result.exitCode}:\n${home.printed().slice(-4000)}`);
				}
				return new Map(plan[index].map((branch) => [branch.label, resultOf(result.json as RawRun, branch)]));
			},
			async dispose() {
				await home.dispose();
				rmSync(tmp, { recursive: true, force: true });
			},
		};
	} catch (error) {
		rmSync(tmp, { recursive: true, force: true });
		throw error;
	}
}
