/**
 * Create or Update from spreadsheet rows, through n8n-core's executor against the sandbox (update
 * replaces the whole record there, as DingTalk's page says to assume): a row that leaves columns out
 * or empty never wipes what the contact has (Update Mode "merge", the default), "replace" does as
 * documented; mobile numbers written as sheets hold them ("+86 138 0000 0001") create and match.
 */
import type { IDataObject } from 'n8n-workflow';

import { callsTo, contactsSentTo, readBackThroughNode, runDingTalk, SEED, useSandbox } from './support';

const env = useSandbox();
// update replaces the record: every field it leaves out is lost (the sandbox resets its knobs before each test)
beforeEach(() => env.sandbox.set({ updateClearsOmitted: true }));

const LIST = '/topapi/extcontact/list';
const GET = '/topapi/extcontact/get';
const CREATE = '/topapi/extcontact/create';
const UPDATE = '/topapi/extcontact/update';

const [owner, otherOwner] = SEED.userIds as string[];
const [label1, label2] = SEED.labelIds as number[];
const locator = (value: string) => ({ __rl: true, mode: 'id', value });

/** A sheet with only the columns a new contact needs: no title, address, remark or sharing. */
const FEW_COLUMNS: IDataObject = {
	resource: 'externalContact',
	operation: 'upsert',
	name: '={{ $json.name }}',
	followerUserId: locator('={{ $json.owner }}'),
	labelIds: '={{ $json.labels }}',
	stateCode: '={{ $json.stateCode }}',
	mobile: '={{ $json.mobile }}',
	additionalFields: {},
};

/** A sheet with every column mapped; a row may leave cells empty. */
const ALL_COLUMNS: IDataObject = {
	...FEW_COLUMNS,
	additionalFields: {
		title: '={{ $json.title }}',
		address: '={{ $json.address }}',
		remark: '={{ $json.remark }}',
		companyName: '={{ $json.company }}',
		shareDeptIds: '={{ $json.depts }}',
		shareUserIds: '={{ $json.users }}',
	},
};

/** The seed's first contact, given a remark too, so that all of title, address, remark and sharing are set. */
function richContact(): IDataObject {
	const contact = [...env.sandbox.state.contacts.values()][0];
	contact.remark = 'Prefers WeChat';
	return { ...contact };
}

const KEPT_FIELDS = ['title', 'address', 'remark', 'company_name', 'share_dept_ids', 'share_user_ids'];
const pick = (contact: IDataObject, keys: string[]) => Object.fromEntries(keys.map((key) => [key, contact[key]]));

const row = (contact: IDataObject, overrides: IDataObject = {}): IDataObject => ({
	name: 'Renamed',
	owner: otherOwner,
	labels: `${label2}`,
	stateCode: contact.state_code,
	mobile: contact.mobile,
	...overrides,
});

describe('Create or Update keeps what the row does not give', () => {
	it('by default, a row with only some columns keeps title, address, remark, company and sharing, with no extra call', async () => {
		const before = richContact();
		const result = await runDingTalk({ store: env.store, parameters: FEW_COLUMNS, items: [row(before)] });
		expect(result.error).toBeUndefined();
		expect(result.items[0].json).toMatchObject({ action: 'updated', userid: before.userid });
		// the values came from the run's one listing, sent under update's keys
		expect(callsTo(env.sandbox, LIST)).toHaveLength(1);
		expect(callsTo(env.sandbox, GET)).toHaveLength(0);
		const sent = contactsSentTo(env.sandbox, UPDATE)[0];
		expect(sent.user_id).toBe(before.userid);
		expect(sent.userid).toBeUndefined();

		const after = await readBackThroughNode(env.store, String(before.userid));
		expect(after).toMatchObject({ name: 'Renamed', follower_user_id: otherOwner, label_ids: [label2] });
		expect(pick(after, KEPT_FIELDS)).toEqual(pick(before, KEPT_FIELDS));
		expect(pick(before, KEPT_FIELDS)).toEqual({
			title: expect.any(String),
			address: expect.any(String),
			remark: 'Prefers WeChat',
			company_name: expect.any(String),
			share_dept_ids: [expect.any(Number)],
			share_user_ids: [expect.any(String)],
		});
	});

	it('an empty cell never clears a field; a filled one changes it', async () => {
		const before = richContact();
		await runDingTalk({
			store: env.store,
			parameters: ALL_COLUMNS,
			items: [row(before, { title: '', address: '  ', remark: null, company: 'New Co', depts: '', users: [] })],
		});
		const after = await readBackThroughNode(env.store, String(before.userid));
		expect(after).toMatchObject({
			title: before.title,
			address: before.address,
			remark: before.remark,
			company_name: 'New Co',
			share_dept_ids: before.share_dept_ids,
			share_user_ids: before.share_user_ids,
		});
	});

	it('empty name, owner and labels of an existing contact are kept too', async () => {
		const before = richContact();
		const result = await runDingTalk({
			store: env.store,
			parameters: ALL_COLUMNS,
			items: [row(before, { name: '', owner: '', labels: '', title: 'Buyer' })],
		});
		expect(result.error).toBeUndefined();
		expect(await readBackThroughNode(env.store, String(before.userid))).toMatchObject({
			name: before.name,
			follower_user_id: before.follower_user_id,
			label_ids: before.label_ids,
			title: 'Buyer',
			address: before.address,
		});
	});

	it('a new contact still needs name, owner and labels: the row fails naming the field, nothing is created', async () => {
		const result = await runDingTalk({
			store: env.store,
			parameters: FEW_COLUMNS,
			items: [{ name: '', owner, labels: `${label1}`, stateCode: '86', mobile: '13700000031' }],
			continueOnFail: true,
		});
		expect(result.items[0].json.error).toBe('Item 0: "Name" is empty');
		expect(callsTo(env.sandbox, CREATE)).toHaveLength(0);
	});

	it('Update Mode "replace" sends only the row, and the contact loses what the row left out (as documented)', async () => {
		const before = richContact();
		await runDingTalk({ store: env.store, parameters: { ...FEW_COLUMNS, updateMode: 'replace' }, items: [row(before)] });
		expect(contactsSentTo(env.sandbox, UPDATE)).toEqual([
			{ user_id: before.userid, name: 'Renamed', follower_user_id: otherOwner, label_ids: [label2] },
		]);
		const after = await readBackThroughNode(env.store, String(before.userid));
		for (const key of KEPT_FIELDS) expect(after[key] ?? undefined).toBeUndefined();
	});

	it('rows of one number: each merges from what the row before it wrote, not from the listing', async () => {
		const before = richContact();
		const result = await runDingTalk({
			store: env.store,
			parameters: ALL_COLUMNS,
			items: [
				row(before, { title: 'Head Buyer', users: '' }),
				row(before, { name: 'Second', title: '' }),
				// a new number: created by the first row, kept by the second
				{ name: 'New', owner, labels: `${label1}`, stateCode: '86', mobile: '13700000032', remark: 'from the fair' },
				{ name: 'New again', owner: '', labels: '', stateCode: '86', mobile: '13700000032', title: 'Buyer' },
			],
		});
		expect(result.error).toBeUndefined();
		expect(result.items.map((item) => item.json.action)).toEqual(['updated', 'updated', 'created', 'updated']);
		const sent = contactsSentTo(env.sandbox, UPDATE);
		expect(sent[0]).toMatchObject({ name: 'Renamed', title: 'Head Buyer', remark: 'Prefers WeChat' });
		expect(sent[1]).toMatchObject({ name: 'Second', title: 'Head Buyer', remark: 'Prefers WeChat' });
		expect(sent[2]).toMatchObject({ name: 'New again', follower_user_id: owner, label_ids: [label1], title: 'Buyer', remark: 'from the fair' });
		expect(callsTo(env.sandbox, GET)).toHaveLength(0);
		expect(await readBackThroughNode(env.store, String(result.items[2].json.userid))).toMatchObject({
			name: 'New again',
			remark: 'from the fair',
			title: 'Buyer',
		});
	});
});

describe('mobile numbers as sheets hold them', () => {
	it.each([
		['+86 138 0013 8001', ''],
		['+86-13800138001', '86'],
		['008613800138001', ''],
		['(+86) 138-0013-8001', '+86'],
	])('"%s" with Country Code "%s" matches the listed contact 86 13800138001', async (mobile, stateCode) => {
		const before = richContact();
		expect([before.state_code, before.mobile]).toEqual(['86', '13800138001']);
		const result = await runDingTalk({ store: env.store, parameters: FEW_COLUMNS, items: [row(before, { mobile, stateCode })] });
		expect(result.error).toBeUndefined();
		expect(result.items[0].json).toMatchObject({ action: 'updated', userid: before.userid });
		expect(callsTo(env.sandbox, CREATE)).toHaveLength(0);
	});

	it('a new "+86 …" number is created with its country code apart; "138…" in a later row is the same contact', async () => {
		const result = await runDingTalk({
			store: env.store,
			parameters: FEW_COLUMNS,
			items: [
				{ name: 'Sheet Person', owner, labels: `${label1}`, stateCode: '', mobile: '+86 137 0000 0033' },
				{ name: 'Sheet Person 2', owner, labels: `${label1}`, stateCode: '86', mobile: '137-0000-0033' },
			],
		});
		expect(result.error).toBeUndefined();
		expect(result.items.map((item) => item.json.action)).toEqual(['created', 'updated']);
		expect(result.items[1].json.userid).toBe(result.items[0].json.userid);
		expect(contactsSentTo(env.sandbox, CREATE)).toEqual([
			{ name: 'Sheet Person', follower_user_id: owner, label_ids: [label1], state_code: '86', mobile: '13700000033' },
		]);
	});

	it('Create takes them too', async () => {
		const result = await runDingTalk({
			store: env.store,
			parameters: { ...FEW_COLUMNS, operation: 'create' },
			items: [{ name: 'Abroad', owner, labels: `${label1}`, stateCode: '', mobile: '+1 415 555 0199' }],
		});
		expect(result.error).toBeUndefined();
		expect(contactsSentTo(env.sandbox, CREATE)).toEqual([
			expect.objectContaining({ state_code: '1', mobile: '4155550199' }),
		]);
	});

	it('a listed number written with separators is matched too', async () => {
		const before = richContact();
		env.sandbox.state.contacts.get(String(before.userid))!.mobile = '138 0013 8001';
		const result = await runDingTalk({ store: env.store, parameters: FEW_COLUMNS, items: [row(before, { mobile: '+86 13800138001', stateCode: '' })] });
		expect(result.items[0].json).toMatchObject({ action: 'updated', userid: before.userid });
	});

	it('a country code that disagrees with the number fails the row naming both, and nothing is sent', async () => {
		const result = await runDingTalk({
			store: env.store,
			parameters: FEW_COLUMNS,
			items: [{ name: 'Conflict', owner, labels: `${label1}`, stateCode: '86', mobile: '+1 415 555 0100' }],
			continueOnFail: true,
		});
		expect(result.items[0].json.error).toBe(
			'Item 0: "Mobile" "+1 415 555 0100" has the country code 1, but "Country Code" is 86: leave Country Code empty to take it from the number, or make them agree',
		);
		expect(env.sandbox.log.filter((entry) => entry.path !== '/gettoken')).toHaveLength(0);
	});

	it('a number without a country code, and Country Code empty, fails the row naming both', async () => {
		const result = await runDingTalk({
			store: env.store,
			parameters: { ...FEW_COLUMNS, operation: 'create' },
			items: [{ name: 'No code', owner, labels: `${label1}`, stateCode: '', mobile: '13700000034' }],
			continueOnFail: true,
		});
		expect(result.items[0].json.error).toBe(
			'Item 0: "Mobile" "13700000034" has no country code and "Country Code" is empty: set Country Code (such as 86) or write the number with it (such as +86 138 0000 0001)',
		);
		expect(callsTo(env.sandbox, CREATE)).toHaveLength(0);
	});
});
