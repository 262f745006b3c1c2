/**
 * The DingTalk Trigger with names, through n8n-core's poll machinery against the sandbox: the label
 * filter by name and "Group / Label", the owner filter by mobile number, refused names, and
 * Include Names on the emitted contacts.
 */
import type { IDataObject } from 'n8n-workflow';

import { callsTo, SEED, triggerPoller, useSandbox } from './support';

const env = useSandbox();
const [c1, c2, , , c5] = SEED.contactIds as string[];
const LIST = '/topapi/extcontact/list';
const LABEL_GROUPS = '/topapi/extcontact/listlabelgroups';

function poller(parameters: IDataObject) {
	const trigger = triggerPoller(env, parameters);
	return async (mode: 'trigger' | 'manual' = 'trigger') => await trigger.poll(mode);
}

const contacts = () => env.sandbox.state.contacts;
const rename = (userid: string, name: string) => contacts().set(userid, { ...contacts().get(userid)!, name });

it('label filter by name and "Group / Label": only contacts with one of those labels', async () => {
	// 102 is "客户类型 / VIP", 301 "来源 Source / 展会 Trade fair"
	const poll = poller({ filters: { labelIds: '客户类型 / VIP, 展会 trade fair' } });
	await poll();
	rename(c1, '王大明'); // 101, 201
	rename(c2, 'John Smith Jr.'); // 102, 203
	rename(c5, '刘洋洋'); // 101, 202, 301
	const result = await poll();
	expect(result.items.map((item) => [item.json.event, item.json.userid])).toEqual([
		['updated', c2],
		['updated', c5],
	]);
	// the label groups are read at each poll (a minute apart, past their reuse)
	expect(callsTo(env.sandbox, LABEL_GROUPS).length).toBeGreaterThanOrEqual(1);
});

it('a label name two groups use fails the poll naming the field and the choices, before the list is read', async () => {
	const result = await poller({ filters: { labelIds: 'VIP' } })();
	expect(result.error?.message).toBe(
		'"Labels" "VIP" names more than one label (in different label groups): write one of "客户类型 / VIP", "来源 Source / VIP", or its ID',
	);
	expect(callsTo(env.sandbox, LIST)).toHaveLength(0);
});

it('owner filter by mobile number', async () => {
	const poll = poller({ filters: { followerUserId: { __rl: true, mode: 'mobile', value: '+86 138 0000 0001' } } });
	await poll();
	rename(c1, '王大明'); // owner manager4220 (13800000001)
	rename(c2, 'John Smith Jr.'); // owner emily.chen
	const result = await poll();
	expect(result.items.map((item) => item.json.userid)).toEqual([c1]);

	const unknown = await poller({ filters: { followerUserId: { __rl: true, mode: 'mobile', value: '13999990000' } } })();
	expect(unknown.error?.message).toMatch(/^"Owner \(Follower User ID\)" "13999990000": no employee of the organisation has this mobile number/);
});

it('Include Names: emitted contacts carry label, owner, user and department names; the saved state does not', async () => {
	const poll = poller({ includeNames: true });
	await poll();
	rename(c1, '王大明');
	const result = await poll();
	expect(result.items).toHaveLength(1);
	expect(result.items[0].json.contact).toMatchObject({
		userid: c1,
		label_names: ['客户类型 / 潜在客户', 'Region / 华东'],
		follower_name: '张三',
		share_user_names: ['李四'],
		share_dept_names: ['销售部 / 华东销售'],
	});
	expect(JSON.stringify(result.staticData)).not.toContain('客户类型');

	const sample = await poller({ includeNames: true })('manual');
	expect(sample.items[0].json.contact).toHaveProperty('label_names');
});

it('Include Names with nothing emitted reads no names', async () => {
	const poll = poller({ includeNames: true });
	await poll();
	await poll();
	expect(callsTo(env.sandbox, LABEL_GROUPS)).toHaveLength(0);
});
