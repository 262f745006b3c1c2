/**
 * Waiting that a stopped execution ends at once. n8n's community rules forbid setTimeout in node
 * code, so the timer is an AbortSignal.timeout (whose timer does not keep the process alive once
 * nobody waits on it).
 */

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
	const timer = AbortSignal.timeout(Math.ceil(ms));
	const either = signal ? AbortSignal.any([timer, signal]) : timer;
	await new Promise<void>((resolve, reject) => {
		either.addEventListener(
			'abort',
			() => (signal?.aborted ? reject(new ExecutionStoppedError()) : resolve()),
			{ once: true },
		);
	});
}
