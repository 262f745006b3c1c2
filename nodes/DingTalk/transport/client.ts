import type {
	ICredentialDataDecryptedObject,
	IDataObject,
	IExecuteFunctions,
	IHttpRequestOptions,
	ILoadOptionsFunctions,
	IN8nHttpFullResponse,
	JsonObject,
} from 'n8n-workflow';
import { NodeApiError, sleep } from 'n8n-workflow';

import { AccessTokenKeeper, CREDENTIAL_TYPE, findCredentialRejection, tokenOf } from './accessToken';
import { describeErrcode, TOKEN_ERRCODES } from './errorCodes';
import { AdaptiveRateLimiter } from './rateLimiter';

export type DingTalkContext = IExecuteFunctions | ILoadOptionsFunctions;

/**
 * Whether a call may be sent again when it may already have reached DingTalk (a timeout, a
 * connection reset after sending, a 5xx from a gateway). Calls DingTalk rejected outright (busy,
 * rate limit, bad token) are always safe to send again.
 */
export interface RetryPolicy {
	repeatAfterPossibleDelivery: boolean;
}

/** Reads, updates and deletes: sending them twice leaves DingTalk as sending them once. */
export const SAFE_TO_REPEAT: RetryPolicy = { repeatAfterPossibleDelivery: true };
/** Creates: a second delivery would make a second contact. */
export const NOT_SAFE_TO_REPEAT: RetryPolicy = { repeatAfterPossibleDelivery: false };

export interface ClientOptions {
	requestsPerSecond: number;
	maxRetries: number;
	maxBanWaitSeconds: number;
	timeoutSeconds: number;
}

export const DEFAULT_CLIENT_OPTIONS: ClientOptions = {
	requestsPerSecond: 20,
	maxRetries: 3,
	maxBanWaitSeconds: 30,
	timeoutSeconds: 30,
};

/** DingTalk's answer to a successful call. */
export interface DingTalkAnswer extends IDataObject {
	errcode: number;
}

/** What one attempt came to. */
type Attempt =
	| { kind: 'answer'; body: IDataObject; status: number }
	| { kind: 'ban'; waitSeconds: number; html: boolean }
	| { kind: 'httpStatus'; status: number; retryAfterMs?: number }
	| { kind: 'unreadable'; status: number; snippet: string }
	| { kind: 'network'; code: string; maybeDelivered: boolean };

/** Network errors that happen before a single byte of the request left. */
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

/** An HTML page instead of JSON is how DingTalk's gateway shows an IP ban; it names no wait. */
const HTML_BAN_WAIT_SECONDS = 5;

/**
 * Rate-limit answers (90018, 90002, 429) are refusals, not failures: the call did nothing and the
 * limiter is slowing down, so they get their own, larger allowance of retries.
 */
const MIN_THROTTLE_RETRIES = 10;

const BACKOFF_BASE_MS = 500;
const BACKOFF_CAP_MS = 8000;

export function normalizeBaseUrl(baseUrl: unknown): string {
	const text = typeof baseUrl === 'string' && baseUrl.trim() ? baseUrl.trim() : 'https://oapi.dingtalk.com';
	return text.replace(/\/+$/, '');
}

/**
 * Sends DingTalk calls for one node run: owns the access token, the rate limit, retries and the
 * translation of DingTalk's answers into errors a person can act on.
 */
export class DingTalkClient {
	/** DingTalk's quota is per app and per API, so each path gets its own limiter. */
	private readonly limiters = new Map<string, AdaptiveRateLimiter>();
	private readonly tokens: AccessTokenKeeper;
	private baseUrl?: string;
	/** calls made, and answers that asked us to slow down; read by benchmarks and tests */
	readonly stats = { calls: 0, throttled: 0, retries: 0, tokenRefreshes: 0 };

	constructor(
		private readonly context: DingTalkContext,
		private readonly options: ClientOptions = DEFAULT_CLIENT_OPTIONS,
	) {
		this.tokens = new AccessTokenKeeper(async () => {
			const credentials = await context.getCredentials<ICredentialDataDecryptedObject>(CREDENTIAL_TYPE);
			this.baseUrl = normalizeBaseUrl(credentials.baseUrl);
			return credentials;
		});
	}

	/**
	 * POSTs `params` to `path` (form encoded, objects as JSON strings, as DingTalk documents) and
	 * returns DingTalk's answer once it says errcode 0. Throws a NodeApiError otherwise.
	 */
	async call(
		path: string,
		params: IDataObject,
		policy: RetryPolicy,
		itemIndex?: number,
	): Promise<DingTalkAnswer> {
		const body = encodeForm(params);
		const limiter = this.limiterFor(path);
		const { maxRetries } = this.options;
		const retriesLeft = { throttle: maxRetries > 0 ? Math.max(MIN_THROTTLE_RETRIES, maxRetries) : 0, other: maxRetries };
		let tokenRefreshed = false;
		// every pass either returns, throws, or spends a retry or the one token refresh
		for (;;) {
			const { result: attempt, token } = await this.send(path, body, limiter, itemIndex);
			const retryWait = this.decide(attempt, policy, limiter, maxRetries - retriesLeft.other);

			if (retryWait === 'success' && attempt.kind === 'answer') {
				limiter.onSuccess();
				return attempt.body as DingTalkAnswer;
			}
			if (retryWait === 'refreshToken' && !tokenRefreshed) {
				tokenRefreshed = true;
				this.stats.tokenRefreshes++;
				this.tokens.invalidate(token);
				continue;
			}
			const budget = isThrottle(attempt) ? 'throttle' : 'other';
			if (typeof retryWait === 'number' && retriesLeft[budget] > 0) {
				retriesLeft[budget]--;
				this.stats.retries++;
				await sleep(retryWait);
				continue;
			}
			throw this.failure(attempt, path, itemIndex);
		}
	}

	private limiterFor(path: string): AdaptiveRateLimiter {
		let limiter = this.limiters.get(path);
		if (!limiter) {
			limiter = new AdaptiveRateLimiter(this.options.requestsPerSecond);
			this.limiters.set(path, limiter);
		}
		return limiter;
	}

	/**
	 * 'success', 'refreshToken', a wait in ms before retrying, or 'fail'.
	 * Also tells the limiter about rate-limit answers and bans.
	 */
	private decide(
		attempt: Attempt,
		policy: RetryPolicy,
		limiter: AdaptiveRateLimiter,
		retryNumber: number,
	): 'success' | 'refreshToken' | 'fail' | number {
		switch (attempt.kind) {
			case 'answer': {
				const errcode = effectiveErrcode(attempt.body);
				if (errcode === 0) return 'success';
				const handling = describeErrcode(errcode).handling;
				if (handling === 'throttle') {
					this.stats.throttled++;
					limiter.onThrottled();
					return backoff(0, 1000);
				}
				if (handling === 'retry') return backoff(retryNumber);
				return handling;
			}
			case 'ban': {
				const waitSeconds = attempt.waitSeconds;
				if (waitSeconds > this.options.maxBanWaitSeconds) return 'fail';
				// an IP ban stops every API, not just this one
				for (const each of this.limiters.values()) each.pauseFor(waitSeconds * 1000);
				return waitSeconds * 1000;
			}
			case 'httpStatus':
				if (attempt.status === 429) {
					this.stats.throttled++;
					limiter.onThrottled();
					return attempt.retryAfterMs ?? backoff(0, 1000);
				}
				// a 5xx may come from a gateway after DingTalk did the work
				if (attempt.status >= 500 && policy.repeatAfterPossibleDelivery) return backoff(retryNumber);
				return 'fail';
			case 'network':
				if (!attempt.maybeDelivered || policy.repeatAfterPossibleDelivery) return backoff(retryNumber);
				return 'fail';
			case 'unreadable':
				return 'fail';
		}
	}

	/** One attempt. Resolves for every outcome; throws only when DingTalk refuses the app's key. */
	private async send(
		path: string,
		body: string,
		limiter: AdaptiveRateLimiter,
		itemIndex: number | undefined,
	): Promise<{ result: Attempt; token: string }> {
		return await this.tokens.withCredentials(async (credentials) => {
			// the slot is taken once a token is in hand, so calls that waited for it do not bunch up
			await limiter.acquire();
			this.stats.calls++;
			const request: IHttpRequestOptions = {
				method: 'POST',
				url: `${this.baseUrl ?? normalizeBaseUrl(credentials.baseUrl)}${path}`,
				headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
				body,
				encoding: 'text',
				returnFullResponse: true,
				ignoreHttpStatusErrors: true,
				timeout: this.options.timeoutSeconds * 1000,
			};
			const token = tokenOf(credentials);
			let response: IN8nHttpFullResponse;
			try {
				response = (
					token
						? // the token in hand goes where the credential's authenticate puts it, sparing n8n
							// from resolving that expression on each of thousands of calls
							await this.context.helpers.httpRequest({ ...request, qs: { access_token: token } })
						: // no token: n8n runs the credential's preAuthentication, which fetches and saves one;
							// handing n8n the credential data ourselves is what lets the keeper force that
							await this.context.helpers.httpRequestWithAuthentication.call(this.context, CREDENTIAL_TYPE, request, {
								credentialsDecrypted: { id: '', name: '', type: CREDENTIAL_TYPE, data: credentials },
							})
				) as IN8nHttpFullResponse;
			} catch (error) {
				const rejection = findCredentialRejection(error);
				if (rejection) {
					throw new NodeApiError(
						this.context.getNode(),
						{ errcode: rejection.errcode, errmsg: rejection.errmsg },
						{ message: rejection.message, description: describeErrcode(rejection.errcode).action, itemIndex },
					);
				}
				return { kind: 'network', ...networkErrorOf(error) } as Attempt;
			}
			return readResponse(response);
		});
	}

	/** The error a person sees. Never includes the token or the app secret. */
	private failure(attempt: Attempt, path: string, itemIndex: number | undefined): NodeApiError {
		const node = this.context.getNode();
		const where = `${this.baseUrl ?? 'DingTalk'}${path}`;
		switch (attempt.kind) {
			case 'answer': {
				const errcode = effectiveErrcode(attempt.body);
				const info = describeErrcode(errcode);
				const errmsg = String(attempt.body.sub_msg ?? attempt.body.errmsg ?? '');
				const response: JsonObject = { errcode, errmsg };
				if (attempt.body.request_id !== undefined) response.request_id = attempt.body.request_id as string;
				return new NodeApiError(node, response, {
					message: `DingTalk error ${errcode}: ${info.meaning}`,
					description: `${info.action}${errmsg ? ` (DingTalk said: "${errmsg}")` : ''}`,
					itemIndex,
				});
			}
			case 'ban':
				return new NodeApiError(node, {}, {
					message: `DingTalk has temporarily blocked calls from this server's IP address`,
					description: attempt.html
						? `DingTalk answered with a web page instead of data, which is how it reports an IP ban after too many calls. Wait about 5 minutes, lower "Requests per Second" in the node options, and run the workflow again.`
						: `DingTalk asks to wait ${attempt.waitSeconds} seconds, longer than "Max Ban Wait (Seconds)" in the node options allows. Wait, lower "Requests per Second", and run the workflow again; or raise "Max Ban Wait (Seconds)".`,
					itemIndex,
				});
			case 'httpStatus':
				return new NodeApiError(node, {}, {
					message: `DingTalk answered with HTTP status ${attempt.status}`,
					description:
						attempt.status >= 500
							? `DingTalk (or a proxy in front of it at ${where}) had a problem. Run the workflow again later.`
							: `Check the Base URL in the DingTalk API credential: ${where} did not answer like DingTalk.`,
					httpCode: String(attempt.status),
					itemIndex,
				});
			case 'unreadable':
				return new NodeApiError(node, {}, {
					message: 'DingTalk answered with something that is not DingTalk data',
					description: `Check the Base URL in the DingTalk API credential (it should be https://oapi.dingtalk.com, or https://oapi.dingtalk.io for international tenants). ${where} answered with HTTP ${attempt.status}: "${attempt.snippet}"`,
					itemIndex,
				});
			case 'network':
				return new NodeApiError(node, {}, {
					message: describeNetworkError(attempt.code, this.baseUrl),
					description: attempt.maybeDelivered
						? 'The request may have reached DingTalk, so it was not sent again (that could create a duplicate). Check in DingTalk whether it took effect before running this item again.'
						: 'Check the Base URL in the DingTalk API credential and that this n8n server can reach it.',
					itemIndex,
				});
		}
	}
}

function isThrottle(attempt: Attempt): boolean {
	if (attempt.kind === 'httpStatus') return attempt.status === 429;
	return attempt.kind === 'answer' && describeErrcode(effectiveErrcode(attempt.body)).handling === 'throttle';
}

/** errcode 88 carries the real reason in sub_code. */
function effectiveErrcode(body: IDataObject): number {
	const errcode = Number(body.errcode);
	if (errcode === 88 && body.sub_code !== undefined) {
		const subCode = Number(body.sub_code);
		if (Number.isInteger(subCode) && TOKEN_ERRCODES.includes(subCode)) return subCode;
	}
	return errcode;
}

/** Exponential back-off with jitter: half to all of base × 2^n, capped. */
function backoff(retryNumber: number, minimumMs = 0): number {
	const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.min(retryNumber, 10));
	return Math.max(minimumMs, Math.round(ceiling * (0.5 + Math.random() * 0.5)));
}

/** DingTalk's documented form: `key=value` pairs, objects and arrays as JSON strings. */
export function encodeForm(params: IDataObject): string {
	const form = new URLSearchParams();
	for (const [key, value] of Object.entries(params)) {
		if (value === undefined) continue;
		form.append(key, typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value));
	}
	return form.toString();
}

function readResponse(response: IN8nHttpFullResponse): Attempt {
	const status = response.statusCode;
	const text = typeof response.body === 'string' ? response.body : String(response.body ?? '');
	let parsed: unknown;
	try {
		parsed = JSON.parse(text);
	} catch {
		parsed = undefined;
	}
	if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
		const body = parsed as IDataObject;
		if (body.errcode !== undefined && !Number.isNaN(Number(body.errcode))) {
			return { kind: 'answer', body: { ...body, errcode: Number(body.errcode) }, status };
		}
		if (body.status === 1111 || body.punish !== undefined) {
			const wait = Number(body.wait);
			return { kind: 'ban', waitSeconds: Number.isFinite(wait) && wait > 0 ? wait : HTML_BAN_WAIT_SECONDS, html: false };
		}
	}
	if (status === 429 || status >= 500) {
		const retryAfter = Number(headerValue(response.headers, 'retry-after'));
		return {
			kind: 'httpStatus',
			status,
			retryAfterMs: Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(retryAfter, 60) * 1000 : undefined,
		};
	}
	if (/^\s*</.test(text)) return { kind: 'ban', waitSeconds: HTML_BAN_WAIT_SECONDS, html: true };
	if (status >= 300) return { kind: 'httpStatus', status };
	return { kind: 'unreadable', status, snippet: text.slice(0, 120) };
}

function headerValue(headers: IDataObject | undefined, name: string): unknown {
	if (!headers) return undefined;
	const key = Object.keys(headers).find((candidate) => candidate.toLowerCase() === name);
	return key === undefined ? undefined : headers[key];
}

/** The network error's code, without the request (whose URL holds the access token). */
function networkErrorOf(error: unknown): { code: string; maybeDelivered: boolean } {
	let code = 'UNKNOWN';
	for (let candidate = error, depth = 0; candidate && depth < 4; depth++) {
		const candidateCode = (candidate as { code?: unknown }).code;
		if (typeof candidateCode === 'string' && /^[A-Z_]+$/.test(candidateCode)) {
			code = candidateCode;
			break;
		}
		candidate = (candidate as { cause?: unknown }).cause;
	}
	return { code, maybeDelivered: !NOT_DELIVERED_CODES.has(code) };
}

function describeNetworkError(code: string, baseUrl: string | undefined): string {
	const host = baseUrl ?? 'DingTalk';
	switch (code) {
		case 'ECONNREFUSED':
			return `Could not connect to ${host}: the connection was refused`;
		case 'ENOTFOUND':
		case 'EAI_AGAIN':
			return `Could not find the server ${host}: check the Base URL in the DingTalk API credential`;
		case 'ECONNABORTED':
		case 'ETIMEDOUT':
			return `${host} did not answer in time`;
		case 'ECONNRESET':
		case 'EPIPE':
			return `The connection to ${host} broke off`;
		default:
			return `Could not reach ${host} (${code})`;
	}
}
