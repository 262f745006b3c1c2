/**
 * The node's execute in memory: the router (items several at a time, output paired to input,
 * Continue On Fail, stop), the run options, and every operation against the small directory of
 * directory.ts. The same behaviour runs through n8n's real executor in test/*.test.ts; these are
 * the fast checks that mutation testing runs for every change.
 */
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import { DEFAULT_RUN_OPTIONS, readRunOptions } from '../../nodes/DingTalk/actions/runOptions';
import { argbToHex } from '../../nodes/DingTalk/actions/label/getAll.operation';
import { DingTalk } from '../../nodes/DingTalk/DingTalk.node';
import { appSessions } from '../../nodes/DingTalk/transport/appSession';
import type { Directory } from './directory';
import { contact, emptyDirectory, serve } from './directory';
import type { FakeRunOptions } from './fakes';
import { defaultCredential, errcode, fakeContext, FakeDingTalk, ok, rejection, settle, useFakeClock } from './fakes';

const CREATE = '/topapi/extcontact/create';
const UPDATE = '/topapi/extcontact/update';
const LIST = '/topapi/extcontact/list';
const GET = '/topapi/extcontact/get';

const locator = (value: unknown) => ({ __rl: true, mode: 'id', value });
/** A parameter that differs per item: the item's own json field. */
const fromItem = (items: IDataObject[], key: string) => (index: number) => items[index][key];

let dingTalk: FakeDingTalk;
let directory: Directory;

beforeEach(() => {
	appSessions.clear();
	useFakeClock();
	jest.spyOn(Math, 'random').mockReturnValue(0);
	directory = emptyDirectory();
	for (const id of ['c1', 'c2', 'c3']) directory.contacts.set(id, contact(id));
	dingTalk = serve(new FakeDingTalk(), directory);
});

afterEach(() => {
	jest.useRealTimers();
	jest.restoreAllMocks();
});

async function run(options: Omit<FakeRunOptions, 'dingTalk'>): Promise<INodeExecutionData[]> {
	const context = fakeContext({ dingTalk, ...options });
	const [output] = await settle(new DingTalk().execute.call(context));
	return output;
}

const json = (output: INodeExecutionData[]) => output.map((item) => item.json);
const sent = (path: string) => dingTalk.calls(path).map((request) => (request.params.contact ?? request.params) as IDataObject);

describe('the router', () => {
	it('an operation the node does not have fails the run', async () => {
		for (const [resource, operation] of [
			['externalContact', 'merge'],
			['calendar', 'getAll'],
		]) {
			const error = await rejection(run({ parameters: { resource, operation } }));
			expect(error.message).toBe(`The operation "${operation}" of "${resource}" is not supported`);
		}
		expect(dingTalk.requests).toHaveLength(0);
	});

	it('runs every item, output in input order, each paired to its input', async () => {
		const items = ['c1', 'c2', 'c3'].map((id) => ({ id }));
		const output = await run({
			parameters: { resource: 'externalContact', operation: 'get', contactId: fromItem(items, 'id') },
			items,
		});
		expect(output.map((item) => [item.json.userid, item.pairedItem])).toEqual([
			['c1', { item: 0 }],
			['c2', { item: 1 }],
			['c3', { item: 2 }],
		]);
	});

	it('Continue On Fail: a failed item becomes {error, errcode, errmsg, request_id}, paired, and the others go on', async () => {
		dingTalk.script(GET, errcode(60121, { request_id: 'r-1', sub_code: 'x' }), { status: 500, text: '' }, ok({ result: { userid: 'c3' } }));
		const items = ['nobody', 'c2', 'c3'].map((id) => ({ id }));
		const output = await run({
			parameters: { resource: 'externalContact', operation: 'get', contactId: fromItem(items, 'id'), options: { maxConcurrency: 1, maxRetries: 0 } },
			items,
			continueOnFail: true,
		});
		// strictly: no keys for fields the error does not have
		expect(output).toStrictEqual([
			{ json: { error: 'DingTalk error 60121: the user or external contact was not found', errcode: 60121, errmsg: 'errmsg of 60121', request_id: 'r-1' }, pairedItem: { item: 0 } },
			{ json: { error: 'DingTalk answered with HTTP status 500' }, pairedItem: { item: 1 } },
			{ json: { userid: 'c3' }, pairedItem: { item: 2 } },
		]);
	});

	it('Continue On Fail: a value that does not parse fails only its item', async () => {
		const items = [{ id: 'a,b' }, { id: 'c1' }];
		const output = await run({
			parameters: { resource: 'externalContact', operation: 'delete', contactId: fromItem(items, 'id') },
			items,
			continueOnFail: true,
		});
		expect(json(output)).toEqual([{ error: 'Item 0: "External Contact" "a,b" must be a single id' }, { errcode: 0, errmsg: 'ok', request_id: 'delete', deleted: true }]);
	});

	it('without Continue On Fail the first failing item (by index) fails the run', async () => {
		const items = [{ id: 'c1' }, { id: 'nobody-1' }, { id: 'nobody-2' }];
		const error = await rejection(
			run({ parameters: { resource: 'externalContact', operation: 'get', contactId: fromItem(items, 'id') }, items }),
		);
		expect(error.message).toBe('DingTalk error 60121: the user or external contact was not found');
		expect(error.context).toEqual({ itemIndex: 1 });
	});

	it('an unexpected error is wrapped with its item', async () => {
		const broken = (index: number) => {
			if (index === 1) throw new TypeError('broken parameter');
			return 'c1';
		};
		const output = await run({
			parameters: { resource: 'externalContact', operation: 'get', contactId: broken },
			items: [{}, {}],
			continueOnFail: true,
		});
		expect(json(output)).toEqual([contact('c1'), { error: 'broken parameter' }]);

		const failed = await rejection(run({ parameters: { resource: 'externalContact', operation: 'get', contactId: broken }, items: [{}, {}] }));
		expect(failed.constructor.name).toBe('NodeOperationError');
		expect(failed.message).toBe('broken parameter');
		expect(failed.context).toMatchObject({ itemIndex: 1 });
	});

	it('a stopped execution fails with "The execution was stopped", also for items already running', async () => {
		const stop = new AbortController();
		stop.abort();
		const before = await rejection(run({ parameters: { resource: 'externalContact', operation: 'get', contactId: 'c1' }, stop: stop.signal }));
		expect(before.message).toBe('The execution was stopped');
		expect(dingTalk.requests).toHaveLength(0);

		const during = new AbortController();
		dingTalk.script(GET, errcode(-1));
		const running = run({
			parameters: { resource: 'externalContact', operation: 'get', contactId: 'c1' },
			stop: during.signal,
			continueOnFail: true,
		});
		running.catch(() => undefined);
		await jest.advanceTimersByTimeAsync(10);
		during.abort();
		const error = await rejection(running);
		expect(error.message).toBe('The execution was stopped');
		expect(error.context).toEqual({ itemIndex: 0 });
	});

	it('runs at most Max Concurrency items at once', async () => {
		// six contacts: rows for one contact would wait for each other
		const items = Array.from({ length: 6 }, (_, index) => ({ id: `c${index + 1}` }));
		let running = 0;
		let most = 0;
		dingTalk.on(GET, ({ params }) => ok({ result: { userid: params.user_id } }));
		const context = fakeContext({
			dingTalk,
			parameters: { resource: 'externalContact', operation: 'get', contactId: fromItem(items, 'id'), options: { maxConcurrency: 2, requestsPerSecond: 1000 } },
			items,
		});
		const send = context.helpers.httpRequest;
		context.helpers.httpRequest = (async (request: never) => {
			running++;
			most = Math.max(most, running);
			await new Promise((resolve) => setTimeout(resolve, 10));
			running--;
			return await send(request);
		}) as never;
		const [output] = await settle(new DingTalk().execute.call(context));
		expect(output).toHaveLength(6);
		expect(most).toBe(2);
	});
});

describe('rows that name the same contact', () => {
	it('update, delete and get: a row waits for the earlier rows of its contact, not for other contacts', async () => {
		for (const operation of ['update', 'delete', 'get']) {
			const items = [{ id: 'c1' }, { id: 'c2' }, { id: 'c1' }, { id: 'c3' }, { id: 'c1' }];
			const started: Array<{ id: string; at: number }> = [];
			const answer = dingTalk.handle.bind(dingTalk);
			// c1's calls take 100 ms, the others 10 ms
			dingTalk.handle = async (request) => {
				const params = new URLSearchParams(typeof request.body === 'string' ? request.body : '');
				const contactParam = params.get('contact');
				const id = params.get('user_id') ?? (contactParam ? String((JSON.parse(contactParam) as IDataObject).user_id) : undefined);
				if (id !== undefined) {
					started.push({ id, at: Date.now() });
					await new Promise((resolve) => setTimeout(resolve, id === 'c1' ? 100 : 10));
				}
				return await answer(request);
			};
			// the app's token first, so that no row waits for the token another row fetches
			const credential = defaultCredential();
			await run({ credential, parameters: { resource: 'externalContact', operation: 'getAll', limit: 1 } });
			await run({
				credential,
				parameters: {
					resource: 'externalContact',
					operation,
					contactId: fromItem(items, 'id'),
					name: 'Renamed',
					followerUserId: locator('owner-2'),
					labelIds: [3],
					options: { requestsPerSecond: 1000 },
				},
				items,
				continueOnFail: true,
			});
			dingTalk.handle = answer;
			const first = Math.min(...started.map((call) => call.at));
			const when = (ids: string[]) => started.filter((call) => ids.includes(call.id)).map((call) => call.at - first);
			// c1's three rows one after another; c2 and c3 while the first of them is under way
			const c1 = when(['c1']);
			const others = when(['c2', 'c3']);
			expect({ operation, c1: c1.length, others: others.length }).toEqual({ operation, c1: 3, others: 2 });
			expect({ operation, waited: c1[1] - c1[0] >= 100 && c1[2] - c1[1] >= 100, alongside: others.every((at) => at < 100) }).toEqual({
				operation,
				waited: true,
				alongside: true,
			});
		}
	});

	it('a failed row does not hold up the next row of its contact', async () => {
		dingTalk.script(GET, errcode(-1), errcode(-1));
		const items = [{ id: 'c1' }, { id: 'c1' }];
		const output = await run({
			parameters: { resource: 'externalContact', operation: 'get', contactId: fromItem(items, 'id'), options: { maxRetries: 1 } },
			items,
			continueOnFail: true,
		});
		expect(json(output)).toEqual([expect.objectContaining({ error: 'DingTalk error -1: DingTalk is busy' }), contact('c1')]);
	});
});

describe('run options', () => {
	const read = (options: unknown) =>
		readRunOptions(fakeContext({ dingTalk, parameters: { options: options as IDataObject } }));

	it('the defaults, as the Options collection shows them', () => {
		expect(DEFAULT_RUN_OPTIONS).toEqual({ requestsPerSecond: 20, maxConcurrency: 10, maxRetries: 3, maxBanWaitSeconds: 30, timeoutSeconds: 30 });
		expect(read(undefined)).toEqual(DEFAULT_RUN_OPTIONS);
		expect(read({})).toEqual(DEFAULT_RUN_OPTIONS);
	});

	it('given values; zero retries and zero ban wait are allowed; concurrency and retries are whole', () => {
		expect(read({ requestsPerSecond: 0.5, maxConcurrency: 2.7, maxRetries: 0, maxBanWaitSeconds: 0, timeoutSeconds: 1.5 })).toEqual({
			requestsPerSecond: 0.5,
			maxConcurrency: 2,
			maxRetries: 0,
			maxBanWaitSeconds: 0,
			timeoutSeconds: 1.5,
		});
		expect(read({ maxRetries: 2.9, maxBanWaitSeconds: 12.5 })).toMatchObject({ maxRetries: 2, maxBanWaitSeconds: 12.5 });
	});

	it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY, '5', null])('%p falls back to the default where it cannot apply', (value) => {
		const expected = {
			requestsPerSecond: 20,
			maxConcurrency: 10,
			maxRetries: typeof value === 'number' && value >= 0 ? Math.floor(value) : 3,
			maxBanWaitSeconds: typeof value === 'number' && value >= 0 ? value : 30,
			timeoutSeconds: 30,
		};
		expect(read({ requestsPerSecond: value, maxConcurrency: value, maxRetries: value, maxBanWaitSeconds: value, timeoutSeconds: value })).toEqual(expected);
	});

	it('apply to the calls: Max Retries', async () => {
		dingTalk.script(GET, errcode(-1), errcode(-1), ok({ result: { userid: 'c1' } }));
		const output = await run({ parameters: { resource: 'externalContact', operation: 'get', contactId: 'c1', options: { maxRetries: 1 } }, continueOnFail: true });
		expect(output[0].json.error).toBe('DingTalk error -1: DingTalk is busy');
		expect(dingTalk.calls(GET)).toHaveLength(2);
	});
});

describe('External Contact operations', () => {
	const NEW_CONTACT = {
		resource: 'externalContact',
		name: 'New Person',
		followerUserId: locator('owner-2'),
		labelIds: '1,2',
		stateCode: '86',
		mobile: '13900000001',
		additionalFields: { companyName: 'Acme' },
	};

	it('create sends the contact once and outputs errcode, errmsg, userid and request_id', async () => {
		const output = await run({ parameters: { ...NEW_CONTACT, operation: 'create' } });
		expect(json(output)).toEqual([{ errcode: 0, errmsg: 'ok', userid: 'new-1', request_id: 'create-1' }]);
		expect(sent(CREATE)).toEqual([
			{ name: 'New Person', follower_user_id: 'owner-2', label_ids: [1, 2], state_code: '86', mobile: '13900000001', company_name: 'Acme' },
		]);

		dingTalk.script(CREATE, { status: 502 });
		const failed = await run({ parameters: { ...NEW_CONTACT, operation: 'create' }, continueOnFail: true });
		expect(failed[0].json.error).toBe('DingTalk answered with HTTP status 502');
		expect(dingTalk.calls(CREATE)).toHaveLength(2);
	});

	it('update (replace) sends what is given, no read first, and outputs errcode, errmsg and request_id', async () => {
		dingTalk.script(UPDATE, ok({ request_id: 'u-1', extra: 'dropped' }));
		const output = await run({
			parameters: { resource: 'externalContact', operation: 'update', contactId: locator('c1'), name: 'Renamed', followerUserId: locator('owner-2'), labelIds: [3] },
		});
		expect(json(output)).toEqual([{ errcode: 0, errmsg: 'ok', request_id: 'u-1' }]);
		expect(sent(UPDATE)).toEqual([{ user_id: 'c1', name: 'Renamed', follower_user_id: 'owner-2', label_ids: [3] }]);
		expect(dingTalk.calls(GET)).toHaveLength(0);
	});

	it('update (merge) reads the contact and keeps what the item leaves empty', async () => {
		directory.contacts.set('c2', contact('c2', { title: 'Old title', remark: 'Old remark' }));
		const output = await run({
			parameters: {
				resource: 'externalContact',
				operation: 'update',
				updateMode: 'merge',
				contactId: locator('c2'),
				name: '',
				followerUserId: locator(''),
				labelIds: [],
				additionalFields: { title: 'New title' },
			},
		});
		expect(json(output)).toEqual([{ errcode: 0, errmsg: 'ok', request_id: 'update-c2' }]);
		expect(dingTalk.calls(GET).map((request) => request.params)).toEqual([{ user_id: 'c2' }]);
		expect(sent(UPDATE)).toEqual([
			{ user_id: 'c2', name: 'Contact c2', follower_user_id: 'owner-1', label_ids: [1], title: 'New title', remark: 'Old remark' },
		]);
	});

	it('update (merge) of a contact that is not there fails before any update', async () => {
		const output = await run({
			parameters: { resource: 'externalContact', operation: 'update', updateMode: 'merge', contactId: locator('nobody') },
			continueOnFail: true,
		});
		expect(output[0].json.error).toBe('DingTalk error 60121: the user or external contact was not found');
		expect(dingTalk.calls(UPDATE)).toHaveLength(0);
	});

	it('get outputs the contact; an answer without one (errcode 0, no "result") fails the item', async () => {
		expect(json(await run({ parameters: { resource: 'externalContact', operation: 'get', contactId: locator('c3') } }))).toEqual([contact('c3')]);
		for (const result of [undefined, null, 'c3', [contact('c3')]]) {
			dingTalk.script(GET, ok({ result, request_id: 'r-1' }));
			const output = await run({ parameters: { resource: 'externalContact', operation: 'get', contactId: locator('c3') }, continueOnFail: true });
			expect(json(output)).toEqual([
				{ error: 'DingTalk answered /topapi/extcontact/get without its data ("result")', errcode: 0, errmsg: 'ok', request_id: 'r-1' },
			]);
		}
	});

	it('the pickers of labels and contacts fail on an answer without "results" instead of showing an empty list', async () => {
		const { loadOptions, listSearch } = new DingTalk().methods;
		dingTalk.script('/topapi/extcontact/listlabelgroups', ok());
		const labels = await rejection(settle(loadOptions.getLabels.call(fakeContext({ dingTalk }))));
		expect(labels.message).toBe('DingTalk answered /topapi/extcontact/listlabelgroups without its data ("results")');
		dingTalk.script(LIST, ok());
		const contacts = await rejection(settle(listSearch.searchContacts.call(fakeContext({ dingTalk }), 'c')));
		expect(contacts.message).toBe('DingTalk answered /topapi/extcontact/list without its data ("results")');
	});

	it('lists without "results" (errcode 0) fail: Get Many and Label Get Many', async () => {
		for (const [resource, path] of [
			['externalContact', LIST],
			['label', '/topapi/extcontact/listlabelgroups'],
		]) {
			for (const results of [undefined, null, {}, 'none']) {
				dingTalk.script(path, ok({ results }));
				const error = await rejection(run({ parameters: { resource, operation: 'getAll', returnAll: true } }));
				expect(error.message).toBe(`DingTalk answered ${path} without its data ("results")`);
			}
		}
	});

	it('delete sends the id and outputs deleted: true', async () => {
		const output = await run({ parameters: { resource: 'externalContact', operation: 'delete', contactId: locator('c2') } });
		expect(json(output)).toEqual([{ errcode: 0, errmsg: 'ok', request_id: 'delete', deleted: true }]);
		expect(dingTalk.calls('/topapi/extcontact/delete').map((request) => request.params)).toEqual([{ user_id: 'c2' }]);
	});

	it('delete: "not found" after an attempt that may have reached DingTalk means deleted; otherwise it fails the item', async () => {
		const DELETE = '/topapi/extcontact/delete';
		const deleteC1 = async () =>
			json(await run({ parameters: { resource: 'externalContact', operation: 'delete', contactId: locator('c1') }, continueOnFail: true }))[0];
		const gone = { deleted: true, alreadyGone: true, note: expect.stringMatching(/^An earlier attempt/), request_id: 'r-2' };
		// the answer lost on the way back (a reset connection, a timeout, a 5xx from a gateway)
		for (const lost of [{ networkError: 'ECONNRESET' }, { networkError: 'ETIMEDOUT' }, { status: 502 }]) {
			dingTalk.script(DELETE, lost, errcode(60121, { request_id: 'r-2' }));
			expect(await deleteC1()).toEqual(gone);
		}
		dingTalk.script(DELETE, { networkError: 'ECONNRESET' }, errcode(88, { sub_code: '60121', request_id: 'r-2' }));
		expect(await deleteC1()).toEqual(gone);
		// nothing reached DingTalk before, or DingTalk refused the earlier attempt: "not found" is the answer
		for (const refused of [{ networkError: 'ECONNREFUSED' }, errcode(-1), errcode(90018)]) {
			dingTalk.script(DELETE, refused, errcode(60121, { request_id: 'r-2' }));
			expect(await deleteC1()).toMatchObject({ error: 'DingTalk error 60121: the user or external contact was not found', errcode: 60121 });
		}
		dingTalk.script(DELETE, errcode(60121));
		expect((await deleteC1()).error).toBe('DingTalk error 60121: the user or external contact was not found');
		// another failure after a lost answer stays a failure
		dingTalk.script(DELETE, { networkError: 'ECONNRESET' }, errcode(60011));
		expect((await deleteC1()).error).toBe('DingTalk error 60011: the app lacks the permission for this call');
	});

	it('get many: all, or up to the limit (50 by default), one item per contact paired to the input', async () => {
		for (let index = 4; index <= 130; index++) directory.contacts.set(`c${index}`, contact(`c${index}`));
		const all = await run({ parameters: { resource: 'externalContact', operation: 'getAll', returnAll: true } });
		expect(all).toHaveLength(130);
		expect(all.every((item) => (item.pairedItem as { item: number }).item === 0)).toBe(true);
		expect(await run({ parameters: { resource: 'externalContact', operation: 'getAll', limit: 120 } })).toHaveLength(120);
		expect(await run({ parameters: { resource: 'externalContact', operation: 'getAll' } })).toHaveLength(50);
	});
});

describe('External Contact → Create or Update', () => {
	const person = (name: string, mobile: string, stateCode = '86') => ({ name, mobile, stateCode });
	const upsert = async (items: IDataObject[], extra: IDataObject = {}) =>
		await run({
			parameters: {
				resource: 'externalContact',
				operation: 'upsert',
				name: fromItem(items, 'name'),
				followerUserId: locator('owner-1'),
				labelIds: [1],
				stateCode: fromItem(items, 'stateCode'),
				mobile: fromItem(items, 'mobile'),
				...extra,
			},
			items,
			continueOnFail: true,
		});

	it('updates the contact with the same country code and mobile, creates the others; lists once', async () => {
		const c1 = directory.contacts.get('c1')!;
		const output = await upsert([person('Existing', String(c1.mobile)), person('Fresh', '13911112222'), person('Other country', String(c1.mobile), '1')]);
		expect(json(output)).toEqual([
			{ action: 'updated', userid: 'c1', errcode: 0, errmsg: 'ok', request_id: 'update-c1' },
			{ action: 'created', errcode: 0, errmsg: 'ok', userid: 'new-1', request_id: 'create-1' },
			{ action: 'created', errcode: 0, errmsg: 'ok', userid: 'new-2', request_id: 'create-2' },
		]);
		expect(sent(UPDATE)).toEqual([{ user_id: 'c1', name: 'Existing', follower_user_id: 'owner-1', label_ids: [1] }]);
		expect(sent(CREATE)).toEqual([
			{ name: 'Fresh', follower_user_id: 'owner-1', label_ids: [1], state_code: '86', mobile: '13911112222' },
			{ name: 'Other country', follower_user_id: 'owner-1', label_ids: [1], state_code: '1', mobile: String(c1.mobile) },
		]);
		expect(dingTalk.calls(LIST)).toHaveLength(1);
	});

	it('rows that share a new mobile: the first creates, the later ones update it, in input order', async () => {
		const output = await upsert([person('First', '13922223333'), person('Second', '13922223333'), person('Third', '13922223333')]);
		expect(json(output).map((item) => [item.action, item.userid])).toEqual([
			['created', 'new-1'],
			['updated', 'new-1'],
			['updated', 'new-1'],
		]);
		expect(sent(UPDATE).map((sentContact) => sentContact.name)).toEqual(['Second', 'Third']);
	});

	it('a listed contact without a mobile number is not taken for one that has it', async () => {
		directory.contacts.set('blank', { userid: 'blank', name: 'No mobile' });
		const output = await upsert([person('Fresh', '13933334444')]);
		expect(output[0].json.action).toBe('created');
	});

	it('of two listed contacts with the same number the first is updated', async () => {
		const c1 = directory.contacts.get('c1')!;
		directory.contacts.set('c2', contact('c2', { mobile: c1.mobile }));
		const output = await upsert([person('Twin', String(c1.mobile))]);
		expect(output[0].json).toMatchObject({ action: 'updated', userid: 'c1' });
	});

	it('a number taken since the list was read: looked up again, then updated', async () => {
		dingTalk.script(LIST, ok({ results: [] }));
		dingTalk.script(CREATE, errcode(60200));
		const c2 = directory.contacts.get('c2')!;
		const output = await upsert([person('Taken meanwhile', String(c2.mobile))]);
		expect(json(output)).toEqual([{ action: 'updated', userid: 'c2', errcode: 0, errmsg: 'ok', request_id: 'update-c2' }]);
		expect(dingTalk.calls(LIST)).toHaveLength(2);
		expect(dingTalk.calls(CREATE)).toHaveLength(1);
	});

	it('a number taken since the list was read: the update keeps what the contact, looked up again, has', async () => {
		dingTalk.script(LIST, ok({ results: [] }));
		dingTalk.script(CREATE, errcode(60200));
		const c2 = contact('c2', { title: 'Kept title', share_user_ids: ['u-7'] });
		directory.contacts.set('c2', c2);
		await upsert([person('Taken meanwhile', String(c2.mobile))]);
		expect(sent(UPDATE)).toEqual([
			{ user_id: 'c2', name: 'Taken meanwhile', follower_user_id: 'owner-1', label_ids: [1], title: 'Kept title', share_user_ids: ['u-7'] },
		]);
	});

	it('an update whose answer was lost: the next row of the number merges from what that update sent', async () => {
		directory.contacts.set('c1', contact('c1', { title: 'Listed title' }));
		const c1 = directory.contacts.get('c1')!;
		dingTalk.script(UPDATE, { networkError: 'ECONNRESET' });
		const titles = ['Sheet title', ''];
		const output = await upsert([person('Lost', String(c1.mobile)), person('After', String(c1.mobile))], {
			additionalFields: (index: number) => ({ title: titles[index] }),
			options: { maxRetries: 0 },
		});
		expect(json(output).map((item) => item.action ?? item.error)).toEqual([
			'Could not reach https://dingtalk.invalid: the connection broke off',
			'updated',
		]);
		expect(sent(UPDATE).map((update) => [update.name, update.title])).toEqual([
			['Lost', 'Sheet title'],
			['After', 'Sheet title'],
		]);
	});

	it('taken (22005) but not found when looked up again: the row fails with the advice, and so do later rows of the number', async () => {
		dingTalk.script(CREATE, errcode(22005));
		dingTalk.on(LIST, () => ok({ results: [] }));
		const output = await upsert([person('Ghost', '13944445555'), person('Ghost again', '13944445555')]);
		expect(json(output)).toEqual([
			{ error: 'An earlier row with this mobile number may have created the contact already' },
			{ error: 'An earlier row with this mobile number may have created the contact already' },
		]);
		expect(dingTalk.calls(CREATE)).toHaveLength(1);
		expect(dingTalk.calls(LIST)).toHaveLength(2);
	});

	it('a create whose answer was lost: the row fails; the next row of the number looks it up and updates it', async () => {
		dingTalk.script(CREATE, { networkError: 'ECONNRESET' });
		// the create reached DingTalk; only its answer was lost
		const lost = contact('lost', { mobile: '13955556666' });
		directory.contacts.set('lost', lost);
		dingTalk.script(LIST, ok({ results: [] }), ok({ results: [lost] }));
		const output = await upsert([person('Lost', '13955556666'), person('After', '13955556666'), person('Last', '13955556666')]);
		expect(json(output).map((item) => item.action ?? item.error)).toEqual([
			`Could not reach https://dingtalk.invalid: the connection broke off`,
			'updated',
			'updated',
		]);
		expect(sent(UPDATE).map((sentContact) => [sentContact.user_id, sentContact.name])).toEqual([
			['lost', 'After'],
			['lost', 'Last'],
		]);
		expect(dingTalk.calls(LIST)).toHaveLength(2);
	});

	it('a create refused for another reason fails only its row; the next row tries again', async () => {
		dingTalk.script(CREATE, errcode(60103));
		const output = await upsert([person('Bad', '13966667777'), person('Good', '13966667777')]);
		expect(json(output).map((item) => item.action ?? item.error)).toEqual(['DingTalk error 60103: the mobile number is not valid', 'created']);
		expect(dingTalk.calls(LIST)).toHaveLength(1);
	});

	it('a failing list fails the rows, and is not asked again by every row', async () => {
		dingTalk.on(LIST, () => errcode(60011));
		const output = await upsert([person('A', '13977778888'), person('B', '13977778889')]);
		expect(json(output).map((item) => item.error)).toEqual([
			'DingTalk error 60011: the app lacks the permission for this call',
			'DingTalk error 60011: the app lacks the permission for this call',
		]);
		expect(dingTalk.calls(LIST)).toHaveLength(1);
	});

	it('rows of different numbers do not wait for each other', async () => {
		dingTalk.script(CREATE, errcode(-1));
		const output = await upsert([person('Slow', '13988880001'), person('Quick', '13988880002')], { options: { maxRetries: 1 } });
		expect(json(output).map((item) => item.action)).toEqual(['created', 'created']);
		// the second row's create went out while the first one waited to retry
		expect(dingTalk.calls(CREATE).map((request) => (request.params.contact as IDataObject).name)).toEqual(['Slow', 'Quick', 'Slow']);
	});
});

describe('Label → Get Many', () => {
	it('one item per label, with its group and the colour as #RRGGBB', async () => {
		directory.labelGroups = [
			{ name: 'Customer type', color: -15220075, labels: [{ id: 1, name: 'VIP' }, { id: 2, name: 'New' }] },
			{ name: 'No colour', labels: [{ id: 3, name: 'Plain' }] },
			{ name: 'Empty group', color: -1 },
		];
		const output = await run({ parameters: { resource: 'label', operation: 'getAll' } });
		expect(json(output)).toEqual([
			{ labelId: 1, labelName: 'VIP', groupName: 'Customer type', groupColor: '#17C295' },
			{ labelId: 2, labelName: 'New', groupName: 'Customer type', groupColor: '#17C295' },
			{ labelId: 3, labelName: 'Plain', groupName: 'No colour', groupColor: '#000000' },
		]);
	});

	it.each([
		[-15220075, '#17C295'],
		[-1, '#FFFFFF'],
		[0xff000000 | 0, '#000000'],
		[0x00ff8800, '#FF8800'],
		[0x0000000a, '#00000A'],
		[0x7f123456, '#123456'],
	])('ARGB %i is %s', (color, hex) => expect(argbToHex(color)).toBe(hex));
});
