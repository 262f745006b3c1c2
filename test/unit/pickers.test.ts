/**
 * The editor's lists (methods/): labels, the department tree, users, and the searches with their
 * pagination tokens, against the small directory of directory.ts; and the credential itself.
 */
import type { IDataObject, INodeListSearchResult } from 'n8n-workflow';

import { DingTalkApi } from '../../credentials/DingTalkApi.credentials';
import { DingTalk } from '../../nodes/DingTalk/DingTalk.node';
import { listAllUsers, listDepartments, listUsersPage, matchesFilter, ROOT_DEPARTMENT_ID } from '../../nodes/DingTalk/directory/lists';
import { listSearch } from '../../nodes/DingTalk/methods/listSearch';
import { loadOptions } from '../../nodes/DingTalk/methods/loadOptions';
import { appSessions } from '../../nodes/DingTalk/transport/appSession';
import { DingTalkClient } from '../../nodes/DingTalk/transport/client';
import { encodeForm } from '../../nodes/DingTalk/transport/form';
import { TOKEN_ONLY, tokenFingerprint } from '../../nodes/DingTalk/transport/tokenRequest';
import type { Directory } from './directory';
import { contact, emptyDirectory, serve } from './directory';
import { BASE_URL, fakeContext, FakeDingTalk, ok, rejection, settle, useFakeClock } from './fakes';

const LISTSUB = '/topapi/v2/department/listsub';
const LISTSIMPLE = '/topapi/user/listsimple';
const LIST = '/topapi/extcontact/list';

let dingTalk: FakeDingTalk;
let directory: Directory;

const dept = (id: number, name: string, parent: number) => ({ dept_id: id, name, parent_id: parent });
const users = (prefix: string, count: number) => Array.from({ length: count }, (_, index) => ({ userid: `${prefix}${index}`, name: `${prefix} user ${index}` }));

beforeEach(() => {
	appSessions.clear();
	useFakeClock();
	directory = emptyDirectory();
	directory.departments.set(1, [dept(10, 'Sales', 1), dept(20, 'Support', 1)]);
	directory.departments.set(10, [dept(11, 'East', 10), dept(12, 'West', 10)]);
	directory.departments.set(11, [dept(111, 'Shanghai', 11)]);
	directory.users.set(1, [{ userid: 'boss', name: 'Boss' }]);
	directory.users.set(10, [{ userid: 'boss', name: 'Boss' }, { userid: 'amy', name: 'Amy' }]);
	directory.users.set(111, users('sh', 230));
	dingTalk = serve(new FakeDingTalk(), directory);
});

afterEach(() => jest.useRealTimers());

const context = () => fakeContext({ dingTalk });
const client = () => new DingTalkClient(context(), { requestsPerSecond: 1000, maxRetries: 3, maxBanWaitSeconds: 30, timeoutSeconds: 30 });
/** For walks of thousands of calls: the directory's answers without the client's token and rate limit. */
const quickClient = () =>
	({
		call: async (path: string, params: IDataObject) =>
			JSON.parse(String((await dingTalk.handle({ url: `${BASE_URL}${path}`, method: 'POST', body: encodeForm(params) })).body)) as IDataObject,
	}) as unknown as DingTalkClient;

describe('the node', () => {
	it('offers the pickers and runs its operations through the router', async () => {
		const node = new DingTalk();
		expect(node.methods.loadOptions).toBe(loadOptions);
		expect(node.methods.listSearch).toBe(listSearch);
		const run = fakeContext({ dingTalk, parameters: { resource: 'label', operation: 'getAll' } });
		expect(await settle(node.execute.call(run))).toEqual([[]]);
	});
});

describe('departments', () => {
	it('the whole tree from the root, each named by its path', async () => {
		const departments = await settle(listDepartments(client()));
		expect(departments).toEqual([
			{ id: ROOT_DEPARTMENT_ID, name: 'Whole organisation', path: 'Whole organisation' },
			{ id: 10, name: 'Sales', path: 'Sales' },
			{ id: 20, name: 'Support', path: 'Support' },
			{ id: 11, name: 'East', path: 'Sales / East' },
			{ id: 12, name: 'West', path: 'Sales / West' },
			{ id: 111, name: 'Shanghai', path: 'Sales / East / Shanghai' },
		]);
		expect(dingTalk.calls(LISTSUB).map((request) => request.params.dept_id)).toEqual([1, 10, 20, 11, 12, 111]);
	});

	it('a department listed twice, or under itself, is walked once; a missing name is its id', async () => {
		directory.departments.set(12, [dept(10, 'Sales again', 12), { dept_id: 13 }]);
		directory.departments.set(13, [dept(1, 'The root', 13)]);
		const departments = await settle(listDepartments(client()));
		expect(departments.map((department) => department.path)).toEqual([
			'Whole organisation',
			'Sales',
			'Support',
			'Sales / East',
			'Sales / West',
			'Sales / East / Shanghai',
			'Sales / West / 13',
		]);
	});

	it('the walk ends at 100 levels', async () => {
		for (let id = 1; id < 150; id++) directory.departments.set(id, [dept(id + 1, `Level ${id + 1}`, id)]);
		const departments = await listDepartments(quickClient());
		expect(departments).toHaveLength(101);
		expect(dingTalk.calls(LISTSUB)).toHaveLength(100);
	});

	it('and at 5,000 departments', async () => {
		directory.departments.set(1, Array.from({ length: 3000 }, (_, index) => dept(1000 + index, `A${index}`, 1)));
		directory.departments.set(1000, Array.from({ length: 3000 }, (_, index) => dept(10_000 + index, `B${index}`, 1000)));
		dingTalk.on(LISTSUB, ({ params }) => ok({ result: directory.departments.get(Number(params.dept_id)) ?? [] }));
		const departments = await listDepartments(quickClient());
		expect(departments).toHaveLength(6001);
		// the second level was read, the third was not
		expect(dingTalk.calls(LISTSUB)).toHaveLength(3001);
	});

	it('the load-options list is sorted by path', async () => {
		const options = await settle(loadOptions.getDepartments.call(context()));
		expect(options.map((option) => option.name)).toEqual(['Sales', 'Sales / East', 'Sales / East / Shanghai', 'Sales / West', 'Support', 'Whole organisation']);
		expect(options[0]).toEqual({ name: 'Sales', value: 10, description: 'Department ID 10' });
	});
});

describe('users', () => {
	it('one page of a department, with the cursor of the next', async () => {
		const first = await settle(listUsersPage(client(), 111, 0));
		expect(first.users).toHaveLength(100);
		expect(first.nextCursor).toBe(100);
		expect(dingTalk.calls(LISTSIMPLE)[0].params).toEqual({ dept_id: 111, cursor: 0, size: 100 });
		expect(await settle(listUsersPage(client(), 111, 200))).toEqual({ users: users('sh', 230).slice(200), nextCursor: undefined });
	});

	it('a page without has_more or without a usable cursor is the last; a page without its list is a failed call', async () => {
		dingTalk.script(
			LISTSIMPLE,
			ok({ result: { has_more: true, next_cursor: 'x', list: [{ userid: 'u1' }] } }),
			ok({ result: { has_more: false, next_cursor: 5, list: [] } }),
			ok({ result: { has_more: false, next_cursor: 5 } }),
			ok(),
		);
		expect(await settle(listUsersPage(client(), 1, 0))).toEqual({ users: [{ userid: 'u1', name: 'u1' }], nextCursor: undefined });
		expect(await settle(listUsersPage(client(), 1, 0))).toEqual({ users: [], nextCursor: undefined });
		// read as "no users", such an answer would make every owner look unknown
		for (let answer = 0; answer < 2; answer++) {
			const failure = await settle(rejection(listUsersPage(client(), 1, 0)));
			expect(failure.name).toBe('IncompleteAnswerError');
			expect(failure.message).toBe(
				'DingTalk answered /topapi/user/listsimple without "result.list" (the users of a department) (errcode 0, but the answer holds no data). Nothing was decided from it; run the workflow again.',
			);
		}
	});

	it('a sub-department answer without its list is a failed call, not a department without children', async () => {
		dingTalk.script(LISTSUB, ok({ result: [dept(10, 'Sales', 1)] }), ok({}));
		const failure = await settle(rejection(listDepartments(client())));
		expect(failure.message).toMatch(/^DingTalk answered \/topapi\/v2\/department\/listsub without "result"/);
	});

	it('everyone once, paging through each department', async () => {
		const all = await settle(listAllUsers(client()));
		expect(all.map((user) => user.userid)).toEqual(['boss', 'amy', ...users('sh', 230).map((user) => user.userid)]);
		expect(dingTalk.calls(LISTSIMPLE).filter((request) => request.params.dept_id === 111).map((request) => request.params.cursor)).toEqual([0, 100, 200]);
	});

	it('the load-options list is sorted by name', async () => {
		directory.users.set(111, []);
		const options = await settle(loadOptions.getUsers.call(context()));
		expect(options).toEqual([
			{ name: 'Amy', value: 'amy', description: 'User ID amy' },
			{ name: 'Boss', value: 'boss', description: 'User ID boss' },
		]);
	});
});

describe('labels', () => {
	it('"Group / Label" with the label id', async () => {
		directory.labelGroups = [
			{ name: 'Type', color: 1, labels: [{ id: 7, name: 'VIP' }] },
			{ labels: [{ id: 8 }] },
		];
		expect(await settle(loadOptions.getLabels.call(context()))).toEqual([
			{ name: 'Type / VIP', value: 7, description: 'Label ID 7' },
			{ name: ' / ', value: 8, description: 'Label ID 8' },
		]);
	});
});

describe('searching contacts', () => {
	const search = async (filter?: string, token?: string) => await settle(listSearch.searchContacts.call(context(), filter, token));

	beforeEach(() => {
		for (let index = 0; index < 1250; index++) {
			directory.contacts.set(`c${index}`, contact(`c${index}`, { name: index % 100 === 42 ? `Rare ${index}` : `Person ${index}`, company_name: index === 5 ? 'Acme' : undefined }));
		}
	});

	it('unfiltered: one page of 100, then the token leads on', async () => {
		const first = await search();
		expect(first.results).toHaveLength(100);
		expect(first.results[5]).toEqual({ name: 'Person 5 (Acme)', value: 'c5' });
		expect(first.results[6]).toEqual({ name: 'Person 6', value: 'c6' });
		expect(first.paginationToken).toBe('100');
		const next = await search(undefined, first.paginationToken as string);
		expect(next.results[0].value).toBe('c100');
		expect(dingTalk.calls(LIST).map((request) => request.params.offset)).toEqual([0, 100]);
	});

	it('the last page has no token', async () => {
		const last = await search(undefined, '1200');
		expect(last.results).toHaveLength(50);
		expect(last.paginationToken).toBeUndefined();
	});

	it('filtered by part of the name or the id, case-insensitively; at most 10 pages once something matched', async () => {
		const found = await search('  rARE ');
		expect(found.results.map((result) => result.value)).toEqual(['c42', 'c142', 'c242', 'c342', 'c442', 'c542', 'c642', 'c742', 'c842', 'c942']);
		expect(found.paginationToken).toBe('1000');
		expect((await search('c1249')).results).toEqual([{ name: 'Person 1249', value: 'c1249' }]);
	});

	it('while nothing matched it reads on, up to 100 pages', async () => {
		const none = await search('nobody has this name');
		expect(none).toEqual({ results: [] });
		expect(dingTalk.calls(LIST)).toHaveLength(13);
	});

	it('stops once 50 matched', async () => {
		const many = await search('person');
		expect(many.results).toHaveLength(99);
		expect(many.paginationToken).toBe('100');
	});

	it('an unreadable token starts from the beginning', async () => {
		expect((await search(undefined, 'garbage')).results[0].value).toBe('c0');
	});
});

describe('searching users', () => {
	const search = async (filter?: string, token?: string): Promise<INodeListSearchResult> =>
		await settle(listSearch.searchUsers.call(context(), filter, token));

	it('unfiltered: department by department, the token carrying the departments left and the cursor', async () => {
		directory.users.set(20, users('su', 150));
		const pages: IDataObject[][] = [];
		let token: string | undefined;
		let result = await search();
		pages.push(result.results as never);
		// the root and Sales (2 users) did not fill the list; Support's first page of 100 did
		expect(result.paginationToken).toBe('{"departments":[20,11,12,111],"cursor":100}');
		for (token = result.paginationToken; token; token = result.paginationToken) {
			result = await search(undefined, token);
			pages.push(result.results as never);
		}
		const seen = pages.flat().map((user) => user.value);
		expect(new Set(seen)).toEqual(new Set(['boss', 'amy', ...users('su', 150).map((user) => user.userid), ...users('sh', 230).map((user) => user.userid)]));
		expect(dingTalk.calls(LISTSUB)).toHaveLength(6);
	});

	it('filtered by name or id; a user in two departments shows once per request', async () => {
		const found = await search('BOSS');
		expect(found).toEqual({ results: [{ name: 'Boss (boss)', value: 'boss' }], paginationToken: undefined });
		expect(dingTalk.calls(LISTSIMPLE)).toHaveLength(8);
	});

	it('once something matched, at most 10 pages a request; before, up to 100', async () => {
		directory.users.set(111, users('sh', 2000));
		const found = await search('boss');
		expect(found.paginationToken).toBe('{"departments":[111],"cursor":500}');
		expect(dingTalk.calls(LISTSIMPLE)).toHaveLength(10);
		const none = await search('nobody', found.paginationToken);
		expect(none).toEqual({ results: [], paginationToken: undefined });
		expect(dingTalk.calls(LISTSIMPLE)).toHaveLength(25);
	});

	it('a token with nothing left ends the list; an unreadable token reads nothing', async () => {
		expect(await search(undefined, JSON.stringify({ departments: [], cursor: 0 }))).toEqual({ results: [], paginationToken: undefined });
		expect(await search(undefined, '{not json')).toEqual({ results: [], paginationToken: undefined });
		expect(await search(undefined, JSON.stringify({ departments: ['111', 'x', 1.5], cursor: 'y' }))).toMatchObject({
			results: expect.arrayContaining([{ name: 'sh user 0 (sh0)', value: 'sh0' }]),
		});
		expect(dingTalk.calls(LISTSIMPLE).map((request) => request.params)).toEqual([{ dept_id: 111, cursor: 0, size: 100 }]);
	});
});

describe('matchesFilter', () => {
	it.each([
		['Wang Xiaoming', undefined, true],
		['Wang Xiaoming', '', true],
		['Wang Xiaoming', ' xiao ', true],
		['Wang Xiaoming', 'ZHANG', false],
	])('%s with %j: %s', (text, filter, expected) => expect(matchesFilter(text, filter)).toBe(expected));
});

describe('the credential', () => {
	const credential = new DingTalkApi();

	const app = { baseUrl: BASE_URL, appKey: 'k', appSecret: 'secret-xyz-123' };

	it('authenticate adds the token fetched with these settings to the query string, keeping what is there', async () => {
		const saved = { ...app, accessToken: 'stored-token', accessTokenFor: tokenFingerprint(app) };
		const options = await credential.authenticate({ ...saved, accessTokenExpiresAt: Date.now() + 60_000 }, { url: `${BASE_URL}/x`, qs: { a: 1 } });
		expect(options).toEqual({ url: `${BASE_URL}/x`, qs: { a: 1, access_token: 'stored-token' } });
		expect(await credential.authenticate(saved, { url: 'u' })).toEqual({ url: 'u', qs: { access_token: 'stored-token' } });
	});

	it('authenticate sends nothing with a token it may not send, and tells n8n to renew it (HTTP 401)', async () => {
		const fetch = jest.spyOn(globalThis, 'fetch');
		const fresh = Date.now() + 60_000;
		for (const saved of [
			{ ...app, accessToken: 'old', accessTokenExpiresAt: Date.now() - 1, accessTokenFor: tokenFingerprint(app) },
			{ ...app, accessToken: 'other-app', accessTokenExpiresAt: fresh, accessTokenFor: tokenFingerprint({ ...app, appKey: 'other' }) },
			{ ...app, accessToken: 'other-host', accessTokenExpiresAt: fresh, accessTokenFor: tokenFingerprint({ ...app, baseUrl: 'https://oapi.dingtalk.io' }) },
			{ ...app, accessToken: 'older-version', accessTokenExpiresAt: fresh },
			{ ...app, accessToken: '', accessTokenFor: tokenFingerprint(app) },
		]) {
			const error = await rejection(credential.authenticate(saved, { url: 'u' }));
			expect(error).toMatchObject({ name: 'StoredTokenUnusableError', response: { status: 401 } });
		}
		expect(fetch).not.toHaveBeenCalled();
	});

	it('a request marked as token-only is stopped by authenticate: the token is in hand, nothing is sent', async () => {
		const error = await rejection(credential.authenticate({ ...app, accessToken: 't', accessTokenFor: tokenFingerprint(app) }, { url: 'u', [TOKEN_ONLY]: true } as never));
		expect(error.name).toBe('TokenInHand');
	});

	it('preAuthentication fetches a token through n8n and returns it with its expiry', async () => {
		const requests: IDataObject[] = [];
		const helpers = {
			httpRequest: async (request: IDataObject) => {
				requests.push(request);
				return { statusCode: 200, body: '{"errcode":0,"access_token":"pre-auth","expires_in":7200}' };
			},
		};
		const fields = await credential.preAuthentication.call({ helpers } as never, { baseUrl: BASE_URL, appKey: 'k', appSecret: 's' });
		expect(fields).toEqual({
			accessToken: 'pre-auth',
			accessTokenExpiresAt: Date.now() + 6_900_000,
			accessTokenFor: tokenFingerprint({ baseUrl: BASE_URL, appKey: 'k', appSecret: 's' }),
		});
		expect(requests[0]).toMatchObject({
			method: 'GET',
			url: `${BASE_URL}/gettoken`,
			qs: { appkey: 'k', appsecret: 's' },
			encoding: 'text',
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
			timeout: 30_000,
		});
		expect(requests[0].abortSignal).toBeInstanceOf(AbortSignal);

		const empty = { httpRequest: async () => ({ statusCode: 502, body: undefined }) };
		await expect(credential.preAuthentication.call({ helpers: empty } as never, { baseUrl: BASE_URL })).rejects.toThrow(
			`${BASE_URL}/gettoken answered with HTTP 502 and no DingTalk data`,
		);
	});

	it('the credential test fails on every documented errcode', () => {
		expect(credential.test.rules?.length).toBeGreaterThan(50);
		expect(credential.name).toBe('dingTalkApi');
	});
});
