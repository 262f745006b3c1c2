/**
 * The DingTalk Trigger's poll in memory: baseline, the changes between polls, the events and
 * filters, "Fetch test event", the paging walk and its overlap check, confirming removals, failures
 * that change nothing, the poll budget. The same behaviour runs through n8n-core's
 * PollTriggerExecutor in test/trigger.test.ts; these are the fast checks that mutation testing runs
 * for every change.
 *
 * The poll reads DingTalk through trigger/contactList.ts only. Here a stand-in list answers from the
 * directory of directory.ts, so these tests exercise the poll's own logic and leave the transport
 * to its tests (contactList.test.ts runs the real list against the scripted DingTalk).
 */
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';

import { DingTalk } from '../../nodes/DingTalk/DingTalk.node';
import { DingTalkTrigger } from '../../nodes/DingTalk/DingTalkTrigger.node';
import type { RunOptions } from '../../nodes/DingTalk/actions/runOptions';
import type { ContactList } from '../../nodes/DingTalk/trigger/contactList';
import { PAGE_SIZE } from '../../nodes/DingTalk/trigger/contactList';
import type { Directory } from './directory';
import { contact, emptyDirectory } from './directory';
import { defaultCredential, fakePollContext, FakeDingTalk, NODE, rejection, settle, useFakeClock } from './fakes';

jest.mock('../../nodes/DingTalk/trigger/contactList', () => ({
	...jest.requireActual('../../nodes/DingTalk/trigger/contactList'),
	openContactList: (_context: unknown, options: RunOptions) => mockOpenList(options),
}));

/** What the stand-in list was asked, and how it answers. */
interface ListState {
	/** each page asked for: its offset, and the (fake) time it was asked at */
	sent: Array<{ offset: number; at: number }>;
	/** the ids looked up one by one */
	finds: string[];
	/** how long each answer takes (fake time) */
	latencyMs: number;
	inFlight: { now: number; most: number };
	/** answers a page itself (its contacts, or an error to throw), or leaves it to the directory */
	onPage?: (offset: number) => IDataObject[] | Error | undefined;
	/** answers a lookup itself: the contact, undefined for "not found", or an error to throw */
	onFind?: (userid: string) => IDataObject | undefined | Error;
	/** the run options the poll opened the list with */
	options?: RunOptions;
}

let directory: Directory;
let list: ListState;

function mockOpenList(options: RunOptions): ContactList {
	list.options = options;
	const answer = async <T>(value: T | Error): Promise<T> => {
		list.inFlight.most = Math.max(list.inFlight.most, ++list.inFlight.now);
		try {
			await new Promise((resolve) => setTimeout(resolve, list.latencyMs));
		} finally {
			list.inFlight.now--;
		}
		if (value instanceof Error) throw value;
		return value;
	};
	return {
		readPage: async (offset) => {
			list.sent.push({ offset, at: Date.now() });
			// the page is what the list holds when it is asked for
			return await answer(list.onPage?.(offset) ?? [...directory.contacts.values()].slice(offset, offset + PAGE_SIZE));
		},
		find: async (userid) => {
			list.finds.push(userid);
			return await answer(list.onFind ? list.onFind(userid) : directory.contacts.get(userid));
		},
	};
}

/** An empty directory and a list that answers at once. */
function resetList(): void {
	directory = emptyDirectory();
	list = { sent: [], finds: [], latencyMs: 0, inFlight: { now: 0, most: 0 } };
}

beforeEach(() => {
	useFakeClock();
	resetList();
});

afterEach(() => {
	jest.useRealTimers();
});

/** Pages answered from the directory, unless `first` answers a page (by its offset) itself. */
function listWith(first: (offset: number) => IDataObject[] | Error | undefined): void {
	list.onPage = first;
}

/** Each answer takes `ms` (fake time), so that calls overlap; counts the calls in flight. */
function answerAfter(ms: number): { most: number } {
	list.latencyMs = ms;
	return list.inFlight;
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
	budgetMs?: number | (() => number);
	credential?: IDataObject;
	workflowId?: string;
}

/** A trigger with its own static data, polled as n8n polls it. */
function trigger(setup: PollSetup = {}) {
	const staticData: IDataObject = {};
	const contextFor = (overrides: PollSetup) => {
		const { parameters, mode, budgetMs, credential, workflowId } = { ...setup, ...overrides };
		return fakePollContext({
			credential,
			workflowId,
			// the list above answers; nothing reaches this DingTalk
			dingTalk: new FakeDingTalk(),
			parameters: { events: ['added', 'updated', 'removed'], ...parameters },
			staticData,
			mode,
			budgetMs,
		});
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
/** The offsets of the pages asked for since the `from`th, in the order they were asked for. */
const listOffsets = (from = 0) => list.sent.slice(from).map((page) => page.offset);
const pageCount = () => list.sent.length;
const getIds = () => list.finds;

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
		];
		for (const [chosen, expected] of cases) {
			resetList();
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

	it('polls of other triggers (another workflow) run alongside', async () => {
		addContacts(2);
		answerAfter(100);
		const watched = trigger();
		const elsewhere = trigger({ workflowId: 'another-workflow' });
		const [first, second] = [watched.start(), elsewhere.start()];
		expect(await settle(first)).toBeNull();
		expect(await settle(second)).toBeNull();
		expect(pageCount()).toBe(2);
		expect(elsewhere.staticData.contacts).toBe(watched.staticData.contacts);
	});

	it('a second poll while one is running returns nothing and sends nothing, though n8n hands it a copy of the static data', async () => {
		addContacts(2);
		const watched = trigger();
		const first = watched.start();
		const copy = trigger();
		expect(await copy.start()).toBeNull();
		expect(copy.staticData).toEqual({});
		expect(await settle(first)).toBeNull();
		expect(pageCount()).toBe(1);
	});

	it('a second poll while one is running returns nothing and sends nothing; the next one runs', async () => {
		addContacts(2);
		const watched = trigger();
		const first = watched.start();
		expect(await watched.start()).toBeNull();
		expect(await settle(first)).toBeNull();
		expect(pageCount()).toBe(1);
		directory.contacts.set('c9', contact('c9'));
		expect(events(await watched.poll())).toEqual([['added', 'c9', []]]);
	});
});

describe('the state belongs to one app (Base URL and App Key)', () => {
	it('another App Key or Base URL takes a new baseline; the same Base URL written with a trailing slash or an App Key with spaces is the same app', async () => {
		addContacts(3);
		const watched = trigger();
		await watched.poll();
		const app = watched.staticData.app;
		expect(app).toMatch(/^[\w-]{8}$/);
		directory.contacts.delete('c1');
		const credential = defaultCredential();
		// the same app, written differently: the removal is reported
		expect(
			events(await watched.poll({ credential: { ...credential, baseUrl: `${String(credential.baseUrl)}/`, appKey: ` ${String(credential.appKey)} ` } })),
		).toEqual([['removed', 'c1', []]]);
		expect(watched.staticData.app).toBe(app);
		for (const other of [{ appKey: 'another-app' }, { baseUrl: 'https://oapi.dingtalk.io' }]) {
			directory.contacts.delete(other.appKey ? 'c2' : 'c3');
			expect(await watched.poll({ credential: { ...credential, ...other } })).toBeNull();
			expect(watched.staticData.app).not.toBe(app);
			// back on the first app: a new baseline again
			expect(await watched.poll()).toBeNull();
			expect(watched.staticData.app).toBe(app);
		}
		// the secret is not part of it: a new secret for the same app keeps the state
		directory.contacts.set('c9', contact('c9'));
		expect(events(await watched.poll({ credential: { ...credential, appSecret: 'a-new-secret' } }))).toEqual([['added', 'c9', []]]);
	});

	it('a state without an app (saved by 0.1.0) is compared once and then names the app', async () => {
		addContacts(3);
		const watched = trigger();
		await watched.poll();
		const app = watched.staticData.app;
		delete watched.staticData.app;
		directory.contacts.delete('c2');
		expect(events(await watched.poll())).toEqual([['removed', 'c2', []]]);
		expect(watched.staticData.app).toBe(app);
		// nothing changed but the missing app: the state is written all the same
		delete watched.staticData.app;
		expect(await watched.poll()).toBeNull();
		expect(watched.staticData.app).toBe(app);
	});
});

describe('filters', () => {
	it('owner filter: only that employee\'s contacts; one handed to someone else still counts as updated', async () => {
		for (const owner of [' owner-2 ', { __rl: true, mode: 'list', value: 'owner-2' }, null]) {
			resetList();
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

	it('labels that are neither ids nor names fail the poll, naming the field, before anything is sent', async () => {
		addContacts(1);
		const error = await rejection(trigger({ parameters: { filters: { labelIds: [{ id: 1 }] } } }).poll());
		expect(error.message).toBe('"Labels" {"id":1} is not an id');
		expect(error.description).toBe('Pick labels from the list, or give label names or IDs such as "VIP, 201".');
		expect(pageCount()).toBe(0);
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
		expect(events(await trigger({ mode: 'manual', parameters: { filters: { labelIds: [7] } } }).poll())).toEqual([]);
		for (const id of ['c10', 'c20', 'c30']) directory.contacts.set(id, contact(id, { label_ids: [7] }));
		list.sent = [];
		expect(events(await trigger({ mode: 'manual', parameters: { filters: { labelIds: [7] } } }).poll())).toEqual([
			['added', 'c10', []],
			['added', 'c20', []],
			['added', 'c30', []],
		]);
		// exactly three on the first, full page: enough
		expect(listOffsets()).toEqual([0]);
		list.sent = [];
		expect(events(await watched.poll())).toHaveLength(3);
		expect(listOffsets()).toEqual([0]);
	});

	it('looks for matching contacts page by page, at most ten pages, and stops at the short page', async () => {
		addContacts(250);
		directory.contacts.set('late', contact('late', { follower_user_id: 'owner-2' }));
		const found = await trigger({ mode: 'manual', parameters: { filters: { followerUserId: 'owner-2' } } }).poll();
		expect(events(found)).toEqual([['added', 'late', []]]);
		expect(listOffsets()).toEqual([0, 100, 200]);

		addContacts(1200);
		const before = pageCount();
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
		const before = pageCount();
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
			resetList();
			answerAfter(50);
			addContacts(count);
			const watched = trigger();
			await watched.poll();
			const before = pageCount();
			expect(await watched.poll()).toBeNull();
			// at once: each asked for before the first answer came (one after another, each would wait 50 ms)
			const sentAt = list.sent.slice(before).map((page) => page.at);
			const atOnce = Math.max(...sentAt) - Math.min(...sentAt) < 50;
			expect({ count, pages: sentAt.length, atOnce }).toEqual({ count, pages, atOnce: true });
		}
	});

	it('a list that got shorter: pages past its end are not asked for', async () => {
		addContacts(450);
		const watched = trigger({ parameters: { options: { maxConcurrency: 1 } } });
		await watched.poll();
		for (let n = 151; n <= 450; n++) directory.contacts.delete(`c${n}`);
		const before = pageCount();
		expect(events(await watched.poll())).toHaveLength(300);
		// two pages, read twice: two thirds of the list gone is confirmed by a second walk
		expect(listOffsets(before)).toEqual([0, 99, 0, 99]);
	});

	it('Max Concurrency bounds the pages read at once', async () => {
		addContacts(1000);
		const inFlight = answerAfter(50);
		const watched = trigger({ parameters: { options: { maxConcurrency: 3 } } });
		await watched.poll();
		expect(listOffsets()).toEqual(Array.from({ length: 11 }, (_, page) => page * 99).concat([1089, 1188]));
		expect(inFlight.most).toBe(3);
	});

	it('a list longer than 1,000 pages fails the poll instead of emitting from part of it', async () => {
		listWith((offset) => Array.from({ length: PAGE_SIZE }, (_, index) => ({ userid: `g${offset + index}` })));
		const watched = trigger({ parameters: { options: { maxConcurrency: 100 } } });
		const error = await rejection(settle(watched.start(), 20000));
		expect(error.message).toBe('There are more than 99,000 external contacts; the trigger reads at most that many');
		expect(error.description).toMatch(/^Use the DingTalk node \(Get Many\) on a schedule instead\. This poll emitted nothing;/);
		expect(pageCount()).toBe(1000);
		expect(watched.staticData).toEqual({});
	});

	it('n8n\'s poll budget: a walk that outlasts it fails; no budget, or none given, means no limit', async () => {
		addContacts(450);
		// one page at a time, each answered after a second
		const slow = { options: { maxConcurrency: 1 } };
		answerAfter(1000);
		const error = await rejection(trigger({ parameters: slow, budgetMs: 1500 }).poll());
		expect(error.message).toBe('Listing the external contacts took longer than n8n allows a poll');
		expect(error.description).toMatch(/^DingTalk answered too slowly .* This poll emitted nothing;/);
		for (const budgetMs of [0, undefined]) {
						expect(await trigger({ parameters: slow, budgetMs }).poll()).toBeNull();
		}
		// within the budget the walk is not cut short; the budget's last millisecond still counts
				expect(await trigger({ parameters: slow, budgetMs: 60_000 }).poll()).toBeNull();
		resetList();
		answerAfter(1000);
		addContacts(150);
		const started = Date.now();
		expect(await trigger({ parameters: slow }).poll()).toBeNull();
		const walkMs = Date.now() - started;
		expect(walkMs).toBeGreaterThan(0);
		expect(await trigger({ parameters: slow, budgetMs: walkMs }).poll()).toBeNull();
		expect((await rejection(trigger({ parameters: slow, budgetMs: walkMs - 1 }).poll())).message).toMatch(/took longer/);
	});
});

describe('a poll that would remove a large share of the contacts confirms the removals first', () => {
	it('more than a fifth, and at least five: confirmed (here by lookups, as few as pages read); fewer: reported at once', async () => {
		for (const [known, removed, confirmed] of [
			[25, 5, false], // exactly a fifth
			[24, 5, true],
			[10, 4, false], // fewer than five
			[10, 5, true],
		] as Array<[number, number, boolean]>) {
			resetList();
			const ids = addContacts(known);
			const watched = trigger();
			await watched.poll();
			for (const id of ids.slice(0, removed)) directory.contacts.delete(id);
			const pagesBefore = pageCount();
			const output = await watched.poll();
			expect(events(output)).toEqual(ids.slice(0, removed).map((id) => ['removed', id, []]));
			// more missing than pages read: a second walk, not lookups
			expect({ known, removed, pages: pageCount() - pagesBefore }).toEqual({ known, removed, pages: confirmed ? 2 : 1 });
			expect(getIds()).toEqual([]);
		}
	});

	it('a page that came back empty: the second walk finds the contacts, nothing is reported, the state is unchanged', async () => {
		addContacts(150);
		const watched = trigger({ parameters: { options: { maxConcurrency: 1 } } });
		await watched.poll();
		const saved = { ...watched.staticData };
		let emptied = false;
		listWith((offset) => {
			if (emptied || offset !== 0) return undefined;
			emptied = true;
			return [];
		});
		const before = pageCount();
		expect(await watched.poll()).toBeNull();
		expect(listOffsets(before)).toEqual([0, 0, 99]);
		expect(watched.staticData).toEqual(saved);
	});
});

describe('removals are confirmed when the pages did not fit together', () => {
	/**
	 * A baseline of c1 … c250 (3 pages) read one page at a time; then `removedBefore` go, and a poll starts
	 * during which `removedWhileReading` go when page 2 (offset 198) is asked for. Pages 0 and 1
	 * (c1 … c199) were read by then, so two removed from page 0 make page 2 start at c201: c200 is
	 * skipped. The poll is not awaited.
	 */
	async function pollWhileShifting(removedWhileReading: string[], removedBefore: string[] = []) {
		resetList();
		addContacts(250);
		const watched = trigger({ parameters: { options: { maxConcurrency: 1 } } });
		await watched.poll();
		const saved = { ...watched.staticData };
		for (const id of removedBefore) directory.contacts.delete(id);
		let done = false;
		listWith((offset) => {
			if (done || offset !== 198) return undefined;
			done = true;
			for (const id of removedWhileReading) directory.contacts.delete(id);
			return undefined;
		});
		return { watched, saved, pagesBefore: pageCount(), polled: watched.poll() };
	}
	const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, index) => `c${from + index}`);

	it('contacts deleted while the list is read shift the pages: the contact skipped is asked about, not reported removed', async () => {
		const { watched, polled } = await pollWhileShifting(['c1', 'c2']);
		expect(await polled).toBeNull();
		expect(getIds()).toEqual(['c200']);
		// the deletions themselves are seen by the next poll
		expect(events(await watched.poll())).toEqual([
			['removed', 'c1', []],
			['removed', 'c2', []],
		]);
	});

	it('one contact deleted while the list is read: the overlap keeps every contact in sight', async () => {
		const { polled } = await pollWhileShifting(['c1']);
		expect(await polled).toBeNull();
		expect(getIds()).toEqual([]);
	});

	it('what the lookup answers decides: the contact is kept, reported removed, or the poll fails and keeps its state', async () => {
		const kept = await pollWhileShifting(['c1', 'c2']);
		expect(await kept.polled).toBeNull();
		expect(getIds()).toEqual(['c200']);

		const gone = await pollWhileShifting(['c1', 'c2']);
		list.onFind = () => undefined;
		expect(events(await gone.polled)).toEqual([['removed', 'c200', []]]);

		const failing = await pollWhileShifting(['c1', 'c2']);
		list.onFind = () => new NodeApiError(NODE, { errcode: 60011 }, { message: 'no permission', description: 'Grant it.' });
		const error = await rejection(failing.polled);
		expect(error.message).toBe('no permission');
		expect(error.description).toBe('Grant it. This poll emitted nothing; the next poll compares with the last list read in full, so no change is lost.');
		expect(failing.watched.staticData).toEqual(failing.saved);
	});

	it('a contact the lookup finds is kept as remembered: get\'s record, in a shape of its own, is not compared (no false "updated")', async () => {
		const { watched, polled } = await pollWhileShifting(['c1', 'c2']);
		list.onFind = (userid) => ({ ...contact(userid), unionid: `union-${userid}`, state_code: undefined, remark: 'only in get' });
		expect(await polled).toBeNull();
		expect(getIds()).toEqual(['c200']);
		list.onFind = undefined;
		expect(events(await watched.poll())).toEqual([
			['removed', 'c1', []],
			['removed', 'c2', []],
		]);
	});

	it('as many contacts to ask about as pages read: each is looked up', async () => {
		const { polled, pagesBefore } = await pollWhileShifting(['c1', 'c2'], range(241, 242));
		expect(events(await polled)).toEqual(range(241, 242).map((id) => ['removed', id, []]));
		// 3 pages; c200 (skipped) and the two removed are looked up
		expect(pageCount() - pagesBefore).toBe(3);
		expect([...getIds()].sort()).toEqual(['c200', ...range(241, 242)]);
	});

	it('more contacts to ask about than pages read: a second walk confirms the removals instead', async () => {
		const { watched, polled, pagesBefore } = await pollWhileShifting(['c1', 'c2'], range(231, 240));
		expect(events(await polled)).toEqual(range(231, 240).map((id) => ['removed', id, []]));
		expect(getIds()).toEqual([]);
		// the two walks: 3 pages, and 3 again
		expect(listOffsets(pagesBefore)).toEqual([0, 99, 198, 0, 99, 198]);
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
			return new NodeApiError(NODE, { errcode: 60011 }, { message: 'no permission', description: 'Grant the app the permission.' });
		});
		const error = await rejection(watched.poll());
		// DingTalk's own error, its explanation first
		expect(error.constructor.name).toBe('NodeApiError');
		expect(error.errorResponse).toEqual({ errcode: 60011 });
		expect(error.description).toBe(
			'Grant the app the permission. This poll emitted nothing; the next poll compares with the last list read in full, so no change is lost.',
		);
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
