/**
 * The access token: fetched once per run, kept in the credential for later runs, renewed once when
 * DingTalk reports it bad; a wrong key or secret explained; secrets never in output, errors or logs.
 */
import type { IDataObject } from 'n8n-workflow';

import { DingTalkApi } from '../credentials/DingTalkApi.credentials';
import { tokenFingerprint } from '../nodes/DingTalk/transport/tokenRequest';
import { testCredential } from './harness';
import type { RunResult } from './support';
import { callsTo, CREDENTIAL_ID, credentialStoreFor, runDingTalk, SEED, UPDATE_FROM_JSON, useSandbox } from './support';

const UPDATE = '/topapi/extcontact/update';

const env = useSandbox();

const rows = (count: number): IDataObject[] =>
	Array.from({ length: count }, (_, index) => ({
		id: (SEED.contactIds as string[])[index % 5],
		name: `Row ${index}`,
		owner: (SEED.userIds as string[])[0],
		labels: String((SEED.labelIds as number[])[0]),
	}));

const storedToken = () => env.store.get(CREDENTIAL_ID).data.accessToken as string;

/** Everything a person or a log could see of a run. */
function visibleText(result: RunResult): string {
	return JSON.stringify({
		items: result.items.map((item) => item.json),
		error: result.error && {
			message: result.error.message,
			description: result.error.description,
			context: result.error.context,
			errorResponse: result.error.errorResponse,
			cause: String(result.error.cause ?? ''),
			stack: result.error.stack,
		},
		logs: result.logs,
	});
}

describe('one token per run, kept for later runs', () => {
	it('a run of 50 items asks for a token once, and stores it in the credential', async () => {
		const result = await runDingTalk({ store: env.store, parameters: UPDATE_FROM_JSON, items: rows(50) });
		expect(result.error).toBeUndefined();
		expect(callsTo(env.sandbox, '/gettoken')).toHaveLength(1);
		expect(callsTo(env.sandbox, UPDATE)).toHaveLength(50);
		const token = storedToken();
		expect(token).toBeTruthy();
		expect(callsTo(env.sandbox, UPDATE).every((call) => call.query.access_token === token)).toBe(true);
	});

	it('a later run reuses the stored token and asks for none', async () => {
		await runDingTalk({ store: env.store, parameters: UPDATE_FROM_JSON, items: rows(3) });
		env.sandbox.resetLog();
		const second = await runDingTalk({ store: env.store, parameters: UPDATE_FROM_JSON, items: rows(3) });
		expect(second.error).toBeUndefined();
		expect(callsTo(env.sandbox, '/gettoken')).toHaveLength(0);
		expect(callsTo(env.sandbox, UPDATE)).toHaveLength(3);
	});

	it('gettoken is asked with the key and secret in the query string', async () => {
		await runDingTalk({ store: env.store, parameters: UPDATE_FROM_JSON, items: rows(1) });
		const [tokenCall] = callsTo(env.sandbox, '/gettoken');
		expect(tokenCall.method).toBe('GET');
		expect(tokenCall.query).toMatchObject({ appkey: env.sandbox.appKey, appsecret: env.sandbox.appSecret });
	});
});

describe('renewal', () => {
	it('a token that expires mid-run is renewed once, and every item still succeeds', async () => {
		env.sandbox.set({ tokenExpiresAfterCalls: 10 });
		const result = await runDingTalk({ store: env.store, parameters: UPDATE_FROM_JSON, items: rows(25) });
		expect(result.error).toBeUndefined();
		expect(result.items.every((item) => item.json.errcode === 0)).toBe(true);
		// 25 items, a token for 10 calls: the first token, then renewals after calls 10 and 20
		const tokenCalls = callsTo(env.sandbox, '/gettoken');
		expect(tokenCalls.length).toBe(3);
		const applied = callsTo(env.sandbox, UPDATE).filter((call) => call.applied);
		expect(applied).toHaveLength(25);
	});

	it('a stored token that DingTalk no longer accepts is replaced, and the new one stored', async () => {
		const settings = { baseUrl: env.sandbox.url, appKey: env.sandbox.appKey, appSecret: env.sandbox.appSecret };
		env.store = credentialStoreFor(env.sandbox, { accessToken: 'stale-token-from-last-week', accessTokenFor: tokenFingerprint(settings) });
		const result = await runDingTalk({ store: env.store, parameters: UPDATE_FROM_JSON, items: rows(5) });
		expect(result.error).toBeUndefined();
		expect(callsTo(env.sandbox, '/gettoken')).toHaveLength(1);
		expect(storedToken()).not.toBe('stale-token-from-last-week');
		// five calls failed with the stale token (they went out at once), five succeeded
		const rejected = callsTo(env.sandbox, UPDATE).filter((call) => !call.applied);
		expect(rejected.length).toBeGreaterThanOrEqual(1);
		expect(rejected.length).toBeLessThanOrEqual(5);
		expect(callsTo(env.sandbox, UPDATE).filter((call) => call.applied)).toHaveLength(5);
	});

	it('errcode 88 with a token sub_code is treated as a token error', async () => {
		env.sandbox.script(UPDATE, [{ errcode: 88, errmsg: 'auth failed', sub_code: '40014', sub_msg: 'invalid token' }]);
		const result = await runDingTalk({ store: env.store, parameters: UPDATE_FROM_JSON, items: rows(1) });
		expect(result.error).toBeUndefined();
		expect(callsTo(env.sandbox, '/gettoken')).toHaveLength(2);
		expect(callsTo(env.sandbox, UPDATE)).toHaveLength(2);
	});

	it('a call is repeated once after a renewal, not forever', async () => {
		env.sandbox.script(
			UPDATE,
			Array.from({ length: 4 }, () => ({ errcode: 42001, errmsg: 'expired' })),
		);
		const result = await runDingTalk({ store: env.store, parameters: UPDATE_FROM_JSON, items: rows(1) });
		expect(result.error?.message).toBe('DingTalk error 42001: the access token has expired');
		expect(callsTo(env.sandbox, UPDATE)).toHaveLength(2);
	});
});

describe('wrong app key or secret', () => {
	it('fails every item with a message that says so, asking for a token once', async () => {
		env.store = credentialStoreFor(env.sandbox, { appSecret: 'not-the-secret-0123456789' });
		const result = await runDingTalk({ store: env.store, parameters: UPDATE_FROM_JSON, items: rows(20), continueOnFail: true });
		expect(result.items).toHaveLength(20);
		for (const item of result.items) {
			expect(item.json.error).toMatch(/^DingTalk error 400(89|96): the App Key or App Secret is wrong/);
		}
		expect(callsTo(env.sandbox, '/gettoken')).toHaveLength(1);
		expect(callsTo(env.sandbox, UPDATE)).toHaveLength(0);
		expect(visibleText(result)).not.toContain('not-the-secret-0123456789');
	});

	it('the credential test fails with the reason and without the secret', async () => {
		const badSecret = 'wrong-secret-abcdef';
		const failing = await testCredential(DingTalkApi, {
			baseUrl: env.sandbox.url,
			appKey: env.sandbox.appKey,
			appSecret: badSecret,
			accessToken: '',
		});
		expect(failing.status).toBe('Error');
		expect(failing.message).toMatch(/App Key or App Secret is wrong/);
		expect(failing.message).not.toContain(badSecret);

		const passing = await testCredential(DingTalkApi, {
			baseUrl: env.sandbox.url,
			appKey: env.sandbox.appKey,
			appSecret: env.sandbox.appSecret,
			accessToken: '',
		});
		expect(passing.status).toBe('OK');
	});
});

describe('secrets stay secret', () => {
	it('no output item, error or log line holds the app secret or the token', async () => {
		env.sandbox.set({ tokenExpiresAfterCalls: 3 });
		const items = [...rows(4), { id: 'missing', name: 'x', owner: (SEED.userIds as string[])[0], labels: '1' }];
		const withErrors = await runDingTalk({ store: env.store, parameters: UPDATE_FROM_JSON, items, continueOnFail: true });
		const failing = await runDingTalk({ store: env.store, parameters: UPDATE_FROM_JSON, items: items.slice(4) });
		const offline = await runDingTalk({
			store: credentialStoreFor(env.sandbox, { baseUrl: 'http://127.0.0.1:9' }),
			parameters: { ...UPDATE_FROM_JSON, options: { maxRetries: 0 } },
			items: rows(1),
		});
		const tokens = callsTo(env.sandbox, '/gettoken').map(
			(call) => (call.response as IDataObject).access_token as string,
		);
		expect(tokens.length).toBeGreaterThan(1);
		for (const result of [withErrors, failing, offline]) {
			const text = visibleText(result);
			expect(text).not.toContain(env.sandbox.appSecret);
			for (const token of tokens) expect(text).not.toContain(token);
		}
		expect(failing.error).toBeDefined();
		expect(offline.error).toBeDefined();
	});
});
