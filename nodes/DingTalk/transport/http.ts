import type { IDataObject, IN8nHttpFullResponse } from 'n8n-workflow';

import { errorCode } from './errorDetails';
import { throwIfStopped } from './wait';

/**
 * One HTTP exchange with a hard deadline and a size cap. The Timeout covers the whole call
 * (connect, headers and body): axios' own timeout only notices a silent socket, so a server that
 * trickles its body would hold the call for as long as it likes. The body is read as a stream and
 * given up past MAX_ANSWER_BYTES.
 */

/** DingTalk's largest answers (100 contacts a page) are far below this. */
export const MAX_ANSWER_BYTES = 10 * 1024 * 1024;

export type Exchange =
	| { kind: 'response'; status: number; headers: IDataObject | undefined; text: string }
	| { kind: 'tooLarge'; limitBytes: number }
	| { kind: 'network'; code: string; maybeDelivered: boolean };

/** Network errors that happen before a byte of the request left. */
const NOT_DELIVERED_CODES = new Set([
	'ECONNREFUSED',
	'ENOTFOUND',
	'EAI_AGAIN',
	'EHOSTUNREACH',
	'ENETUNREACH',
	'ERR_INVALID_URL',
	'CERT_HAS_EXPIRED',
	'DEPTH_ZERO_SELF_SIGNED_CERT',
	'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
]);

export interface ExchangeLimits {
	timeoutMs: number;
	/** the execution's cancel signal */
	stop?: AbortSignal;
	maxBytes?: number;
}

/**
 * Runs `request` (which must pass the given signal on as `abortSignal` and ask for a stream) and
 * reads its answer. Throws ExecutionStoppedError when the execution is stopped; every other
 * outcome is returned.
 */
export async function exchange(
	request: (abortSignal: AbortSignal) => Promise<IN8nHttpFullResponse>,
	limits: ExchangeLimits,
): Promise<Exchange> {
	throwIfStopped(limits.stop);
	const deadline = AbortSignal.timeout(limits.timeoutMs);
	const signal = limits.stop ? AbortSignal.any([deadline, limits.stop]) : deadline;
	const outcome = await (async (): Promise<Exchange> => {
		const response = await untilAborted(request(signal), signal);
		const read = await readBody(response.body, signal, limits.maxBytes ?? MAX_ANSWER_BYTES);
		if (read === undefined) return { kind: 'tooLarge', limitBytes: limits.maxBytes ?? MAX_ANSWER_BYTES };
		return { kind: 'response', status: response.statusCode, headers: response.headers as IDataObject, text: read };
	})().catch((error: unknown): Exchange => {
		if (deadline.aborted && !limits.stop?.aborted) return { kind: 'network', code: 'ETIMEDOUT', maybeDelivered: true };
		// only the code: the error's message quotes the request, whose URL holds the access token
		const code = errorCode(error) ?? 'UNKNOWN';
		return { kind: 'network', code, maybeDelivered: !NOT_DELIVERED_CODES.has(code) };
	});
	throwIfStopped(limits.stop);
	return outcome;
}

/** `work`, or a rejection as soon as `signal` fires, whichever comes first. */
export async function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
	if (signal.aborted) throw new Error('aborted');
	let onAbort!: () => void;
	const aborted = new Promise<never>((_, reject) => {
		onAbort = () => reject(new Error('aborted'));
		signal.addEventListener('abort', onAbort, { once: true });
	});
	// the loser of the race must not surface as an unhandled rejection
	work.catch(() => undefined);
	try {
		return await Promise.race([work, aborted]);
	} finally {
		signal.removeEventListener('abort', onAbort);
	}
}

interface ReadableBody extends AsyncIterable<unknown> {
	destroy(error?: Error): void;
}

function isReadable(body: unknown): body is ReadableBody {
	return (
		typeof body === 'object' &&
		body !== null &&
		typeof (body as ReadableBody).destroy === 'function' &&
		typeof (body as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function'
	);
}

/** The body as text, or undefined when it is larger than `maxBytes`. */
async function readBody(body: unknown, signal: AbortSignal, maxBytes: number): Promise<string | undefined> {
	if (!isReadable(body)) {
		const text = typeof body === 'string' ? body : body === undefined || body === null ? '' : String(body);
		return Buffer.byteLength(text) > maxBytes ? undefined : text;
	}
	const onAbort = () => body.destroy(new Error('aborted'));
	signal.addEventListener('abort', onAbort, { once: true });
	try {
		const chunks: Buffer[] = [];
		let size = 0;
		for await (const chunk of body) {
			const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
			size += bytes.length;
			if (size > maxBytes) {
				body.destroy();
				return undefined;
			}
			chunks.push(bytes);
		}
		return Buffer.concat(chunks).toString('utf8');
	} finally {
		signal.removeEventListener('abort', onAbort);
	}
}

