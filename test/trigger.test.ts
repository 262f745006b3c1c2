/**
 * The DingTalk Trigger through n8n-core's poll machinery (test/harness/poll.ts) against the sandbox:
 * baseline, the changes between polls, filters, failures that must change nothing, the size of
 * the saved state, "Fetch test event".
 */
import type { IDataObject } from 'n8n-workflow';

import { DingTalkTrigger } from '../nodes/DingTalk/DingTalkTrigger.node';
import type { PollNodeResult } from './harness/poll';
import { pollNode } from './harness/poll';
import { callsTo, CREDENTIAL_ID, credentialStoreFor, SEED, startDingTalk, triggerPoller, useSandbox } from './support';

const LIST = '/topapi/extcontact/list';
const GET = '/topapi/extcontact/get';
const [c1, c2, c3, c4, c5] = SEED.contactIds as string[];
const [owner, otherOwner] = SEED.userIds as string[];

const poller = triggerPoller;

const events = (result: PollNodeResult) =>
	result.items.map((item) => [item.json.event, item.json.userid, item.json.changedFields]);

function newContact(userid: string, overrides: IDataObject = {}): IDataObject {
	return {
		userid,
		name: '韩梅梅',
		follower_user_id: owner,
		label_ids: [101],
		state_code: '86',
		mobile: '13611112222',
		...overrides,
	};
}

describe('DingTalk Trigger, default organisation', () => {
	const env = useSandbox();

	it('the first poll takes a baseline and emits nothing; an unchanged list emits nothing', async () => {
		const trigger = poller(env);
		const baseline = await trigger.poll();
		expect(baseline.error).toBeUndefined();
		expect(baseline.emitted).toBe(false);
		expect(baseline.staticDataChanged).toBe(true);
		expect(callsTo(env.sandbox, LIST).map((entry) => entry.params)).toEqual([{ offset: '0', size: '100' }]);

		const again = await trigger.poll();
		expect(again.error).toBeUndefined();
		expect(again.emitted).toBe(false);
		expect(again.staticDataChanged).toBe(false);
		expect(again.staticData).toEqual(baseline.staticData);
	});

	it('add, edit and delete between polls give exactly one item each, with the changed fields', async () => {
		const trigger = poller(env);
		await trigger.poll();
		const contacts = env.sandbox.state.contacts;
		contacts.set('new-contact-1', newContact('new-contact-1'));
		contacts.set(c1, { ...contacts.get(c1)!, title: '采购总监', label_ids: [101, 202] });
		contacts.set(c2, { ...contacts.get(c2)!, follower_user_id: owner });
		// DingTalk listing the same labels in another order, or an empty field as "": no change
		contacts.set(c4, { ...contacts.get(c4)!, label_ids: [302, 203], title: '' });
		const removedName = contacts.get(c3)!.name;
		contacts.delete(c3);
		env.sandbox.resetLog();

		const result = await trigger.poll();
		expect(result.error).toBeUndefined();
		expect(events(result)).toEqual([
			['updated', c1, ['label_ids', 'title']],
			['updated', c2, ['follower_user_id']],
			['added', 'new-contact-1', []],
			['removed', c3, []],
		]);
		expect(result.items[0].json.contact).toEqual(contacts.get(c1));
		expect(result.items[2].json.contact).toEqual(contacts.get('new-contact-1'));
		expect(result.items[3].json.contact).toEqual({ userid: c3, name: removedName });
		// the pages fitted together, so the list was read whole: no need to ask about the removal
		expect(callsTo(env.sandbox, GET)).toHaveLength(0);

		const after = await trigger.poll();
		expect(after.emitted).toBe(false);
	});

	it('emits only the chosen events', async () => {
		const trigger = poller(env, { events: ['removed'] });
		await trigger.poll();
		env.sandbox.state.contacts.set('new-contact-1', newContact('new-contact-1'));
		env.sandbox.state.contacts.get(c1)!.remark = 'changed';
		env.sandbox.state.contacts.delete(c5);
		const result = await trigger.poll();
		expect(events(result)).toEqual([['removed', c5, []]]);
	});

	it('an empty Events list is refused with what to do, before DingTalk is asked anything', async () => {
		const result = await poller(env, { events: [] }).poll();
		expect(result.error?.message).toBe('Choose at least one event in "Events"');
		expect(String(result.error?.description)).toMatch(/Added, Updated or Removed/);
		expect(result.emitted).toBe(false);
		// the field is required, so the editor marks it and n8n refuses a manual run of it
		await expect(poller(env, { events: [] }).poll('manual')).rejects.toThrow('Parameter "Events" is required.');
		expect(env.sandbox.log).toEqual([]);
	});

	it('owner filter: contacts of that employee, including one handed over to someone else', async () => {
		const trigger = poller(env, {
			filters: { followerUserId: { __rl: true, mode: 'list', value: owner } },
		});
		await trigger.poll();
		const contacts = env.sandbox.state.contacts;
		contacts.set('mine', newContact('mine'));
		contacts.set('theirs', newContact('theirs', { follower_user_id: otherOwner }));
		contacts.set(c1, { ...contacts.get(c1)!, follower_user_id: otherOwner }); // was the owner's
		contacts.set(c3, { ...contacts.get(c3)!, remark: 'not the owner\'s' }); // never the owner's
		contacts.delete(c4); // never the owner's
		const result = await trigger.poll();
		expect(events(result)).toEqual([
			['updated', c1, ['follower_user_id']],
			['added', 'mine', []],
		]);
	});

	it('label filter: contacts with any of the labels, ids given as text', async () => {
		const trigger = poller(env, { filters: { labelIds: '203, 301' } });
		await trigger.poll();
		const contacts = env.sandbox.state.contacts;
		contacts.set(c2, { ...contacts.get(c2)!, name: 'John Smith Jr.' }); // 102, 203
		contacts.set(c1, { ...contacts.get(c1)!, name: '王大明' }); // 101, 201
		contacts.delete(c5); // 101, 202, 301
		contacts.set('labelled', newContact('labelled', { label_ids: [301] }));
		const result = await trigger.poll();
		expect(events(result)).toEqual([
			['updated', c2, ['name']],
			['added', 'labelled', []],
			['removed', c5, []],
		]);
	});

	it('changing the filters takes a new baseline', async () => {
		const trigger = poller(env);
		await trigger.poll();
		env.sandbox.state.contacts.delete(c1);
		const result = await trigger.poll('trigger', { filters: { labelIds: [101] } });
		expect(result.emitted).toBe(false);
		expect(result.staticDataChanged).toBe(true);
	});

	it('"Fetch test event" returns a few current contacts as added items and leaves the state alone', async () => {
		const trigger = poller(env);
		await trigger.poll();
		const saved = trigger.staticData;
		env.sandbox.state.contacts.delete(c1);
		const manual = await trigger.poll('manual');
		expect(manual.error).toBeUndefined();
		expect(events(manual)).toEqual([
			['added', c2, []],
			['added', c3, []],
			['added', c4, []],
		]);
		expect(manual.items[0].json.contact).toEqual(env.sandbox.state.contacts.get(c2));
		expect(manual.staticDataChanged).toBe(false);
		expect(trigger.staticData).toEqual(saved);
		// the removal is still seen by the next real poll
		expect(events(await trigger.poll())).toEqual([['removed', c1, []]]);
	});

	it.each([
		['a DingTalk error', { errcode: 60011, errmsg: '没有调用该接口的权限' }, 'DingTalk error 60011: the app lacks the permission for this call'],
		// not an empty list: every contact would be reported removed, and added again at the next poll
		['a list answer without "results" (errcode 0)', { errcode: 0, errmsg: 'ok' }, 'DingTalk answered /topapi/extcontact/list without its data ("results")'],
	])('a poll that fails on %s emits nothing and keeps the state; the next one catches up', async (_, answer, message) => {
		const trigger = poller(env);
		await trigger.poll();
		const saved = trigger.staticData;
		env.sandbox.state.contacts.delete(c2);
		env.sandbox.script(LIST, [answer]);
		const failed = await trigger.poll();
		expect(failed.emitted).toBe(false);
		expect(failed.error?.message).toBe(message);
		expect(String(failed.error?.description)).toContain('This poll emitted nothing');
		expect(failed.staticData).toEqual(saved);
		expect(failed.staticDataChanged).toBe(false);

		expect(events(await trigger.poll())).toEqual([['removed', c2, []]]);
	});

	it('the manual test reports a failure as an error of the execution', async () => {
		env.sandbox.script(LIST, [{ ban: 600 }]);
		const manual = await poller(env).poll('manual');
		expect(manual.emitted).toBe(false);
		expect(manual.error?.message).toBe("DingTalk has temporarily blocked calls from this server's IP address");
	});

	it('never puts the app secret or the access token into items, errors or logs', async () => {
		const trigger = poller(env);
		await trigger.poll();
		env.sandbox.state.contacts.delete(c1);
		const ok = await trigger.poll();
		env.sandbox.script(LIST, [{ errcode: 40035, errmsg: 'bad' }]);
		const failed = await trigger.poll();
		const tokens = callsTo(env.sandbox, '/gettoken').map((entry) => (entry.response as IDataObject).access_token as string);
		expect(tokens.length).toBeGreaterThan(0);
		const text = JSON.stringify([ok.items, ok.logs, failed.logs, failed.error, String(failed.error?.description), failed.staticData]);
		expect(text).not.toContain(env.sandbox.appSecret);
		for (const token of tokens) expect(text).not.toContain(token);
	});
});

describe('DingTalk Trigger: the app the state belongs to, overlapping polls', () => {
	const env = useSandbox();
	const stateOf = (staticData: IDataObject | undefined) => Object.values(staticData ?? {})[0] as IDataObject;

	it('the state belongs to one app: pointed at another Base URL and App Key, the trigger takes a new baseline there', async () => {
		const other = await startDingTalk({ seed: { extraContacts: 3 }, appKey: 'other-app-key', appSecret: 'other-app-secret' });
		try {
			const otherStore = credentialStoreFor(other);
			const trigger = poller(env);
			const firstApp = stateOf((await trigger.poll()).staticData).app;
			other.state.contacts.delete(c1);
			const switched = await trigger.poll('trigger', {}, { store: otherStore });
			expect(switched.error).toBeUndefined();
			expect(switched.emitted).toBe(false);
			expect(switched.staticDataChanged).toBe(true);
			expect(stateOf(switched.staticData).app).not.toBe(firstApp);
			// from then on, the other organisation's changes are reported
			other.state.contacts.delete(c2);
			expect(events(await trigger.poll('trigger', {}, { store: otherStore }))).toEqual([['removed', c2, []]]);
			// and back on the first app: a new baseline again, not the difference between the two
			const back = await trigger.poll();
			expect(back.error).toBeUndefined();
			expect(back.emitted).toBe(false);
		} finally {
			await other.close();
		}
	});

	it('a state saved before states named their app (the previous release) is kept once and bound to the app: no mass events after the upgrade', async () => {
		const trigger = poller(env);
		const baseline = await trigger.poll();
		const app = stateOf(baseline.staticData).app;
		expect(app).toEqual(expect.any(String));
		delete stateOf(trigger.staticData).app;
		env.sandbox.state.contacts.delete(c3);
		const upgraded = await trigger.poll();
		expect(events(upgraded)).toEqual([['removed', c3, []]]);
		expect(stateOf(upgraded.staticData).app).toBe(app);
	});

	it('two polls of one trigger never overlap, although each poll gets its own copy of the static data; another trigger is not held up', async () => {
		env.sandbox.set({ latencyMs: 200 });
		const trigger = poller(env);
		const otherTrigger = poller(env);
		const [first, second, other] = await Promise.all([
			trigger.poll(),
			trigger.poll(),
			otherTrigger.poll('trigger', {}, { nodeId: 'another-trigger-node' }),
		]);
		expect([first.error, second.error, other.error]).toEqual([undefined, undefined, undefined]);
		// one baseline for each trigger; the overlapping poll read nothing and wrote nothing
		expect(callsTo(env.sandbox, LIST)).toHaveLength(2);
		expect([first.staticDataChanged, second.staticDataChanged].sort()).toEqual([false, true]);
		expect(other.staticDataChanged).toBe(true);
		// once the first poll is over, the trigger polls again
		env.sandbox.state.contacts.delete(c4);
		const staticData = first.staticDataChanged ? first.staticData : second.staticData;
		const next = await pollNode({
			nodeType: DingTalkTrigger,
			parameters: {},
			credentials: env.store,
			credentialId: CREDENTIAL_ID,
			staticData,
		});
		expect(events(next)).toEqual([['removed', c4, []]]);
	});
});

describe('DingTalk Trigger, 450 contacts (5 pages)', () => {
	const env = useSandbox({ seed: { extraContacts: 445 } });
	const generated = (n: number) => `gen-ext-${String(n).padStart(6, '0')}`;

	it('a failure in the middle of the walk (a ban longer than the wait) emits nothing and keeps the state', async () => {
		const trigger = poller(env);
		await trigger.poll();
		const saved = trigger.staticData;
		for (let n = 1; n <= 40; n++) env.sandbox.state.contacts.delete(generated(n));
		// pages 0 and 1 answer, page 2 is a ban longer than Max Ban Wait
		env.sandbox.script(LIST, [{ delayMs: 0 }, { delayMs: 0 }, { ban: 600 }]);
		env.sandbox.resetLog();
		const failed = await trigger.poll();
		expect(failed.emitted).toBe(false);
		expect(failed.error?.message).toBe("DingTalk has temporarily blocked calls from this server's IP address");
		expect(failed.staticData).toEqual(saved);
		expect(callsTo(env.sandbox, GET)).toHaveLength(0);
	});

	it('reads pages several at a time, overlapping by one contact, and stops at the short page', async () => {
		const trigger = poller(env);
		await trigger.poll();
		// the first poll knows no count: page 0, then groups of 1, 2 and 4 pages; the last group
		// asks for three pages past the short one
		expect(callsTo(env.sandbox, LIST).map((entry) => Number(entry.params.offset)).sort((a, b) => a - b)).toEqual([
			0, 99, 198, 297, 396, 495, 594, 693,
		]);
		env.sandbox.resetLog();
		for (let n = 1; n <= 60; n++) {
			env.sandbox.state.contacts.set(`more-${n}`, newContact(`more-${n}`, { mobile: `1360000${String(n).padStart(4, '0')}` }));
		}
		const result = await trigger.poll();
		expect(result.items).toHaveLength(60);
		expect(callsTo(env.sandbox, LIST).map((entry) => Number(entry.params.offset)).sort((a, b) => a - b)).toEqual([
			0, 99, 198, 297, 396, 495,
		]);
	});

	/**
	 * Deletes the first `count` contacts while the page at `offset` is being answered: the pages
	 * before it answer at once, that one only after a pause in which the contacts go, so it (and
	 * every page after it) is read from the shorter list. Bounded: fails after 5 s.
	 */
	function deleteWhileReading(offset: number, count: number): { deleted: string[]; done: Promise<void> } {
		const contacts = env.sandbox.state.contacts;
		const deleted = [...contacts.keys()].slice(0, count);
		env.sandbox.script(LIST, [...Array.from({ length: offset / 99 }, () => ({ delayMs: 0 })), { delayMs: 300 }]);
		const done = (async () => {
			for (let waited = 0; waited < 5000; waited += 2) {
				if (env.sandbox.log.some((entry) => entry.path === LIST && entry.params.offset === String(offset))) {
					for (const id of deleted) contacts.delete(id);
					return;
				}
				await new Promise((resolve) => setTimeout(resolve, 2));
			}
			throw new Error(`the page at offset ${offset} was never asked for`);
		})();
		return { deleted, done };
	}

	it('contacts deleted while the list is read shift the pages: the contact skipped is asked about, not reported removed', async () => {
		const trigger = poller(env);
		await trigger.poll();
		const before = [...env.sandbox.state.contacts.keys()];
		// pages 0 and 1 are read; two contacts on page 0 go; page 2 then starts two contacts later
		env.sandbox.resetLog();
		const { deleted, done } = deleteWhileReading(198, 2);
		const result = await trigger.poll();
		await done;
		expect(result.error).toBeUndefined();
		expect(result.emitted).toBe(false);
		expect(callsTo(env.sandbox, GET).map((entry) => entry.params.user_id)).toEqual([before[199]]);
		// the deletions themselves are seen by the next poll
		expect(events(await trigger.poll())).toEqual(deleted.map((id) => ['removed', id, []]));
	});

	it('one contact deleted while the list is read: the overlap keeps every contact in sight', async () => {
		const trigger = poller(env);
		await trigger.poll();
		env.sandbox.resetLog();
		const { done } = deleteWhileReading(198, 1);
		expect(await trigger.poll()).toMatchObject({ emitted: false });
		await done;
		expect(callsTo(env.sandbox, GET)).toHaveLength(0);
	});

	it('more contacts to ask about than pages: a second walk confirms the removals instead', async () => {
		const trigger = poller(env);
		await trigger.poll();
		for (let n = 1; n <= 30; n++) env.sandbox.state.contacts.delete(generated(n));
		env.sandbox.resetLog();
		const { done } = deleteWhileReading(198, 2);
		const result = await trigger.poll();
		await done;
		expect(events(result)).toEqual(Array.from({ length: 30 }, (_, i) => ['removed', generated(i + 1), []]));
		expect(callsTo(env.sandbox, GET)).toHaveLength(0);
		expect(callsTo(env.sandbox, LIST)).toHaveLength(10);
	});

	it('a short answer that would report most contacts removed is confirmed first (a second walk): nothing is reported', async () => {
		const trigger = poller(env, { options: { maxConcurrency: 1 } });
		await trigger.poll();
		env.sandbox.resetLog();
		// the first page of the poll comes back empty: a "list" of no contacts that fits
		env.sandbox.script(LIST, [{ errcode: 0, errmsg: 'ok', results: [] }]);
		const result = await trigger.poll();
		expect(result.error).toBeUndefined();
		expect(result.emitted).toBe(false);
		expect(result.staticDataChanged).toBe(false);
		// the one short page, then a second walk of the five pages (and one past them)
		expect(callsTo(env.sandbox, LIST).map((entry) => Number(entry.params.offset))).toEqual([0, 0, 99, 198, 297, 396]);
		expect((await trigger.poll()).emitted).toBe(false);
	});

	it('many contacts really deleted: confirmed by a second walk, then reported', async () => {
		const trigger = poller(env, { options: { maxConcurrency: 1 } });
		await trigger.poll();
		for (let n = 1; n <= 200; n++) env.sandbox.state.contacts.delete(generated(n));
		env.sandbox.resetLog();
		const result = await trigger.poll();
		expect(events(result)).toEqual(Array.from({ length: 200 }, (_, i) => ['removed', generated(i + 1), []]));
		// 250 left: three pages, read twice
		expect(callsTo(env.sandbox, LIST).map((entry) => Number(entry.params.offset))).toEqual([0, 99, 198, 0, 99, 198]);
	});

	it('a contact confirmed by extcontact/get, whose answer carries other keys than the list, is not reported updated', async () => {
		const trigger = poller(env);
		await trigger.poll();
		const before = [...env.sandbox.state.contacts.keys()];
		const skipped = env.sandbox.state.contacts.get(before[199])!;
		// get's shape differs from list's: keys the list does not give, one the list gives left out
		const { state_code: _stateCode, ...rest } = skipped;
		env.sandbox.failFor({ path: GET }, { errcode: 0, errmsg: 'ok', result: { ...rest, unionid: 'union-1', create_time: 1767225600000 } });
		env.sandbox.resetLog();
		const { deleted, done } = deleteWhileReading(198, 2);
		const result = await trigger.poll();
		await done;
		expect(result.error).toBeUndefined();
		expect(callsTo(env.sandbox, GET).map((entry) => entry.params.user_id)).toEqual([before[199]]);
		expect(result.emitted).toBe(false);
		// the next poll reads the list again: only the deletions, no "updated" for the looked-up contact
		expect(events(await trigger.poll())).toEqual(deleted.map((id) => ['removed', id, []]));
	});
});

describe('DingTalk Trigger, 10,000 contacts', () => {
	const env = useSandbox({ seed: { extraContacts: 9995 } });

	it('the saved state stays within 64 bytes per contact', async () => {
		// the limiter's pace is the benchmark's business: here it would only make the test slow
		const trigger = poller(env, { options: { requestsPerSecond: 1000 } });
		const baseline = await trigger.poll();
		expect(baseline.error).toBeUndefined();
		expect(env.sandbox.state.contacts.size).toBe(10000);
		expect(baseline.staticDataBytes).toBeLessThanOrEqual(10000 * 64);
		const records = String((Object.values(baseline.staticData)[0] as IDataObject).contacts).split('|');
		expect(records).toHaveLength(10000);
		expect(Math.max(...records.map((record) => Buffer.byteLength(JSON.stringify(record)) - 2 + 1))).toBeLessThanOrEqual(64);
	});
});
