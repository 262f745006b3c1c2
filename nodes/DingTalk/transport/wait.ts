import { sleep } from 'n8n-workflow';

/**
 * Waiting that a stopped execution ends at once. n8n's community rules forbid setTimeout in node
 * code, so waits use n8n-workflow's sleep, in steps short enough that a timer left behind by a stop
 * ends soon after it; the stop itself ends the wait at once.
 */

/** The longest single sleep: what a stopped wait may leave running behind it. */
const STEP_MS = 100;

/** Thrown when the execution was stopped while the node waited or called DingTalk. */
export class ExecutionStoppedError extends Error {
	constructor() {
		super('The execution was stopped');
		this.name = 'ExecutionStoppedError';
	}
}

/** Throws ExecutionStoppedError if `signal` has fired. */
export function throwIfStopped(signal: AbortSignal | undefined): void {
	if (signal?.aborted) throw new ExecutionStoppedError();
}

/** Resolves after `ms`; rejects with ExecutionStoppedError as soon as `signal` fires. */
export async function wait(ms: number, signal?: AbortSignal): Promise<void> {
	throwIfStopped(signal);
	if (!(ms > 0)) return;
	if (!signal) return await sleep(ms);
	let onStop!: () => void;
	const stopped = new Promise<never>((_, reject) => {
		onStop = () => reject(new ExecutionStoppedError());
		signal.addEventListener('abort', onStop, { once: true });
	});
	stopped.catch(() => undefined);
	try {
		const until = Date.now() + ms;
		for (let left = ms; left > 0; left = until - Date.now()) {
			await Promise.race([sleep(Math.min(left, STEP_MS)), stopped]);
		}
	} finally {
		signal.removeEventListener('abort', onStop);
	}
}
