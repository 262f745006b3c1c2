/**
 * One DingTalk call through DingTalkClient, against the in-memory DingTalk: what is sent, which
 * answers are retried and how often (both allowances), how long it waits, bans that hold back the
 * whole app, token renewal, and the errors a person sees. Fake clock: no real waits.
 */
import type { ICredentialDataDecryptedObject, IDataObject } from 'n8n-workflow';

import { appSessions } from '../../nodes/DingTalk/transport/appSession';
import type { ClientOptions, RepeatPolicy } from '../../nodes/DingTalk/transport/client';
import { DingTalkClient, NOT_SAFE_TO_REPEAT, SAFE_TO_REPEAT } from '../../nodes/DingTalk/transport/client';
import { mayHaveTakenEffect } from '../../nodes/DingTalk/transport/messages';
import { tokenFingerprint } from '../../nodes/DingTalk/transport/tokenRequest';
import type { Reply } from './fakes';
import {
	answer,
	APP_SECRET,
	BASE_URL,
	defaultCredential,
	errcode,
	fakeContext,
	FakeDingTalk,
	ok,
	rejection,
	settle,
	useFakeClock,
} from './fakes';

const UPDATE = '/topapi/extcontact/update';
const CREATE = '/topapi/extcontact/create';
const LIST = '/topapi/extcontact/list';

const OPTIONS: ClientOptions = { requestsPerSecond: 1000, maxRetries: 3, maxBanWaitSeconds: 30, timeoutSeconds: 30 };

let dingTalk: FakeDingTalk;

beforeEach(() => {
	appSessions.clear();
	dingTalk = new FakeDingTalk();
	useFakeClock();
	// the back-off's jitter at its lowest: waits are exactly half their ceiling
	jest.spyOn(Math, 'random').mockReturnValue(0);
});

afterEach(() => {
	jest.useRealTimers();
	jest.restoreAllMocks();
});

function newClient(options: Partial<ClientOptions> = {}, run: { credential?: IDataObject; stop?: AbortSignal } = {}) {
	const context = fakeContext({ dingTalk, credential: run.credential });
	return new DingTalkClient(context, { ...OPTIONS, ...options }, run.stop);
}

async function call(
	replies: Reply[],
	{ policy = SAFE_TO_REPEAT, options = {} }: { policy?: RepeatPolicy; options?: Partial<ClientOptions> } = {},
) {
	dingTalk.script(UPDATE, ...replies);
	return await settle(newClient(options).call(UPDATE, { contact: { user_id: 'u1' } }, policy, 4));
}

async function failure(replies: Reply[], settings: { policy?: RepeatPolicy; options?: Partial<ClientOptions> } = {}) {
	return await rejection(call(replies, settings));
}

const session = () => appSessions.sessionFor(BASE_URL, 'the-app-key', APP_SECRET);

/** The default credential with a token saved for its own settings. */
const savedToken = (accessToken: string): IDataObject => ({
	...defaultCredential(),
	accessToken,
	accessTokenFor: tokenFingerprint(defaultCredential() as ICredentialDataDecryptedObject),
});

describe('what is sent', () => {
	it('POSTs the params form encoded, objects as JSON, with the token in the query string', async () => {
		const result = await call([ok({ request_id: 'r-1', extra: 'kept' })]);
		expect(result).toEqual({ errcode: 0, errmsg: 'ok', request_id: 'r-1', extra: 'kept' });
		const [tokenCall] = dingTalk.calls('/gettoken');
		expect(tokenCall).toMatchObject({ method: 'GET', query: { appkey: 'the-app-key', appsecret: APP_SECRET } });
		expect(dingTalk.calls(UPDATE)).toEqual([
			expect.objectContaining({ method: 'POST', query: { access_token: 'token-1' }, params: { contact: { user_id: 'u1' } } }),
		]);
		// as a stream with the full response, whatever its status: the client reads it itself
		expect(dingTalk.calls(UPDATE)[0].options).toMatchObject({
			url: `${BASE_URL}${UPDATE}`,
			headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
			encoding: 'stream',
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
			timeout: 30_000,
		});
	});

	it('errcode "0" as a string is success, read back as the number', async () => {
		expect(await call([answer({ errcode: '0', request_id: 'r' })])).toEqual({ errcode: 0, request_id: 'r' });
	});

	it('a later call of the run reuses the token; a saved token is used without asking for one', async () => {
		const client = newClient();
		await settle(client.call(UPDATE, {}, SAFE_TO_REPEAT));
		await settle(client.call(UPDATE, {}, SAFE_TO_REPEAT));
		expect(dingTalk.calls('/gettoken')).toHaveLength(1);

		appSessions.clear();
		const saved = newClient({}, { credential: savedToken('saved-token-1234') });
		await settle(saved.call(UPDATE, {}, SAFE_TO_REPEAT));
		expect(dingTalk.calls('/gettoken')).toHaveLength(1);
		expect(dingTalk.calls(UPDATE)[2].query.access_token).toBe('saved-token-1234');
	});

	it('the first call gets its token through n8n even where n8n drops the cause of the error that ends the token request (n8n 2.8)', async () => {
		const context = fakeContext({ dingTalk, dropsErrorCauses: true });
		const result = await settle(new DingTalkClient(context, OPTIONS).call(UPDATE, { contact: { user_id: 'u1' } }, SAFE_TO_REPEAT));
		expect(result).toMatchObject({ errcode: 0 });
		expect(dingTalk.calls('/gettoken')).toHaveLength(1);
		expect(dingTalk.calls(UPDATE)).toHaveLength(1);
		// n8n saved the token for the next runs
		expect(context.credential.accessToken).toBe('token-1');
	});

	it('many calls at once without a token ask for one token', async () => {
		const client = newClient();
		await settle(Promise.all(Array.from({ length: 6 }, async () => await client.call(UPDATE, {}, SAFE_TO_REPEAT))));
		expect(dingTalk.calls('/gettoken')).toHaveLength(1);
		expect(dingTalk.calls(UPDATE).map((request) => request.query.access_token)).toEqual(Array(6).fill('token-1'));
	});
});

describe('retries: which answers, and how often', () => {
	const busy = errcode(-1);
	const quota = errcode(90018);
	const times = (count: number, reply: Reply) => Array<Reply>(count).fill(reply);

	it.each<[string, Reply[], RepeatPolicy, Partial<ClientOptions>, number, string]>([
		['busy, then ok', [busy, ok()], SAFE_TO_REPEAT, {}, 2, 'ok'],
		['busy past Max Retries', times(4, busy), SAFE_TO_REPEAT, {}, 4, 'DingTalk error -1: DingTalk is busy'],
		['busy with Max Retries 0', [busy, ok()], SAFE_TO_REPEAT, { maxRetries: 0 }, 1, 'DingTalk error -1: DingTalk is busy'],
		['a temporary ban errcode (90005) spends Max Retries', times(2, errcode(90005)), SAFE_TO_REPEAT, { maxRetries: 1 }, 2, 'DingTalk error 90005: calls are temporarily blocked'],
		['10 rate-limit refusals with Max Retries 3', [...times(10, quota), ok()], NOT_SAFE_TO_REPEAT, {}, 11, 'ok'],
		['11 rate-limit refusals', times(12, quota), SAFE_TO_REPEAT, {}, 11, 'DingTalk error 90018: too many calls per second for this app'],
		['refusals with Max Retries 0', [quota, ok()], SAFE_TO_REPEAT, { maxRetries: 0 }, 1, 'DingTalk error 90018: too many calls per second for this app'],
		['12 refusals with Max Retries 12', [...times(12, quota), ok()], SAFE_TO_REPEAT, { maxRetries: 12 }, 13, 'ok'],
		['13 refusals with Max Retries 12', times(13, quota), SAFE_TO_REPEAT, { maxRetries: 12 }, 13, 'DingTalk error 90018: too many calls per second for this app'],
		['the two allowances are separate', [busy, quota, busy, quota, busy, ...times(8, quota), ok()], SAFE_TO_REPEAT, {}, 14, 'ok'],
		['90002 is a refusal too', [errcode(90002), ok()], NOT_SAFE_TO_REPEAT, { maxRetries: 1 }, 2, 'ok'],
		['HTTP 429 is a refusal', [{ status: 429 }, ok()], NOT_SAFE_TO_REPEAT, {}, 2, 'ok'],
		['HTTP 429 past the refusal allowance', times(11, { status: 429 }), SAFE_TO_REPEAT, { maxRetries: 1 }, 11, 'DingTalk answered with HTTP status 429'],
		['HTTP 500 on a read', [{ status: 500 }, { status: 503 }, ok()], SAFE_TO_REPEAT, {}, 3, 'ok'],
		['HTTP 500 on a create', [{ status: 500 }, ok()], NOT_SAFE_TO_REPEAT, {}, 1, 'DingTalk answered with HTTP status 500'],
		['HTTP 404', [{ status: 404, text: '<html>not found</html>' }, ok()], SAFE_TO_REPEAT, {}, 1, 'DingTalk answered with HTTP status 404'],
		['a ban within Max Ban Wait', [answer({ status: 1111, wait: 30, punish: 'deny' }), ok()], NOT_SAFE_TO_REPEAT, {}, 2, 'ok'],
		['a ban longer than Max Ban Wait', [answer({ status: 1111, wait: 31 }), ok()], SAFE_TO_REPEAT, {}, 1, "DingTalk has temporarily blocked calls from this server's IP address"],
		['an HTML page with HTTP 200 (the IP ban page)', [{ status: 200, text: '<html>denied</html>' }, ok()], NOT_SAFE_TO_REPEAT, {}, 2, 'ok'],
		['bans with Max Retries 0', [answer({ status: 1111, wait: 1 }), ok()], SAFE_TO_REPEAT, { maxRetries: 0 }, 1, "DingTalk has temporarily blocked calls from this server's IP address"],
		['an unreadable answer', [{ status: 200, text: 'hello' }, ok()], SAFE_TO_REPEAT, {}, 1, 'DingTalk answered with something that is not DingTalk data'],
		['an answer without errcode', [answer({ errmsg: 'ok' }), ok()], SAFE_TO_REPEAT, {}, 1, "DingTalk's answer had no valid errcode"],
		['refused before sending, on a create', [{ networkError: 'ECONNREFUSED' }, ok()], NOT_SAFE_TO_REPEAT, {}, 2, 'ok'],
		['broken after sending, on a read', [{ networkError: 'ECONNRESET' }, ok()], SAFE_TO_REPEAT, {}, 2, 'ok'],
		['broken after sending, on a create', [{ networkError: 'ECONNRESET' }, ok()], NOT_SAFE_TO_REPEAT, {}, 1, `Could not reach ${BASE_URL}: the connection broke off`],
		['an errcode that says the item is wrong', [errcode(60121), ok()], SAFE_TO_REPEAT, {}, 1, 'DingTalk error 60121: the user or external contact was not found'],
	])('%s', async (_, replies, policy, options, calls, outcome) => {
		// 'ok', or the message of the error the call fails with
		const settled = await call(replies, { policy, options }).then(
			(result) => (result.errcode === 0 ? 'ok' : 'an answer that is not a success'),
			(error: Error) => error.message,
		);
		expect(settled).toBe(outcome);
		expect(dingTalk.calls(UPDATE)).toHaveLength(calls);
	});

	it('the failure names the item, and tells whether the call may have taken effect', async () => {
		const lost = await failure([{ networkError: 'ETIMEDOUT' }], { policy: NOT_SAFE_TO_REPEAT });
		expect(lost.context).toEqual({ itemIndex: 4 });
		expect(lost.description).toMatch(/may have reached DingTalk/);
		expect(mayHaveTakenEffect(lost)).toBe(true);

		const unreadable = await failure([{ status: 200, text: 'hello' }]);
		expect(unreadable.description).toBe(
			`Check the Base URL in the DingTalk API credential (https://oapi.dingtalk.com, or https://oapi.dingtalk.io for international tenants). ${BASE_URL}${UPDATE} answered with HTTP 200: "hello"`,
		);

		const refused = await failure([errcode(60121)]);
		expect(refused.context).toEqual({ itemIndex: 4 });
		expect(mayHaveTakenEffect(refused)).toBe(false);
	});
});

describe('waits', () => {
	const sentAt = (path = UPDATE) => {
		const times = dingTalk.calls(path).map((request) => request.at);
		return times.map((time) => time - times[0]);
	};

	it('back-off doubles with each failure: 250, 500, 1000 ms at the lowest jitter', async () => {
		await call([errcode(-1), { status: 502 }, { networkError: 'ECONNRESET' }, ok()]);
		expect(sentAt()).toEqual([0, 250, 750, 1750]);
	});

	it('a refusal waits a second and does not grow the back-off of failures', async () => {
		// DingTalk accepted a few calls of the app just before: the limiter keeps that share of the quota
		for (let accepted = 0; accepted < 5; accepted++) await call([ok()]);
		await call([errcode(90018), errcode(-1), ok()]);
		expect(sentAt().slice(5).map((time, _, [first]) => time - first)).toEqual([0, 1000, 1250]);
	});

	it('HTTP 429 waits as long as Retry-After says', async () => {
		await call([{ status: 429, headers: { 'Retry-After': '3' } }, ok()]);
		expect(sentAt()).toEqual([0, 3000]);
	});

	it('rate-limit refusals slow the API down; bans and failures do not', async () => {
		await call([errcode(-1), answer({ status: 1111, wait: 1 }), ok()]);
		expect(session().limiter(UPDATE, OPTIONS.requestsPerSecond).rate).toBe(1000);
		await call([{ status: 429 }, ok()]);
		expect(session().limiter(UPDATE, OPTIONS.requestsPerSecond).rate).toBeLessThan(1000);
	});

	it('a ban pauses every API of the app for the wait it names, and nothing else', async () => {
		const client = newClient();
		// the list API has a limiter already, as it does once the app has used it
		await settle(client.call(LIST, {}, SAFE_TO_REPEAT));
		dingTalk.script(UPDATE, answer({ status: 1111, wait: 2 }));
		const banned = client.call(UPDATE, {}, SAFE_TO_REPEAT);
		banned.catch(() => undefined);
		await jest.advanceTimersByTimeAsync(100);
		const listed = client.call(LIST, {}, SAFE_TO_REPEAT);
		await settle(Promise.all([banned, listed]));
		const banAt = dingTalk.calls(UPDATE)[0].at;
		expect(dingTalk.calls(UPDATE)[1].at - banAt).toBe(2000);
		expect(dingTalk.calls(LIST)[1].at - banAt).toBeGreaterThanOrEqual(2000);
		expect(dingTalk.calls(LIST)[1].at - banAt).toBeLessThan(2100);
	});

	it('an HTML ban page pauses for 5 seconds', async () => {
		await call([{ status: 200, text: '  <!DOCTYPE html><p>blocked</p>' }, ok()]);
		expect(sentAt()).toEqual([0, 5000]);
	});
});

describe('the access token', () => {
	it('a token DingTalk calls expired is renewed once and the call repeated once', async () => {
		await call([errcode(42001), ok()]);
		expect(dingTalk.calls('/gettoken')).toHaveLength(2);
		expect(dingTalk.calls(UPDATE).map((request) => request.query.access_token)).toEqual(['token-1', 'token-2']);

		const error = await failure([errcode(40014), errcode(40014)]);
		expect(error.message).toBe('DingTalk error 40014: the access token is invalid');
		expect(dingTalk.calls(UPDATE)).toHaveLength(4);
	});

	it('errcode 88 with a token sub_code renews the token; its message names both codes', async () => {
		await call([errcode(88, { sub_code: '42001' }), ok()]);
		expect(dingTalk.calls('/gettoken')).toHaveLength(2);
		const error = await failure([errcode(88, { sub_code: '60011', sub_msg: 'no permission' })]);
		expect(error.message).toBe('DingTalk error 88 (sub_code 60011): the app lacks the permission for this call');
		expect(error.description).toMatch(/grant "qyapi_ext_write".*\(DingTalk said: "errmsg of 88; no permission"\)$/);
	});

	it('a refused saved token is not used again, not even by a later run that still has it saved', async () => {
		const stale = savedToken('stale-token-abc');
		dingTalk.script(UPDATE, errcode(40014));
		await settle(newClient({}, { credential: stale }).call(UPDATE, {}, SAFE_TO_REPEAT));
		dingTalk.script(UPDATE, errcode(42001));
		await settle(newClient({}, { credential: { ...stale } }).call(UPDATE, {}, SAFE_TO_REPEAT));
		await settle(newClient({}, { credential: { ...stale } }).call(UPDATE, {}, SAFE_TO_REPEAT));
		expect(dingTalk.calls(UPDATE).map((request) => request.query.access_token)).toEqual([
			'stale-token-abc',
			'token-1',
			'token-1',
			'token-2',
			'token-2',
		]);
	});

	it('a token past its expiry is not sent; a new one is fetched', async () => {
		// one saved credential, as n8n keeps it between runs (the idle app session is dropped meanwhile)
		const credential = defaultCredential();
		await settle(newClient({}, { credential }).call(UPDATE, {}, SAFE_TO_REPEAT));
		// DingTalk's tokens live 7200 s; the node renews 5 minutes before
		jest.setSystemTime(Date.now() + 6_899_000);
		await settle(newClient({}, { credential }).call(UPDATE, {}, SAFE_TO_REPEAT));
		jest.setSystemTime(Date.now() + 2000);
		await settle(newClient({}, { credential }).call(UPDATE, {}, SAFE_TO_REPEAT));
		expect(dingTalk.calls(UPDATE).map((request) => request.query.access_token)).toEqual(['token-1', 'token-1', 'token-2']);
	});

	it.each([
		['', false],
		[', where n8n drops the cause of the errors it wraps (n8n 2.8)', true],
	])('a refused app key or secret fails the call, and every later call of the run at once%s', async (_, dropsErrorCauses) => {
		dingTalk.script('/gettoken', errcode(40089, { errmsg: `bad appsecret ${APP_SECRET}` }));
		const client = new DingTalkClient(fakeContext({ dingTalk, dropsErrorCauses }), OPTIONS);
		const first = await rejection(settle(client.call(UPDATE, {}, SAFE_TO_REPEAT, 2)));
		expect(first.message).toMatch(/^DingTalk error 40089: the App Key or App Secret is wrong \(getting an access token\)\. Open the DingTalk API credential/);
		expect(first.description).toMatch(/^Open the DingTalk API credential/);
		expect(first.errorResponse).toEqual({ errcode: 40089, errmsg: 'bad appsecret ***' });
		expect(first.context).toEqual({ itemIndex: 2 });
		const second = await rejection(settle(client.call(UPDATE, {}, SAFE_TO_REPEAT, 3)));
		expect(second.message).toBe(first.message);
		expect(dingTalk.calls('/gettoken')).toHaveLength(1);
		expect(dingTalk.calls(UPDATE)).toHaveLength(0);
	});

	it('a token request that failed on the network is retried from Max Retries; a page is not', async () => {
		dingTalk.script('/gettoken', { networkError: 'ECONNREFUSED' });
		await call([ok()]);
		expect(dingTalk.calls('/gettoken')).toHaveLength(2);

		appSessions.clear();
		dingTalk.script('/gettoken', { status: 200, text: '<html>login</html>' });
		const error = await failure([ok()]);
		expect(error.message).toBe(`${BASE_URL}/gettoken answered with HTTP 200 and no DingTalk data: check the Base URL in the DingTalk API credential`);
		expect(error.description).toMatch(/^Only the access token request \(\/gettoken\) was sent/);
		expect(mayHaveTakenEffect(error)).toBe(false);
	});
});

describe('the credential', () => {
	it('a Base URL that is not one fails the item with the reason, before anything is sent', async () => {
		const client = newClient({}, { credential: { ...defaultCredential(), baseUrl: 'ftp://dingtalk.invalid' } });
		const error = await rejection(client.call(UPDATE, {}, SAFE_TO_REPEAT, 7));
		expect(error.message).toMatch(/^The Base URL in the DingTalk API credential must start with https:\/\//);
		expect(error.context).toMatchObject({ itemIndex: 7 });
		expect(dingTalk.requests).toHaveLength(0);
	});

	it('other trouble reading the credential is passed on as it is', async () => {
		const context = fakeContext({ dingTalk });
		const trouble = new Error('credential not found');
		context.getCredentials = async () => await Promise.reject(trouble);
		await expect(new DingTalkClient(context, OPTIONS).call(UPDATE, {}, SAFE_TO_REPEAT)).rejects.toBe(trouble);
	});

	it('secrets DingTalk quotes are replaced by *** in the error', async () => {
		const error = await failure([errcode(40035, { errmsg: `bad request ?access_token=token-1&secret=${APP_SECRET}`, request_id: 'r-9' })]);
		expect(error.errorResponse).toEqual({ errcode: 40035, errmsg: 'bad request ?access_token=***&secret=***', request_id: 'r-9' });
		expect(error.description).toContain('(DingTalk said: "bad request ?access_token=***&secret=***")');
		expect(JSON.stringify(error)).not.toContain(APP_SECRET);
	});
});

describe('stop and timeout', () => {
	it('a stopped execution starts no call', async () => {
		const stop = new AbortController();
		stop.abort();
		const error = await rejection(newClient({}, { stop: stop.signal }).call(UPDATE, {}, SAFE_TO_REPEAT));
		expect(error.name).toBe('ExecutionStoppedError');
		expect(dingTalk.requests).toHaveLength(0);
	});

	it('a stop during a back-off ends the wait at once', async () => {
		const stop = new AbortController();
		dingTalk.script(UPDATE, errcode(-1), ok());
		const pending = newClient({}, { stop: stop.signal }).call(UPDATE, {}, SAFE_TO_REPEAT);
		pending.catch(() => undefined);
		await jest.advanceTimersByTimeAsync(100);
		stop.abort();
		const error = await rejection(settle(pending));
		expect(error.name).toBe('ExecutionStoppedError');
		expect(dingTalk.calls(UPDATE)).toHaveLength(1);
	});

	it('a call without an answer fails at the Timeout; a create is not sent again', async () => {
		jest.useRealTimers();
		dingTalk.script(CREATE, { hang: true }, ok());
		const client = newClient({ timeoutSeconds: 0.05 });
		const error = await rejection(client.call(CREATE, {}, NOT_SAFE_TO_REPEAT));
		expect(error.message).toBe(`Could not reach ${BASE_URL}: it did not answer in time`);
		expect(mayHaveTakenEffect(error)).toBe(true);
		expect(dingTalk.calls(CREATE)).toHaveLength(1);
	});
});
