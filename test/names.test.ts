/**
 * Rows as people keep them, through n8n-core's executor against the sandbox: labels by name and
 * "Group / Label", departments by name and path, owners and shared users by mobile number; refused
 * names send nothing; names resolve with a few list calls and one look-up per distinct mobile
 * number; and Include Names on Get and Get Many.
 */
import type { IDataObject } from 'n8n-workflow';

import { ApiError, HANDLERS, PATHS } from './sandbox/api';
import { buildSeed } from './sandbox/seed';
import type { SandboxLogEntry } from './support';
import { callsTo, contactsSentTo, runDingTalk, SEED, UPDATE_FROM_JSON, useSandbox } from './support';

const env = useSandbox();

const { UPDATE, CREATE, LABEL_GROUPS, USER_BY_MOBILE: BY_MOBILE, DEPARTMENTS: LISTSUB, USERS: LISTSIMPLE } = PATHS;
const [contactA, contactB, contactC] = SEED.contactIds as string[];

/** What each contact was sent under `key` (items run concurrently, so by contact, not by order). */
const sentBy = (key: string): IDataObject =>
	Object.fromEntries(contactsSentTo(env.sandbox, UPDATE).map((contact) => [String(contact.user_id), contact[key]]));

/** Update from a sheet row: owner by mobile number, labels and share lists as text. */
const UPDATE_BY_NAMES: IDataObject = {
	...UPDATE_FROM_JSON,
	followerUserId: { __rl: true, mode: 'mobile', value: '={{ $json.ownerMobile }}' },
	additionalFields: { shareDeptIds: '={{ $json.departments }}', shareUserIds: '={{ $json.users }}' },
};

const row = (overrides: IDataObject = {}): IDataObject => ({
	id: contactA,
	name: '王小明',
	ownerMobile: '+86 138 0000 0002',
	labels: 'Partner',
	departments: '',
	users: '',
	...overrides,
});

/** Every call the sandbox received, except the token. */
const apiCalls = (): SandboxLogEntry[] => env.sandbox.log.filter((entry) => entry.path !== '/gettoken');

async function update(rows: IDataObject[], parameters: IDataObject = UPDATE_BY_NAMES) {
	return await runDingTalk({ store: env.store, parameters, items: rows, continueOnFail: true });
}

describe('labels by name', () => {
	it('names, "Group / Label" and ids, mixed, as text, a JSON array or a list', async () => {
		const result = await update([
			row({ labels: 'Partner, 客户类型 / VIP, 201' }),
			row({ id: contactB, labels: '["来源 Source / VIP", "website"]' }),
			row({ id: contactC, labels: ['Region / 华南', 'partner', 104] }),
		]);
		expect(result.items.map((item) => item.json.error)).toEqual([undefined, undefined, undefined]);
		expect(sentBy('label_ids')).toEqual({ [contactA]: [104, 102, 201], [contactB]: [303, 302], [contactC]: [202, 104] });
		// one read of the label groups for the whole run
		expect(callsTo(env.sandbox, LABEL_GROUPS)).toHaveLength(1);
	});

	it('a name two groups use is refused with the "Group / Label" choices; nothing is sent for that item', async () => {
		const result = await update([row({ labels: 'VIP' }), row({ id: contactB, labels: '102' })]);
		expect(result.items[0].json.error).toBe(
			'Item 0: "Labels" "VIP" names more than one label (in different label groups): write one of "客户类型 / VIP", "来源 Source / VIP", or its ID',
		);
		expect(contactsSentTo(env.sandbox, UPDATE).map((contact) => contact.user_id)).toEqual([contactB]);
	});

	it('an unknown name is refused naming the field, the value and known labels; nothing is sent', async () => {
		const result = await update([row({ labels: 'Partner, Customer' })]);
		const error = String(result.items[0].json.error);
		expect(error).toMatch(/^Item 0: "Labels" has no label named "Customer"; known labels include /);
		expect(error).toContain('"客户类型 / Partner"');
		expect(callsTo(env.sandbox, UPDATE)).toHaveLength(0);
		// a list read by this run is not read again
		expect(callsTo(env.sandbox, LABEL_GROUPS)).toHaveLength(1);
	});

	it('runs of the next minute reuse the label groups; a name missing from them is looked up afresh once', async () => {
		await update([row()]);
		await update([row({ labels: 'Region / 华东' })]);
		expect(callsTo(env.sandbox, LABEL_GROUPS)).toHaveLength(1);

		// a label created meanwhile is found in a fresh read
		const groups = env.sandbox.state.labelGroups as Array<{ labels: IDataObject[] }>;
		groups[1].labels.push({ id: 204, name: '西北' });
		const result = await update([row({ labels: '西北' }), row({ id: contactB, labels: 'Region / 西北' })]);
		expect(result.items.map((item) => item.json.error)).toEqual([undefined, undefined]);
		expect(callsTo(env.sandbox, LABEL_GROUPS)).toHaveLength(2);
		expect(contactsSentTo(env.sandbox, UPDATE).slice(-2).map((contact) => contact.label_ids)).toEqual([[204], [204]]); // both rows: the same label
	});

	it('ids alone need no list', async () => {
		await update([row({ labels: '101, 202' })]);
		expect(callsTo(env.sandbox, LABEL_GROUPS)).toHaveLength(0);
	});

	it('Create takes names too', async () => {
		const result = await runDingTalk({
			store: env.store,
			parameters: {
				resource: 'externalContact',
				operation: 'create',
				name: '={{ $json.name }}',
				followerUserId: { __rl: true, mode: 'mobile', value: '={{ $json.ownerMobile }}' },
				labelIds: '={{ $json.labels }}',
				stateCode: '86',
				mobile: '13712345678',
				additionalFields: { shareDeptIds: '={{ $json.departments }}' },
			},
			items: [{ name: '韩梅梅', ownerMobile: '13800000001', labels: 'Partner, Region / 华东', departments: '研发部' }],
		});
		expect(result.error).toBeUndefined();
		expect(contactsSentTo(env.sandbox, CREATE)).toEqual([
			{
				name: '韩梅梅',
				follower_user_id: 'manager4220',
				label_ids: [104, 201],
				state_code: '86',
				mobile: '13712345678',
				share_dept_ids: [4],
			},
		]);
	});
});

describe('Update in merge mode and Create or Update', () => {
	it('merge: names given are resolved, fields left empty keep their current value', async () => {
		const result = await update(
			[row({ name: '', ownerMobile: '+86 138 0000 0003', labels: 'Region / 华南' })],
			{ ...UPDATE_BY_NAMES, updateMode: 'merge', additionalFields: {} },
		);
		expect(result.items[0].json.error).toBeUndefined();
		expect(contactsSentTo(env.sandbox, UPDATE)).toEqual([
			expect.objectContaining({ user_id: contactA, name: '王小明', follower_user_id: 'wangwu', label_ids: [202], share_dept_ids: [5], share_user_ids: ['lisi01'] }),
		]);
	});

	it('create or update: rows by names, the last row of a mobile number wins', async () => {
		// the first row's label names take a slow read, the second row gives ids: it still waits for the first
		env.sandbox.script(LABEL_GROUPS, [{ delayMs: 300 }]);
		const result = await runDingTalk({
			store: env.store,
			parameters: {
				resource: 'externalContact',
				operation: 'upsert',
				name: '={{ $json.name }}',
				followerUserId: { __rl: true, mode: 'mobile', value: '={{ $json.ownerMobile }}' },
				labelIds: '={{ $json.labels }}',
				stateCode: '86',
				mobile: '13712340000',
				additionalFields: {},
			},
			items: [
				{ name: 'First', ownerMobile: '13800000002', labels: 'Partner' },
				{ name: 'Second', ownerMobile: '13800000001', labels: '102' },
			],
		});
		expect(result.items.map((item) => item.json.action)).toEqual(['created', 'updated']);
		const created = env.sandbox.state.contacts.get(String(result.items[0].json.userid));
		expect(created).toMatchObject({ name: 'Second', follower_user_id: 'manager4220', label_ids: [102] });
	});
});

describe('departments by name or path', () => {
	it('a name, a path, an id; a name used in two places is refused listing the paths', async () => {
		const result = await update([
			row({ departments: '研发部, 销售部 / East, 3' }),
			row({ id: contactB, departments: 'East' }),
			row({ id: contactC, departments: '市场部/East' }),
		]);
		expect(result.items.map((item) => item.json.error)).toEqual([
			undefined,
			'Item 1: "Share With Departments" "East" names more than one department (in different places): write one of "销售部 / East", "市场部 / East", or its ID',
			undefined,
		]);
		expect(sentBy('share_dept_ids')).toEqual({ [contactA]: [4, 9, 3], [contactC]: [10] });
	});

	it('an unknown department is refused naming it', async () => {
		const result = await update([row({ departments: 'Finance' })]);
		expect(result.items[0].json.error).toMatch(/^Item 0: "Share With Departments" has no department named "Finance"; known departments include /);
		expect(callsTo(env.sandbox, UPDATE)).toHaveLength(0);
	});
});

describe('owner by mobile number', () => {
	it('found: with or without +86, spaces or dashes, each number looked up once per run', async () => {
		const result = await update([
			row({ ownerMobile: '+86 138 0000 0002' }),
			row({ id: contactB, ownerMobile: '138-0000-0001' }),
			row({ ownerMobile: '008613800000002' }),
			row({ id: contactB, ownerMobile: '13800000001' }),
		]);
		expect(result.items.map((item) => item.json.error)).toEqual([undefined, undefined, undefined, undefined]);
		const ownersOf = (id: string) => contactsSentTo(env.sandbox, UPDATE).filter((contact) => contact.user_id === id).map((contact) => contact.follower_user_id);
		expect(ownersOf(contactA)).toEqual(['lisi01', 'lisi01']);
		expect(ownersOf(contactB)).toEqual(['manager4220', 'manager4220']);
		expect(callsTo(env.sandbox, BY_MOBILE).map((call) => call.params.mobile).sort()).toEqual(['13800000001', '13800000002']);
	});

	it('not found: the item fails naming Owner and the number, and nothing is sent for it', async () => {
		const result = await update([row({ ownerMobile: '+86 139 9999 0000' }), row({ id: contactB })]);
		expect(result.items[0].json.error).toBe(
			'Item 0: "Owner (Follower User ID)" "+86 139 9999 0000": no employee of the organisation has this mobile number (DingTalk looked up 13999990000; employees who left are not found either)',
		);
		expect(contactsSentTo(env.sandbox, UPDATE).map((contact) => contact.user_id)).toEqual([contactB]);
	});

	it('a number that is no mobile fails before any call', async () => {
		const result = await update([row({ ownerMobile: 'ask Li' })]);
		expect(result.items[0].json.error).toBe('Item 0: "Owner (Follower User ID)" "ask Li" is not a mobile number (such as 13800000001 or +86 138 0000 0001)');
		expect(apiCalls()).toHaveLength(0);
	});

	it('without the permission qyapi_get_member_by_mobile the error says which one to grant', async () => {
		env.sandbox.set({ missingPermission: 'mobile' });
		const result = await runDingTalk({ store: env.store, parameters: UPDATE_BY_NAMES, items: [row()] });
		expect(String(result.error?.description)).toContain('qyapi_get_member_by_mobile');
		expect(callsTo(env.sandbox, UPDATE)).toHaveLength(0);
	});

	it('shared users: an entry written "+86 …" is a mobile number, anything else a user id', async () => {
		const result = await update([row({ users: 'wangwu, +86 138 0000 0001, 13800000003' })]);
		// "13800000003" is not looked up: user ids may be digits, so DingTalk judges it as an id
		expect(result.items[0].json.errcode).toBe(40035);
		expect(callsTo(env.sandbox, BY_MOBILE).map((call) => call.params.mobile).sort()).toEqual(['13800000001', '13800000002']);
		const sent = callsTo(env.sandbox, UPDATE)[0].params.contact as IDataObject;
		expect(sent.share_user_ids).toEqual(['wangwu', 'manager4220', '13800000003']);
	});
});

describe('what resolution costs', () => {
	it('50 rows with label names and owner mobiles: one label read and one look-up per distinct number', async () => {
		const mobiles = ['13800000001', '+86 138 0000 0002', '138-0000-0003'];
		const rows = Array.from({ length: 50 }, (_, index) =>
			row({ id: (SEED.contactIds as string[])[index % 5], ownerMobile: mobiles[index % 3], labels: index % 2 ? 'Partner, Region / 华东' : '客户类型 / VIP' }),
		);
		const result = await update(rows);
		expect(result.items.filter((item) => item.json.error !== undefined)).toEqual([]);
		const count = (path: string) => callsTo(env.sandbox, path).length;
		expect({ labelGroups: count(LABEL_GROUPS), byMobile: count(BY_MOBILE), updates: count(UPDATE), departments: count(LISTSUB), users: count(LISTSIMPLE) }).toEqual({
			labelGroups: 1,
			byMobile: 3,
			updates: 50,
			departments: 0,
			users: 0,
		});
	});
});

describe('Include Names', () => {
	const seededDepartments = () => (env.sandbox.state.departments as unknown[]).length + 1;

	it('Get Many adds label, owner, user and department names, reading each list once', async () => {
		const result = await runDingTalk({
			store: env.store,
			parameters: { resource: 'externalContact', operation: 'getAll', returnAll: true, includeNames: true },
		});
		expect(result.error).toBeUndefined();
		const first = result.items.find((item) => item.json.userid === contactA)!.json;
		expect(first).toMatchObject({
			label_ids: [101, 201],
			label_names: ['客户类型 / 潜在客户', 'Region / 华东'],
			follower_user_id: 'manager4220',
			follower_name: '张三',
			share_user_ids: ['lisi01'],
			share_user_names: ['李四'],
			share_dept_ids: [5],
			share_dept_names: ['销售部 / 华东销售'],
		});
		const second = result.items.find((item) => item.json.userid === contactB)!.json;
		expect(second).toMatchObject({ label_names: ['客户类型 / VIP', 'Region / International'], follower_name: 'Emily Chen', share_user_names: [], share_dept_names: [] });
		expect(callsTo(env.sandbox, LABEL_GROUPS)).toHaveLength(1);
		// the tree once (one listsub per department), then each department's users once
		expect(callsTo(env.sandbox, LISTSUB)).toHaveLength(seededDepartments());
		expect(callsTo(env.sandbox, LISTSIMPLE)).toHaveLength(seededDepartments());
	});

	it('an id DingTalk no longer lists is given as is; without the option nothing is added', async () => {
		const contacts = env.sandbox.state.contacts;
		contacts.set(contactA, { ...contacts.get(contactA)!, label_ids: [101, 999], follower_user_id: 'gone.user' });
		const named = await runDingTalk({
			store: env.store,
			parameters: { resource: 'externalContact', operation: 'get', contactId: { __rl: true, mode: 'id', value: contactA }, includeNames: true },
		});
		expect(named.items[0].json).toMatchObject({ label_names: ['客户类型 / 潜在客户', '999'], follower_name: 'gone.user' });
		env.sandbox.resetLog();
		const plain = await runDingTalk({
			store: env.store,
			parameters: { resource: 'externalContact', operation: 'get', contactId: { __rl: true, mode: 'id', value: contactA } },
		});
		expect(Object.keys(plain.items[0].json)).not.toContain('label_names');
		expect(apiCalls().map((call) => call.path)).toEqual(['/topapi/extcontact/get']);
	});
});

describe("the sandbox's getbymobile, as the API notes describe it", () => {
	const callSandbox = (params: IDataObject) => {
		try {
			return HANDLERS[PATHS.USER_BY_MOBILE](buildSeed(), params, { updateClearsOmitted: true, newUserid: () => 'x' }).body;
		} catch (error) {
			return { errcode: (error as ApiError).errcode };
		}
	};

	it('finds the employee by the number stored for them; 60121 not found, 40104 not a mobile, 400002 no number', () => {
		expect(callSandbox({ mobile: '13800000002' })).toEqual({ result: { userid: 'lisi01' } });
		expect(callSandbox({ mobile: '13999990000' })).toEqual({ errcode: 60121 });
		expect(callSandbox({ mobile: 'abc' })).toEqual({ errcode: 40104 });
		expect(callSandbox({})).toEqual({ errcode: 400002 });
	});
});
