import type { IDataObject } from 'n8n-workflow';

import { effectiveErrcode, readErrcode } from './errorCodes';
import type { Redactor } from './redact';

/**
 * What one attempt at a DingTalk call came to: DingTalk's answer read from the HTTP response, or
 * what went wrong on the way. The retry policy decides on it; messages turn it into an error.
 */
export type Attempt =
	/** a JSON answer with a valid errcode; `errcode` is the one that decides (88's sub_code) */
	| { kind: 'answer'; body: IDataObject; errcode: number }
	/** a JSON object without a valid errcode: never taken for success */
	| { kind: 'noErrcode'; body: IDataObject }
	/** DingTalk's ban answer: `{"status":1111,"wait":N}`, or an HTML page with HTTP 200 */
	| { kind: 'ban'; waitSeconds: number; html: boolean }
	| { kind: 'httpStatus'; status: number; retryAfterMs?: number; html: boolean }
	| { kind: 'unreadable'; status: number; snippet: string }
	| { kind: 'tooLarge'; limitBytes: number }
	/** the call failed on the network; `maybeDelivered` when the request may have left */
	| { kind: 'network'; code: string; maybeDelivered: boolean }
	/** getting the access token failed, so the call itself was never sent */
	| { kind: 'tokenRequest'; message: string; retryable: boolean };

/** An HTML page names no wait; DingTalk's IP bans last minutes, this is the first pause. */
export const HTML_BAN_WAIT_SECONDS = 5;
const MAX_RETRY_AFTER_SECONDS = 60;
const SNIPPET_LENGTH = 120;

/** Reads an HTTP response's status, headers and body text as DingTalk's answer. */
export function readAnswer(
	status: number,
	headers: IDataObject | undefined,
	rawText: string,
	redactor: Redactor,
): Attempt {
	const text = redactor.text(rawText);
	const parsed = parseJsonObject(text);
	if (parsed) {
		const body = redactor.value(parsed);
		const errcode = readErrcode(body.errcode);
		if (errcode !== undefined) {
			return { kind: 'answer', body: { ...body, errcode }, errcode: effectiveErrcode(errcode, body.sub_code) };
		}
		if (Number(body.status) === 1111 || body.punish !== undefined) {
			const wait = Number(body.wait);
			return { kind: 'ban', waitSeconds: wait > 0 && Number.isFinite(wait) ? wait : HTML_BAN_WAIT_SECONDS, html: false };
		}
		if (status >= 200 && status < 300) return { kind: 'noErrcode', body };
	}
	const html = /^\s*</.test(text);
	if (status === 429 || status >= 500) {
		const retryAfter = Number(headerValue(headers, 'retry-after'));
		const retryAfterMs =
			retryAfter > 0 && Number.isFinite(retryAfter) ? Math.min(retryAfter, MAX_RETRY_AFTER_SECONDS) * 1000 : undefined;
		return { kind: 'httpStatus', status, retryAfterMs, html };
	}
	// DingTalk documents its IP ban as a page sent with HTTP 200; other statuses (401, 403, 404 …)
	// come from something else between n8n and DingTalk, and say so
	if (html && status === 200) return { kind: 'ban', waitSeconds: HTML_BAN_WAIT_SECONDS, html: true };
	if (status < 200 || status >= 300) return { kind: 'httpStatus', status, html };
	return { kind: 'unreadable', status, snippet: text.slice(0, SNIPPET_LENGTH) };
}

function parseJsonObject(text: string): IDataObject | undefined {
	try {
		const parsed: unknown = JSON.parse(text);
		return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as IDataObject) : undefined;
	} catch {
		return undefined;
	}
}

function headerValue(headers: IDataObject | undefined, name: string): unknown {
	if (!headers) return undefined;
	const key = Object.keys(headers).find((candidate) => candidate.toLowerCase() === name);
	return key === undefined ? undefined : headers[key];
}
