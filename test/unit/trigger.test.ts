/**
 * The DingTalk Trigger's poll in memory, against the directory of directory.ts: baseline, the
 * changes between polls, the events and filters, "Fetch test event", the paging walk and its
 * overlap check, confirming removals, failures that change nothing, the poll budget. The same
 * behaviour runs through n8n-core's PollTriggerExecutor in test/trigger.test.ts; these are the fast
 * checks that mutation testing runs for every change.
 */
import type { IDataObject, INodeExecutionData, IPollFunctions } from 'n8n-workflow';

import { DingTalk } from '../../nodes/DingTalk/DingTalk.node';
import { DingTalkTrigger } from '../../nodes/DingTalk/DingTalkTrigger.node';
import { appSessions } from '../../nodes/DingTalk/transport/appSession';
import type { Directory } from './directory';
import { contact, emptyDirectory, serve } from './directory';
import type { Reply } from './fakes';
import { errcode, fakeContext, FakeDingTalk, ok, rejection, settle, useFakeClock } from './fakes';

const LIST = '/topapi/extcontact/list';
const GET = '/topapi/extcontact/get';

let dingTalk: FakeDingTalk;
let directory: Directory;

beforeEach(() => {
	appSessions.clear();
	useFakeClock();
	jest.spyOn(Math, 'random').mockReturnValue(0);
	directory = emptyDirectory();
	dingTalk = serve(new FakeDingTalk(), directory);
});

afterEach(() => {
	jest.useRealTimers();
	jest.restoreAllMocks();
});

/** A new, empty DingTalk (for cases run one after another in a test). */
function resetDingTalk(): void {
	appSessions.clear();
	directory = emptyDirectory();
	dingTalk = serve(new FakeDingTalk(), directory);
}

/** extcontact/list answered from the directory, unless `first` answers a page (by its offset) itself. */
function listWith(first: (offset: number) => Reply | undefined): void {
	dingTalk.on(LIST, ({ params }) => {
		const offset = Number(params.offset);
		return first(offset) ?? ok({ results: [...directory.contacts.values()].slice(offset, offset + Number(params.size)) });
	});
}

/** DingTalk takes `ms` (fake time) to answer each call, so that calls overlap; counts them in flight. */
function answerAfter(ms: number): { most: number } {
	const counts = { now: 0, most: 0 };
	const answerAtOnce = dingTalk.handle.bind(dingTalk);
	dingTalk.handle = async (request) => {
		counts.most = Math.max(counts.most, ++counts.now);
		try {
			await new Promise((resolve) => setTimeout(resolve, ms));
			return await answerAtOnce(request);
		} finally {
			counts.now--;
		}
	};
	return counts;
}

/** Puts contacts c1 … c`count` in the directory (in that order, which is DingTalk's list order). */
function addContacts(count: number, fields: IDataObject = {}): string[] {
	const ids = Array.from({ length: count }, (_, index) => `c${index + 1}`);
	for (const id of ids) directory.contacts.set(id, contact(id, fields));
	return ids;
}

interface PollSetup {
	parameters?: IDataObject;
	mode?: 'trigger' | 'manual';
	/** n8n's time budget for one poll (n8n 2.8 has none: the function is missing) */
	budgetMs?: number | (() => number);
}

/** A trigger with its own static data, polled as n8n polls it (the parameters have no item index). */
function trigger(setup: PollSetup = {}) {
	const staticData: IDataObject = {};
	const contextFor = (overrides: PollSetup): IPollFunctions => {
		const { parameters, mode, budgetMs } = { ...setup, ...overrides };
		const base = fakeContext({ dingTalk, parameters: { events: ['added', 'updated', 'removed'], ...parameters } });
		return {
			...base,
			getNodeParameter: (name: string, fallback?: unknown) => base.getNodeParameter(name, 0, fallback),
			getMode: () => mode ?? 'trigger',
			getWorkflowStaticData: () => staticData,
			...(budgetMs === undefined ? {} : { getPollBudgetMs: typeof budgetMs === 'function' ? budgetMs : () => budgetMs }),
		} as unknown as IPollFunctions;
	};
	return {
		staticData,
		start: (overrides: PollSetup = {}) => new DingTalkTrigger().poll.call(contextFor(overrides)),
		poll: async (overrides: PollSetup = {}) => await settle(new DingTalkTrigger().poll.call(contextFor(overrides))),
	};
}

/** [event, userid, changedFields] of each item. */
const events = (output: INodeExecutionData[][] | null) =>
	(output?.[0] ?? []).map(({ json }) => [json.event, json.userid, json.changedFields]);
/** The offsets of the list calls since `from`, in the order they were sent. */
const listOffsets = (from = 0) => dingTalk.calls(LIST).slice(from).map((request) => Number(request.params.offset));
const getIds = () => dingTalk.calls(GET).map((request) => request.params.user_id);

describe('polls compare the list with the previous one', () => {
	it('the first poll takes a baseline and emits nothing; an unchanged list emits nothing and writes nothing', async () => {
		addContacts(3);
		const watched = trigger();
		expect(await watched.poll()).toBeNull();
		expect(watched.staticData).toMatchObject({ version: 1, filters: '' });
		expect(String(watched.staticData.contacts).split('|')).toHaveLength(3);
		// n8n saves static data that changed: an unchanged list must not touch it
		Object.freeze(watched.staticData);
		expect(await watched.poll()).toBeNull();
	});

	it('an add, an edit and a delete give one item each: the contact, and the fields that changed', async () => {
		addContacts(3);
		const watched = trigger();
		await watched.poll();
		directory.contacts.set('c9', contact('c9'));
		directory.contacts.set('c2', { ...contact('c2'), title: 'Buyer', remark: 'met in Hangzhou' });
		directory.contacts.delete('c3');
		const output = await watched.poll();
		expect(events(output)).toEqual([
			['updated', 'c2', ['title', 'remark']],
			['added', 'c9', []],
			['removed', 'c3', []],
		]);
		expect(output![0][0].json.contact).toEqual(directory.contacts.get('c2'));
		expect(output![0][1].json.contact).toEqual(directory.contacts.get('c9'));
		// a removed contact as last seen: its id and its name
		expect(output![0][2].json.contact).toEqual({ userid: 'c3', name: 'Contact c3' });
		// the pages fitted together: the removal needed no lookup
		expect(getIds()).toEqual([]);
		// the state now holds the new list: the same changes are not reported twice
		expect(await watched.poll()).toBeNull();
	});

	it('a removed contact whose name was cut in the state is named with an ellipsis', async () => {
		directory.contacts.set('c1', contact('c1', { name: '欧阳'.repeat(20) }));
		const watched = trigger();
		await watched.poll();
		directory.contacts.delete('c1');
		const [[removed]] = (await watched.poll())!;
		const name = String((removed.json.contact as IDataObject).name);
		expect(name.endsWith('…')).toBe(true);
		expect('欧阳'.repeat(20).startsWith(name.slice(0, -1))).toBe(true);
		expect(name.length).toBeLessThan(40);
	});

	it('emits only the chosen events', async () => {
		const cases: Array<[string[], string[]]> = [
			[['added'], ['added']],
			[['updated'], ['updated']],
			[['removed'], ['removed']],
			[[], []],
		];
		for (const [chosen, expected] of cases) {
			resetDingTalk();
			addContacts(3);
			const watched = trigger({ parameters: { events: chosen } });
			await watched.poll();
			directory.contacts.set('c9', contact('c9'));
			directory.contacts.set('c2', { ...contact('c2'), title: 'Buyer' });
			directory.contacts.delete('c3');
			expect(events(await watched.poll()).map(([event]) => event)).toEqual(expected);
			// the state moved on all the same
			expect(await watched.poll()).toBeNull();
		}
	});

	it('a state of another format version is replaced by a new baseline', async () => {
		addContacts(2);
		const watched = trigger();
		await watched.poll();
		const saved = { ...watched.staticData };
		watched.staticData.version = 0;
		directory.contacts.set('c9', contact('c9'));
		expect(await watched.poll()).toBeNull();
		expect(watched.staticData.version).toBe(1);
		expect(watched.staticData.contacts).not.toBe(saved.contacts);
		// a state whose contacts are not text is no state either
		watched.staticData.contacts = 42;
		directory.contacts.set('c8', contact('c8'));
		expect(await watched.poll()).toBeNull();
		expect(String(watched.staticData.contacts).split('|')).toHaveLength(4);
	});

	it('a state written under another version or other filters is rewritten, even when the records are the same', async () => {
		addContacts(2);
		const watched = trigger();
		await watched.poll();
		watched.staticData.version = 0;
		expect(await watched.poll()).toBeNull();
		expect(watched.staticData.version).toBe(1);
		// every contact is owner-1's: the records do not change with this filter, the filters do
		const records = watched.staticData.contacts;
		expect(await watched.poll({ parameters: { filters: { followerUserId: 'owner-1' } } })).toBeNull();
		expect(watched.staticData.contacts).toBe(records);
		expect(watched.staticData.filters).not.toBe('');
		directory.contacts.set('c9', contact('c9'));
		expect(events(await watched.poll({ parameters: { filters: { followerUserId: 'owner-1' } } }))).toEqual([['added', 'c9', []]]);
	});

	it('records the state cannot read are left out: those contacts count as added', async () => {
		addContacts(2);
		const watched = trigger();
		await watched.poll();
		const [first] = String(watched.staticData.contacts).split('|');
		watched.staticData.contacts = `${first}|not a record`;
		expect(events(await watched.poll())).toEqual([['added', 'c2', []]]);
	});

	it('contacts DingTalk lists without an id are left out', async () => {
		addContacts(2);
		directory.contacts.set('', { name: 'nobody' });
		const watched = trigger();
		await watched.poll();
		expect(String(watched.staticData.contacts).split('|')).toHaveLength(2);
		directory.contacts.set('c9', contact('c9'));
		expect(events(await watched.poll())).toEqual([['added', 'c9', []]]);
	});

	it('a second poll while one is running returns nothing and sends nothing; the next one runs', async () => {
		addContacts(2);
		const watched = trigger();
		const first = watched.start();
		expect(await watched.start()).toBeNull();
		expect(await settle(first)).toBeNull();
		expect(dingTalk.calls(LIST)).toHaveLength(1);
		directory.contacts.set('c9', contact('c9'));
		expect(events(await watched.poll())).toEqual([['added', 'c9', []]]);
	});
});

describe('filters', () => {
	it('owner filter: only that employee\'s contacts; one handed to someone else still counts as updated', async () => {
		for (const owner of [' owner-2 ', { __rl: true, mode: 'list', value: 'owner-2' }, null]) {
			resetDingTalk();
			addContacts(2);
			directory.contacts.set('o1', contact('o1', { follower_user_id: 'owner-2' }));
			const watched = trigger({ parameters: { filters: { followerUserId: owner } } });
			await watched.poll();
			directory.contacts.set('o2', contact('o2', { follower_user_id: 'owner-2' }));
			directory.contacts.set('c3', contact('c3'));
			directory.contacts.set('c1', { ...contact('c1'), title: 'not theirs' });
			directory.contacts.set('o1', contact('o1', { follower_user_id: 'owner-1' }));
			expect(events(await watched.poll())).toEqual(
				owner === null
					? // no owner given: every contact
						[
							['updated', 'c1', ['title']],
							['updated', 'o1', ['follower_user_id']],
							['added', 'o2', []],
							['added', 'c3', []],
						]
					: [
							['updated', 'o1', ['follower_user_id']],
							['added', 'o2', []],
						],
			);
		}
	});

	it('label filter: contacts with any of the labels, ids given as text; removals of others are not reported', async () => {
		directory.contacts.set('a', contact('a', { label_ids: [101] }));
		directory.contacts.set('b', contact('b', { label_ids: [7, 201] }));
		directory.contacts.set('n', contact('n', { label_ids: [7] }));
		directory.contacts.set('x', contact('x', { label_ids: 'not a list' }));
		const watched = trigger({ parameters: { filters: { labelIds: '101, 201' } } });
		await watched.poll();
		directory.contacts.set('a', { ...contact('a', { label_ids: [101] }), title: 'edited' });
		directory.contacts.set('n', { ...contact('n', { label_ids: [7] }), title: 'edited' });
		directory.contacts.set('m', contact('m', { label_ids: [201] }));
		directory.contacts.set('o', contact('o', { label_ids: [8] }));
		directory.contacts.delete('b');
		directory.contacts.delete('x');
		expect(events(await watched.poll())).toEqual([
			['updated', 'a', ['title']],
			['added', 'm', []],
			['removed', 'b', []],
		]);
	});

	it('labels that are not ids fail the poll, naming the field, before anything is sent', async () => {
		addContacts(1);
		const error = await rejection(trigger({ parameters: { filters: { labelIds: 'vip' } } }).poll());
		expect(error.message).toMatch(/^"Labels" /);
		expect(error.description).toBe('Pick labels from the list, or give label IDs such as "101, 201".');
		expect(dingTalk.requests).toHaveLength(0);
	});

	it('changing the filters takes a new baseline; filters that are empty are no filters', async () => {
		addContacts(2);
		const watched = trigger({ parameters: { filters: { followerUserId: '', labelIds: [] } } });
		await watched.poll();
		expect(watched.staticData.filters).toBe('');
		directory.contacts.set('c9', contact('c9'));
		expect(await watched.poll({ parameters: { filters: { followerUserId: 'owner-1' } } })).toBeNull();
		const ownerSignature = watched.staticData.filters;
		expect(ownerSignature).toMatch(/^[\w-]{8}$/);
		directory.contacts.set('c8', contact('c8'));
		expect(await watched.poll({ parameters: { filters: { labelIds: [1] } } })).toBeNull();
		expect(watched.staticData.filters).not.toBe(ownerSignature);
		directory.contacts.set('c7', contact('c7'));
		expect(events(await watched.poll({ parameters: { filters: { labelIds: [1] } } }))).toEqual([['added', 'c7', []]]);
	});
});

describe('"Fetch test event" (manual mode)', () => {
	it('returns three current contacts as added items and leaves the state alone', async () => {
		addContacts(5);
		const watched = trigger({ mode: 'manual' });
		const output = await watched.poll();
		expect(events(output)).toEqual([
			['added', 'c1', []],
			['added', 'c2', []],
			['added', 'c3', []],
		]);
		expect(output![0][0].json.contact).toEqual(directory.contacts.get('c1'));
		expect(watched.staticData).toEqual({});
		expect(listOffsets()).toEqual([0]);
		// three found on a full page: no second page is read
		addContacts(250);
		expect(events(await watched.poll())).toHaveLength(3);
		expect(listOffsets()).toEqual([0, 0]);
	});

	it('looks for matching contacts page by page, at most ten pages, and stops at the short page', async () => {
		addContacts(250);
		directory.contacts.set('late', contact('late', { follower_user_id: 'owner-2' }));
		const found = await trigger({ mode: 'manual', parameters: { filters: { followerUserId: 'owner-2' } } }).poll();
		expect(events(found)).toEqual([['added', 'late', []]]);
		expect(listOffsets()).toEqual([0, 100, 200]);

		addContacts(1200);
		const before = dingTalk.calls(LIST).length;
		expect(await trigger({ mode: 'manual', parameters: { filters: { followerUserId: 'nobody' } } }).poll()).toBeNull();
		expect(listOffsets(before)).toEqual(Array.from({ length: 10 }, (_, page) => page * 100));
	});

	it('an empty list gives nothing', async () => {
		expect(await trigger({ mode: 'manual' }).poll()).toBeNull();
	});
});

describe('reading the list', () => {
	it('pages overlap by one contact; the first poll reads groups of 1, 2, 4 … pages, a later one the pages it expects', async () => {
		addContacts(450);
		const watched = trigger();
		await watched.poll();
		expect(listOffsets()).toEqual([0, 99, 198, 297, 396, 495, 594, 693]);
		expect(String(watched.staticData.contacts).split('|')).toHaveLength(450);
		const before = dingTalk.calls(LIST).length;
		for (let n = 451; n <= 510; n++) directory.contacts.set(`c${n}`, contact(`c${n}`));
		expect(events(await watched.poll())).toHaveLength(60);
		// 450 contacts take 5 pages; the fifth was full this time, so one more is read
		expect(listOffsets(before)).toEqual([0, 99, 198, 297, 396, 495]);
	});

	it('how many pages a known count takes: those pages are asked for at once, and no more', async () => {
		for (const [count, pages] of [
			[99, 1],
			[100, 2],
			[198, 2],
			[199, 3],
		]) {
			resetDingTalk();
			answerAfter(50);
			addContacts(count);
			const watched = trigger({ parameters: { options: { requestsPerSecond: 1000 } } });
			await watched.poll();
			const before = dingTalk.calls(LIST).length;
			expect(await watched.poll()).toBeNull();
			// at once: each sent before the first answer came (one after another, each would wait 50 ms)
			const sentAt = dingTalk.calls(LIST).slice(before).map((request) => request.at);
			const atOnce = Math.max(...sentAt) - Math.min(...sentAt) < 50;
			expect({ count, pages: sentAt.length, atOnce }).toEqual({ count, pages, atOnce: true });
		}
	});

	it('a list that got shorter: pages past its end are not asked for', async () => {
		addContacts(450);
		const watched = trigger({ parameters: { options: { maxConcurrency: 1 } } });
		await watched.poll();
		for (let n = 151; n <= 450; n++) directory.contacts.delete(`c${n}`);
		const before = dingTalk.calls(LIST).length;
		expect(events(await watched.poll())).toHaveLength(300);
		expect(listOffsets(before)).toEqual([0, 99]);
	});

	it('Max Concurrency bounds the pages read at once', async () => {
		addContacts(1000);
		const inFlight = answerAfter(50);
		const watched = trigger({ parameters: { options: { maxConcurrency: 3, requestsPerSecond: 1000 } } });
		await watched.poll();
		expect(listOffsets()).toEqual(Array.from({ length: 11 }, (_, page) => page * 99).concat([1089, 1188]));
		expect(inFlight.most).toBe(3);
	});

	it('a list longer than 1,000 pages fails the poll instead of emitting from part of it', async () => {
		dingTalk.on(LIST, ({ params }) =>
			ok({ results: Array.from({ length: 100 }, (_, index) => contact(`g${Number(params.offset) + index}`)) }),
		);
		const watched = trigger({ parameters: { options: { maxConcurrency: 100, requestsPerSecond: 1000 } } });
		const error = await rejection(settle(watched.start(), 20000));
		expect(error.message).toBe('There are more than 99,000 external contacts; the trigger reads at most that many');
		expect(error.description).toMatch(/^Use the DingTalk node \(Get Many\) on a schedule instead\. This poll emitted nothing;/);
		expect(dingTalk.calls(LIST)).toHaveLength(1000);
		expect(watched.staticData).toEqual({});
	});

	it('n8n\'s poll budget: a walk that outlasts it fails; no budget, or none given, means no limit', async () => {
		addContacts(450);
		const slow = { options: { requestsPerSecond: 1, maxConcurrency: 1 } };
		const error = await rejection(trigger({ parameters: slow, budgetMs: 1500 }).poll());
		expect(error.message).toBe('Listing the external contacts took longer than n8n allows a poll');
		expect(error.description).toMatch(/^DingTalk answered too slowly .* This poll emitted nothing;/);
		for (const budgetMs of [0, undefined]) {
			appSessions.clear();
			expect(await trigger({ parameters: slow, budgetMs }).poll()).toBeNull();
		}
		// within the budget the walk is not cut short; the budget's last millisecond still counts
		appSessions.clear();
		expect(await trigger({ parameters: slow, budgetMs: 60_000 }).poll()).toBeNull();
		resetDingTalk();
		addContacts(150);
		const started = Date.now();
		expect(await trigger({ parameters: slow }).poll()).toBeNull();
		const walkMs = Date.now() - started;
		expect(walkMs).toBeGreaterThan(0);
		resetDingTalk();
		addContacts(150);
		expect(await trigger({ parameters: slow, budgetMs: walkMs }).poll()).toBeNull();
		resetDingTalk();
		addContacts(150);
		expect((await rejection(trigger({ parameters: slow, budgetMs: walkMs - 1 }).poll())).message).toMatch(/took longer/);
	});
});

describe('removals are confirmed when the pages did not fit together', () => {
	/** Deletes `ids` when the page at `offset` is asked for, before it is answered. */
	function deleteWhenAsked(offset: number, ids: string[]): void {
		let done = false;
		listWith((asked) => {
			if (done || asked !== offset) return undefined;
			done = true;
			for (const id of ids) directory.contacts.delete(id);
			return undefined;
		});
	}

	it('contacts deleted while the list is read shift the pages: the contact skipped is asked about, not reported removed', async () => {
		addContacts(450);
		const watched = trigger({ parameters: { options: { maxConcurrency: 1 } } });
		await watched.poll();
		deleteWhenAsked(198, ['c1', 'c2']);
		expect(await watched.poll()).toBeNull();
		// pages 0 and 1 were read before the deletion (c1 … c199); page 2 then started at c201
		expect(getIds()).toEqual(['c200']);
		expect(events(await watched.poll())).toEqual([
			['removed', 'c1', []],
			['removed', 'c2', []],
		]);
	});

	it('one contact deleted while the list is read: the overlap keeps every contact in sight', async () => {
		addContacts(450);
		const watched = trigger({ parameters: { options: { maxConcurrency: 1 } } });
		await watched.poll();
		deleteWhenAsked(198, ['c1']);
		expect(await watched.poll()).toBeNull();
		expect(getIds()).toEqual([]);
	});

	it('what extcontact/get answers decides: found, not found (60121, 40003, 33012), or the poll fails', async () => {
		/** A poll in which c200 is skipped (as above), with extcontact/get answering `replies`. */
		async function skipped(...replies: Reply[]) {
			resetDingTalk();
			addContacts(450);
			const watched = trigger({ parameters: { options: { maxConcurrency: 1 } } });
			await watched.poll();
			const saved = { ...watched.staticData };
			deleteWhenAsked(198, ['c1', 'c2']);
			dingTalk.script(GET, ...replies);
			return { saved, watched, polled: watched.poll() };
		}
		for (const code of [60121, 40003, 33012]) {
			const { polled } = await skipped(errcode(code));
			expect(events(await polled)).toEqual([['removed', 'c200', []]]);
		}
		for (const failing of [errcode(60011), { status: 500, text: '' }]) {
			const { saved, watched, polled } = await skipped(...Array.from({ length: 10 }, () => failing));
			const error = await rejection(polled);
			expect(error.description).toMatch(/ This poll emitted nothing; the next poll compares with the last list read in full, so no change is lost\.$/);
			expect(watched.staticData).toEqual(saved);
		}
	});

	it('a lookup answered errcode 0 without the contact fails the poll rather than decide a removal', async () => {
		addContacts(450);
		const watched = trigger({ parameters: { options: { maxConcurrency: 1 } } });
		await watched.poll();
		const saved = { ...watched.staticData };
		deleteWhenAsked(198, ['c1', 'c2']);
		dingTalk.script(GET, ok({ result: 'none' }));
		const error = await rejection(watched.poll());
		expect(error.message).toBe('DingTalk answered a contact lookup without the contact');
		expect(error.description).toMatch(/^\/topapi\/extcontact\/get answered errcode 0 but no "result" for one contact\. This poll emitted nothing;/);
		expect(watched.staticData).toEqual(saved);
	});

	it('more contacts to ask about than pages read: a second walk confirms the removals instead', async () => {
		addContacts(450);
		const watched = trigger({ parameters: { options: { maxConcurrency: 1 } } });
		await watched.poll();
		for (let n = 401; n <= 430; n++) directory.contacts.delete(`c${n}`);
		deleteWhenAsked(198, ['c1', 'c2']);
		const before = dingTalk.calls(LIST).length;
		const output = await watched.poll();
		expect(events(output)).toEqual(Array.from({ length: 30 }, (_, index) => ['removed', `c${401 + index}`, []]));
		expect(getIds()).toEqual([]);
		// the two walks: 5 pages, and 5 again
		expect(listOffsets(before)).toEqual([0, 99, 198, 297, 396, 0, 99, 198, 297, 396]);
		expect(events(await watched.poll())).toEqual([
			['removed', 'c1', []],
			['removed', 'c2', []],
		]);
	});
});

describe('a poll that fails changes nothing', () => {
	it('a DingTalk error in the middle of the walk: the error says nothing was emitted, the state is kept', async () => {
		addContacts(450);
		const watched = trigger({ parameters: { options: { maxConcurrency: 1 } } });
		await watched.poll();
		const saved = { ...watched.staticData };
		for (let n = 1; n <= 40; n++) directory.contacts.delete(`c${n}`);
		let failed = false;
		listWith((offset) => {
			if (offset !== 198 || failed) return undefined;
			failed = true;
			return errcode(60011);
		});
		const error = await rejection(watched.poll());
		// DingTalk's own error, its explanation first
		expect(error.constructor.name).toBe('NodeApiError');
		expect(error.description).toMatch(/^.*60011.* This poll emitted nothing; the next poll compares with the last list read in full, so no change is lost\.$/s);
		expect(watched.staticData).toEqual(saved);
		expect(events(await watched.poll())).toHaveLength(40);
	});

	it('an error that is not n8n\'s becomes one, described the same way', async () => {
		addContacts(1);
		const watched = trigger({
			budgetMs: () => {
				throw new TypeError('the budget is unknown');
			},
		});
		const error = await rejection(watched.poll());
		expect(error.constructor.name).toBe('NodeOperationError');
		expect(error.message).toBe('the budget is unknown');
		expect(error.description).toBe(
			'This poll emitted nothing; the next poll compares with the last list read in full, so no change is lost.',
		);
		expect(watched.staticData).toEqual({});
	});
});

describe('the nodes\' pickers', () => {
	/** The loadOptions and listSearch methods a node's fields name, at any depth. */
	function namedMethods(value: unknown, found = { loadOptions: new Set<string>(), listSearch: new Set<string>() }) {
		if (Array.isArray(value)) for (const entry of value) namedMethods(entry, found);
		else if (value && typeof value === 'object') {
			const object = value as IDataObject;
			if (typeof object.loadOptionsMethod === 'string') found.loadOptions.add(object.loadOptionsMethod);
			if (typeof object.searchListMethod === 'string') found.listSearch.add(object.searchListMethod);
			for (const entry of Object.values(object)) namedMethods(entry, found);
		}
		return found;
	}

	it('every method a field of the trigger or the node names is there, and is the same code', () => {
		const node = new DingTalk();
		for (const nodeType of [new DingTalkTrigger(), node]) {
			const named = namedMethods(nodeType.description.properties);
			expect(named.loadOptions.size + named.listSearch.size).toBeGreaterThan(0);
			for (const kind of ['loadOptions', 'listSearch'] as const) {
				const methods = (nodeType.methods as Record<string, Record<string, unknown>>)[kind];
				for (const name of named[kind]) {
					expect({ kind, name, type: typeof methods[name] }).toEqual({ kind, name, type: 'function' });
					expect(methods[name]).toBe((node.methods as Record<string, Record<string, unknown>>)[kind][name]);
				}
			}
		}
	});
});
