/** /gettoken for the credential (transport/tokenRequest.ts): the token, its expiry, and refusals. */
import {
	credentialRedactor,
	credentialTestRules,
	CredentialRejectedError,
	isTokenFresh,
	requestAccessToken,
	sharedTokenRequest,
	tokenFingerprint,
	tokenOf,
	TokenRequestError,
	usableToken,
} from '../../nodes/DingTalk/transport/tokenRequest';
import type { HttpGet } from '../../nodes/DingTalk/transport/tokenRequest';
import { rejection } from './fakes';

const NOW = 1_700_000_000_000;
const credentials = { baseUrl: 'https://dingtalk.invalid/', appKey: 'key-1', appSecret: 'secret-123456', accessToken: '' };

/** A /gettoken that answers `text` with `status`, and records what it was asked. */
function gettoken(text: string | Error, status = 200) {
	const asked: Array<{ url: string; query: Record<string, string>; timeoutMs: number }> = [];
	const get: HttpGet = async (url, query, timeoutMs) => {
		asked.push({ url, query, timeoutMs });
		if (text instanceof Error) throw text;
		return { status, text };
	};
	return { get, asked };
}

afterEach(() => jest.useRealTimers());

describe('requestAccessToken', () => {
	it('asks /gettoken with the key and secret in the query, and renews 5 minutes before the expiry', async () => {
		const { get, asked } = gettoken('{"errcode":0,"access_token":"tok-1","expires_in":7200}');
		expect(await requestAccessToken(get, credentials, () => NOW)).toEqual({
			accessToken: 'tok-1',
			accessTokenExpiresAt: NOW + 7_200_000 - 300_000,
			accessTokenFor: tokenFingerprint(credentials),
		});
		expect(asked).toEqual([{ url: 'https://dingtalk.invalid/gettoken', query: { appkey: 'key-1', appsecret: 'secret-123456' }, timeoutMs: 30_000 }]);
	});

	it('a short-lived token is renewed after three quarters of its life; an unknown lifetime is kept as unknown', async () => {
		expect(await requestAccessToken(gettoken('{"errcode":"0","access_token":"t","expires_in":"400"}').get, credentials, () => NOW)).toEqual({
			accessToken: 't',
			accessTokenExpiresAt: NOW + 300_000,
			accessTokenFor: tokenFingerprint(credentials),
		});
		for (const expires of ['', ',"expires_in":0', ',"expires_in":-5', ',"expires_in":"soon"']) {
			const { get } = gettoken(`{"errcode":0,"access_token":"t"${expires}}`);
			expect(await requestAccessToken(get, credentials, () => NOW)).toMatchObject({ accessToken: 't', accessTokenExpiresAt: '' });
		}
	});

	it('missing key and secret are sent empty; the default Base URL applies', async () => {
		const { get, asked } = gettoken('{"errcode":0,"access_token":"t"}');
		await requestAccessToken(get, { baseUrl: '' });
		expect(asked[0]).toMatchObject({ url: 'https://oapi.dingtalk.com/gettoken', query: { appkey: '', appsecret: '' } });
	});

	it('a network failure: retryable, and the message names only the reason (never the URL with the secret)', async () => {
		const failure = Object.assign(new Error('connect ECONNREFUSED https://dingtalk.invalid/gettoken?appsecret=secret-123456'), { code: 'ECONNREFUSED' });
		const error = await rejection(requestAccessToken(gettoken(failure).get, credentials));
		expect(error).toBeInstanceOf(TokenRequestError);
		expect(error.message).toBe('Could not get an access token from https://dingtalk.invalid: the connection was refused');
		expect(error.retryable).toBe(true);
	});

	it.each([
		[200, '<html>login</html>', false],
		[404, 'not found', false],
		[428, '', false],
		[429, 'slow down', true],
		[500, '', true],
		[503, '{"status":"unavailable"}', true],
		[200, '[1,2]', false],
		[200, 'null', false],
		[200, '{"errcode":null}', false],
	])('HTTP %i with %j: no DingTalk data, retryable: %s', async (status, text, retryable) => {
		const error = await rejection(requestAccessToken(gettoken(text, status).get, credentials));
		expect(error).toBeInstanceOf(TokenRequestError);
		expect(error.message).toBe(
			`https://dingtalk.invalid/gettoken answered with HTTP ${status} and no DingTalk data: check the Base URL in the DingTalk API credential`,
		);
		expect(error.retryable).toBe(retryable);
	});

	it.each([
		[-1, true],
		[90018, true],
		[90002, true],
		[90005, true],
	])('errcode %i: DingTalk busy or limiting, retryable', async (code, retryable) => {
		const error = await rejection(requestAccessToken(gettoken(`{"errcode":${code},"errmsg":"later"}`).get, credentials));
		expect(error).toBeInstanceOf(TokenRequestError);
		expect(error.retryable).toBe(retryable);
		expect(error.message).toMatch(new RegExp(`^DingTalk error ${code}: .* \\(getting an access token\\)\\. `));
	});

	it('a refused key or secret: CredentialRejectedError with the errcode, the meaning, what to do, and the errmsg redacted', async () => {
		const { get } = gettoken('{"errcode":40089,"errmsg":"invalid appsecret secret-123456"}');
		const error = await rejection(requestAccessToken(get, credentials));
		expect(error).toBeInstanceOf(CredentialRejectedError);
		expect(error.name).toBe('CredentialRejectedError');
		expect(error.message).toMatch(/^DingTalk error 40089: the App Key or App Secret is wrong \(getting an access token\)\. Open the DingTalk API credential/);
		expect(error).toMatchObject({ errcode: 40089, errmsg: 'invalid appsecret ***' });

		const silent = await rejection(requestAccessToken(gettoken('{"errcode":40096,"errmsg":7}').get, credentials));
		expect(silent).toMatchObject({ errcode: 40096, errmsg: '' });
	});

	it('errcode 0 without a token is no success', async () => {
		for (const body of ['{"errcode":0}', '{"errcode":0,"access_token":""}', '{"errcode":0,"access_token":5}']) {
			expect(await rejection(requestAccessToken(gettoken(body).get, credentials))).toBeInstanceOf(CredentialRejectedError);
		}
	});

	it('a Base URL that is not one is refused before anything is sent', async () => {
		const { get, asked } = gettoken('{}');
		expect((await rejection(requestAccessToken(get, { ...credentials, baseUrl: 'file:///etc' }))).name).toBe('InvalidBaseUrlError');
		expect(asked).toHaveLength(0);
	});
});

describe('the stored token', () => {
	it('tokenOf reads only a string', () => {
		expect(tokenOf({ accessToken: 'abc' })).toBe('abc');
		expect(tokenOf({ accessToken: 42 as never })).toBe('');
		expect(tokenOf({})).toBe('');
	});

	it('is fresh until its renewal time; an unknown expiry counts as fresh; no token is never fresh', () => {
		expect(isTokenFresh({ accessToken: 't', accessTokenExpiresAt: NOW + 1 }, NOW)).toBe(true);
		expect(isTokenFresh({ accessToken: 't', accessTokenExpiresAt: NOW }, NOW)).toBe(false);
		expect(isTokenFresh({ accessToken: 't', accessTokenExpiresAt: String(NOW - 1) }, NOW)).toBe(false);
		expect(isTokenFresh({ accessToken: 't', accessTokenExpiresAt: '' }, NOW)).toBe(true);
		expect(isTokenFresh({ accessToken: 't', accessTokenExpiresAt: 0 }, NOW)).toBe(true);
		expect(isTokenFresh({ accessToken: 't' }, NOW)).toBe(true);
		expect(isTokenFresh({ accessToken: '', accessTokenExpiresAt: NOW + 1 }, NOW)).toBe(false);
		expect(isTokenFresh({ accessToken: 't', accessTokenExpiresAt: Date.now() + 60_000 })).toBe(true);
		expect(isTokenFresh({ accessToken: 't', accessTokenExpiresAt: Date.now() - 60_000 })).toBe(false);
	});

	it('credentialRedactor hides the secret, the stored token and the tokens given', () => {
		const redactor = credentialRedactor({ appSecret: 'secret-123456', accessToken: 'stored-token' }, 'other-token');
		expect(redactor.text('secret-123456 stored-token other-token key')).toBe('*** *** *** key');
	});
});

describe('the settings a token was fetched with', () => {
	const app = { baseUrl: 'https://dingtalk.invalid', appKey: 'key-1', appSecret: 'secret-123456' };

	it('the fingerprint changes with the Base URL, the App Key and the App Secret, and never holds the secret', () => {
		const fingerprint = tokenFingerprint(app);
		expect(fingerprint).toMatch(/^v1:[0-9a-f]{64}$/);
		expect(fingerprint).not.toContain('secret-123456');
		// the Base URL as the node reads it: trailing slashes and spaces do not count
		expect(tokenFingerprint({ ...app, baseUrl: ' https://dingtalk.invalid// ' })).toBe(fingerprint);
		expect(tokenFingerprint({ ...app, baseUrl: '' })).toBe(tokenFingerprint({ ...app, baseUrl: 'https://oapi.dingtalk.com' }));
		for (const other of [{ baseUrl: 'https://oapi.dingtalk.io' }, { appKey: 'key-2' }, { appSecret: 'secret-654321' }]) {
			expect(tokenFingerprint({ ...app, ...other })).not.toBe(fingerprint);
		}
	});

	it('a saved token is usable only when fresh and fetched with the same settings; one without a fingerprint never', () => {
		const saved = { ...app, accessToken: 't', accessTokenExpiresAt: NOW + 1, accessTokenFor: tokenFingerprint(app) };
		expect(usableToken(saved, NOW)).toBe('t');
		expect(usableToken({ ...saved, accessTokenExpiresAt: NOW }, NOW)).toBe('');
		expect(usableToken({ ...saved, appSecret: 'changed' }, NOW)).toBe('');
		expect(usableToken({ ...saved, baseUrl: 'https://elsewhere.invalid' }, NOW)).toBe('');
		expect(usableToken({ ...saved, accessTokenFor: '' }, NOW)).toBe('');
		expect(usableToken({ ...app, accessToken: 't' }, NOW)).toBe('');
	});

	it('a token request answers with the fingerprint of the settings that asked', async () => {
		const fields = await requestAccessToken(gettoken('{"errcode":0,"access_token":"x","expires_in":7200}').get, app, () => NOW);
		expect(fields.accessTokenFor).toBe(tokenFingerprint(app));
	});
});

describe('sharedTokenRequest (requests that find the token stale at once)', () => {
	it('share one /gettoken per app while it is under way; the next one asks again', async () => {
		const app = { ...credentials, appKey: `key-${Math.random()}` };
		const first = gettoken('{"errcode":0,"access_token":"shared","expires_in":7200}');
		const tokens = await Promise.all([sharedTokenRequest(first.get, app), sharedTokenRequest(first.get, app)]);
		expect(tokens.map((fields) => fields.accessToken)).toEqual(['shared', 'shared']);
		expect(first.asked).toHaveLength(1);
		const other = gettoken('{"errcode":0,"access_token":"other","expires_in":7200}');
		expect((await sharedTokenRequest(other.get, { ...app, appSecret: 'another-secret' })).accessToken).toBe('other');
		const again = gettoken('{"errcode":0,"access_token":"again","expires_in":7200}');
		expect((await sharedTokenRequest(again.get, app)).accessToken).toBe('again');
	});

	it('a request that failed is tried again by the next one', async () => {
		const app = { ...credentials, appKey: `key-${Math.random()}` };
		await expect(sharedTokenRequest(gettoken(new Error('offline')).get, app)).rejects.toThrow(/Could not get an access token/);
		expect((await sharedTokenRequest(gettoken('{"errcode":0,"access_token":"later","expires_in":7200}').get, app)).accessToken).toBe('later');
	});
});

describe('credentialTestRules', () => {
	it('one rule per documented errcode and per sub_code of 88, with the meaning and what to do', () => {
		const rules = credentialTestRules();
		const byKey = (key: string, value: unknown) => rules.find((rule) => rule.properties.key === key && rule.properties.value === value);
		expect(byKey('errcode', 60011)?.properties.message).toMatch(
			/^DingTalk error 60011: the app lacks the permission for this call\. In the DingTalk developer console/,
		);
		expect(byKey('sub_code', '60011')?.properties.message).toMatch(/^DingTalk error 88 \(sub_code 60011\): the app lacks the permission/);
		expect(byKey('errcode', 88)?.properties.message).toMatch(/^DingTalk error 88: DingTalk refused the call for a reason it gives in sub_code\. Look at/);
		expect(byKey('sub_code', '88')).toBeUndefined();
		expect(byKey('errcode', -1)?.type).toBe('responseSuccessBody');
		expect(rules.at(-1)?.properties).toMatchObject({ key: 'errcode', value: 88 });
		expect(rules.filter((rule) => rule.properties.key === 'errcode')).toHaveLength(rules.filter((rule) => rule.properties.key === 'sub_code').length + 1);
		expect(rules.length).toBeGreaterThan(50);
	});
});
