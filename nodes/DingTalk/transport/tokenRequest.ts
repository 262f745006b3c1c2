import type { IAuthenticateRuleResponseSuccessBody, ICredentialDataDecryptedObject, IDataObject } from 'n8n-workflow';

import { checkedBaseUrl } from './baseUrl';
import { errorCode, networkReason } from './errorDetails';
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
	}
}

export function tokenOf(credentials: ICredentialDataDecryptedObject): string {
	return typeof credentials.accessToken === 'string' ? credentials.accessToken : '';
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
		};
	}
	const errmsg = redactor.text(typeof body.errmsg === 'string' ? body.errmsg : '');
	const info = describeErrcode(errcode);
	const message = `DingTalk error ${errcode}: ${info.meaning} (getting an access token). ${info.action}`;
	if (info.handling === 'retry' || info.handling === 'throttle') throw new TokenRequestError(message, true);
	throw new CredentialRejectedError(message, errcode, errmsg);
}

/**
 * Tokens fetched by `authenticate` (n8n's HTTP Request node path), per app in this process, so
 * that an expired stored token costs one /gettoken per app, not one per request.
 */
const renewedTokens = new Map<string, { secret: unknown; fields: Promise<TokenFields> }>();

/** A token that is fresh by its stated expiry: the stored one, or one fetched now with `get`. */
export async function freshToken(credentials: ICredentialDataDecryptedObject, get: HttpGet): Promise<string> {
	if (isTokenFresh(credentials)) return tokenOf(credentials);
	const key = `${String(credentials.baseUrl)}\n${String(credentials.appKey)}`;
	const cached = renewedTokens.get(key);
	if (cached && cached.secret === credentials.appSecret) {
		const fields = await cached.fields.catch(() => undefined);
		if (fields && isTokenFresh({ ...fields })) return fields.accessToken;
	}
	const fields = requestAccessToken(get, credentials);
	renewedTokens.set(key, { secret: credentials.appSecret, fields });
	return (await fields).accessToken;
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
