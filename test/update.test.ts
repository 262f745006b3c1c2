/**
 * External Contact → Update through n8n-core's executor against the sandbox: what reaches DingTalk,
 * spreadsheet-shaped values, validation, DingTalk's errors with and without Continue On Fail.
 */
import type { IDataObject } from 'n8n-workflow';

import {
	callsTo,
	contactsSentTo,
	credentialStoreFor,
	fetchTokenFirst,
	readBackThroughNode,
	runDingTalk,
	SEED,
	sentAfterAnswer,
	UPDATE_FROM_JSON,
	useSandbox,
} from './support';

const UPDATE = '/topapi/extcontact/update';

const env = useSandbox();

const [contactA, contactB, contactC] = SEED.contactIds as string[];
const [owner1, owner2] = SEED.userIds as string[];
const labels = SEED.labelIds as number[];
const departments = SEED.deptIds as number[];

function row(overrides: IDataObject = {}): IDataObject {
	return { id: contactA, name: '王小明', owner: owner1, labels: `${labels[0]}`, ...overrides };
}

describe('what reaches DingTalk', () => {
	it('sends every field, form encoded, with DingTalk keys and types', async () => {
		const result = await runDingTalk({
			store: env.store,
			parameters: {
				...UPDATE_FROM_JSON,
				additionalFields: {
					title: '={{ $json.title }}',
					address: '杭州市余杭区文一西路969号',
					remark: 'met at the fair',
					companyName: '阿里巴巴',
					shareDeptIds: [departments[1], departments[2]],
					shareUserIds: [owner1, owner2],
				},
			},
			items: [row({ labels: [labels[0], labels[1]], title: 'Purchasing Manager' })],
		});
		expect(result.error).toBeUndefined();

		const calls = callsTo(env.sandbox, UPDATE);
		expect(calls).toHaveLength(1);
		expect(calls[0].method).toBe('POST');
		expect(calls[0].encoding).toBe('form');
		expect(calls[0].contentType).toMatch(/^application\/x-www-form-urlencoded/);
		expect(typeof calls[0].query.access_token).toBe('string');
		expect(calls[0].params.contact).toEqual({
			user_id: contactA,
			name: '王小明',
			follower_user_id: owner1,
			label_ids: [labels[0], labels[1]],
			title: 'Purchasing Manager',
			address: '杭州市余杭区文一西路969号',
			remark: 'met at the fair',
			company_name: '阿里巴巴',
			share_dept_ids: [departments[1], departments[2]],
			share_user_ids: [owner1, owner2],
		});

		// DingTalk applied it: read back through the node, under DingTalk's read-back names
		expect(await readBackThroughNode(env.store, contactA)).toMatchObject({ userid: contactA, name: '王小明', company_name: '阿里巴巴', title: 'Purchasing Manager' });

		expect(result.items).toHaveLength(1);
		expect(result.items[0].json).toEqual({
			errcode: 0,
			errmsg: 'ok',
			request_id: (calls[0].response as IDataObject).request_id,
		});
		expect(result.items[0].pairedItem).toEqual({ item: 0 });
	});

	it('leaves out optional fields that are empty', async () => {
		await runDingTalk({
			store: env.store,
			parameters: { ...UPDATE_FROM_JSON, additionalFields: { title: '', remark: '={{ $json.missing }}' } },
			items: [row()],
		});
		expect(contactsSentTo(env.sandbox, UPDATE)).toEqual([
			{ user_id: contactA, name: '王小明', follower_user_id: owner1, label_ids: [labels[0]] },
		]);
	});

	it('takes ids picked from the lists (resource locator "list" mode)', async () => {
		await runDingTalk({
			store: env.store,
			parameters: {
				resource: 'externalContact',
				operation: 'update',
				contactId: { __rl: true, mode: 'list', value: contactB },
				name: 'John Smith',
				followerUserId: { __rl: true, mode: 'list', value: owner2 },
				labelIds: [labels[1]],
			},
		});
		expect(contactsSentTo(env.sandbox, UPDATE)).toEqual([
			{ user_id: contactB, name: 'John Smith', follower_user_id: owner2, label_ids: [labels[1]] },
		]);
	});

	it('runs once per item, in order, each output paired to its input', async () => {
		const rows = [contactA, contactB, contactC].map((id, index) => row({ id, name: `Contact ${index}` }));
		const result = await runDingTalk({ store: env.store, parameters: UPDATE_FROM_JSON, items: rows });
		expect(result.items.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		expect(result.items.every((item) => item.json.errcode === 0)).toBe(true);
		const sent = contactsSentTo(env.sandbox, UPDATE).map((contact) => [contact.user_id, contact.name]);
		expect(sent.sort()).toEqual([
			[contactA, 'Contact 0'],
			[contactB, 'Contact 1'],
			[contactC, 'Contact 2'],
		]);
	});
});

describe('values as spreadsheets deliver them', () => {
	it.each([
		['a comma list', `${labels[0]},${labels[1]}`],
		['a comma list with spaces', ` ${labels[0]}, ${labels[1]} `],
		['a JSON array string', `[${labels[0]},${labels[1]}]`],
		['an array of strings', [`${labels[0]}`, `${labels[1]}`]],
		['an array of numbers', [labels[0], labels[1]]],
		['a list with duplicates and empty entries', `${labels[0]},,${labels[1]},${labels[0]},`],
	])('label ids from %s', async (_, value) => {
		const result = await runDingTalk({ store: env.store, parameters: UPDATE_FROM_JSON, items: [row({ labels: value })] });
		expect(result.error).toBeUndefined();
		expect(contactsSentTo(env.sandbox, UPDATE)[0].label_ids).toEqual([labels[0], labels[1]]);
	});

	it('a single numeric id, and numbers in text fields', async () => {
		await runDingTalk({
			store: env.store,
			parameters: { ...UPDATE_FROM_JSON, additionalFields: { companyName: '={{ $json.company }}' } },
			items: [row({ labels: labels[2], name: 12345, company: 2026 })],
		});
		expect(contactsSentTo(env.sandbox, UPDATE)[0]).toMatchObject({
			name: '12345',
			label_ids: [labels[2]],
			company_name: '2026',
		});
	});

	it('user and department id lists from text', async () => {
		await runDingTalk({
			store: env.store,
			parameters: {
				...UPDATE_FROM_JSON,
				additionalFields: { shareUserIds: '={{ $json.users }}', shareDeptIds: '={{ $json.depts }}' },
			},
			items: [row({ users: ` ${owner1} , ${owner2},${owner1}`, depts: `${departments[1]}` })],
		});
		expect(contactsSentTo(env.sandbox, UPDATE)[0]).toMatchObject({
			share_user_ids: [owner1, owner2],
			share_dept_ids: [departments[1]],
		});
	});
});

describe('validation before sending', () => {
	const twentyOne = Array.from({ length: 21 }, (_, i) => i + 1).join(',');
	it.each([
		['an empty name', { name: '  ' }, 'Item 1: "Name" is empty'],
		['a missing owner', { owner: '' }, 'Item 1: "Owner (Follower User ID)" is empty'],
		['no labels', { labels: '' }, 'Item 1: "Labels" is empty: choose at least one label'],
		[
			'a label that is neither an id nor a known name',
			{ labels: '12,abc' },
			'Item 1: "Labels" has no label named "abc"; known labels include "客户类型 / 潜在客户", "客户类型 / VIP", "客户类型 / 合作伙伴", "客户类型 / Partner", "Region / 华东", "Region / 华南", "Region / International", "来源 Source / 展会 Trade fair" and 2 more. Pick from the list in the node, or give the label\'s ID (Label → Get Many lists them all)',
		],
		['a label that is no text', { labels: [12, { id: 3 }] }, 'Item 1: "Labels" {"id":3} is not an id'],
		['21 labels', { labels: twentyOne }, 'Item 1: "Labels" has 21 entries; DingTalk accepts at most 20'],
		['a missing contact id', { id: '' }, 'Item 1: "External Contact" is empty'],
		['two contact ids', { id: 'a,b' }, 'Item 1: "External Contact" "a,b" must be a single id'],
	])('%s fails the item by index and field, and sends nothing for it', async (_, bad, message) => {
		const result = await runDingTalk({
			store: env.store,
			parameters: UPDATE_FROM_JSON,
			items: [row(), row({ ...bad })],
			continueOnFail: true,
		});
		expect(result.items).toHaveLength(2);
		expect(result.items[0].json.errcode).toBe(0);
		expect(result.items[1].json).toEqual({ error: message });
		expect(result.items[1].pairedItem).toEqual({ item: 1 });
		// only the good item went out
		expect(contactsSentTo(env.sandbox, UPDATE).map((contact) => contact.user_id)).toEqual([contactA]);
	});

	it('too many share departments and users are caught too', async () => {
		const result = await runDingTalk({
			store: env.store,
			parameters: {
				...UPDATE_FROM_JSON,
				additionalFields: { shareUserIds: '={{ $json.users }}' },
			},
			items: [row({ users: Array.from({ length: 25 }, (_, i) => `u${i}`) })],
			continueOnFail: true,
		});
		expect(result.items[0].json.error).toBe('Item 0: "Share With Users" has 25 entries; DingTalk accepts at most 20');
		expect(callsTo(env.sandbox, UPDATE)).toHaveLength(0);
	});

	it('without Continue On Fail the node fails with the same message', async () => {
		const result = await runDingTalk({ store: env.store, parameters: UPDATE_FROM_JSON, items: [row({ labels: [-3] })] });
		expect(result.error?.message).toBe('Item 0: "Labels" -3 is not a whole positive number');
		expect(callsTo(env.sandbox, UPDATE)).toHaveLength(0);
	});
});

describe("DingTalk's errors", () => {
	it('an unknown contact: "DingTalk error CODE: meaning" with what to do', async () => {
		const result = await runDingTalk({
			store: env.store,
			parameters: UPDATE_FROM_JSON,
			items: [row({ id: 'no-such-contact' })],
		});
		expect(result.error?.message).toMatch(/^DingTalk error (60121|40003|33012): /);
		expect(String(result.error?.description)).toMatch(/Check the ids/);
	});

	it.each([
		[-1, 'DingTalk error -1: DingTalk is busy'],
		[40035, 'DingTalk error 40035: a parameter is missing or not valid'],
		[60011, 'DingTalk error 60011: the app lacks the permission for this call'],
		[60204, 'DingTalk error 60204: labels are required'],
		[90018, 'DingTalk error 90018: too many calls per second for this app'],
	])('errcode %s, under Continue On Fail, comes out paired with errcode, errmsg and request_id', async (errcode, message) => {
		// retries are switched off here; they have tests of their own
		env.sandbox.script(UPDATE, [{ errcode, errmsg: `scripted ${errcode}` }]);
		const result = await runDingTalk({
			store: env.store,
			parameters: { ...UPDATE_FROM_JSON, options: { maxRetries: 0, maxConcurrency: 1 } },
			items: [row(), row({ id: contactB })],
			continueOnFail: true,
		});
		expect(result.items).toHaveLength(2);
		expect(result.items[1].json).toEqual({ errcode: 0, errmsg: 'ok', request_id: expect.any(String) });
		const failed = result.items.filter((item) => item.json.error !== undefined);
		expect(failed).toHaveLength(1);
		expect(failed[0].json.request_id).toEqual(expect.any(String));
		for (const item of failed) {
			expect(item.json.error).toBe(message);
			expect(item.json.errcode).toBe(errcode);
			expect(item.json.errmsg).toBe(`scripted ${errcode}`);
		}
		expect(result.items.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
	});

	it('one failing item does not stop the others under Continue On Fail', async () => {
		const rows = [row(), row({ id: 'missing-1' }), row({ id: contactB }), row({ id: 'missing-2' })];
		const result = await runDingTalk({ store: env.store, parameters: UPDATE_FROM_JSON, items: rows, continueOnFail: true });
		expect(result.items.map((item) => (item.json.errcode === 0 ? 'ok' : 'failed'))).toEqual([
			'ok',
			'failed',
			'ok',
			'failed',
		]);
		expect(result.items[1].json.request_id).toEqual(expect.any(String));
	});

	it('HTTP 500 answers are retried, and named when they persist', async () => {
		env.sandbox.script(UPDATE, [{ http: 500 }, { http: 500 }, { http: 500 }]);
		const result = await runDingTalk({
			store: env.store,
			parameters: { ...UPDATE_FROM_JSON, options: { maxRetries: 2 } },
			items: [row()],
			continueOnFail: true,
		});
		expect(result.items[0].json.error).toBe('DingTalk answered with HTTP status 500');
		expect(callsTo(env.sandbox, UPDATE)).toHaveLength(3);
	});

	it('a server that is not there: a message a person understands', async () => {
		const offline = credentialStoreFor(env.sandbox, { baseUrl: 'http://127.0.0.1:9' });
		const result = await runDingTalk({
			store: offline,
			parameters: { ...UPDATE_FROM_JSON, options: { maxRetries: 0 } },
			items: [row()],
		});
		expect(result.error?.message).toMatch(/^Could not (connect to|get an access token from) http:\/\/127\.0\.0\.1:9/);
	});

	it('an HTML page instead of JSON is explained as a ban', async () => {
		env.sandbox.script(UPDATE, [{ html: true }, { html: true }]);
		const result = await runDingTalk({
			store: env.store,
			parameters: { ...UPDATE_FROM_JSON, options: { maxRetries: 0 } },
			items: [row()],
		});
		expect(result.error?.message).toBe("DingTalk has temporarily blocked calls from this server's IP address");
	});

	it('a ban asking to wait longer than allowed fails with the reason', async () => {
		env.sandbox.script(UPDATE, [{ ban: 120 }]);
		const result = await runDingTalk({ store: env.store, parameters: UPDATE_FROM_JSON, items: [row()] });
		expect(result.error?.message).toBe("DingTalk has temporarily blocked calls from this server's IP address");
		expect(String(result.error?.description)).toMatch(/asks to wait 120 seconds/);
	});
});

describe('rows that name the same contact are applied in input order; other contacts do not wait', () => {
	beforeEach(async () => await fetchTokenFirst(env.store));

	it('replace: two rows for one contact end as the later row, though the first is answered slowly', async () => {
		// the first update to arrive is answered (and applied) only after 300 ms
		env.sandbox.script(UPDATE, [{ delayMs: 300 }]);
		const result = await runDingTalk({
			store: env.store,
			parameters: UPDATE_FROM_JSON,
			items: [row({ name: 'First row' }), row({ name: 'Second row' })],
		});
		expect(result.error).toBeUndefined();
		expect(result.items.map((item) => item.json.errcode)).toEqual([0, 0]);
		const calls = callsTo(env.sandbox, UPDATE);
		expect(calls.map((call) => (call.params.contact as IDataObject).name)).toEqual(['First row', 'Second row']);
		expect(sentAfterAnswer(calls[0], calls[1])).toBe(true);
		expect(env.sandbox.state.contacts.get(contactA)?.name).toBe('Second row');
	});

	it('merge: each row starts from what the row before it wrote, so no row\'s change is lost', async () => {
		// the first row's update is applied only after 300 ms: a second row that read the contact
		// meanwhile would write back what it read, and the first row's write would then wipe the second's
		env.sandbox.script(UPDATE, [{ delayMs: 300 }]);
		const result = await runDingTalk({
			store: env.store,
			parameters: {
				...UPDATE_FROM_JSON,
				updateMode: 'merge',
				name: '',
				followerUserId: { __rl: true, mode: 'id', value: '' },
				labelIds: [],
				additionalFields: { title: '={{ $json.title }}', remark: '={{ $json.remark }}' },
			},
			items: [{ id: contactA, title: 'Title from row 1' }, { id: contactA, remark: 'Remark from row 2' }],
		});
		expect(result.error).toBeUndefined();
		expect(env.sandbox.state.contacts.get(contactA)).toMatchObject({ title: 'Title from row 1', remark: 'Remark from row 2' });
	});

	it('rows for other contacts are sent while a row of another contact waits for its answer', async () => {
		env.sandbox.script(UPDATE, [{ delayMs: 1000 }]); // long enough that B, sent at once, is under way well before A is answered
		const result = await runDingTalk({
			store: env.store,
			parameters: UPDATE_FROM_JSON,
			items: [row({ name: 'A once' }), row({ name: 'A twice' }), row({ id: contactB, name: 'B' })],
		});
		expect(result.error).toBeUndefined();
		const calls = callsTo(env.sandbox, UPDATE);
		const [firstA, secondA] = calls.filter((call) => (call.params.contact as IDataObject).user_id === contactA);
		const onlyB = calls.find((call) => (call.params.contact as IDataObject).user_id === contactB)!;
		expect(sentAfterAnswer(firstA, secondA)).toBe(true);
		// B did not wait for A
		expect(sentAfterAnswer(firstA, onlyB)).toBe(false);
	});
});
