/**
 * The rest of the External Contact resource and the Label resource: create, get, get many, delete,
 * create or update, update's merge mode, labels; a round trip through all of them.
 */
import type { IDataObject } from 'n8n-workflow';

import { argbToHex } from '../nodes/DingTalk/actions/label/getAll.operation';
import { callsTo, contactsSentTo, fetchTokenFirst, readBackThroughNode, runDingTalk, SEED, sentAfterAnswer, useSandbox } from './support';

const env = useSandbox();

const owner = (SEED.userIds as string[])[0];
const otherOwner = (SEED.userIds as string[])[1];
const [label1, label2] = SEED.labelIds as number[];

const locator = (value: string) => ({ __rl: true, mode: 'id', value });

/** Update in merge mode: only `additionalFields` given, name, owner and labels left empty. */
const mergeUpdate = (id: string, additionalFields: IDataObject): IDataObject => ({
	resource: 'externalContact',
	operation: 'update',
	updateMode: 'merge',
	contactId: locator(id),
	name: '',
	followerUserId: locator(''),
	labelIds: [],
	additionalFields,
});

/** Create / Create or Update parameters mapping every field from the item's json. */
const NEW_CONTACT_FROM_JSON: IDataObject = {
	resource: 'externalContact',
	name: '={{ $json.name }}',
	followerUserId: locator('={{ $json.owner }}'),
	labelIds: '={{ $json.labels }}',
	stateCode: '={{ $json.stateCode }}',
	mobile: '={{ $json.mobile }}',
	additionalFields: { companyName: '={{ $json.company }}', title: '={{ $json.title }}' },
};

const person = (overrides: IDataObject = {}): IDataObject => ({
	name: '李雷',
	owner,
	labels: `${label1}`,
	stateCode: '86',
	mobile: '13700000001',
	company: '韩梅梅贸易',
	title: '',
	...overrides,
});

describe('create', () => {
	it('sends the documented contact with mobile and country code, and outputs the new userid', async () => {
		const result = await runDingTalk({
			store: env.store,
			parameters: { ...NEW_CONTACT_FROM_JSON, operation: 'create' },
			items: [person({ mobile: '137-0000 0002', stateCode: '+86' })],
		});
		expect(result.error).toBeUndefined();
		expect(contactsSentTo(env.sandbox, '/topapi/extcontact/create')).toEqual([
			{
				name: '李雷',
				follower_user_id: owner,
				label_ids: [label1],
				state_code: '86',
				mobile: '13700000002',
				company_name: '韩梅梅贸易',
			},
		]);
		const { userid } = result.items[0].json;
		expect(result.items[0].json).toEqual({ errcode: 0, errmsg: 'ok', userid: expect.any(String), request_id: expect.any(String) });
		expect(await readBackThroughNode(env.store, String(userid))).toMatchObject({ userid, name: '李雷', state_code: '86', mobile: '13700000002' });
	});

	it('validates mobile and country code before sending', async () => {
		const result = await runDingTalk({
			store: env.store,
			parameters: { ...NEW_CONTACT_FROM_JSON, operation: 'create' },
			items: [person({ mobile: 'call me' }), person({ stateCode: 'China' })],
			continueOnFail: true,
		});
		expect(result.items.map((item) => item.json.error)).toEqual([
			'Item 0: "Mobile" "call me" is not a mobile number (such as 13800000001 or +86 138 0000 0001)',
			'Item 1: "Country Code" "China" is not a country calling code (such as 86)',
		]);
		expect(callsTo(env.sandbox, '/topapi/extcontact/create')).toHaveLength(0);
	});

	it('a mobile number that exists already: DingTalk error with the way out', async () => {
		const existing = [...env.sandbox.state.contacts.values()][0];
		const result = await runDingTalk({
			store: env.store,
			parameters: { ...NEW_CONTACT_FROM_JSON, operation: 'create' },
			items: [person({ mobile: existing.mobile, stateCode: existing.state_code })],
			continueOnFail: true,
		});
		expect(result.items[0].json).toMatchObject({
			error: expect.stringMatching(/^DingTalk error (60200|22005): the external contact already exists$/),
		});
	});

	it('is not retried on a 500, which may come after the contact was made', async () => {
		env.sandbox.script('/topapi/extcontact/create', [{ http: 500 }]);
		const result = await runDingTalk({
			store: env.store,
			parameters: { ...NEW_CONTACT_FROM_JSON, operation: 'create' },
			items: [person()],
			continueOnFail: true,
		});
		expect(result.items[0].json.error).toBe('DingTalk answered with HTTP status 500');
		expect(callsTo(env.sandbox, '/topapi/extcontact/create')).toHaveLength(1);
	});

	it('is retried when DingTalk says it is busy, which means nothing was made', async () => {
		env.sandbox.script('/topapi/extcontact/create', [{ errcode: -1, errmsg: 'busy' }]);
		const result = await runDingTalk({
			store: env.store,
			parameters: { ...NEW_CONTACT_FROM_JSON, operation: 'create' },
			items: [person()],
		});
		expect(result.error).toBeUndefined();
		expect(callsTo(env.sandbox, '/topapi/extcontact/create')).toHaveLength(2);
	});
});

describe('get, get many, delete', () => {
	it('get outputs the contact as DingTalk returns it', async () => {
		const [id] = SEED.contactIds as string[];
		const result = await runDingTalk({
			store: env.store,
			parameters: { resource: 'externalContact', operation: 'get', contactId: locator(id) },
		});
		// the seed's first contact, every field DingTalk reads back
		expect(result.items.map((item) => item.json)).toEqual([
			{
				userid: '0243563262939012',
				name: '王小明',
				follower_user_id: 'manager4220',
				label_ids: [101, 201],
				state_code: '86',
				mobile: '13800138001',
				title: '采购经理',
				company_name: '阿里巴巴',
				address: '杭州市余杭区文一西路969号',
				share_dept_ids: [5],
				share_user_ids: ['lisi01'],
				email: 'xiaoming.wang@example.cn',
			},
		]);
		expect(callsTo(env.sandbox, '/topapi/extcontact/get')[0].params).toEqual({ user_id: id });
	});

	it('get many pages 100 at a time, stops at the first short page, one item per contact', async () => {
		const extra = 230 - env.sandbox.state.contacts.size;
		const created = await runDingTalk({
			store: env.store,
			parameters: { ...NEW_CONTACT_FROM_JSON, operation: 'create' },
			items: Array.from({ length: extra }, (_, i) => person({ name: `P${i}`, mobile: `1360000${String(i).padStart(4, '0')}` })),
		});
		expect(created.error).toBeUndefined();
		env.sandbox.resetLog();

		const all = await runDingTalk({
			store: env.store,
			parameters: { resource: 'externalContact', operation: 'getAll', returnAll: true },
		});
		expect(all.items).toHaveLength(230);
		expect(new Set(all.items.map((item) => item.json.userid))).toEqual(new Set(env.sandbox.state.contacts.keys()));
		expect(all.items.every((item) => (item.pairedItem as { item: number }).item === 0)).toBe(true);
		expect(callsTo(env.sandbox, '/topapi/extcontact/list').map((call) => [Number(call.params.offset), Number(call.params.size)])).toEqual([
			[0, 100],
			[100, 100],
			[200, 100],
		]);

		env.sandbox.resetLog();
		const limited = await runDingTalk({
			store: env.store,
			parameters: { resource: 'externalContact', operation: 'getAll', returnAll: false, limit: 50 },
		});
		expect(limited.items).toHaveLength(50);
		expect(callsTo(env.sandbox, '/topapi/extcontact/list')).toHaveLength(1);
	});

	it('delete outputs deleted: true, and the contact is gone', async () => {
		const id = (SEED.contactIds as string[])[4];
		const result = await runDingTalk({
			store: env.store,
			parameters: { resource: 'externalContact', operation: 'delete', contactId: locator(id) },
		});
		expect(result.items[0].json).toEqual({ errcode: 0, errmsg: 'ok', request_id: expect.any(String), deleted: true });
		expect(callsTo(env.sandbox, '/topapi/extcontact/delete').map((call) => call.params)).toEqual([{ user_id: id }]);
		expect((await readBackThroughNode(env.store, id)).error).toMatch(/^DingTalk error \d+: the (user or external contact was not found|user id is not valid)$/);
	});

	it('get and delete of an unknown contact fail by item under Continue On Fail', async () => {
		for (const operation of ['get', 'delete']) {
			const result = await runDingTalk({
				store: env.store,
				parameters: { resource: 'externalContact', operation, contactId: locator('={{ $json.id }}') },
				items: [{ id: 'nobody' }, { id: (SEED.contactIds as string[])[0] }],
				continueOnFail: true,
			});
			expect(result.items[0].json.error).toMatch(/^DingTalk error \d+: the (user or external contact was not found|user id is not valid)$/);
			expect(result.items[0].pairedItem).toEqual({ item: 0 });
			expect(result.items[1].json.error).toBeUndefined();
		}
	});
});

describe('update modes', () => {
	it('merge keeps the current value of every field the item leaves empty', async () => {
		// the seed's John Smith: title, company and remark set, no address
		const id = (SEED.contactIds as string[])[1];
		const result = await runDingTalk({ store: env.store, parameters: mergeUpdate(id, { title: 'New Title' }) });
		expect(result.error).toBeUndefined();
		expect(result.items.map((item) => item.json)).toEqual([{ errcode: 0, errmsg: 'ok', request_id: expect.any(String) }]);
		expect(callsTo(env.sandbox, '/topapi/extcontact/get')).toHaveLength(1);
		// only the keys update accepts: no userid, mobile, state_code or email
		expect(contactsSentTo(env.sandbox, '/topapi/extcontact/update')).toEqual([
			{
				user_id: id,
				name: 'John Smith',
				follower_user_id: 'emily.chen',
				label_ids: [102, 203],
				title: 'New Title',
				company_name: 'Acme Corp',
				remark: 'Prefers email',
			},
		]);
	});

	it('replace sends only what is given', async () => {
		const id = (SEED.contactIds as string[])[1];
		await runDingTalk({
			store: env.store,
			parameters: {
				resource: 'externalContact',
				operation: 'update',
				contactId: locator(id),
				name: 'Only Name',
				followerUserId: locator(owner),
				labelIds: [label2],
			},
		});
		expect(contactsSentTo(env.sandbox, '/topapi/extcontact/update')).toEqual([
			{ user_id: id, name: 'Only Name', follower_user_id: owner, label_ids: [label2] },
		]);
		expect(callsTo(env.sandbox, '/topapi/extcontact/get')).toHaveLength(0);
	});
});

describe('create or update', () => {
	it('a mixed sheet: existing rows updated, new rows created, a duplicate mobile in the sheet updates the contact its first row made', async () => {
		const existing = [...env.sandbox.state.contacts.values()].slice(0, 2);
		const sheet = [
			person({ name: 'Existing One', mobile: existing[0].mobile, stateCode: existing[0].state_code }),
			person({ name: 'New A', mobile: '13500000001' }),
			person({ name: 'Existing Two', mobile: existing[1].mobile, stateCode: existing[1].state_code, owner: otherOwner }),
			person({ name: 'New B', mobile: '13500000002' }),
			person({ name: 'New A again', mobile: '13500000001', labels: `${label1},${label2}` }),
		];
		const listThroughNode = async () =>
			(await runDingTalk({ store: env.store, parameters: { resource: 'externalContact', operation: 'getAll', returnAll: true } })).items;
		const countBefore = (await listThroughNode()).length;
		env.sandbox.resetLog();
		const result = await runDingTalk({
			store: env.store,
			parameters: { ...NEW_CONTACT_FROM_JSON, operation: 'upsert' },
			items: sheet,
		});
		expect(result.error).toBeUndefined();
		expect(result.items.map((item) => item.json.action)).toEqual(['updated', 'created', 'updated', 'created', 'updated']);
		expect(result.items[0].json.userid).toBe(existing[0].userid);
		expect(result.items[2].json.userid).toBe(existing[1].userid);
		expect(result.items[4].json.userid).toBe(result.items[1].json.userid);
		expect(result.items.map((item) => item.pairedItem)).toEqual([0, 1, 2, 3, 4].map((item) => ({ item })));

		expect(await readBackThroughNode(env.store, String(result.items[1].json.userid))).toMatchObject({
			name: 'New A again',
			label_ids: [label1, label2],
		});
		expect(await readBackThroughNode(env.store, String(existing[1].userid))).toMatchObject({ name: 'Existing Two', follower_user_id: otherOwner });
		// contacts listed once for the whole sheet; update never sends the mobile
		expect(callsTo(env.sandbox, '/topapi/extcontact/list').length).toBe(1);
		expect(callsTo(env.sandbox, '/topapi/extcontact/create')).toHaveLength(2);
		for (const contact of contactsSentTo(env.sandbox, '/topapi/extcontact/update')) {
			expect(contact.mobile).toBeUndefined();
			expect(contact.state_code).toBeUndefined();
		}
		expect(await listThroughNode()).toHaveLength(countBefore + 2);
	});
});

describe('labels', () => {
	it('get many: one item per label with the group colour as #RRGGBB', async () => {
		const result = await runDingTalk({ store: env.store, parameters: { resource: 'label', operation: 'getAll' } });
		// the seed's label groups, their colours as DingTalk gives them: -15220075, -29696, -16776961
		const label = (labelId: number, labelName: string, groupName: string, groupColor: string) => ({ labelId, labelName, groupName, groupColor });
		expect(result.items.map((item) => item.json)).toEqual([
			label(101, '潜在客户', '客户类型', '#17C295'),
			label(102, 'VIP', '客户类型', '#17C295'),
			label(103, '合作伙伴', '客户类型', '#17C295'),
			label(104, 'Partner', '客户类型', '#17C295'),
			label(201, '华东', 'Region', '#FF8C00'),
			label(202, '华南', 'Region', '#FF8C00'),
			label(203, 'International', 'Region', '#FF8C00'),
			label(301, '展会 Trade fair', '来源 Source', '#0000FF'),
			label(302, 'Website', '来源 Source', '#0000FF'),
			label(303, 'VIP', '来源 Source', '#0000FF'),
		]);
		expect(result.items.map((item) => item.pairedItem)).toEqual(Array(10).fill({ item: 0 }));
	});

	it('turns signed ARGB integers into #RRGGBB', () => {
		expect(argbToHex(-15220075)).toBe('#17C295');
		expect(argbToHex(-1)).toBe('#FFFFFF');
		expect(argbToHex(0xff000000 | 0)).toBe('#000000');
		expect(argbToHex(0x00ff8800)).toBe('#FF8800');
	});
});

it('round trip: create → get → update (replace, merge) → get many → delete', async () => {
	const create = await runDingTalk({
		store: env.store,
		parameters: { ...NEW_CONTACT_FROM_JSON, operation: 'create' },
		items: [person({ name: 'Round Trip', mobile: '13399990000', company: 'Trip Co' })],
	});
	const userid = String(create.items[0].json.userid);

	const read = async () => await readBackThroughNode(env.store, userid);
	expect(await read()).toMatchObject({ userid, name: 'Round Trip', company_name: 'Trip Co', mobile: '13399990000' });

	await runDingTalk({
		store: env.store,
		parameters: {
			resource: 'externalContact',
			operation: 'update',
			contactId: locator(userid),
			name: 'Round Trip Renamed',
			followerUserId: locator(otherOwner),
			labelIds: [label2],
			additionalFields: { remark: 'replaced' },
		},
	});
	expect(await read()).toMatchObject({ name: 'Round Trip Renamed', follower_user_id: otherOwner, remark: 'replaced' });

	await runDingTalk({
		store: env.store,
		parameters: {
			resource: 'externalContact',
			operation: 'update',
			updateMode: 'merge',
			contactId: locator(userid),
			additionalFields: { title: 'Merged Title' },
		},
	});
	expect(await read()).toMatchObject({ name: 'Round Trip Renamed', remark: 'replaced', title: 'Merged Title' });

	const list = await runDingTalk({ store: env.store, parameters: { resource: 'externalContact', operation: 'getAll', returnAll: true } });
	expect(list.items.map((item) => item.json.userid)).toContain(userid);

	const deleted = await runDingTalk({ store: env.store, parameters: { resource: 'externalContact', operation: 'delete', contactId: locator(userid) } });
	expect(deleted.items[0].json).toMatchObject({ errcode: 0, deleted: true });
	expect((await read()).error).toMatch(/^DingTalk error \d+: /);
});

describe('an answer that says errcode 0 but carries no data is a failed call, not an empty result', () => {
	const LIST = '/topapi/extcontact/list';
	const GET = '/topapi/extcontact/get';
	const WITHOUT_DATA = { errcode: 0, errmsg: 'ok' };

	it('get many (list without "results"): the run fails instead of returning fewer contacts', async () => {
		// a first page as usual, then a second page without its data: 100 contacts, not all of them
		for (let n = 0; n < 150; n++) {
			env.sandbox.state.contacts.set(`bulk-${n}`, { ...[...env.sandbox.state.contacts.values()][0], userid: `bulk-${n}`, mobile: `1350000${String(n).padStart(4, '0')}` });
		}
		env.sandbox.script(LIST, [{ delayMs: 0 }, WITHOUT_DATA]);
		const result = await runDingTalk({
			store: env.store,
			parameters: { resource: 'externalContact', operation: 'getAll', returnAll: true },
		});
		expect(result.items).toHaveLength(0);
		expect(result.error?.message).toBe('DingTalk answered /topapi/extcontact/list without its data ("results")');
		expect(String(result.error?.description)).toMatch(/errcode 0 .* no "results"/);
	});

	it('create or update (its listing without "results"): the rows fail and nothing is created', async () => {
		env.sandbox.script(LIST, [WITHOUT_DATA]);
		const existing = [...env.sandbox.state.contacts.values()][0];
		const result = await runDingTalk({
			store: env.store,
			parameters: { ...NEW_CONTACT_FROM_JSON, operation: 'upsert' },
			items: [person({ mobile: existing.mobile, stateCode: existing.state_code })],
			continueOnFail: true,
		});
		expect(result.items[0].json.error).toBe('DingTalk answered /topapi/extcontact/list without its data ("results")');
		expect(callsTo(env.sandbox, '/topapi/extcontact/create')).toHaveLength(0);
		expect(callsTo(env.sandbox, '/topapi/extcontact/update')).toHaveLength(0);
	});

	it('label get many (listlabelgroups without "results"): the run fails instead of listing no labels', async () => {
		env.sandbox.script('/topapi/extcontact/listlabelgroups', [WITHOUT_DATA]);
		const result = await runDingTalk({ store: env.store, parameters: { resource: 'label', operation: 'getAll' } });
		expect(result.items).toHaveLength(0);
		expect(result.error?.message).toBe('DingTalk answered /topapi/extcontact/listlabelgroups without its data ("results")');
	});

	it('get (without "result"): the item fails with the request id, not an empty contact', async () => {
		env.sandbox.script(GET, [WITHOUT_DATA]);
		const [id] = SEED.contactIds as string[];
		const result = await runDingTalk({
			store: env.store,
			parameters: { resource: 'externalContact', operation: 'get', contactId: locator(id) },
			continueOnFail: true,
		});
		expect(result.items.map((item) => item.json)).toEqual([
			{
				error: 'DingTalk answered /topapi/extcontact/get without its data ("result")',
				errcode: 0,
				errmsg: 'ok',
				request_id: (callsTo(env.sandbox, GET)[0].response as IDataObject).request_id,
			},
		]);
	});

	it('update in merge mode (get without "result"): the item fails and no update is sent, nothing is wiped', async () => {
		env.sandbox.script(GET, [WITHOUT_DATA]);
		const id = (SEED.contactIds as string[])[1];
		const before = structuredClone(env.sandbox.state.contacts.get(id));
		const result = await runDingTalk({ store: env.store, parameters: mergeUpdate(id, { title: 'New Title' }), continueOnFail: true });
		expect(result.items[0].json.error).toBe('DingTalk answered /topapi/extcontact/get without its data ("result")');
		expect(callsTo(env.sandbox, '/topapi/extcontact/update')).toHaveLength(0);
		expect(env.sandbox.state.contacts.get(id)).toEqual(before);
	});
});

describe('get and delete: rows that name the same contact are sent in input order', () => {
	beforeEach(async () => await fetchTokenFirst(env.store));
	const NOT_FOUND = /^DingTalk error \d+: the (user or external contact was not found|user id is not valid)$/;

	const deleted = expect.objectContaining({ errcode: 0, deleted: true });
	it.each([
		// of two deletes of one contact the first deletes it, the second finds it gone
		['delete', (json: IDataObject[]) => expect(json).toEqual([deleted, expect.objectContaining({ error: expect.stringMatching(NOT_FOUND) }), deleted])],
		['get', (json: IDataObject[], id: string, other: string) => expect(json.map((contact) => contact.userid)).toEqual([id, id, other])],
	])('%s: a second row for one contact is sent once the first is answered; a row for another contact at once', async (operation, checkItems) => {
		const [id, other] = SEED.contactIds as string[];
		const path = `/topapi/extcontact/${operation}`;
		// the first call to arrive is answered (and applied) after a second: the other contact's call goes out meanwhile
		env.sandbox.script(path, [{ delayMs: 1000 }]);
		const result = await runDingTalk({
			store: env.store,
			parameters: { resource: 'externalContact', operation, contactId: locator('={{ $json.id }}') },
			items: [{ id }, { id }, { id: other }],
			continueOnFail: true,
		});
		checkItems(result.items.map((item) => item.json), id, other);
		const calls = callsTo(env.sandbox, path);
		const [first, second] = calls.filter((call) => call.params.user_id === id);
		expect(sentAfterAnswer(first, second)).toBe(true);
		expect(sentAfterAnswer(first, calls.find((call) => call.params.user_id === other)!)).toBe(false);
	});
});

describe('a delete whose answer was lost', () => {
	const DELETE = '/topapi/extcontact/delete';

	it('DingTalk deleted the contact but the answer never came: the retry\'s "not found" means deleted, and the item says so', async () => {
		const id = (SEED.contactIds as string[])[3];
		env.sandbox.script(DELETE, [{ answerLost: true }]);
		const result = await runDingTalk({
			store: env.store,
			parameters: { resource: 'externalContact', operation: 'delete', contactId: locator(id) },
		});
		expect(result.error).toBeUndefined();
		const calls = callsTo(env.sandbox, DELETE);
		expect(calls.map((call) => [call.applied, call.answerLost])).toEqual([
			[true, true],
			[false, false],
		]);
		expect(result.items.map((item) => item.json)).toEqual([
			{
				deleted: true,
				alreadyGone: true,
				note: expect.stringMatching(/^An earlier attempt of this delete may have reached DingTalk/),
				request_id: (calls[1].response as IDataObject).request_id,
			},
		]);
		expect(env.sandbox.state.contacts.has(id)).toBe(false);
	});

	it('an update whose answer was lost is not taken for done when the retry says "not found"', async () => {
		const id = (SEED.contactIds as string[])[3];
		env.sandbox.script('/topapi/extcontact/update', [{ answerLost: true }]);
		env.sandbox.state.contacts.delete(id);
		const result = await runDingTalk({
			store: env.store,
			parameters: {
				resource: 'externalContact',
				operation: 'update',
				contactId: locator(id),
				name: 'Someone',
				followerUserId: locator(owner),
				labelIds: [label1],
			},
			continueOnFail: true,
		});
		expect(result.items[0].json.error).toMatch(/^DingTalk error \d+: /);
	});
});
