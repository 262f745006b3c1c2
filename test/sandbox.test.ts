/**
 * The sandbox checked against the project's DingTalk API notes (dingtalk-api.md, kept beside the repository) with plain HTTP requests on 127.0.0.1 (no
 * node code involved): tokens, HTTP 200 on failures, the contact rules, paging, and the knobs.
 */
import http from 'http';

import type { Sandbox } from './sandbox/server';
import { SEED, startSandbox } from './sandbox/server';

type Json = Record<string, unknown>;
type Running = Sandbox & { close(): Promise<void> };

const UPDATE = '/topapi/extcontact/update';
const CREATE = '/topapi/extcontact/create';
const GET = '/topapi/extcontact/get';
const LIST = '/topapi/extcontact/list';
const DELETE = '/topapi/extcontact/delete';
const LABEL_GROUPS = '/topapi/extcontact/listlabelgroups';
const USERS = '/topapi/user/listsimple';

const [contactA, contactB] = SEED.contactIds;
const [owner, otherOwner] = SEED.userIds;
const [label, otherLabel] = SEED.labelIds;
const REQUEST_TIMEOUT_MS = 10_000;

interface Reply {
	status: number;
	headers: http.IncomingHttpHeaders;
	text: string;
	/** when the headers arrived, ms after the request started */
	headersAfterMs: number;
	json: Json;
}

/** One HTTP request, no keep-alive; fails after `timeoutMs`. */
function request(
	sandbox: Running,
	method: string,
	pathAndQuery: string,
	options: { body?: string; contentType?: string; headers?: Json; timeoutMs?: number; onResponse?: (req: http.ClientRequest) => void } = {},
): Promise<Reply> {
	const started = Date.now();
	return new Promise((resolve, reject) => {
		const headers: http.OutgoingHttpHeaders = { ...(options.headers as http.OutgoingHttpHeaders) };
		if (options.body !== undefined) {
			headers['Content-Type'] = options.contentType ?? 'application/x-www-form-urlencoded';
			headers['Content-Length'] = Buffer.byteLength(options.body);
		}
		const req = http.request(`${sandbox.url}${pathAndQuery}`, { method, headers, agent: false }, (res) => {
			const headersAfterMs = Date.now() - started;
			options.onResponse?.(req);
			const chunks: Buffer[] = [];
			res.on('data', (chunk: Buffer) => chunks.push(chunk));
			res.on('error', reject);
			res.on('aborted', () => reject(new Error('aborted')));
			res.on('close', () => {
				if (!res.complete) reject(new Error('closed before the end of the body'));
			});
			res.on('end', () => {
				const text = Buffer.concat(chunks).toString('utf8');
				let json: Json = {};
				try {
					json = JSON.parse(text) as Json;
				} catch {
					// not JSON: the test looks at text
				}
				resolve({ status: res.statusCode ?? 0, headers: res.headers, text, headersAfterMs, json });
			});
		});
		req.setTimeout(options.timeoutMs ?? REQUEST_TIMEOUT_MS, () => req.destroy(new Error('timed out')));
		req.on('error', reject);
		req.end(options.body);
	});
}

const tokenQuery = (sandbox: Running, secret = sandbox.appSecret) =>
	`/gettoken?appkey=${encodeURIComponent(sandbox.appKey)}&appsecret=${encodeURIComponent(secret)}`;

async function token(sandbox: Running): Promise<string> {
	const reply = await request(sandbox, 'GET', tokenQuery(sandbox));
	expect(reply.json.errcode).toBe(0);
	return reply.json.access_token as string;
}

/** A topapi call as the page documents it: form encoded, `contact` as a JSON string; or a JSON body. */
async function call(sandbox: Running, path: string, params: Json, encoding: 'form' | 'json' = 'form', accessToken?: string): Promise<Reply> {
	const tokenValue = accessToken ?? (await token(sandbox));
	const body =
		encoding === 'json'
			? JSON.stringify(params)
			: new URLSearchParams(
					Object.entries(params)
						.filter(([, value]) => value !== undefined)
						.map(([key, value]): [string, string] => [key, typeof value === 'object' ? JSON.stringify(value) : String(value)]),
				).toString();
	return await request(sandbox, 'POST', `${path}?access_token=${encodeURIComponent(tokenValue)}`, {
		body,
		contentType: encoding === 'json' ? 'application/json' : 'application/x-www-form-urlencoded',
	});
}

const newContact = (overrides: Json = {}): Json => ({
	name: '韩梅梅',
	follower_user_id: owner,
	label_ids: [label],
	state_code: '86',
	mobile: '13600000001',
	...overrides,
});

const updateOf = (overrides: Json = {}): Json => ({ user_id: contactA, name: '王小明', follower_user_id: owner, label_ids: [label], ...overrides });

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits (at most a second) until the wall clock is `ms` into a second. */
async function waitUntilMsIntoSecond(ms: number): Promise<void> {
	await pause((ms - (Date.now() % 1000) + 1000) % 1000);
}

/** Starts a request `own` will not have answered after `afterMs`, closes `own`, and checks the request ended at once. */
async function expectCloseEndsPendingRequest(own: Running, afterMs: number): Promise<void> {
	const pending = request(own, 'GET', tokenQuery(own)).then(
		() => 'completed',
		() => 'ended',
	);
	await pause(afterMs);
	const closing = Date.now();
	await own.close();
	expect(await pending).toBe('ended');
	expect(Date.now() - closing).toBeLessThan(2000);
}

let sandbox: Running;
beforeAll(async () => {
	sandbox = (await startSandbox({ seed: 'default' })) as Running;
});
afterAll(async () => await sandbox?.close());
beforeEach(() => {
	sandbox.reset();
	sandbox.resetLog();
});

describe('access token', () => {
	it('comes from GET /gettoken with appkey and appsecret in the query, the same one while valid', async () => {
		const first = await request(sandbox, 'GET', tokenQuery(sandbox));
		expect(first.status).toBe(200);
		expect(first.json).toMatchObject({ errcode: 0, errmsg: 'ok', access_token: expect.any(String), expires_in: 7200 });
		const second = await request(sandbox, 'GET', tokenQuery(sandbox));
		expect(second.json.access_token).toBe(first.json.access_token);
	});

	it('sent as a form body answers 40035, with HTTP 200', async () => {
		const reply = await request(sandbox, 'POST', '/gettoken', {
			body: new URLSearchParams({ appkey: sandbox.appKey, appsecret: sandbox.appSecret }).toString(),
		});
		expect(reply.status).toBe(200);
		expect(reply.json.errcode).toBe(40035);
	});

	it('a wrong secret answers 40089 with HTTP 200', async () => {
		const reply = await request(sandbox, 'GET', tokenQuery(sandbox, 'wrong-secret'));
		expect(reply.status).toBe(200);
		expect(reply.json.errcode).toBe(40089);
	});

	it('goes in the access_token query parameter only: a header is ignored', async () => {
		const accessToken = await token(sandbox);
		const asHeader = await request(sandbox, 'POST', LIST, {
			body: 'offset=0&size=10',
			headers: { access_token: accessToken, 'x-acs-dingtalk-access-token': accessToken, authorization: `Bearer ${accessToken}` },
		});
		expect(asHeader.status).toBe(200);
		expect(asHeader.json.errcode).toBe(40014);
		expect((await call(sandbox, LIST, { offset: 0, size: 10 }, 'form', accessToken)).json.errcode).toBe(0);
	});

	it('expires after tokenExpiresAfterCalls calls (42001), and a new one is issued', async () => {
		sandbox.set({ tokenExpiresAfterCalls: 2 });
		const first = await token(sandbox);
		expect((await call(sandbox, GET, { user_id: contactA }, 'form', first)).json.errcode).toBe(0);
		expect((await call(sandbox, GET, { user_id: contactA }, 'form', first)).json.errcode).toBe(0);
		expect((await call(sandbox, GET, { user_id: contactA }, 'form', first)).json.errcode).toBe(42001);
		const second = await token(sandbox);
		expect(second).not.toBe(first);
		expect((await call(sandbox, GET, { user_id: contactA }, 'form', second)).json.errcode).toBe(0);
	});

	it('can be scripted: script("/gettoken") answers once, then gettoken works again', async () => {
		sandbox.script('/gettoken', [{ errcode: 40096, errmsg: 'invalid appkey or appsecret' }]);
		expect((await request(sandbox, 'GET', tokenQuery(sandbox))).json.errcode).toBe(40096);
		expect((await request(sandbox, 'GET', tokenQuery(sandbox))).json.errcode).toBe(0);
		expect(sandbox.stats().tokensIssued).toBe(1);
	});
});

describe('failures are HTTP 200 with a non-zero errcode', () => {
	it('no token: 40014', async () => {
		const reply = await request(sandbox, 'POST', LIST, { body: 'offset=0&size=10' });
		expect([reply.status, reply.json.errcode]).toEqual([200, 40014]);
	});

	it.each([
		['an unknown contact', GET, { user_id: 'no-such-contact' }, 60121],
		['a contact without labels', CREATE, { contact: newContact({ label_ids: undefined }) }, 60204],
		['a bad page size', LIST, { offset: 0, size: 101 }, 40069],
		['a GET instead of POST', LIST, undefined, 40035],
	])('%s: %s', async (_what, path, params, errcode) => {
		const reply = params
			? await call(sandbox, path, params)
			: await request(sandbox, 'GET', `${path}?access_token=${await token(sandbox)}`);
		expect(reply.status).toBe(200);
		expect(reply.json.errcode).toBe(errcode);
		expect(typeof reply.json.errmsg).toBe('string');
	});

	it('an unknown path is a 404', async () => {
		expect((await call(sandbox, '/topapi/extcontact/nothing', {})).status).toBe(404);
	});
});

describe('create', () => {
	it('accepts the documented form (contact as a JSON string) and a JSON body, and answers the userid', async () => {
		const form = await call(sandbox, CREATE, { contact: newContact() });
		expect(form.json).toMatchObject({ errcode: 0, userid: expect.any(String), request_id: expect.any(String) });
		const json = await call(sandbox, CREATE, { contact: newContact({ mobile: '13600000002' }) }, 'json');
		expect(json.json.errcode).toBe(0);
		const [formCall, jsonCall] = sandbox.log.filter((entry) => entry.path === CREATE);
		expect(formCall).toMatchObject({ encoding: 'form', contactAsJsonString: true, applied: true });
		expect(jsonCall).toMatchObject({ encoding: 'json', contactAsJsonString: false, applied: true });
		const stored = sandbox.state.contacts.get(form.json.userid as string);
		expect(stored).toEqual({ userid: form.json.userid, name: '韩梅梅', follower_user_id: owner, label_ids: [label], state_code: '86', mobile: '13600000001' });
	});

	it('one contact per mobile number: a second create answers 60200', async () => {
		expect((await call(sandbox, CREATE, { contact: newContact() })).json.errcode).toBe(0);
		expect((await call(sandbox, CREATE, { contact: newContact({ name: 'Someone else' }) })).json.errcode).toBe(60200);
		const existing = sandbox.state.contacts.get(contactA)!;
		const clash = await call(sandbox, CREATE, { contact: newContact({ state_code: existing.state_code, mobile: existing.mobile }) });
		expect(clash.json.errcode).toBe(60200);
	});

	it.each([
		['state_code missing', 40036, { state_code: undefined }],
		['mobile missing', 40036, { mobile: undefined }],
		['mobile empty', 40036, { mobile: '' }],
		['name missing', 40036, { name: undefined }],
		['follower missing', 40036, { follower_user_id: undefined }],
		['follower unknown', 60121, { follower_user_id: 'nobody' }],
		['labels missing', 60204, { label_ids: undefined }],
		['labels empty', 60204, { label_ids: [] }],
		['labels as strings', 40035, { label_ids: [String(label)] }],
		['labels not an array', 40035, { label_ids: label }],
		['21 labels', 40035, { label_ids: Array.from({ length: 21 }, () => label) }],
		['a label that does not exist', 40035, { label_ids: [999999] }],
		['share_dept_ids as strings', 40035, { share_dept_ids: ['2'] }],
		['21 share_dept_ids', 40035, { share_dept_ids: Array.from({ length: 21 }, () => 2) }],
		['share_user_ids as numbers', 40035, { share_user_ids: [1] }],
		['21 share_user_ids', 40035, { share_user_ids: Array.from({ length: 21 }, () => owner) }],
		['title not text', 40035, { title: 5 }],
		['a mobile with letters', 60103, { mobile: 'call me' }],
		['a country code with letters', 40035, { state_code: 'China' }],
	])('%s answers %s', async (_what, errcode, overrides) => {
		const before = sandbox.state.contacts.size;
		const reply = await call(sandbox, CREATE, { contact: newContact(overrides) });
		expect(reply.status).toBe(200);
		expect(reply.json.errcode).toBe(errcode);
		expect(sandbox.state.contacts.size).toBe(before);
	});

	it('20 entries in each list are accepted', async () => {
		const twenty = <T>(value: T) => Array.from({ length: 20 }, () => value);
		const reply = await call(sandbox, CREATE, {
			contact: newContact({ label_ids: twenty(label), share_dept_ids: twenty(2), share_user_ids: twenty(owner) }),
		});
		expect(reply.json.errcode).toBe(0);
	});

	it('a form body whose contact is not JSON answers 40035', async () => {
		const reply = await request(sandbox, 'POST', `${CREATE}?access_token=${await token(sandbox)}`, { body: 'contact=%7Bnot-json' });
		expect(reply.json.errcode).toBe(40035);
	});
});

describe('update', () => {
	it('cannot change the mobile number: state_code or mobile answer 40035 and nothing changes', async () => {
		const before = structuredClone(sandbox.state.contacts.get(contactA));
		for (const extra of [{ mobile: '13911112222' }, { state_code: '86' }]) {
			const reply = await call(sandbox, UPDATE, { contact: updateOf({ name: 'Changed', ...extra }) });
			expect(reply.json.errcode).toBe(40035);
		}
		expect(sandbox.state.contacts.get(contactA)).toEqual(before);
	});

	it.each([
		['user_id missing', 40036, { user_id: undefined }],
		['user_id a number', 40035, { user_id: 243563262939012 }],
		['an unknown contact', 60121, { user_id: 'no-such-contact' }],
		['labels missing', 60204, { label_ids: undefined }],
		['name missing', 40036, { name: '' }],
	])('%s answers %s', async (_what, errcode, overrides) => {
		expect((await call(sandbox, UPDATE, { contact: updateOf(overrides) })).json.errcode).toBe(errcode);
	});

	it('replaces name, follower and labels and keeps mobile, state_code and email', async () => {
		const before = sandbox.state.contacts.get(contactA)!;
		const reply = await call(sandbox, UPDATE, { contact: updateOf({ name: 'New Name', follower_user_id: otherOwner, label_ids: [otherLabel] }) });
		expect(reply.json).toEqual({ errcode: 0, errmsg: 'ok', request_id: expect.any(String) });
		expect(sandbox.state.contacts.get(contactA)).toMatchObject({
			userid: contactA,
			name: 'New Name',
			follower_user_id: otherOwner,
			label_ids: [otherLabel],
			state_code: before.state_code,
			mobile: before.mobile,
			email: before.email,
		});
	});

	it('updateClearsOmitted (default true): optional fields left out are cleared', async () => {
		expect(sandbox.knobs.updateClearsOmitted).toBe(true);
		const before = sandbox.state.contacts.get(contactA)!;
		expect(before).toMatchObject({ title: expect.any(String), company_name: expect.any(String), share_user_ids: expect.arrayContaining([]) });
		await call(sandbox, UPDATE, { contact: updateOf({ remark: 'new remark' }) });
		const after = sandbox.state.contacts.get(contactA)!;
		expect(after.remark).toBe('new remark');
		for (const key of ['title', 'company_name', 'address', 'share_dept_ids', 'share_user_ids'] as const) expect(after[key]).toBeUndefined();
	});

	it('updateClearsOmitted false: optional fields left out are kept, the ones given are replaced', async () => {
		sandbox.set({ updateClearsOmitted: false });
		const before = structuredClone(sandbox.state.contacts.get(contactA)!);
		await call(sandbox, UPDATE, { contact: updateOf({ name: 'Kept Fields', remark: 'new remark', share_user_ids: [otherOwner] }) });
		expect(sandbox.state.contacts.get(contactA)).toEqual({
			...before,
			name: 'Kept Fields',
			follower_user_id: owner,
			label_ids: [label],
			remark: 'new remark',
			share_user_ids: [otherOwner],
		});
	});
});

describe('get, delete', () => {
	it('get answers result with the read-back name userid; delete removes it', async () => {
		const got = await call(sandbox, GET, { user_id: contactB });
		expect(got.json.result).toEqual(sandbox.state.contacts.get(contactB));
		expect((await call(sandbox, DELETE, { user_id: contactB })).json.errcode).toBe(0);
		expect(sandbox.state.contacts.has(contactB)).toBe(false);
		expect((await call(sandbox, GET, { user_id: contactB })).json.errcode).toBe(60121);
	});

	it('user_id must be a string', async () => {
		expect((await call(sandbox, GET, { user_id: 12345 }, 'json')).json.errcode).toBe(40035);
		expect((await call(sandbox, GET, {}, 'json')).json.errcode).toBe(40036);
	});
});

describe('paging', () => {
	let big: Running;
	beforeAll(async () => {
		big = (await startSandbox({ seed: { extraContacts: 245 } })) as Running;
	});
	afterAll(async () => await big?.close());

	it('list pages through every contact; a page shorter than size is the last; no total or has_more', async () => {
		const seen = new Set<string>();
		let pages = 0;
		for (let offset = 0; pages < 10; offset += 100) {
			pages++;
			const reply = await call(big, LIST, { offset, size: 100 });
			expect(reply.json.errcode).toBe(0);
			expect(reply.json).not.toHaveProperty('total');
			expect(reply.json).not.toHaveProperty('has_more');
			const results = reply.json.results as Json[];
			for (const contact of results) seen.add(contact.userid as string);
			if (results.length < 100) break;
		}
		expect(pages).toBe(3);
		expect(seen.size).toBe(big.state.contacts.size);
	});

	it.each([
		[{ offset: 0, size: 0 }, 40069],
		[{ offset: 0, size: 101 }, 40069],
		[{ offset: 0, size: 'ten' }, 40069],
		[{ offset: -1, size: 10 }, 40068],
		[{ offset: 1.5, size: 10 }, 40068],
	])('list %j answers %s', async (params, errcode) => {
		expect((await call(big, LIST, params)).json.errcode).toBe(errcode);
	});

	it('offset and size apply only when both are set (else the first 20)', async () => {
		const ids = (reply: Reply) => (reply.json.results as Json[]).map((contact) => contact.userid);
		const first20 = ids(await call(big, LIST, { offset: 0, size: 20 }));
		expect(ids(await call(big, LIST, { size: 500 }))).toEqual(first20);
		expect(ids(await call(big, LIST, { offset: 240 }))).toEqual(first20);
		expect(ids(await call(big, LIST, {}))).toEqual(first20);
	});

	it('listlabelgroups: size at most 100, groups with a signed ARGB color and labels', async () => {
		const reply = await call(big, LABEL_GROUPS, { offset: 0, size: 100 });
		const groups = reply.json.results as Json[];
		expect(groups.length).toBeGreaterThan(0);
		for (const group of groups) expect(group).toEqual({ name: expect.any(String), color: expect.any(Number), labels: expect.any(Array) });
		expect((await call(big, LABEL_GROUPS, { offset: 0, size: 101 })).json.errcode).toBe(40069);
	});

	it('listsimple pages users with has_more and next_cursor', async () => {
		const first = await call(big, USERS, { dept_id: 1, cursor: 0, size: 1 }, 'json');
		expect(first.json.result).toMatchObject({ has_more: expect.any(Boolean), list: [{ userid: expect.any(String), name: expect.any(String) }] });
	});
});

describe('missingPermission', () => {
	const reads = [
		[GET, { user_id: contactA }],
		[LIST, { offset: 0, size: 10 }],
		[LABEL_GROUPS, { offset: 0, size: 10 }],
	] as const;
	const writes = [
		[UPDATE, { contact: updateOf() }],
		[CREATE, { contact: newContact() }],
		[DELETE, { user_id: contactB }],
	] as const;

	it.each([
		[true, false, true],
		['write', false, true],
		['read', true, false],
		['all', true, true],
		[false, false, false],
	] as const)('%s: reads refused %s, writes refused %s (60011)', async (knob, readsRefused, writesRefused) => {
		sandbox.set({ missingPermission: knob });
		const accessToken = await token(sandbox);
		for (const [path, params] of reads) {
			expect([path, (await call(sandbox, path, params, 'form', accessToken)).json.errcode]).toEqual([path, readsRefused ? 60011 : 0]);
		}
		for (const [path, params] of writes) {
			expect([path, (await call(sandbox, path, params, 'form', accessToken)).json.errcode]).toEqual([path, writesRefused ? 60011 : 0]);
		}
		expect((await call(sandbox, USERS, { dept_id: 1 }, 'form', accessToken)).json.errcode).toBe(0);
	});
});

describe('qpsLimit and qpsWindow', () => {
	it('rolling (default): at most qpsLimit calls in any 1000 ms; refused calls answer 90018', async () => {
		sandbox.set({ qpsLimit: { [LIST]: 2 } });
		const accessToken = await token(sandbox);
		await waitUntilMsIntoSecond(700);
		const codes = [];
		codes.push((await call(sandbox, LIST, {}, 'form', accessToken)).json.errcode);
		codes.push((await call(sandbox, LIST, {}, 'form', accessToken)).json.errcode);
		await waitUntilMsIntoSecond(50); // the next wall-clock second, under 1000 ms after the first call
		codes.push((await call(sandbox, LIST, {}, 'form', accessToken)).json.errcode);
		expect(codes).toEqual([0, 0, 90018]);
		expect((await call(sandbox, GET, { user_id: contactA }, 'form', accessToken)).json.errcode).toBe(0); // per API
	});

	it('calendar: at most qpsLimit calls per wall-clock second', async () => {
		sandbox.set({ qpsLimit: { [LIST]: 2 }, qpsWindow: 'calendar' });
		const accessToken = await token(sandbox);
		await waitUntilMsIntoSecond(700);
		const codes = [];
		for (let i = 0; i < 3; i++) codes.push((await call(sandbox, LIST, {}, 'form', accessToken)).json.errcode);
		await waitUntilMsIntoSecond(50);
		codes.push((await call(sandbox, LIST, {}, 'form', accessToken)).json.errcode);
		codes.push((await call(sandbox, LIST, {}, 'form', accessToken)).json.errcode);
		expect(codes).toEqual([0, 0, 90018, 0, 0]);
	});

	it('counts a call when its latency is over, as late as DingTalk could: the log says when (qpsCheckedAt), refused calls too', async () => {
		sandbox.set({ qpsLimit: { [LIST]: 1 }, latencyMs: 80 });
		const accessToken = await token(sandbox);
		const first = call(sandbox, LIST, {}, 'form', accessToken);
		const second = call(sandbox, LIST, {}, 'form', accessToken);
		expect([(await first).json.errcode, (await second).json.errcode].sort()).toEqual([0, 90018]);
		const lists = sandbox.log.filter((entry) => entry.path === LIST).slice(-2);
		for (const entry of lists) {
			expect(entry.qpsCheckedAt).toBeGreaterThanOrEqual(entry.time + 80);
			expect(entry.qpsCheckedAt).toBeLessThanOrEqual(entry.time + entry.latencyMs);
		}
	});

	it("a number limits each topapi call; { '/gettoken': n } limits gettoken", async () => {
		sandbox.set({ qpsLimit: { '/gettoken': 1 } });
		expect((await request(sandbox, 'GET', tokenQuery(sandbox))).json.errcode).toBe(0);
		expect((await request(sandbox, 'GET', tokenQuery(sandbox))).json.errcode).toBe(90018);
	});
});

describe('verbatim answers', () => {
	it('{ http, html: true } is an HTML page with that status', async () => {
		for (const status of [401, 403, 404]) {
			sandbox.script(UPDATE, [{ http: status, html: true }]);
			const reply = await call(sandbox, UPDATE, { contact: updateOf() });
			expect(reply.status).toBe(status);
			expect(reply.headers['content-type']).toMatch(/^text\/html/);
			expect(reply.text).toMatch(/^<!DOCTYPE html>/);
		}
		expect(sandbox.log.filter((entry) => entry.applied)).toHaveLength(0);
	});

	it('{ http, body } is a text body with that status; { html: true } the ban page with 200', async () => {
		sandbox.script(LIST, [{ http: 502, body: 'Bad Gateway from the proxy' }, { html: true }]);
		const text = await call(sandbox, LIST, {});
		expect([text.status, text.text]).toEqual([502, 'Bad Gateway from the proxy']);
		const html = await call(sandbox, LIST, {});
		expect(html.status).toBe(200);
		expect(html.text).toContain('<html>');
	});

	it('{ raw, contentType } is sent exactly, with status 200', async () => {
		const odd = '{"errcode":0,"errcode":40014,"results":[]}';
		sandbox.script(LIST, [{ raw: odd }, { raw: 'not json at all', contentType: 'text/plain; charset=gbk' }]);
		const first = await call(sandbox, LIST, {});
		expect([first.status, first.text, first.headers['content-type']]).toEqual([200, odd, 'application/json; charset=utf-8']);
		const second = await call(sandbox, LIST, {});
		expect([second.status, second.text, second.headers['content-type']]).toEqual([200, 'not json at all', 'text/plain; charset=gbk']);
	});

	it('{ ban } is the IP-ban JSON without errcode; failFor answers every matching call', async () => {
		sandbox.failFor({ path: UPDATE, userId: contactB }, { ban: 5 });
		expect((await call(sandbox, UPDATE, { contact: updateOf({ user_id: contactB }) })).json).toEqual({ status: 1111, wait: 5, punish: 'deny' });
		expect((await call(sandbox, UPDATE, { contact: updateOf({ user_id: contactB }) })).json.status).toBe(1111);
		expect((await call(sandbox, UPDATE, { contact: updateOf() })).json.errcode).toBe(0);
	});

	it('{ answerLost: true } applies the call, then cuts the connection instead of answering', async () => {
		sandbox.script(DELETE, [{ answerLost: true }]);
		await expect(call(sandbox, DELETE, { user_id: contactB })).rejects.toThrow(/socket hang up|closed|aborted/);
		expect(sandbox.state.contacts.has(contactB)).toBe(false);
		const [entry] = sandbox.log.filter((logged) => logged.path === DELETE);
		expect([entry.applied, entry.answerLost, (entry.response as Json).errcode]).toEqual([true, true, 0]);
		// only the one call: the next is answered
		expect((await call(sandbox, DELETE, { user_id: contactB })).json.errcode).toBe(60121);
	});

	it('failFor works on /gettoken too', async () => {
		sandbox.failFor({ path: '/gettoken' }, { http: 403, html: true });
		expect((await request(sandbox, 'GET', tokenQuery(sandbox))).status).toBe(403);
	});
});

describe('echoSecrets', () => {
	it('off (default): error answers do not quote the request', async () => {
		const accessToken = await token(sandbox);
		const reply = await call(sandbox, GET, { user_id: 'missing' }, 'form', accessToken);
		expect(reply.text).not.toContain(accessToken);
	});

	it('on: every error answer quotes path and query in errmsg and sub_msg; successes are unchanged', async () => {
		sandbox.set({ echoSecrets: true });
		const accessToken = await token(sandbox);
		const failed = await call(sandbox, GET, { user_id: 'missing' }, 'form', accessToken);
		expect(failed.json.errcode).toBe(60121);
		for (const field of ['errmsg', 'sub_msg']) expect(failed.json[field]).toContain(`${GET}?access_token=${accessToken}`);

		sandbox.script(UPDATE, [{ errcode: 88, errmsg: 'auth failed', sub_code: '40014', sub_msg: 'invalid token' }]);
		const scripted = await call(sandbox, UPDATE, { contact: updateOf() }, 'form', accessToken);
		expect(scripted.json).toMatchObject({ sub_code: '40014', errmsg: expect.stringContaining(accessToken), sub_msg: expect.stringContaining(accessToken) });

		const badSecret = await request(sandbox, 'GET', tokenQuery(sandbox, 'wrong-secret-123'));
		expect(badSecret.json.errmsg).toContain('appsecret=wrong-secret-123');
		expect(badSecret.json.sub_msg).toContain('appsecret=wrong-secret-123');

		const ok = await call(sandbox, GET, { user_id: contactA }, 'form', accessToken);
		expect(ok.json.errmsg).toBe('ok');
		expect(ok.json).not.toHaveProperty('sub_msg');
	});
});

describe('answerPaddingBytes and slowBodyBytesPerSecond', () => {
	it('answerPaddingBytes adds a field of that size to every JSON answer, not to the log', async () => {
		sandbox.set({ answerPaddingBytes: 5000 });
		const reply = await call(sandbox, GET, { user_id: contactA });
		expect(reply.json.errcode).toBe(0);
		expect((reply.json.sandbox_padding as string).length).toBe(5000);
		expect(Buffer.byteLength(reply.text)).toBeGreaterThan(5000);
		expect(sandbox.log[sandbox.log.length - 1].response).not.toHaveProperty('sandbox_padding');
	});

	it('slowBodyBytesPerSecond: headers at once, then the body at that rate', async () => {
		sandbox.set({ slowBodyBytesPerSecond: 2000, answerPaddingBytes: 2000 });
		const started = Date.now();
		const reply = await request(sandbox, 'GET', tokenQuery(sandbox));
		const elapsed = Date.now() - started;
		expect(reply.headersAfterMs).toBeLessThan(500);
		expect(reply.json.errcode).toBe(0);
		expect(elapsed).toBeGreaterThanOrEqual(800);
		expect(elapsed).toBeLessThan(5000);
	});

	it('a client that gives up, and close(), end a trickling body', async () => {
		const own = (await startSandbox({ seed: 'default', slowBodyBytesPerSecond: 10, answerPaddingBytes: 100_000 })) as Running;
		try {
			// a client that disconnects after the headers: the trickle stops (10 B/s = a write every 100 ms)
			const writes = jest.spyOn(http.ServerResponse.prototype, 'write');
			try {
				await expect(
					request(own, 'GET', tokenQuery(own), { onResponse: (req) => setTimeout(() => req.destroy(), 300) }),
				).rejects.toThrow();
				expect(writes.mock.calls.length).toBeGreaterThan(0);
				await pause(150);
				const afterDisconnect = writes.mock.calls.length;
				await pause(500);
				expect(writes.mock.calls.length).toBe(afterDisconnect);
			} finally {
				writes.mockRestore();
			}
			// and goes on answering others
			own.set({ slowBodyBytesPerSecond: 0, answerPaddingBytes: 0 });
			expect((await request(own, 'GET', tokenQuery(own))).json.errcode).toBe(0);

			// close() ends a body that would take hours, at once
			own.set({ slowBodyBytesPerSecond: 10, answerPaddingBytes: 100_000 });
			await expectCloseEndsPendingRequest(own, 200);
		} finally {
			await own.close();
		}
	});

	it('close() ends a pending latency wait', async () => {
		const own = (await startSandbox({ seed: 'default', latencyMs: 60_000 })) as Running;
		try {
			await expectCloseEndsPendingRequest(own, 100);
			expect(own.stats().tokensIssued).toBe(0);
		} finally {
			await own.close();
		}
	});
});
