import { createHash } from 'crypto';
import type { IAuthenticateRuleResponseSuccessBody, ICredentialDataDecryptedObject, IDataObject } from 'n8n-workflow';

import { checkedBaseUrl, normalizeBaseUrl } from './baseUrl';
import { errorCode, networkReason, rememberError } from './errorDetails';
import { describeErrcode, ERRCODES, readErrcode } from './errorCodes';
import { Redactor } from './redact';

/**
 * GET {baseUrl}/gettoken, for the credential. Kept free of the node's transport (only the Base
 * URL, error codes and redaction come along), so the credential does not load the node's client.
 */

export const CREDENTIAL_TYPE = 'dingTalkApi';

/** A token is renewed this long before DingTalk's stated expiry (or a quarter of its lifetime). */
const RENEW_BEFORE_MS = 5 * 60 * 1000;
const TOKEN_REQUEST_TIMEOUT_MS = 30_000;

/** What preAuthentication stores in the credential. */
export interface TokenFields {
	accessToken: string;
	/** when DingTalk said the token expires, in ms since 1970, or '' when unknown */
	accessTokenExpiresAt: number | '';
	/** the settings that fetched the token (tokenFingerprint): it is sent only with the same ones */
	accessTokenFor: string;
}

/** Thrown when DingTalk refuses the app key or secret: retrying cannot help. */
export class CredentialRejectedError extends Error {
	constructor(
		message: string,
		readonly errcode: number,
		readonly errmsg: string,
	) {
		super(message);
		this.name = 'CredentialRejectedError';
		rememberError(this);
	}
}

/** Thrown when no token could be had for another reason; nothing but /gettoken was sent. */
export class TokenRequestError extends Error {
	constructor(
		message: string,
		/** a network failure or DingTalk busy: another try may work */
		readonly retryable: boolean,
	) {
		super(message);
		this.name = 'TokenRequestError';
		rememberError(this);
	}
}

export function tokenOf(credentials: ICredentialDataDecryptedObject): string {
	return typeof credentials.accessToken === 'string' ? credentials.accessToken : '';
}

/**
 * Which app and host a token belongs to: a hash of the Base URL, App Key and App Secret (the secret
 * never leaves the hash). n8n keeps hidden fields when a person edits the credential, so a token
 * saved for one app would otherwise go to another host, or act as the old app.
 */
export function tokenFingerprint(credentials: ICredentialDataDecryptedObject): string {
	const settings = [normalizeBaseUrl(credentials.baseUrl), String(credentials.appKey ?? ''), String(credentials.appSecret ?? '')];
	return `v1:${createHash('sha256').update(JSON.stringify(settings)).digest('hex')}`;
}

/**
 * The saved token when it may be sent with these settings: fresh, and fetched with them. A token
 * without a fingerprint (saved by an older version) may belong to another app: it is not used.
 */
export function usableToken(credentials: ICredentialDataDecryptedObject, now = Date.now()): string {
	if (!isTokenFresh(credentials, now) || credentials.accessTokenFor !== tokenFingerprint(credentials)) return '';
	return tokenOf(credentials);
}

/** Whether the stored token has not reached its renewal time (unknown expiry counts as fresh). */
export function isTokenFresh(credentials: ICredentialDataDecryptedObject, now = Date.now()): boolean {
	if (!tokenOf(credentials)) return false;
	const expiresAt = Number(credentials.accessTokenExpiresAt);
	return !(expiresAt > 0) || now < expiresAt;
}

/** Secrets of one credential, for redacting whatever quotes them. */
export function credentialRedactor(credentials: ICredentialDataDecryptedObject, ...tokens: string[]): Redactor {
	return new Redactor([credentials.appSecret, tokenOf(credentials), ...tokens]);
}

/** How /gettoken is sent: n8n's helper in preAuthentication, plain fetch in authenticate. */
export type HttpGet = (
	url: string,
	query: Record<string, string>,
	timeoutMs: number,
) => Promise<{ status: number; text: string }>;

/** Asks DingTalk for a token; throws CredentialRejectedError or TokenRequestError, redacted. */
export async function requestAccessToken(
	get: HttpGet,
	credentials: ICredentialDataDecryptedObject,
	now: () => number = Date.now,
): Promise<TokenFields> {
	const baseUrl = checkedBaseUrl(credentials.baseUrl);
	const redactor = credentialRedactor(credentials);
	const answer = await get(
		`${baseUrl}/gettoken`,
		{ appkey: String(credentials.appKey ?? ''), appsecret: String(credentials.appSecret ?? '') },
		TOKEN_REQUEST_TIMEOUT_MS,
		// the failed request's URL holds the app secret: pass on only what went wrong
	).catch((error: unknown) => ({ failure: networkReason(errorCode(error)) }));
	if ('failure' in answer) throw new TokenRequestError(`Could not get an access token from ${baseUrl}: ${answer.failure}`, true);
	let body: IDataObject | undefined;
	try {
		body = JSON.parse(answer.text) as IDataObject;
	} catch {
		body = undefined;
	}
	const errcode = body && typeof body === 'object' ? readErrcode(body.errcode) : undefined;
	if (errcode === undefined || !body) {
		throw new TokenRequestError(
			`${baseUrl}/gettoken answered with HTTP ${answer.status} and no DingTalk data: check the Base URL in the DingTalk API credential`,
			answer.status === 429 || answer.status >= 500,
		);
	}
	if (errcode === 0 && typeof body.access_token === 'string' && body.access_token) {
		const lifetimeMs = Number(body.expires_in) * 1000;
		return {
			accessToken: body.access_token,
			accessTokenExpiresAt:
				lifetimeMs > 0 ? now() + lifetimeMs - Math.min(RENEW_BEFORE_MS, lifetimeMs / 4) : '',
			accessTokenFor: tokenFingerprint(credentials),
		};
	}
	const errmsg = redactor.text(typeof body.errmsg === 'string' ? body.errmsg : '');
	const info = describeErrcode(errcode);
	const message = `DingTalk error ${errcode}: ${info.meaning} (getting an access token). ${info.action}`;
	if (info.handling === 'retry' || info.handling === 'throttle') throw new TokenRequestError(message, true);
	throw new CredentialRejectedError(message, errcode, errmsg);
}

/**
 * Token requests under way per app, in this process: requests that all find the saved token stale
 * (n8n's HTTP Request node starts every item at once) share one /gettoken.
 */
const tokenRequests = new Map<string, Promise<TokenFields>>();

/** requestAccessToken, shared with any request for the same app already under way. */
export async function sharedTokenRequest(get: HttpGet, credentials: ICredentialDataDecryptedObject): Promise<TokenFields> {
	const key = tokenFingerprint(credentials);
	let request = tokenRequests.get(key);
	if (!request) {
		request = requestAccessToken(get, credentials).finally(() => tokenRequests.delete(key));
		tokenRequests.set(key, request);
	}
	return await request;
}

/**
 * Marks a request whose only job is to get a token through n8n (which runs preAuthentication and
 * saves what it returns): the credential's authenticate stops it before anything is sent. A
 * registered symbol, so it is the same for every copy of this module.
 */
export const TOKEN_ONLY = Symbol.for('n8n-nodes-dingtalk-contacts.tokenOnly');

/** Thrown by authenticate for a TOKEN_ONLY request: the token is in the credential, nothing was sent. */
export class TokenInHand extends Error {
	constructor() {
		super('The DingTalk access token is in hand; nothing else is sent');
		this.name = 'TokenInHand';
		rememberError(this);
	}
}

/**
 * Thrown by authenticate when the saved token must not be sent (past its renewal time, or fetched
 * for other settings). It looks like HTTP 401 to n8n, which then runs preAuthentication anew,
 * saves the new token and authenticates again: the renewal goes through n8n's own HTTP helpers
 * (its proxy settings included). Nothing was sent.
 */
export class StoredTokenUnusableError extends Error {
	readonly response = { status: 401 };

	readonly httpCode = '401';

	constructor() {
		super('The saved DingTalk access token is past its renewal time or was fetched with other credential settings; a new one is needed');
		this.name = 'StoredTokenUnusableError';
	}
}

type TestRule = IAuthenticateRuleResponseSuccessBody;

/**
 * The credential test fails on every errcode DingTalk documents, with its meaning and what to do
 * (errcode 88 by its sub_code). n8n's rules match one value each, so there is one rule a code.
 */
export function credentialTestRules(): TestRule[] {
	const rule = (key: string, value: number | string, code: number): TestRule => {
		const info = describeErrcode(code);
		const prefix = key === 'errcode' ? `DingTalk error ${code}` : `DingTalk error 88 (sub_code ${code})`;
		return { type: 'responseSuccessBody', properties: { key, value, message: `${prefix}: ${info.meaning}. ${info.action}` } };
	};
	const codes = Object.keys(ERRCODES).map(Number);
	return [
		...codes.filter((code) => code !== 88).flatMap((code) => [rule('sub_code', String(code), code), rule('errcode', code, code)]),
		rule('errcode', 88, 88),
	];
}
