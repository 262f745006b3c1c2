/**
 * Faults that must never happen: nothing lost, nothing misread, no secret shown. Each through
 * n8n-core's executor: a row never skipped, a malformed answer never taken for success, no secret
 * in anything the node puts out, ids never changed, a stop that stops, a timeout that bounds the
 * whole call, bans that hold every call back, and messages that say what really happened.
 */
import type { IDataObject, IExecuteFunctions, INodeType } from 'n8n-workflow';

import { DingTalkApi } from '../credentials/DingTalkApi.credentials';
import { appSessions } from '../nodes/DingTalk/transport/appSession';
import { tokenFingerprint } from '../nodes/DingTalk/transport/tokenRequest';
import { startGateway, sendJson, trickle } from './gateway';
import type { Gateway } from './gateway';
import { runNode, testCredential } from './harness';
import {
	callsTo,
	CREDENTIAL_ID,
	credentialStoreFor,
	readBackThroughNode,
	runDingTalk,
	SEED,
	UPDATE_FROM_JSON,
	useSandbox,
} from './support';

const env = useSandbox();
const UPDATE = '/topapi/extcontact/update';
const CREATE = '/topapi/extcontact/create';
const LIST = '/topapi/extcontact/list';
const owner = (SEED.userIds as string[])[0];
const label = (SEED.labelIds as number[])[0];

const UPSERT_FROM_JSON: IDataObject = {
	resource: 'externalContact',
	operation: 'upsert',
	name: '={{ $json.name }}',
	followerUserId: { __rl: true, mode: 'id', value: '={{ $json.owner }}' },
	labelIds: '={{ $json.labels }}',
	stateCode: '86',
	mobile: '={{ $json.mobile }}',
	additionalFields: {},
};

const CREATE_ONE: IDataObject = {
	resource: 'externalContact',
	operation: 'create',
	name: 'Fault Test',
	followerUserId: { __rl: true, mode: 'id', value: owner },
	labelIds: [label],
	stateCode: '86',
	mobile: '13900000077',
};

function existingContactId(): string {
	return [...env.sandbox.state.contacts.keys()][0];
}

function updateRow(overrides: IDataObject = {}): IDataObject {
	return { id: existingContactId(), name: '王小明', owner, labels: String(label), ...overrides };
}

let gateway: Gateway | undefined;
afterEach(async () => {
	await gateway?.close();
	gateway = undefined;
});

describe('1. Create or Update: rows that share a mobile, in input order', () => {
	it('a valid row after refused ones is created, never skipped', async () => {
		const rows = [0, 1, 2, 3].map((index) => ({ name: `Refused ${index}`, owner: 'nobody-here', labels: label, mobile: '13900000001' }));
		rows.push({ name: 'The valid one', owner, labels: label, mobile: '13900000001' });
		const result = await runDingTalk({ store: env.store, parameters: UPSERT_FROM_JSON, items: rows, continueOnFail: true });
		expect(result.items.map((item) => item.json.action ?? item.json.errcode)).toEqual([60121, 60121, 60121, 60121, 'created']);
		expect(await readBackThroughNode(env.store, String(result.items[4].json.userid))).toMatchObject({ name: 'The valid one', mobile: '13900000001' });
		expect(JSON.stringify(result.items)).not.toMatch(/skipped/);
	});

	it('rows updating one existing contact are applied in order, the last row wins', async () => {
		const existing = [...env.sandbox.state.contacts.values()][0];
		const rows = ['First', 'Second', 'Third'].map((name) => ({ name, owner, labels: label, mobile: existing.mobile }));
		const result = await runDingTalk({
			store: env.store,
			parameters: { ...UPSERT_FROM_JSON, stateCode: String(existing.state_code) },
			items: rows,
		});
		expect(result.items.map((item) => item.json.action)).toEqual(['updated', 'updated', 'updated']);
		expect(result.items.map((item) => item.json.userid)).toEqual([existing.userid, existing.userid, existing.userid]);
		expect(callsTo(env.sandbox, UPDATE).map((call) => (call.params.contact as IDataObject).name)).toEqual(['First', 'Second', 'Third']);
		expect(await readBackThroughNode(env.store, String(existing.userid))).toMatchObject({ name: 'Third' });
	});
});

describe('2. an answer without a valid errcode is an error', () => {
	it.each([
		['empty string', ''],
		['null', null],
		['false', false],
		['empty list', []],
		['a space', ' '],
	])('errcode %s', async (_, errcode) => {
		env.sandbox.script(UPDATE, [{ errcode, errmsg: 'odd answer', request_id: 'req-1' }]);
		const result = await runDingTalk({ store: env.store, parameters: UPDATE_FROM_JSON, items: [updateRow()], continueOnFail: true });
		expect(result.items[0].json).toEqual({ error: "DingTalk's answer had no valid errcode", errmsg: 'odd answer', request_id: 'req-1' });
		expect(callsTo(env.sandbox, UPDATE)).toHaveLength(1);
	});

	it('errcode missing altogether', async () => {
		env.sandbox.script(UPDATE, [{ errmsg: 'ok' }]);
		const result = await runDingTalk({ store: env.store, parameters: UPDATE_FROM_JSON, items: [updateRow()], continueOnFail: true });
		expect(result.items[0].json.error).toBe("DingTalk's answer had no valid errcode");
		expect(result.items[0].json.errcode).toBeUndefined();
	});

	it('the string "0" is success, like the number', async () => {
		env.sandbox.script(UPDATE, [{ errcode: '0', errmsg: 'ok', request_id: 'req-2' }]);
		const result = await runDingTalk({ store: env.store, parameters: UPDATE_FROM_JSON, items: [updateRow()] });
		expect(result.items[0].json).toEqual({ errcode: 0, errmsg: 'ok', request_id: 'req-2' });
	});
});

/** A DingTalk that quotes the request it received in every error: the URL holds the secrets. */
async function echoingDingTalk(secret: string, token: string): Promise<Gateway> {
	return await startGateway((request, response) => {
		const url = String(request.url);
		if (url.startsWith('/gettoken')) {
			if (url.includes(`appsecret=${encodeURIComponent(secret)}`)) {
				sendJson(response, { errcode: 0, errmsg: 'ok', access_token: token, expires_in: 7200 });
			} else {
				sendJson(response, { errcode: 40089, errmsg: `invalid appsecret in ${url}` });
			}
			return;
		}
		sendJson(response, { errcode: 40035, errmsg: `illegal parameter in ${url}`, sub_msg: `request ${url}`, request_id: 'r' });
	});
}

describe('3. no secret in output items, errors or logs', () => {
	const secret = 'an-app-secret-of-ours';
	const token = 'a-token-dingtalk-gave-us';

	it('errmsg and sub_msg that quote the request are redacted', async () => {
		gateway = await echoingDingTalk(secret, token);
		const store = credentialStoreFor({ url: gateway.url, appKey: 'key', appSecret: secret });
		for (const continueOnFail of [true, false]) {
			appSessions.clear();
			const result = await runDingTalk({ store, parameters: UPDATE_FROM_JSON, items: [updateRow()], continueOnFail });
			const everything = JSON.stringify({ items: result.items, error: result.error, logs: result.logs, description: result.error?.description });
			expect(everything).toMatch(/illegal parameter in \/topapi\/extcontact\/update\?access_token=\*\*\*/);
			expect(everything).not.toContain(token);
			expect(everything).not.toContain(secret);
		}
	});

	it('a token request refused with the secret quoted does not show it', async () => {
		gateway = await echoingDingTalk('the-right-secret', token);
		const store = credentialStoreFor({ url: gateway.url, appKey: 'key', appSecret: secret });
		const result = await runDingTalk({ store, parameters: UPDATE_FROM_JSON, items: [updateRow()], continueOnFail: true });
		expect(result.items[0].json.errcode).toBe(40089);
		const everything = JSON.stringify({ items: result.items, logs: result.logs });
		expect(everything).toContain('***');
		expect(everything).not.toContain(secret);
	});
});

describe('4. ids are sent exactly or not at all', () => {
	it.each([
		['a number past 2^53', 12345678901234567890],
		['a fraction', 1.5],
		['zero', 0],
		['a negative number', -3],
	])('contact id as %s fails naming the field, nothing sent', async (_, id) => {
		const result = await runDingTalk({ store: env.store, parameters: UPDATE_FROM_JSON, items: [updateRow({ id })], continueOnFail: true });
		expect(result.items[0].json.error).toMatch(/^Item 0: "External Contact" .* is not a whole positive number/);
		expect(callsTo(env.sandbox, UPDATE)).toHaveLength(0);
	});

	it('owner, shared users and mobile numbers as inexact numbers fail too', async () => {
		const result = await runDingTalk({
			store: env.store,
			parameters: { ...UPDATE_FROM_JSON, additionalFields: { shareUserIds: '={{ $json.share }}' } },
			items: [updateRow({ owner: 1e21 }), updateRow({ share: [12345678901234567890] })],
			continueOnFail: true,
		});
		expect(result.items[0].json.error).toMatch(/"Owner \(Follower User ID\)" .* is not a whole positive number/);
		expect(result.items[1].json.error).toMatch(/"Share With Users" .* is not a whole positive number/);
		const create = await runDingTalk({
			store: env.store,
			parameters: { ...CREATE_ONE, mobile: '={{ $json.mobile }}', stateCode: '={{ $json.code }}' },
			items: [{ mobile: 138001380001.5, code: 86 }, { mobile: 13800138000, code: 86.5 }],
			continueOnFail: true,
		});
		expect(create.items[0].json.error).toMatch(/"Mobile" .* is not a whole positive number/);
		expect(create.items[1].json.error).toMatch(/"Country Code" .* is not a whole positive number/);
		expect(callsTo(env.sandbox, UPDATE)).toHaveLength(0);
		expect(callsTo(env.sandbox, CREATE)).toHaveLength(0);
	});

	it('digit strings of any length stay exact; safe numbers are sent as their digits', async () => {
		const long = '12345678901234567890123';
		env.sandbox.script(UPDATE, [{ errcode: 0 }, { errcode: 0 }]);
		await runDingTalk({ store: env.store, parameters: UPDATE_FROM_JSON, items: [updateRow({ id: long }), updateRow({ id: 4242 })] });
		expect(callsTo(env.sandbox, UPDATE).map((call) => (call.params.contact as IDataObject).user_id)).toEqual([long, '4242']);
	});
});

describe('5. stopping the execution stops the node', () => {
	it('no call starts after the stop, and the node ends within a second', async () => {
		env.sandbox.set({ latencyMs: 200 });
		const rows = [...env.sandbox.state.contacts.keys()].flatMap((id) => Array.from({ length: 20 }, () => updateRow({ id })));
		const started = Date.now();
		const result = await runDingTalk({
			store: env.store,
			parameters: { ...UPDATE_FROM_JSON, options: { requestsPerSecond: 10 } },
			items: rows.slice(0, 60),
			stopAfterMs: 1500,
		});
		expect(result.msFromStopToEnd).toBeLessThan(1000);
		const updates = callsTo(env.sandbox, UPDATE);
		// about 10 calls a second until the stop, and none after it
		expect(updates.length).toBeGreaterThan(5);
		expect(updates.filter((call) => call.time > started + 1500 + 50)).toEqual([]);
		expect(updates.length).toBeLessThan(20);
	});
});

describe('6. Timeout bounds the whole call; huge answers are refused', () => {
	it('a body trickled at 1 byte/s fails at the Timeout, with the item failed', async () => {
		gateway = await startGateway((request, response) => {
			if (String(request.url).startsWith('/gettoken')) {
				sendJson(response, { errcode: 0, access_token: 'token-for-trickle', expires_in: 7200 });
				return;
			}
			trickle(response, JSON.stringify({ errcode: 0, errmsg: 'ok', request_id: 'slow' }), 1000);
		});
		const store = credentialStoreFor({ url: gateway.url, appKey: 'k', appSecret: 'secret-for-trickle' });
		const started = Date.now();
		const result = await runDingTalk({
			store,
			parameters: { ...UPDATE_FROM_JSON, options: { timeoutSeconds: 2, maxRetries: 0 } },
			items: [updateRow()],
			continueOnFail: true,
		});
		expect(result.items[0].json.error).toMatch(/did not answer in time/);
		// the trickled answer would take over 40 s
		expect(Date.now() - started).toBeLessThan(10_000);
	});

	it('an answer over 10 MB is refused with a clear error', async () => {
		gateway = await startGateway((request, response) => {
			if (String(request.url).startsWith('/gettoken')) {
				sendJson(response, { errcode: 0, access_token: 'token-for-huge', expires_in: 7200 });
				return;
			}
			sendJson(response, { errcode: 0, padding: 'x'.repeat(11 * 1024 * 1024) });
		});
		const store = credentialStoreFor({ url: gateway.url, appKey: 'k', appSecret: 'secret-for-huge' });
		const result = await runDingTalk({ store, parameters: UPDATE_FROM_JSON, items: [updateRow()], continueOnFail: true });
		expect(result.items[0].json.error).toBe("DingTalk's answer was larger than 10 MB and was not read");
	});
});

describe('7. a ban holds back every call of the app until the wait is over', () => {
	it('no call starts inside the ban, also those already scheduled', async () => {
		env.sandbox.script(UPDATE, [{ ban: 2 }]);
		const rows = [...env.sandbox.state.contacts.keys()].map((id) => updateRow({ id }));
		const result = await runDingTalk({
			store: env.store,
			parameters: { ...UPDATE_FROM_JSON, options: { requestsPerSecond: 5 } },
			items: rows,
		});
		expect(result.error).toBeUndefined();
		const updates = callsTo(env.sandbox, UPDATE);
		const ban = updates[0];
		const banAnsweredAt = Number(ban.time) + Number(ban.latencyMs);
		const inside = updates.filter((call) => Number(call.time) > banAnsweredAt && Number(call.time) < banAnsweredAt + 1950);
		expect(inside).toEqual([]);
		expect(updates.length).toBe(rows.length + 1);
	});

	it('another execution of the app, on another API, waits for the ban too', async () => {
		env.sandbox.script(UPDATE, [{ ban: 2 }]);
		const [, get] = await Promise.all([
			runDingTalk({ store: env.store, parameters: UPDATE_FROM_JSON, items: [updateRow()] }),
			(async () => {
				await new Promise((resolve) => setTimeout(resolve, 300));
				return await runDingTalk({
					store: credentialStoreFor(env.sandbox),
					parameters: { resource: 'externalContact', operation: 'get', contactId: { __rl: true, mode: 'id', value: existingContactId() } },
				});
			})(),
		]);
		expect(get.error).toBeUndefined();
		const ban = callsTo(env.sandbox, UPDATE)[0];
		const [read] = callsTo(env.sandbox, '/topapi/extcontact/get');
		expect(read.time).toBeGreaterThanOrEqual(ban.time + ban.latencyMs + 1950);
	});
});

describe('8. HTTP 401/403 pages are not bans', () => {
	it.each([401, 403])('HTTP %i: the status and what to check; a create is sent once', async (status) => {
		env.sandbox.script(CREATE, [{ html: true, status }, { html: true, status }]);
		const result = await runDingTalk({ store: env.store, parameters: CREATE_ONE, continueOnFail: true });
		expect(result.items[0].json.error).toBe(`DingTalk answered with HTTP status ${status}`);
		expect(result.error).toBeUndefined();
		expect(callsTo(env.sandbox, CREATE)).toHaveLength(1);
		const failed = await runDingTalk({ store: env.store, parameters: CREATE_ONE });
		expect(String(failed.error?.description)).toMatch(/proxy or firewall/);
	});
});

describe('9. Create or Update after a lost create answer', () => {
	const rows = [
		{ name: 'Lost answer', owner, labels: label, mobile: '13900000009' },
		{ name: 'After it', owner, labels: label, mobile: '13900000009' },
	];

	it('the contact is looked up again and updated when it was created after all', async () => {
		// the create is applied at about 1.1 s, after the 1 s Timeout; the look-up arrives later
		env.sandbox.set({ latencyMs: 300 });
		env.sandbox.script(CREATE, [{ delayMs: 800 }]);
		const result = await runDingTalk({
			store: env.store,
			parameters: { ...UPSERT_FROM_JSON, options: { timeoutSeconds: 1 } },
			items: rows,
			continueOnFail: true,
		});
		expect(result.items[0].json.error).toMatch(/did not answer in time/);
		expect(result.items[1].json).toMatchObject({ action: 'updated', errcode: 0, userid: expect.any(String) });
		expect(callsTo(env.sandbox, CREATE)).toHaveLength(1);
		const updated = await readBackThroughNode(env.store, String(result.items[1].json.userid));
		expect(updated).toMatchObject({ name: 'After it', mobile: '13900000009' });
	});

	it('no second create when the look-up does not find it: the row says to check DingTalk', async () => {
		env.sandbox.script(CREATE, [{ delayMs: 2500 }]);
		const result = await runDingTalk({
			store: env.store,
			parameters: { ...UPSERT_FROM_JSON, options: { timeoutSeconds: 1 } },
			items: [...rows, { ...rows[1], name: 'Third' }],
			continueOnFail: true,
		});
		expect(result.items[1].json.error).toBe('An earlier row with this mobile number may have created the contact already');
		expect(result.items[2].json.error).toBe('An earlier row with this mobile number may have created the contact already');
		expect(callsTo(env.sandbox, CREATE)).toHaveLength(1);
		// looked up once at the start, and once again for the number, not once per row
		expect(callsTo(env.sandbox, LIST).length).toBeLessThanOrEqual(2);
	});
});

describe('10. huge lists and Base URLs', () => {
	it('a list of 200,000 labels gets the "at most 20" message', async () => {
		const labels = Array.from({ length: 200_000 }, (_, index) => index + 1);
		const result = await runDingTalk({ store: env.store, parameters: UPDATE_FROM_JSON, items: [updateRow({ labels })], continueOnFail: true });
		expect(result.items[0].json.error).toMatch(/"Labels" has 200000 entries; DingTalk accepts at most 20/);
	});

	it.each([
		['ftp://oapi.dingtalk.com', /must start with https:\/\/ \(or http:\/\/\)/],
		['https://oapi.dingtalk.com?x=1', /must not have a query string/],
		['not a url', /is not a web address/],
	])('Base URL %s is refused with a clear message', async (baseUrl, message) => {
		const store = credentialStoreFor(env.sandbox, { baseUrl });
		const result = await runDingTalk({ store, parameters: UPDATE_FROM_JSON, items: [updateRow()], continueOnFail: true });
		expect(result.items[0].json.error).toMatch(message);
		expect(env.sandbox.log).toHaveLength(0);
	});
});

describe('11. messages that say what happened', () => {
	it('a page instead of a token: only /gettoken was sent, nothing "may have reached DingTalk"', async () => {
		gateway = await startGateway((_, response) => {
			response.writeHead(200, { 'Content-Type': 'text/html' });
			response.end('<html>proxy login</html>');
		});
		const store = credentialStoreFor({ url: gateway.url, appKey: 'k', appSecret: 'secret-of-the-page-test' });
		const result = await runDingTalk({ store, parameters: CREATE_ONE, continueOnFail: true });
		expect(result.items[0].json.error).toMatch(/gettoken answered with HTTP 200 and no DingTalk data/);
		expect(JSON.stringify(result.items)).not.toMatch(/may have reached/);
		expect(gateway.requests.every((line) => line.startsWith('GET /gettoken'))).toBe(true);
	});

	it('errcode 88 is read by its sub_code: 60011 names the permission, 90018 is retried', async () => {
		env.sandbox.script(UPDATE, [{ errcode: 88, sub_code: '90018', sub_msg: 'qps' }, { errcode: 88, sub_code: '60011', sub_msg: 'no permission' }]);
		const result = await runDingTalk({ store: env.store, parameters: UPDATE_FROM_JSON, items: [updateRow()], continueOnFail: true });
		expect(result.items[0].json).toMatchObject({
			error: 'DingTalk error 88 (sub_code 60011): the app lacks the permission for this call',
			errcode: 88,
		});
		expect(callsTo(env.sandbox, UPDATE)).toHaveLength(2);
	});

	it('errcode 88 with sub_code "0" fails the item; it is no success', async () => {
		env.sandbox.script(UPDATE, [{ errcode: 88, errmsg: 'auth failed', sub_code: '0', sub_msg: 'odd', request_id: 'req-88' }]);
		const result = await runDingTalk({ store: env.store, parameters: UPDATE_FROM_JSON, items: [updateRow()], continueOnFail: true });
		expect(result.items[0].json).toMatchObject({ error: 'DingTalk error 88: DingTalk refused the call for a reason it gives in sub_code', errcode: 88 });
		expect(callsTo(env.sandbox, UPDATE)).toHaveLength(1);
	});

	it('the credential test fails when the app may not read external contacts', async () => {
		env.sandbox.script(LIST, [{ errcode: 60011, errmsg: '没有调用该接口的权限' }]);
		const outcome = await testCredential(DingTalkApi, { baseUrl: env.sandbox.url, appKey: env.sandbox.appKey, appSecret: env.sandbox.appSecret, accessToken: '' });
		expect(outcome.status).toBe('Error');
		expect(outcome.message).toMatch(/^DingTalk error 60011: the app lacks the permission for this call\. .*qyapi_ext_read/);
		const passing = await testCredential(DingTalkApi, { baseUrl: env.sandbox.url, appKey: env.sandbox.appKey, appSecret: env.sandbox.appSecret, accessToken: '' });
		expect(passing.status).toBe('OK');
	});
});

/**
 * What n8n's HTTP Request node does with a predefined credential: requestWithAuthentication (the
 * node's version 3 and later); other nodes use httpRequestWithAuthentication. n8n-core's own helpers.
 */
function httpRequestLike(helper: 'requestWithAuthentication' | 'httpRequestWithAuthentication'): new () => INodeType {
	return class implements INodeType {
		description = {
			displayName: 'HTTP Request (as n8n sends it)',
			name: 'httpRequestLike',
			group: ['output'],
			version: 1,
			description: 'Calls DingTalk through the credential, like the HTTP Request node',
			defaults: { name: 'HTTP' },
			inputs: ['main'],
			outputs: ['main'],
			credentials: [{ name: 'dingTalkApi', required: true }],
			properties: [],
		} as unknown as INodeType['description'];

		async execute(this: IExecuteFunctions) {
			const url = `${String((await this.getCredentials('dingTalkApi')).baseUrl)}/topapi/extcontact/list`;
			const request = { method: 'POST' as const, url, headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'offset=0&size=1', json: true };
			const answer = (await (helper === 'requestWithAuthentication'
				? this.helpers.requestWithAuthentication.call(this, 'dingTalkApi', request)
				: this.helpers.httpRequestWithAuthentication.call(this, 'dingTalkApi', request))) as IDataObject;
			return [[{ json: answer }]];
		}
	};
}

const SANDBOX_SETTINGS = () => ({ baseUrl: env.sandbox.url, appKey: env.sandbox.appKey, appSecret: env.sandbox.appSecret });

describe.each(['requestWithAuthentication', 'httpRequestWithAuthentication'] as const)(
	"12. the credential in n8n's HTTP Request node (%s) renews a token it may not send",
	(helper) => {
		async function callThroughCredential(store: ReturnType<typeof credentialStoreFor>) {
			return await runNode({ nodeType: httpRequestLike(helper), parameters: {}, items: [{ json: {} }], credentials: store, credentialId: CREDENTIAL_ID });
		}
		const savedToken = (store: ReturnType<typeof credentialStoreFor>) => store.get(CREDENTIAL_ID).data;

		it('a saved token past its expiry is renewed before the call, and the renewed one saved and reused', async () => {
			const store = credentialStoreFor(env.sandbox, {
				accessToken: 'token-from-two-hours-ago',
				accessTokenExpiresAt: Date.now() - 1000,
				accessTokenFor: tokenFingerprint(SANDBOX_SETTINGS()),
			});
			const result = await callThroughCredential(store);
			expect(result.items[0].json.errcode).toBe(0);
			expect(callsTo(env.sandbox, '/gettoken')).toHaveLength(1);
			expect(callsTo(env.sandbox, LIST).map((call) => call.query.access_token)).toEqual([savedToken(store).accessToken]);
			expect(savedToken(store).accessTokenFor).toBe(tokenFingerprint(SANDBOX_SETTINGS()));
			await callThroughCredential(store);
			expect(callsTo(env.sandbox, '/gettoken')).toHaveLength(1);
		});

		it.each([
			['fetched with other settings', () => tokenFingerprint({ ...SANDBOX_SETTINGS(), appKey: 'another-app' })],
			['saved by an older version (no settings)', () => ''],
		])('a fresh saved token %s is not sent; a new one is fetched', async (_, accessTokenFor) => {
			const store = credentialStoreFor(env.sandbox, {
				accessToken: 'token-of-another-app',
				accessTokenExpiresAt: Date.now() + 3_600_000,
				accessTokenFor: accessTokenFor(),
			});
			const result = await callThroughCredential(store);
			expect(result.items[0].json.errcode).toBe(0);
			expect(callsTo(env.sandbox, LIST).map((call) => call.query.access_token)).not.toContain('token-of-another-app');
			expect(callsTo(env.sandbox, '/gettoken')).toHaveLength(1);
		});

		it('the limit: a token DingTalk drops before its stated expiry is not noticed (HTTP 200 + 40014)', async () => {
			const store = credentialStoreFor(env.sandbox, {
				accessToken: 'a-token-dingtalk-dropped-early',
				accessTokenExpiresAt: Date.now() + 3_600_000,
				accessTokenFor: tokenFingerprint(SANDBOX_SETTINGS()),
			});
			const result = await callThroughCredential(store);
			expect(result.items[0].json.errcode).toBe(40014);
			expect(callsTo(env.sandbox, '/gettoken')).toHaveLength(0);
		});
	},
);

/** Answers `body` after `ms`, unless the client went away first (the timer ends with the response). */
function answerLater(response: import('http').ServerResponse, ms: number, body: IDataObject): void {
	const timer = setTimeout(() => {
		if (!response.destroyed) sendJson(response, body);
	}, ms);
	response.on('close', () => clearTimeout(timer));
}

/** A DingTalk whose /gettoken takes `tokenMs`; every other call answers errcode 0 at once. */
async function slowTokenGateway(tokenMs: number): Promise<Gateway & { arrivals: Array<{ line: string; at: number }> }> {
	const arrivals: Array<{ line: string; at: number }> = [];
	const started = await startGateway((request, response) => {
		arrivals.push({ line: `${request.method} ${request.url}`, at: Date.now() });
		if (String(request.url).startsWith('/gettoken')) {
			answerLater(response, tokenMs, { errcode: 0, access_token: 'token-after-a-slow-gettoken', expires_in: 7200 });
			return;
		}
		sendJson(response, { errcode: 0, errmsg: 'ok', userid: 'created-late', request_id: 'r' });
	});
	return Object.assign(started, { arrivals });
}

describe('a saved token is sent only with the settings that fetched it', () => {
	it('after the Base URL changes, the token of the old host is not sent to the new one', async () => {
		await runDingTalk({ store: env.store, parameters: UPDATE_FROM_JSON, items: [updateRow()] });
		const oldToken = String(env.store.get(CREDENTIAL_ID).data.accessToken);
		expect(oldToken).toBeTruthy();
		gateway = await startGateway((request, response) => {
			if (String(request.url).startsWith('/gettoken')) sendJson(response, { errcode: 0, access_token: 'token-of-the-new-host', expires_in: 7200 });
			else sendJson(response, { errcode: 0, errmsg: 'ok', request_id: 'r' });
		});
		env.store.get(CREDENTIAL_ID).data.baseUrl = gateway.url;
		const result = await runDingTalk({ store: env.store, parameters: UPDATE_FROM_JSON, items: [updateRow()] });
		expect(result.error).toBeUndefined();
		expect(gateway.requests.filter((line) => line.includes(oldToken))).toEqual([]);
		expect(gateway.requests[0]).toMatch(/^GET \/gettoken/);
		expect(gateway.requests[1]).toMatch(/access_token=token-of-the-new-host/);
	});

	it('after the App Secret changes, the old token is not used: the new secret is checked first', async () => {
		await runDingTalk({ store: env.store, parameters: UPDATE_FROM_JSON, items: [updateRow()] });
		env.sandbox.resetLog();
		appSessions.clear();
		env.store.get(CREDENTIAL_ID).data.appSecret = 'a-secret-of-another-app-0123';
		const result = await runDingTalk({ store: env.store, parameters: UPDATE_FROM_JSON, items: [updateRow()], continueOnFail: true });
		expect(result.items[0].json.error).toMatch(/^DingTalk error 400(89|96): the App Key or App Secret is wrong/);
		expect(callsTo(env.sandbox, UPDATE)).toHaveLength(0);
	});

	it('a token saved without its settings (by an older version) is replaced once, then kept', async () => {
		const store = credentialStoreFor(env.sandbox, { accessToken: 'token-saved-by-an-older-version', accessTokenExpiresAt: Date.now() + 3_600_000 });
		const first = await runDingTalk({ store, parameters: UPDATE_FROM_JSON, items: [updateRow()] });
		expect(first.error).toBeUndefined();
		expect(callsTo(env.sandbox, UPDATE).map((call) => call.query.access_token)).not.toContain('token-saved-by-an-older-version');
		expect(callsTo(env.sandbox, '/gettoken')).toHaveLength(1);
		appSessions.clear();
		await runDingTalk({ store, parameters: UPDATE_FROM_JSON, items: [updateRow()] });
		expect(callsTo(env.sandbox, '/gettoken')).toHaveLength(1);
	});
});

describe('after a permission error the token is renewed once', () => {
	it('granting the permission and running again works with a new token; one run asks for at most two', async () => {
		env.sandbox.set({ missingPermission: 'write' });
		const refused = await runDingTalk({ store: env.store, parameters: UPDATE_FROM_JSON, items: [updateRow(), updateRow(), updateRow()], continueOnFail: true });
		expect(refused.items.map((item) => item.json.errcode)).toEqual([60011, 60011, 60011]);
		expect(callsTo(env.sandbox, '/gettoken').length).toBeLessThanOrEqual(2);
		const tokensBefore = callsTo(env.sandbox, '/gettoken').length;
		// the permission is granted in the developer console
		env.sandbox.set({ missingPermission: false });
		env.sandbox.resetLog();
		const granted = await runDingTalk({ store: env.store, parameters: UPDATE_FROM_JSON, items: [updateRow()] });
		expect(granted.error).toBeUndefined();
		expect(tokensBefore).toBeGreaterThanOrEqual(1);
		expect(env.sandbox.log.map((entry) => entry.path)).toEqual(['/gettoken', UPDATE]);
	});

	it('a permission error that stays costs one new token per run, not one per item', async () => {
		env.sandbox.set({ missingPermission: 'write' });
		const rows = Array.from({ length: 10 }, () => updateRow());
		await runDingTalk({ store: env.store, parameters: UPDATE_FROM_JSON, items: rows, continueOnFail: true });
		expect(callsTo(env.sandbox, '/gettoken').length).toBeLessThanOrEqual(2);
		env.sandbox.resetLog();
		await runDingTalk({ store: env.store, parameters: UPDATE_FROM_JSON, items: rows, continueOnFail: true });
		expect(callsTo(env.sandbox, '/gettoken').length).toBeLessThanOrEqual(2);
		expect(callsTo(env.sandbox, UPDATE)).toHaveLength(10);
	});
});

describe('the Timeout also bounds the wait for the first token', () => {
	it('2 s Timeout, 3 s /gettoken: the create fails at the Timeout and is never sent', async () => {
		const slow = await slowTokenGateway(3000);
		gateway = slow;
		const store = credentialStoreFor({ url: slow.url, appKey: 'k', appSecret: 'secret-of-the-slow-token' });
		const started = Date.now();
		const result = await runDingTalk({
			store,
			parameters: { ...CREATE_ONE, options: { timeoutSeconds: 2, maxRetries: 0 } },
			continueOnFail: true,
		});
		const reportedAt = Date.now();
		expect(result.items[0].json.error).toMatch(/^Could not get an access token from .*: it did not answer in time/);
		// reported before the token arrived: the Timeout, not the token, ended the wait
		const askedAt = slow.arrivals.find((arrival) => arrival.line.startsWith('GET /gettoken'))?.at ?? 0;
		expect(reportedAt).toBeLessThan(askedAt + 3000);
		// past the token's arrival: still no create, and the token was kept for later runs
		await new Promise((resolve) => setTimeout(resolve, Math.max(0, started + 4000 - Date.now())));
		expect(slow.arrivals.filter((arrival) => arrival.line.startsWith('POST'))).toEqual([]);
		expect(store.get(CREDENTIAL_ID).data.accessToken).toBe('token-after-a-slow-gettoken');
	});

	it('Max Retries 2 sends one update once, never after the node finished', async () => {
		const slow = await slowTokenGateway(3000);
		gateway = slow;
		const store = credentialStoreFor({ url: slow.url, appKey: 'k', appSecret: 'secret-of-the-slow-token' });
		const started = Date.now();
		const result = await runDingTalk({ store, parameters: { ...UPDATE_FROM_JSON, options: { timeoutSeconds: 2, maxRetries: 2 } }, items: [updateRow()] });
		const finishedAt = Date.now();
		await new Promise((resolve) => setTimeout(resolve, Math.max(0, started + 5000 - Date.now())));
		const updates = slow.arrivals.filter((arrival) => arrival.line.startsWith(`POST ${UPDATE}`));
		expect(updates).toHaveLength(1);
		expect(updates[0].at).toBeLessThanOrEqual(finishedAt);
		expect(result.error).toBeUndefined();
	});
});

describe('the first call of an app does not hold up the others', () => {
	it('the calls waiting for the token go out as soon as it is in hand, not after the first call returns', async () => {
		let first = true;
		const arrivals: number[] = [];
		gateway = await startGateway((request, response) => {
			if (String(request.url).startsWith('/gettoken')) {
				sendJson(response, { errcode: 0, access_token: 'token-for-the-queue', expires_in: 7200 });
				return;
			}
			arrivals.push(Date.now());
			const slowOne = first;
			first = false;
			answerLater(response, slowOne ? 3000 : 0, { errcode: 0, errmsg: 'ok', request_id: 'r' });
		});
		const store = credentialStoreFor({ url: gateway.url, appKey: 'k', appSecret: 'secret-of-the-queue-test' });
		const rows = Array.from({ length: 5 }, (_, index) => updateRow({ id: `contact-${index}` }));
		const result = await runDingTalk({ store, parameters: UPDATE_FROM_JSON, items: rows });
		expect(result.error).toBeUndefined();
		expect(arrivals).toHaveLength(5);
		// all five were sent together; the slow one's 3 s held nobody back
		expect(Math.max(...arrivals) - Math.min(...arrivals)).toBeLessThan(1000);
	});
});
