import type { IDataObject, INode, JsonObject } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';

import type { Attempt } from './answer';
import { DEFAULT_BASE_URL } from './baseUrl';
import { networkReason } from './errorDetails';
import { describeErrcode, effectiveErrcode, readErrcode } from './errorCodes';

/**
 * The errors a person sees when a call fails for good: what happened and what to do. Every text
 * here is built from answers that were redacted when they were read (see answer.ts).
 */

const CHECK_BASE_URL = `Check the Base URL in the DingTalk API credential (${DEFAULT_BASE_URL}, or https://oapi.dingtalk.io for international tenants).`;

export interface FailureContext {
	node: INode;
	/** the Base URL and path called, for messages (never with the query string) */
	where: string;
	baseUrl: string;
	itemIndex?: number;
}

/** DingTalk's own fields of an answer, as kept in the error (and in Continue On Fail items). */
export function answerFields(body: IDataObject, withErrcode: boolean): JsonObject {
	const fields: JsonObject = {};
	const keys = withErrcode ? ['errcode', 'errmsg', 'sub_code', 'sub_msg', 'request_id'] : ['errmsg', 'sub_msg', 'request_id'];
	for (const key of keys) {
		const value = body[key];
		if (value !== undefined && value !== null && value !== '') fields[key] = value as string | number;
	}
	return fields;
}

const saidBy = (body: IDataObject) => {
	const said = [body.errmsg, body.sub_msg].filter((text) => typeof text === 'string' && text !== '') as string[];
	return said.length > 0 ? ` (DingTalk said: "${said.join('; ')}")` : '';
};

/** Failures after which the call may still have taken effect in DingTalk. */
const possiblyApplied = new WeakSet<Error>();

/** Whether the call that failed with `error` may still have reached DingTalk and taken effect. */
export function mayHaveTakenEffect(error: unknown): boolean {
	return error instanceof Error && possiblyApplied.has(error);
}

export function isPossiblyApplied(attempt: Attempt): boolean {
	switch (attempt.kind) {
		case 'network':
			return attempt.maybeDelivered;
		case 'httpStatus':
			return attempt.status >= 500;
		case 'noErrcode':
		case 'unreadable':
		case 'tooLarge':
			return true;
		default:
			return false;
	}
}

/**
 * The errcode that decides what a failed call means (errcode 88 by its sub_code), read from the
 * error a call threw; undefined when DingTalk gave none. Callers that tell "not found" or
 * "already exists" apart read this, never the raw errcode.
 */
export function failureErrcode(error: unknown): number | undefined {
	if (!(error instanceof NodeApiError)) return undefined;
	const response = (error.errorResponse ?? {}) as IDataObject;
	const errcode = readErrcode(response.errcode);
	return errcode === undefined ? undefined : effectiveErrcode(errcode, response.sub_code);
}

export function failureError(attempt: Attempt, context: FailureContext): NodeApiError {
	const error = describeFailure(attempt, context);
	if (isPossiblyApplied(attempt)) possiblyApplied.add(error);
	return error;
}

function describeFailure(attempt: Attempt, context: FailureContext): NodeApiError {
	const { node, where, itemIndex } = context;
	switch (attempt.kind) {
		case 'answer': {
			const sent = Number(attempt.body.errcode);
			const info = describeErrcode(attempt.errcode);
			const code = sent === attempt.errcode ? `${sent}` : `${sent} (sub_code ${attempt.errcode})`;
			return new NodeApiError(node, answerFields(attempt.body, true), {
				message: `DingTalk error ${code}: ${info.meaning}`,
				description: `${info.action}${saidBy(attempt.body)}`,
				itemIndex,
			});
		}
		case 'noErrcode':
			return new NodeApiError(node, answerFields(attempt.body, false), {
				message: "DingTalk's answer had no valid errcode",
				description: `${where} answered without a valid errcode, so the call is not taken as done. Check in DingTalk whether it took effect, and check the Base URL in the DingTalk API credential.${saidBy(attempt.body)}`,
				itemIndex,
			});
		case 'ban':
			return new NodeApiError(node, {}, {
				message: "DingTalk has temporarily blocked calls from this server's IP address",
				description: attempt.html
					? 'DingTalk answered with a web page instead of data, which is how it reports an IP ban after too many calls. Wait about 5 minutes, lower "Requests per Second" in the node options, and run the workflow again.'
					: `DingTalk asks to wait ${attempt.waitSeconds} seconds, longer than "Max Ban Wait (Seconds)" in the node options allows. Wait, lower "Requests per Second", and run the workflow again; or raise "Max Ban Wait (Seconds)".`,
				itemIndex,
			});
		case 'httpStatus':
			return new NodeApiError(node, {}, {
				message: `DingTalk answered with HTTP status ${attempt.status}`,
				description: httpStatusAdvice(attempt.status, where),
				httpCode: String(attempt.status),
				itemIndex,
			});
		case 'unreadable':
			return new NodeApiError(node, {}, {
				message: 'DingTalk answered with something that is not DingTalk data',
				description: `${CHECK_BASE_URL} ${where} answered with HTTP ${attempt.status}: "${attempt.snippet}"`,
				itemIndex,
			});
		case 'tooLarge':
			return new NodeApiError(node, {}, {
				message: `DingTalk's answer was larger than ${attempt.limitBytes / (1024 * 1024)} MB and was not read`,
				description: `No DingTalk answer is that large. ${CHECK_BASE_URL}`,
				itemIndex,
			});
		case 'network':
			return new NodeApiError(node, {}, {
				message: describeNetworkError(attempt.code, context.baseUrl),
				description: attempt.maybeDelivered
					? 'The request may have reached DingTalk, so it was not sent again (that could create a duplicate). Check in DingTalk whether it took effect before running this item again.'
					: 'Nothing reached DingTalk. Check the Base URL in the DingTalk API credential and that this n8n server can reach it.',
				itemIndex,
			});
		case 'tokenRequest':
			return new NodeApiError(node, {}, {
				message: attempt.message,
				description:
					'Only the access token request (/gettoken) was sent; nothing was sent for this item. Check the Base URL in the DingTalk API credential, then run the workflow again.',
				itemIndex,
			});
	}
}

function httpStatusAdvice(status: number, where: string): string {
	if (status >= 500) return `DingTalk (or a proxy in front of it at ${where}) had a problem. Run the workflow again later.`;
	if (status === 401 || status === 403) {
		return `DingTalk itself answers HTTP 200 even when it refuses a call, so this refusal came from something between n8n and DingTalk: a proxy or firewall that needs a login or blocks this server, or a Base URL that points elsewhere. ${CHECK_BASE_URL} Nothing was done in DingTalk.`;
	}
	return `${where} did not answer like DingTalk. ${CHECK_BASE_URL}`;
}

export function describeNetworkError(code: string, baseUrl: string): string {
	return `Could not reach ${baseUrl}: ${networkReason(code)}`;
}
