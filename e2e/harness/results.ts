/** What `n8n execute --rawOutput` prints, and reading it (the same shape in 1.x and 2.x). */
import type { CommandResult } from './process';

/** One run of one node, as n8n reports it. */
export interface NodeRun {
	executionStatus?: string;
	error?: { message: string; description?: string; [k: string]: unknown };
	data?: { main: Array<Array<{ json: Record<string, unknown>; binary?: Record<string, unknown> }> | null> };
	[k: string]: unknown;
}

/** A run as `n8n execute --rawOutput` prints it, and as n8n stores it (execution_data.data, unflattened). */
export interface RawRun {
	status?: string;
	finished?: boolean;
	mode?: string;
	data: {
		resultData: {
			runData: Record<string, NodeRun[]>;
			lastNodeExecuted?: string;
			error?: { message: string; node?: { name: string }; [k: string]: unknown };
		};
		[k: string]: unknown;
	};
	[k: string]: unknown;
}

export interface ExecuteResult extends CommandResult {
	/** Parsed result; undefined when n8n printed none (e.g. an unknown node type). */
	json?: RawRun;
	/** n8n 2.x crashed in process.exit() after printing (and storing) the complete result. */
	crashedOnExit?: boolean;
}

/** The `json` of the items a node emitted on its first output, in its `run`-th run (default 0). */
export function outputOf(result: RawRun | undefined, node: string, run = 0): Record<string, unknown>[] {
	const main = result?.data.resultData.runData[node]?.[run]?.data?.main?.[0];
	return (main ?? []).map((item) => item.json);
}

/** 2.x prints log lines before the JSON: it starts at the first line beginning with "{". */
export function parseRawOutput(stdout: string): RawRun | undefined {
	const start = stdout.search(/^\{/m);
	if (start < 0) return undefined;
	const text = stdout.slice(start);
	try {
		return JSON.parse(text);
	} catch {
		// Log lines after the JSON: cut after the last line that starts with "}".
		const end = text.lastIndexOf('\n}');
		try {
			return end < 0 ? undefined : JSON.parse(text.slice(0, end + 2));
		} catch {
			return undefined;
		}
	}
}

/**
 * n8n stores run data as "flatted" JSON (github.com/WebReflection/flatted): an array whose first
 * entry is the root and where every string that stands for an object is its index in the array.
 * Strings are stored as entries too, so a value "3" in an object means entry 3.
 */
export function unflatten(text: string): unknown {
	const table = JSON.parse(text) as unknown[];
	const seen = new Map<number, unknown>();
	const revive = (index: number): unknown => {
		if (seen.has(index)) return seen.get(index);
		const value = table[index];
		if (value === null || typeof value !== 'object') {
			seen.set(index, value);
			return value;
		}
		const copy: Record<string, unknown> | unknown[] = Array.isArray(value) ? [] : {};
		seen.set(index, copy);
		for (const [k, v] of Object.entries(value as object)) {
			(copy as Record<string, unknown>)[k] = typeof v === 'string' ? revive(Number(v)) : v;
		}
		return copy;
	};
	return revive(0);
}

/** An execution as n8n stored it (execution_data.data holds only the run's `data` part). */
export function storedRun(execution: { status?: string; data?: string }): RawRun {
	if (!execution.data) throw new Error('execution has no stored data (list it with { withData: true })');
	return { status: execution.status, data: unflatten(execution.data) as RawRun['data'] };
}
