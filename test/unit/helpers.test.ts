/**
 * Reading one item's parameters (helpers/parameters.ts, helpers/contact.ts) and running items
 * several at a time (helpers/concurrency.ts).
 */
import type { IDataObject } from 'n8n-workflow';

import { forEachConcurrently } from '../../nodes/DingTalk/helpers/concurrency';
import { mergeContact, readContact } from '../../nodes/DingTalk/helpers/contact';
import { parseValue, readParameter } from '../../nodes/DingTalk/helpers/parameters';
import { parseNumericIdList, parseSingleId } from '../../nodes/DingTalk/helpers/values';
import type { RunContext } from '../../nodes/DingTalk/actions/types';
import { fakeContext, FakeDingTalk, rejection, thrown } from './fakes';

const locator = (value: unknown) => ({ __rl: true, mode: 'id', value });
const context = (parameters: IDataObject) => fakeContext({ dingTalk: new FakeDingTalk(), parameters });

/** A run that reads ids only: the directory is never asked (names are tested in names.test.ts). */
const idsOnlyRun = (): RunContext => {
	const shared = new Map<string, unknown>();
	return {
		client: undefined as unknown as RunContext['client'],
		shared: <T>(key: string, create: () => T) => (shared.has(key) ? shared.get(key) : shared.set(key, create()).get(key)) as T,
	};
};
const read = async (given: ReturnType<typeof context>, itemIndex: number, with_: Parameters<typeof readContact>[3]) =>
	await readContact(given, itemIndex, idsOnlyRun(), with_);
const readError = async (given: ReturnType<typeof context>, itemIndex: number, with_: Parameters<typeof readContact>[3]) =>
	(await read(given, itemIndex, with_).then(() => undefined, (error: Error) => error))?.message ?? 'no error';

describe('readParameter', () => {
	it('resource locators are read as the id they hold; other parameters as they are', () => {
		const given = context({ contactId: locator(' c-1 '), followerUserId: locator('u-1'), name: locator('kept') });
		expect(readParameter(given, 0, 'contactId', 'External Contact', parseSingleId)).toBe('c-1');
		expect(readParameter(given, 0, 'followerUserId', 'Owner', parseSingleId)).toBe('u-1');
		expect(readParameter(given, 0, 'name', 'Name', (value) => value)).toEqual(locator('kept'));
		expect(readParameter(given, 0, 'missing', 'Missing', (value) => value, 'fallback')).toBe('fallback');
	});

	it('a value that does not parse fails naming the item and the field', () => {
		const given = context({ contactId: locator('a,b') });
		const error = thrown(() => readParameter(given, 5, 'contactId', 'External Contact', parseSingleId));
		expect(error?.message).toBe('Item 5: "External Contact" "a,b" must be a single id');
		expect(error?.description).toBe('Fix the value mapped into "External Contact" for item 5 (counting from 0). Nothing was sent to DingTalk for this item.');
		expect(error?.context).toMatchObject({ itemIndex: 5 });
		expect(parseValue(given, 0, 'X', (value) => `parsed ${String(value)}`, 'v')).toBe('parsed v');
	});
});

describe('a refused value of a node used as an AI tool', () => {
	/** resolved values as getNodeParameter gives them; the node's raw parameters as saved, with $fromAI */
	function toolContext(values: IDataObject, raw: IDataObject) {
		const given = context(values);
		const node = given.getNode();
		return Object.assign(given, { getNode: () => ({ ...node, parameters: raw }) });
	}

	it('names the tool argument to fix, in a plain parameter, a resource locator and a collection', () => {
		const given = toolContext(
			{ contactId: locator('a,b'), labelIds: 'VIP' },
			{
				contactId: locator("={{ $fromAI('contact_id', 'The contact', 'string') }}"),
				labelIds: '={{ $fromAI("label_ids") }}',
				filters: { mobile: "={{ $fromAI('mobile', 'A number', 'string', '') }}" },
			},
		);
		const fix = (label: string, argument: string) =>
			`Fix the tool argument "${argument}" (the node's "${label}"). Nothing was sent to DingTalk for this item.`;
		expect(thrown(() => readParameter(given, 0, 'contactId', 'External Contact', parseSingleId))?.description).toBe(fix('External Contact', 'contact_id'));
		expect(thrown(() => readParameter(given, 0, 'labelIds', 'Labels', parseNumericIdList))?.description).toBe(fix('Labels', 'label_ids'));
		expect(thrown(() => parseValue(given, 0, 'Filters: Mobile', parseSingleId, '', 'filters.mobile'))?.description).toBe(fix('Filters: Mobile', 'mobile'));
		// no $fromAI there: the field, as for any workflow
		expect(thrown(() => parseValue(given, 2, 'Name', parseSingleId, '', 'filters.name'))?.description).toBe(
			'Fix the value mapped into "Name" for item 2 (counting from 0). Nothing was sent to DingTalk for this item.',
		);
	});
});

describe('readContact', () => {
	const full = {
		contactId: locator('c-1'),
		name: ' 王小明 ',
		followerUserId: locator('u-1'),
		labelIds: '1, 2',
		stateCode: '+86',
		mobile: '138 0013 8000',
		additionalFields: {
			title: 'Buyer',
			address: ' Hangzhou ',
			remark: 42,
			companyName: 'Acme',
			shareDeptIds: [3, '4'],
			shareUserIds: 'u-2,u-3',
		},
	};

	it('every field under its DingTalk key, parsed', async () => {
		expect(await read(context(full), 0, { userId: true, mobile: true })).toEqual({
			user_id: 'c-1',
			name: '王小明',
			follower_user_id: 'u-1',
			label_ids: [1, 2],
			state_code: '86',
			mobile: '13800138000',
			title: 'Buyer',
			address: 'Hangzhou',
			remark: '42',
			company_name: 'Acme',
			share_dept_ids: [3, 4],
			share_user_ids: ['u-2', 'u-3'],
		});
	});

	it('without userId and mobile those are not read; empty optional fields are left out', async () => {
		const given = context({ ...full, contactId: locator(''), mobile: '', additionalFields: { title: ' ', shareDeptIds: [], shareUserIds: '' } });
		expect(await read(given, 0, {})).toEqual({ name: '王小明', follower_user_id: 'u-1', label_ids: [1, 2] });
		expect(await read(context({ ...full, additionalFields: undefined }), 0, {})).toEqual({ name: '王小明', follower_user_id: 'u-1', label_ids: [1, 2] });
	});

	it('name, owner and labels are required, with messages naming the field', async () => {
		expect(await readError(context({ ...full, name: ' ' }), 1, {})).toBe('Item 1: "Name" is empty');
		expect(await readError(context({ ...full, followerUserId: locator('') }), 1, {})).toBe('Item 1: "Owner (Follower User ID)" is empty');
		expect(await readError(context({ ...full, labelIds: '' }), 1, {})).toBe('Item 1: "Labels" is empty: choose at least one label');
		expect(await readError(context({ ...full, labelIds: [{}] }), 1, {})).toBe('Item 1: "Labels" {} is not an id');
		expect(await readError(context({ ...full, mobile: '12' }), 1, { mobile: true })).toBe(
			'Item 1: "Mobile" "12" is not a mobile number (such as 13800000001 or +86 138 0000 0001)',
		);
		expect(await readError(context({ ...full, stateCode: 'x' }), 1, { mobile: true })).toBe(
			'Item 1: "Country Code" "x" is not a country calling code (such as 86)',
		);
		expect(await readError(context({ ...full, contactId: locator(' ') }), 1, { userId: true })).toBe('Item 1: "External Contact" is empty');
	});

	it('each optional field is checked under its own name', async () => {
		const wrong = async (fields: IDataObject) => await readError(context({ ...full, additionalFields: fields }), 2, {});
		expect(await wrong({ title: {} })).toBe('Item 2: "Title" {} is not text');
		expect(await wrong({ address: [] })).toBe('Item 2: "Address" [] is not text');
		expect(await wrong({ remark: {} })).toBe('Item 2: "Remark" {} is not text');
		expect(await wrong({ companyName: {} })).toBe('Item 2: "Company Name" {} is not text');
		expect(await wrong({ shareDeptIds: [true] })).toBe('Item 2: "Share With Departments" true is not an id');
		expect(await wrong({ shareUserIds: [{}] })).toBe('Item 2: "Share With Users" {} is not an id');
	});

	it('with coreOptional (Update in merge mode), empty name, owner and labels are left out, given ones parsed', async () => {
		const empty = context({ contactId: locator('c-1'), name: '', followerUserId: locator(' '), labelIds: [] });
		expect(await read(empty, 0, { userId: true, coreOptional: true })).toEqual({ user_id: 'c-1' });
		const missing = context({ contactId: locator('c-1') });
		expect(await read(missing, 0, { userId: true, coreOptional: true })).toEqual({ user_id: 'c-1' });
		const given = context({ contactId: locator('c-1'), name: 7, followerUserId: locator('u-9'), labelIds: '5' });
		expect(await read(given, 0, { userId: true, coreOptional: true })).toEqual({ user_id: 'c-1', name: '7', follower_user_id: 'u-9', label_ids: [5] });
		expect(await readError(context({ followerUserId: locator('a b') }), 0, { coreOptional: true })).toBe(
			'Item 0: "Owner (Follower User ID)" "a b" must be a single id',
		);
		expect(await readError(context({ labelIds: [-1] }), 0, { coreOptional: true })).toBe('Item 0: "Labels" -1 is not a whole positive number');
	});
});

describe('mergeContact', () => {
	it("keeps the contact's current value wherever the item gives none, and only the keys update accepts", () => {
		const current = {
			userid: 'c-1',
			name: 'Old',
			follower_user_id: 'u-1',
			label_ids: [1],
			title: 'Old title',
			address: '',
			remark: null,
			company_name: 'Acme',
			share_dept_ids: [],
			share_user_ids: ['u-2'],
			mobile: '138',
			state_code: '86',
			email: 'a@b.c',
		};
		expect(mergeContact(current, { user_id: 'c-1', title: 'New title', label_ids: [2], address: 'Here' })).toEqual({
			user_id: 'c-1',
			name: 'Old',
			follower_user_id: 'u-1',
			label_ids: [2],
			title: 'New title',
			address: 'Here',
			company_name: 'Acme',
			share_user_ids: ['u-2'],
		});
		expect(mergeContact({}, { user_id: 'c-2', name: 'Only' })).toEqual({ user_id: 'c-2', name: 'Only' });
		expect(mergeContact({ remark: 'kept', share_dept_ids: [4] }, { user_id: 'c', remark: undefined })).toEqual({ user_id: 'c', remark: 'kept', share_dept_ids: [4] });
	});
});

describe('forEachConcurrently', () => {
	it('runs every index, at most `concurrency` at once, starting in index order', async () => {
		const started: number[] = [];
		let running = 0;
		let most = 0;
		await forEachConcurrently(10, 3, undefined, async (index) => {
			started.push(index);
			running++;
			most = Math.max(most, running);
			await new Promise((resolve) => setTimeout(resolve, (index % 3) + 1));
			running--;
		});
		expect(started).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
		expect(most).toBe(3);
	});

	it('one at a time with concurrency 1 (or less), and nothing for no items', async () => {
		const order: string[] = [];
		for (const concurrency of [1, 0]) {
			await forEachConcurrently(3, concurrency, undefined, async (index) => {
				order.push(`start ${index}`);
				await Promise.resolve();
				order.push(`end ${index}`);
			});
		}
		const once = ['start 0', 'end 0', 'start 1', 'end 1', 'start 2', 'end 2'];
		expect(order).toEqual([...once, ...once]);
		let called = false;
		await forEachConcurrently(0, 5, undefined, async () => {
			called = true;
		});
		expect(called).toBe(false);
	});

	it('after a failure no new item starts; the running ones finish; the lowest index fails', async () => {
		const started: number[] = [];
		const finished: number[] = [];
		const error = await rejection(
			forEachConcurrently(10, 3, undefined, async (index) => {
				started.push(index);
				await new Promise((resolve) => setTimeout(resolve, index === 2 ? 1 : 20));
				finished.push(index);
				if (index === 1 || index === 2) throw new Error(`item ${index}`);
			}),
		);
		expect(error.message).toBe('item 1');
		expect(started).toEqual([0, 1, 2]);
		expect(finished.sort()).toEqual([0, 1, 2]);
	});

	it('after a stop no new item starts', async () => {
		const stop = new AbortController();
		const started: number[] = [];
		await forEachConcurrently(10, 2, stop.signal, async (index) => {
			started.push(index);
			if (index === 2) stop.abort();
			await Promise.resolve();
		});
		expect(started).toEqual([0, 1, 2]);
	});
});
