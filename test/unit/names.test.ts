/**
 * Names instead of ids, in memory: parsing labels, departments and employees' mobile numbers
 * (helpers/values.ts), resolving them (directory/resolve.ts), the directory's reads per run and the
 * label groups reused per app (directory/directory.ts), and the names added to contacts
 * (directory/names.ts).
 */
import type { IDataObject } from 'n8n-workflow';

import { DingTalk } from '../../nodes/DingTalk/DingTalk.node';
import { DingTalkTrigger } from '../../nodes/DingTalk/DingTalkTrigger.node';
import { Directory, LABELS_REUSE_MS } from '../../nodes/DingTalk/directory/directory';
import { withNames } from '../../nodes/DingTalk/directory/names';
import { resolveDepartmentIds, resolveLabelIds, resolveUserIdByMobile, resolveUserIds } from '../../nodes/DingTalk/directory/resolve';
import { isMobileEntry, parseEmployeeMobile, parseIdsOrNames } from '../../nodes/DingTalk/helpers/values';
import { appSessions } from '../../nodes/DingTalk/transport/appSession';
import { DingTalkClient } from '../../nodes/DingTalk/transport/client';
import type { Directory as FakeDirectory } from './directory';
import { emptyDirectory, serve } from './directory';
import { errcode, fakeContext, FakeDingTalk, ok, rejection, settle, useFakeClock } from './fakes';

const LABEL_GROUPS = '/topapi/extcontact/listlabelgroups';
const BY_MOBILE = '/topapi/v2/user/getbymobile';

let dingTalk: FakeDingTalk;
let fake: FakeDirectory;

beforeEach(() => {
	appSessions.clear();
	useFakeClock();
	fake = emptyDirectory();
	fake.labelGroups.push(
		{ name: 'Type', color: 0, labels: [{ id: 1, name: 'VIP' }, { id: 2, name: 'Partner' }] },
		{ name: 'Source', color: 0, labels: [{ id: 3, name: 'VIP' }, { id: 4, name: 'Ｗｅｂｓｉｔｅ' }, { id: 5, name: 'Fair / Expo' }] },
	);
	fake.departments.set(1, [{ dept_id: 10, name: 'Sales', parent_id: 1 }, { dept_id: 20, name: 'Support', parent_id: 1 }]);
	fake.departments.set(10, [{ dept_id: 11, name: 'East', parent_id: 10 }]);
	fake.departments.set(20, [{ dept_id: 21, name: 'East', parent_id: 20 }]);
	fake.users.set(10, [{ userid: 'amy', name: 'Amy' }]);
	dingTalk = serve(new FakeDingTalk(), fake).on(BY_MOBILE, ({ params }) =>
		String(params.mobile) === '13800000001' ? ok({ result: { userid: 'amy' } }) : errcode(60121),
	);
});

afterEach(() => jest.useRealTimers());

const newDirectory = () =>
	new Directory(new DingTalkClient(fakeContext({ dingTalk }), { requestsPerSecond: 1000, maxRetries: 0, maxBanWaitSeconds: 0, timeoutSeconds: 30 }));
const messageOf = async (promise: Promise<unknown>) => (await settle(rejection(promise))).message;

describe('parseIdsOrNames', () => {
	it.each<[unknown, Array<number | string>]>([
		['VIP, Partner', ['VIP', 'Partner']],
		['VIP，102；Type / VIP', ['VIP', 102, 'Type / VIP']],
		['["VIP", 3]', ['VIP', 3]],
		[['VIP', 3, '4', '5.0'], ['VIP', 3, 4, 5]],
		[102, [102]],
		['0, -3, 1.5', ['0', '-3', '1.5']],
		['', []],
		[undefined, []],
	])('%j gives %j', (given, expected) => {
		expect(parseIdsOrNames(given)).toEqual(expected);
	});

	it('a value that is no text, number or list is refused', () => {
		expect(() => parseIdsOrNames([{}])).toThrow('{} is not an id');
	});
});

describe('parseEmployeeMobile', () => {
	it.each([
		['13800000001', '13800000001'],
		['+86 138 0000 0001', '13800000001'],
		['+86-13800000001', '13800000001'],
		['008613800000001', '13800000001'],
		['(+86) 138-0000-0001', '13800000001'],
		['86 138 0000 0001', '13800000001'],
		[13800000001, '13800000001'],
		['+852 9123 4567', '+852-91234567'],
		['+85291234567', '+852-91234567'],
		['+1 (415) 555-0100', '+1-4155550100'],
		['4155550100', '4155550100'],
	])('%j is looked up as %j', (given, expected) => {
		expect(parseEmployeeMobile(given)).toBe(expected);
	});

	it.each([
		['ask Li', '"ask Li" is not a mobile number'],
		['12', '"12" is not a mobile number'],
		['', 'is empty'],
	])('%j is refused', (given, message) => {
		expect(() => parseEmployeeMobile(given)).toThrow(message);
	});

	it('only entries written with "+" are mobile numbers among user ids', () => {
		expect(['+86 138 0000 0001', ' +8613800000001', '13800000001', 'manager4220', '+', 'a+1'].map(isMobileEntry)).toEqual([
			true,
			true,
			false,
			false,
			false,
			false,
		]);
	});
});

describe('resolving labels', () => {
	it('ids as they are, names, "Group / Label" and names holding "/"; case, full-width forms and spaces do not matter', async () => {
		const directory = newDirectory();
		expect(await settle(resolveLabelIds(directory, [7, 'partner', 'source/vip', 'website', 'Fair / Expo', 'Source / Fair/Expo', 2]))).toEqual([7, 2, 3, 4, 5]);
		expect(dingTalk.calls(LABEL_GROUPS)).toHaveLength(1);
	});

	it('ids alone read nothing', async () => {
		expect(await settle(resolveLabelIds(newDirectory(), [1, 2]))).toEqual([1, 2]);
		expect(dingTalk.calls(LABEL_GROUPS)).toHaveLength(0);
	});

	it('a name two groups use, an unknown name, and more than 20 labels are refused', async () => {
		expect(await messageOf(resolveLabelIds(newDirectory(), ['VIP']))).toBe(
			'"VIP" names more than one label (in different label groups): write one of "Type / VIP", "Source / VIP", or its ID',
		);
		expect(await messageOf(resolveLabelIds(newDirectory(), ['Websites']))).toBe(
			'has no label named "Websites"; known labels include "Source / Ｗｅｂｓｉｔｅ", "Type / VIP", "Type / Partner", "Source / VIP", "Source / Fair / Expo". Pick from the list in the node, or give the label\'s ID (Label → Get Many lists them all)',
		);
		const many = Array.from({ length: 21 }, (_, index) => index + 1);
		expect(await messageOf(resolveLabelIds(newDirectory(), many))).toBe('has 21 entries; DingTalk accepts at most 20');
	});

	it('the label groups serve the runs of the next minute of the same app; an unknown name reads them afresh once', async () => {
		await settle(resolveLabelIds(newDirectory(), ['Partner']));
		await settle(resolveLabelIds(newDirectory(), ['Partner']));
		expect(dingTalk.calls(LABEL_GROUPS)).toHaveLength(1);

		(fake.labelGroups[0].labels as IDataObject[]).push({ id: 6, name: 'New' });
		const directory = newDirectory();
		expect(await settle(resolveLabelIds(directory, ['New']))).toEqual([6]);
		expect(dingTalk.calls(LABEL_GROUPS)).toHaveLength(2);
		// a name unknown in a fresh list is not read for again in the same run
		await settle(rejection(resolveLabelIds(directory, ['Missing'])));
		expect(dingTalk.calls(LABEL_GROUPS)).toHaveLength(2);

		jest.advanceTimersByTime(LABELS_REUSE_MS);
		await settle(resolveLabelIds(newDirectory(), ['Partner']));
		expect(dingTalk.calls(LABEL_GROUPS)).toHaveLength(3);
	});

	it('a failed read is not reused by the next run', async () => {
		dingTalk.script(LABEL_GROUPS, errcode(60011));
		await settle(rejection(resolveLabelIds(newDirectory(), ['Partner'])));
		expect(await settle(resolveLabelIds(newDirectory(), ['Partner']))).toEqual([2]);
	});

	it('items of one run asking at once share one read', async () => {
		const directory = newDirectory();
		const all = Promise.all(Array.from({ length: 10 }, async () => await resolveLabelIds(directory, ['Partner'])));
		expect(await settle(all)).toEqual(Array(10).fill([2]));
		expect(dingTalk.calls(LABEL_GROUPS)).toHaveLength(1);
	});
});

describe('resolving departments', () => {
	it('by id, name or path; a name in two places is refused with the paths', async () => {
		const directory = newDirectory();
		expect(await settle(resolveDepartmentIds(directory, [5, 'sales', 'Support / East', 'Whole organisation']))).toEqual([5, 10, 21, 1]);
		expect(await messageOf(resolveDepartmentIds(directory, ['East']))).toBe(
			'"East" names more than one department (in different places): write one of "Sales / East", "Support / East", or its ID',
		);
	});
});

describe('resolving employees by mobile number', () => {
	it('each number once per run, however written; not found is refused naming the number', async () => {
		const directory = newDirectory();
		expect(await settle(resolveUserIdByMobile(directory, '+86 138 0000 0001'))).toBe('amy');
		expect(await settle(resolveUserIds(directory, ['bob', '+86-13800000001', '13800000001']))).toEqual(['bob', 'amy', '13800000001']);
		expect(dingTalk.calls(BY_MOBILE).map((call) => String(call.params.mobile))).toEqual(['13800000001']);
		expect(await messageOf(resolveUserIdByMobile(directory, '139 9999 0000'))).toBe(
			'"139 9999 0000": no employee of the organisation has this mobile number (DingTalk looked up 13999990000; employees who left are not found either)',
		);
	});

	it('40104 (not a member\'s mobile) is "not found" too; an answer without the user id is a failed call', async () => {
		dingTalk.script(BY_MOBILE, errcode(40104), ok({ result: {} }));
		expect(await messageOf(resolveUserIdByMobile(newDirectory(), '13700000000'))).toMatch(/no employee of the organisation has this mobile number/);
		expect(await messageOf(resolveUserIdByMobile(newDirectory(), '13700000001'))).toMatch(
			/^DingTalk answered \/topapi\/v2\/user\/getbymobile without "result.userid"/,
		);
	});

	it('errcode 88 is read by its sub_code: 60121 there is "not found" too', async () => {
		dingTalk.script(BY_MOBILE, ok({ errcode: 88, sub_code: '60121', sub_msg: 'user not found' }));
		expect(await messageOf(resolveUserIdByMobile(newDirectory(), '13700000000'))).toMatch(/no employee of the organisation has this mobile number/);
	});

	it('a missing permission names qyapi_get_member_by_mobile', async () => {
		dingTalk.script(BY_MOBILE, errcode(60011));
		const error = await settle(rejection(resolveUserIdByMobile(newDirectory(), '13800000001')));
		expect(String(error.description)).toContain('qyapi_get_member_by_mobile');
	});
});

describe('withNames', () => {
	it('adds names next to the ids; an id no list knows stays as it is; lists are read only when needed', async () => {
		const directory = newDirectory();
		const contact = { userid: 'c1', label_ids: [2, 99], follower_user_id: 'amy', share_user_ids: ['ghost'], share_dept_ids: [11] };
		expect(await settle(withNames(directory, contact))).toEqual({
			...contact,
			label_names: ['Type / Partner', '99'],
			follower_name: 'Amy',
			share_user_names: ['ghost'],
			share_dept_names: ['Sales / East'],
		});
		const calls = dingTalk.requests.length;
		expect(await settle(withNames(directory, { userid: 'c2', label_ids: [1] }))).toMatchObject({ label_names: ['Type / VIP'], follower_name: '' });
		expect(dingTalk.requests.length).toBe(calls);

		const bare = newDirectory();
		const before = dingTalk.requests.length;
		expect(await settle(withNames(bare, { userid: 'c3' }))).toEqual({ userid: 'c3', label_names: [], follower_name: '', share_user_names: [], share_dept_names: [] });
		expect(dingTalk.requests.length).toBe(before);
	});
});

describe('the fields in the editor', () => {
	/** Every property of a node, collections' fields included. */
	const flatten = (properties: IDataObject[]): IDataObject[] =>
		properties.flatMap((property) => [property, ...flatten(((property.options as IDataObject[] | undefined) ?? []).filter((option) => 'type' in option))]);
	const nodeFields = flatten(new DingTalk().description.properties as unknown as IDataObject[]);
	const triggerFields = flatten(new DingTalkTrigger().description.properties as unknown as IDataObject[]);

	it('labels and share lists take names and ids mapped as text without the editor marking them', () => {
		const pickers = [...nodeFields, ...triggerFields].filter((field) => ['labelIds', 'shareDeptIds', 'shareUserIds'].includes(String(field.name)));
		expect(pickers.length).toBeGreaterThanOrEqual(6);
		for (const field of pickers) expect(field).toMatchObject({ type: 'multiOptions', allowArbitraryValues: true });
	});

	it('the owner can be given by mobile number, in the node and in the trigger', () => {
		const owners = [...nodeFields, ...triggerFields].filter((field) => field.name === 'followerUserId');
		expect(owners.length).toBeGreaterThanOrEqual(3);
		for (const owner of owners) {
			expect((owner.modes as IDataObject[]).map((mode) => mode.name)).toEqual(['list', 'id', 'mobile']);
		}
	});

	it('Include Names is offered on Get, Get Many and the trigger, off by default', () => {
		const shownFor = nodeFields
			.filter((field) => field.name === 'includeNames')
			.map((field) => (field.displayOptions as { show: IDataObject }).show.operation);
		expect(shownFor).toEqual([['get'], ['getAll']]);
		expect(triggerFields.filter((field) => field.name === 'includeNames')).toEqual([expect.objectContaining({ default: false, type: 'boolean' })]);
	});
});
