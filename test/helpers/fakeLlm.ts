/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
/**
 * A scripted stand-in for an OpenAI-compatible chat model on 127.0.0.1, so real n8n's AI Agent
 * (with its OpenAI Chat Model node pointed here through the credential's Base URL) calls real
 * tools without a language model. The user prompt holds the script: `SCRIPT:{"calls":[args, ...]}`.
 * Each model turn makes the next call to the first tool offered, one at a time; "$token" in an
 * argument is replaced by the first confirmationToken seen in a tool result. After the last call
 * the model answers with the tool results as text. Every request is recorded: what the agent
 * showed the model (tools, with descriptions) and what the tools answered.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

interface ChatMessage {
	role: string;
	content?: unknown;
	tool_call_id?: string;
}

interface ChatTool {
	type: 'function';
	function: { name: string; description?: string; parameters?: { properties?: Record<string, unknown>; required?: string[] } };
}

export interface LlmRequest {
	/** The user's prompt, script included. */
	prompt: string;
	script: string;
	tools: ChatTool[];
	toolResults: string[];
}

export interface FakeLlm {
	/** Base URL for the OpenAI credential's "Base URL" field. */
	url: string;
	requests: LlmRequest[];
	/** The tool results of the last model request of a script (its whole conversation). */
	resultsOf(scriptMarker: string): string[];
	close(): Promise<void>;
}

const text = (content: unknown): string => {
	if (typeof content === 'string') return content;
	if (Array.isArray(content)) return content.map((part) => (typeof part === 'string' ? part : String((part as { text?: unknown }).text ?? ''))).join('');
	return content === undefined || content === null ? '' : JSON.stringify(content);
};

export async function startFakeLlm(): Promise<FakeLlm> {
	const requests: LlmRequest[] = [];
	const server = http.createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (c: Buffer) => chunks.push(c));
		req.on('end', () => {
			if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
				res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"not here"}}');
				return;
			}
			const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { messages: ChatMessage[]; tools?: ChatTool[]; stream?: boolean; model?: string };
			const prompt = body.messages.filter((m) => m.role === 'user').map((m) => text(m.content)).join('\n');
			const script = /SCRIPT:(\{.*\})/s.exec(prompt)?.[1] ?? '{"calls":[]}';
			const calls = (JSON.parse(script) as { calls: Array<Record<string, unknown>> }).calls;
			const toolResults = body.messages.filter((m) => m.role === 'tool').map((m) => text(m.content));
			requests.push({ prompt, script, tools: body.tools ?? [], toolResults });
			const token = toolResults.map((r) => /confirmationToken\\?"\s*:\s*\\?"([A-Za-z0-9_.-]+)/.exec(r)?.[1]).find(Boolean) ?? '';
			const n = toolResults.length;
			const tool = body.tools?.[0]?.function.name;
			const message =
				n < calls.length && tool
					? {
							role: 'assistant',
							content: null,
							tool_calls: [
								{
									id: `call_${n}`,
									type: 'function',
									function: { name: tool, arguments: JSON.stringify(calls[n]).replace(/"\$token"/g, JSON.stringify(token)) },
								},
							],
						}
					: { role: 'assistant', content: `Tool results: ${JSON.stringify(toolResults)}` };
			const finish = 'tool_calls' in message ? 'tool_calls' : 'stop';
			const base = { id: `chatcmpl-${requests.length}`, created: Math.floor(Date.now() / 1000), model: body.model ?? 'gpt-4o-mini' };
			const usage = { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 };
			if (!body.stream) {
				res.writeHead(200, { 'content-type': 'application/json' });
				res.end(JSON.stringify({ ...base, object: 'chat.completion', choices: [{ index: 0, message, finish_reason: finish }], usage }));
				return;
			}
			res.writeHead(200, { 'content-type': 'text/event-stream' });
			const send = (data: unknown) => res.write(`data: ${JSON.stringify(data)}\n\n`);
			const delta = 'tool_calls' in message ? { role: 'assistant', tool_calls: (message.tool_calls ?? []).map((c, index) => ({ index, ...c })) } : { role: 'assistant', content: message.content };
			send({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: null }] });
			send({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta: {}, finish_reason: finish }], usage });
			res.end('data: [DONE]\n\n');
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	return {
		url: `http://127.0.0.1:${port}/v1`,
		requests,
		resultsOf: (marker) => [...requests].reverse().find((r) => r.prompt.includes(marker))?.toolResults ?? [],
		close: () => new Promise<void>((resolve) => server.close(() => resolve())),
	};
}
