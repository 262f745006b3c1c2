import type { IDataObject, IExecuteFunctions, INodeExecutionData, IPollFunctions } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import { readRunOptions } from '../actions/runOptions';
import type { Directory } from '../directory/directory';
import { directoryFor } from '../directory/directory';
import { forEachConcurrently } from '../helpers/concurrency';
import { normalizeBaseUrl } from '../transport/baseUrl';
import { CREDENTIAL_TYPE } from '../transport/tokenRequest';
import type { ContactList } from './contactList';
import { openContactList, PAGE_SIZE } from './contactList';
import type { Remembered } from './fingerprint';
import { changedFields, joinRecords, parseRecord, recordOf, signature, splitRecords } from './fingerprint';
import type { Filters } from './filters';
import { addNamesToItems, readFilters } from './filters';

/**
 * One poll of the DingTalk Trigger. DingTalk sends external-contact events only to third-party
 * apps, so the trigger lists every external contact (extcontact/list, 100 per page) and compares
 * the list with what the previous poll saw (see fingerprint.ts for what is kept between polls).
 *
 * A poll either completes, emits what changed and saves the new state, or fails and changes
 * nothing: the state is written only after every call has succeeded, so a list read halfway never
 * looks like contacts were removed.
 */

export type TriggerEvent = 'added' | 'updated' | 'removed';

/** Bumped when the saved state's format changes; an older state is replaced by a new baseline. */
const STATE_VERSION = 1;
/** 1,000 pages of 100: a poll fails rather than emit changes from a list it could not read whole. */
const MAX_PAGES = 1000;
/** "Fetch test event": this many current contacts, found within this many pages. */
const SAMPLE_SIZE = 3;
const MAX_SAMPLE_PAGES = 10;

interface Settings {
	events: Set<TriggerEvent>;
	filters: Filters;
	concurrency: number;
	list: ContactList;
	/** the poll's label groups, departments and users, read when needed */
	directory: Directory;
	includeNames: boolean;
}

interface SavedState extends IDataObject {
	version: number;
	/** a hash of the filters the state was taken under */
	filters: string;
	/**
	 * a hash of the Base URL and App Key the contacts were listed from: another app's list is another
	 * organisation's. Absent in states saved by 0.1.0 (see readState).
	 */
	app: string;
	/** one record per contact (fingerprint.ts) */
	contacts: string;
}

/**
 * A poll that would report more than this share of the contacts it knew as removed, and at least
 * MASS_REMOVAL_MIN of them, confirms the removals first (confirmMissing), as when the pages did not
 * fit together. People delete contacts a few at a time; a list answer that lost part of the list (a
 * page that came back short or empty, yet fits) makes a large share vanish at once, and a workflow
 * that deletes what was removed would then delete them elsewhere too. Confirming costs one more walk
 * of the list (or one lookup per contact, when that is fewer calls), and only on such polls. Below a
 * handful, the extra calls would mostly be spent in small organisations, where one deletion already
 * is a fifth of the list.
 */
const MASS_REMOVAL_SHARE = 0.2;
const MASS_REMOVAL_MIN = 5;

/**
 * Polls that are running, by workflow and trigger node: a slow poll is never overlapped. Keyed on
 * the ids, not on the static data object, which n8n may hand each poll as a copy of its own.
 */
const running = new Set<string>();

export async function pollContacts(this: IPollFunctions): Promise<INodeExecutionData[][] | null> {
	const settings = await readSettings(this);
	if (this.getMode() === 'manual') return await withNamesIfAsked(settings, await sampleContacts(settings));

	const pollKey = JSON.stringify([this.getWorkflow().id ?? '', this.getNode().id]);
	if (running.has(pollKey)) return null;
	running.add(pollKey);
	try {
		return await compareWithLastPoll(this, settings, this.getWorkflowStaticData('node'));
	} catch (error) {
		const failure =
			error instanceof NodeApiError || error instanceof NodeOperationError
				? error
				: new NodeOperationError(this.getNode(), error as Error);
		failure.description = `${failure.description ? `${failure.description} ` : ''}This poll emitted nothing; the next poll compares with the last list read in full, so no change is lost.`;
		throw failure;
	} finally {
		running.delete(pollKey);
	}
}

async function readSettings(context: IPollFunctions): Promise<Settings> {
	const events = new Set(context.getNodeParameter('events', []) as TriggerEvent[]);
	if (events.size === 0) {
		// nothing could ever start the workflow, yet every poll would read the whole list
		throw new NodeOperationError(context.getNode(), 'Choose at least one event in "Events"', {
			description: 'Pick Added, Updated or Removed (or several): the changes that start the workflow.',
		});
	}
	// the run options are the DingTalk node's, defaults included: at the same rate both share one
	// limiter per API of the app (transport/appSession.ts). Only the reading differs: a poll has no
	// item index.
	const options = readRunOptions({
		getNodeParameter: (name: string, _itemIndex: number, fallback: unknown) => context.getNodeParameter(name, fallback),
	} as unknown as IExecuteFunctions);
	const directory = directoryFor(context, options);
	return {
		events,
		filters: await readFilters(context, directory),
		concurrency: options.maxConcurrency,
		list: openContactList(context, options),
		directory,
		includeNames: context.getNodeParameter('includeNames', false) === true,
	};
}

/** "Fetch test event" with "Include Names": the names of labels, owners, shared users and departments. */
async function withNamesIfAsked(settings: Settings, output: INodeExecutionData[][] | null): Promise<INodeExecutionData[][] | null> {
	if (output && settings.includeNames) await addNamesToItems(settings.directory, output[0]);
	return output;
}

function matches(contact: IDataObject, filters: Filters): boolean {
	if (filters.followerUserId !== undefined && String(contact.follower_user_id ?? '') !== filters.followerUserId) return false;
	if (filters.labelIds !== undefined) {
		const labels = Array.isArray(contact.label_ids) ? contact.label_ids.map(Number) : [];
		if (!filters.labelIds.some((id) => labels.includes(id))) return false;
	}
	return true;
}

function item(event: TriggerEvent, userid: string, contact: IDataObject, changed: string[]): INodeExecutionData {
	return { json: { event, userid, contact, changedFields: changed } };
}

/** "Fetch test event": a few current contacts as `added` items; the saved state is not touched. */
async function sampleContacts(settings: Settings): Promise<INodeExecutionData[][] | null> {
	const samples: IDataObject[] = [];
	for (let index = 0; index < MAX_SAMPLE_PAGES && samples.length < SAMPLE_SIZE; index++) {
		const page = await settings.list.readPage(index * PAGE_SIZE);
		samples.push(...page.filter((contact) => matches(contact, settings.filters)));
		if (page.length < PAGE_SIZE) break;
	}
	if (samples.length === 0) return null;
	return [samples.slice(0, SAMPLE_SIZE).map((contact) => item('added', String(contact.userid), contact, []))];
}

/**
 * The contacts remembered by the last poll, or undefined when there is no state to compare with:
 * none yet, another format version, other filters, or another app (a new baseline, no events).
 * A state without an app (saved by 0.1.0, before states named it) is taken as this app's and saved
 * with its app by this poll: it was listed with the credential the trigger had then, which is this
 * one unless it was changed during the upgrade; a new baseline instead would lose every change made
 * between the last poll before the upgrade and the first after it.
 */
function readState(staticData: IDataObject, filters: string, app: string): Map<string, Remembered> | undefined {
	const saved = staticData as Partial<SavedState>;
	if (saved.version !== STATE_VERSION || saved.filters !== filters || typeof saved.contacts !== 'string') return undefined;
	if (saved.app !== undefined && saved.app !== app) return undefined;
	const remembered = new Map<string, Remembered>();
	for (const record of splitRecords(saved.contacts)) {
		const parsed = parseRecord(record);
		if (parsed) remembered.set(parsed.userid, parsed);
	}
	return remembered;
}

async function compareWithLastPoll(
	context: IPollFunctions,
	settings: Settings,
	staticData: IDataObject,
): Promise<INodeExecutionData[][] | null> {
	const filterSignature = Object.keys(settings.filters).length > 0 ? signature(settings.filters) : '';
	const app = await appSignature(context);
	const previous = readState(staticData, filterSignature, app);
	const deadline = pollDeadline(context);
	const walked = await walkContacts(context, settings, previous ? pagesFor(previous.size) : 1, deadline);
	const current = walked.contacts;

	const items: INodeExecutionData[] = [];
	let confirmation: Confirmation = { removed: [], listed: [], kept: [] };
	if (previous) {
		const missing = [...previous.values()].filter((contact) => !current.has(contact.userid));
		const massRemoval = missing.length >= MASS_REMOVAL_MIN && missing.length > previous.size * MASS_REMOVAL_SHARE;
		confirmation =
			walked.consistent && !massRemoval
				? { removed: missing, listed: [], kept: [] }
				: await confirmMissing(context, settings, missing, walked.calls, deadline);
		for (const contact of confirmation.listed) current.set(String(contact.userid), contact);
	}

	// looked up and still there: as remembered (see Confirmation.kept)
	const records: string[] = confirmation.kept.map((contact) => contact.record);
	for (const [userid, contact] of current) {
		const matched = matches(contact, settings.filters);
		const record = recordOf(contact, matched);
		records.push(record);
		if (!previous) continue;
		const before = previous.get(userid);
		if (!before) {
			if (matched && settings.events.has('added')) items.push(item('added', userid, contact, []));
			continue;
		}
		const changed = changedFields(before.record, record, contact);
		if (changed && (matched || before.matched) && settings.events.has('updated')) {
			items.push(item('updated', userid, contact, changed));
		}
	}
	for (const contact of confirmation.removed) {
		if (!contact.matched || !settings.events.has('removed')) continue;
		// as last seen: the id and the name as far as it was kept
		const name = contact.nameCut ? `${contact.name}…` : contact.name;
		items.push(item('removed', contact.userid, { userid: contact.userid, name }, []));
	}

	if (settings.includeNames) await addNamesToItems(settings.directory, items);
	// every call succeeded: only now does the state change (and only if it did: n8n saves what changed)
	const state: SavedState = { version: STATE_VERSION, filters: filterSignature, app, contacts: joinRecords(records) };
	const saved = staticData as Partial<SavedState>;
	if (Object.keys(state).some((key) => saved[key] !== state[key])) Object.assign(staticData, state);
	return items.length > 0 ? [items] : null;
}

/** The app the contacts are listed from: its Base URL and App Key (never the secret), hashed. */
async function appSignature(context: IPollFunctions): Promise<string> {
	const credentials = await context.getCredentials(CREDENTIAL_TYPE);
	return signature([normalizeBaseUrl(credentials.baseUrl), String(credentials.appKey ?? '').trim()]);
}

/** When a poll has to give up, if n8n gives polls a time budget (n8n 2.8 does not). */
function pollDeadline(context: IPollFunctions): number {
	const budget = typeof context.getPollBudgetMs === 'function' ? context.getPollBudgetMs() : undefined;
	return typeof budget === 'number' && budget > 0 ? Date.now() + budget : Number.POSITIVE_INFINITY;
}

function checkDeadline(context: IPollFunctions, deadline: number): void {
	if (Date.now() <= deadline) return;
	throw new NodeOperationError(context.getNode(), 'Listing the external contacts took longer than n8n allows a poll', {
		description:
			'DingTalk answered too slowly for the number of external contacts. Raise "Requests per Second" if your DingTalk edition allows it, or raise n8n\'s poll timeout.',
	});
}

/**
 * Pages overlap by one contact: page p starts at offset p × STRIDE. DingTalk pages by offset over a
 * list that may change while it is read; when contacts are deleted (or moved) before a page
 * boundary between the reads of the two pages, the later page starts further on and a contact can
 * be skipped. The overlap shows it: the last contact of a page must be the first of the next.
 */
const STRIDE = PAGE_SIZE - 1;

/** How many pages a list of `count` contacts takes, the short last page included. */
function pagesFor(count: number): number {
	return count < PAGE_SIZE ? 1 : Math.floor((count - PAGE_SIZE) / STRIDE) + 2;
}

/**
 * Every contact of extcontact/list, by id, and whether the pages fit together (see STRIDE). The
 * pages the previous poll's count predicts are read several at a time (under the rate limit).
 * Beyond them (and at the first poll, which has no count) pages are read in groups that start at
 * one page and double while pages come back full, up to Max Concurrency: a list of unknown length
 * is read about as fast, and at most a group's worth of pages past the end is asked for.
 */
async function walkContacts(
	context: IPollFunctions,
	settings: Settings,
	expectedPages: number,
	deadline: number,
): Promise<{ contacts: Map<string, IDataObject>; consistent: boolean; calls: number }> {
	const pages: IDataObject[][] = [];
	let lastPage = Number.POSITIVE_INFINITY;
	let calls = 0;
	const read = async (index: number): Promise<void> => {
		if (index > lastPage) return;
		calls++;
		const page = await settings.list.readPage(index * STRIDE);
		checkDeadline(context, deadline);
		pages[index] = page;
		if (page.length < PAGE_SIZE) lastPage = Math.min(lastPage, index);
	};
	const readGroup = async (from: number, count: number) =>
		await forEachConcurrently(count, settings.concurrency, undefined, async (index) => await read(from + index));
	let next = Math.min(expectedPages, MAX_PAGES);
	await readGroup(0, next);
	for (let group = 1; lastPage === Number.POSITIVE_INFINITY && next < MAX_PAGES; group = Math.min(group * 2, settings.concurrency)) {
		const count = Math.min(group, MAX_PAGES - next);
		await readGroup(next, count);
		next += count;
	}
	if (lastPage === Number.POSITIVE_INFINITY) {
		throw new NodeOperationError(
			context.getNode(),
			`There are more than ${(MAX_PAGES * STRIDE).toLocaleString('en')} external contacts; the trigger reads at most that many`,
			{ description: 'Use the DingTalk node (Get Many) on a schedule instead.' },
		);
	}
	const pagesRead = pages.slice(0, lastPage + 1);
	const consistent = pagesRead.every(
		(page, index) => index === lastPage || page[STRIDE]?.userid === pagesRead[index + 1][0]?.userid,
	);
	const contacts = new Map<string, IDataObject>();
	for (const page of pagesRead) {
		for (const contact of page) {
			const userid = String(contact.userid ?? '');
			// the overlapping contact, or one pushed onto the next page by an addition, shows up twice
			if (userid && !contacts.has(userid)) contacts.set(userid, contact);
		}
	}
	return { contacts, consistent, calls };
}

/** What became of the remembered contacts a walk did not see. */
interface Confirmation {
	removed: Remembered[];
	/** seen after all by a second walk of the list: compared as usual */
	listed: IDataObject[];
	/**
	 * there after all, says extcontact/get: kept as remembered, not compared, since get's record may
	 * carry other keys than list's and would read as changed; the next poll's list compares it
	 */
	kept: Remembered[];
}

/**
 * The remembered contacts a walk did not see, when that walk cannot be trusted on its own (its pages
 * did not fit together, or it would remove a large share): a contact is reported removed only once
 * DingTalk confirms it is gone. Asks extcontact/get for each (when that takes no more calls than a
 * second walk), or walks the list again and takes those missing from both walks.
 */
async function confirmMissing(
	context: IPollFunctions,
	settings: Settings,
	missing: Remembered[],
	walkCalls: number,
	deadline: number,
): Promise<Confirmation> {
	const confirmation: Confirmation = { removed: [], listed: [], kept: [] };
	if (missing.length === 0) return confirmation;
	if (missing.length <= walkCalls) {
		const found: boolean[] = new Array(missing.length);
		await forEachConcurrently(missing.length, settings.concurrency, undefined, async (index) => {
			found[index] = (await settings.list.find(missing[index].userid)) !== undefined;
			checkDeadline(context, deadline);
		});
		missing.forEach((contact, index) => (found[index] ? confirmation.kept : confirmation.removed).push(contact));
		return confirmation;
	}
	const again = await walkContacts(context, settings, walkCalls, deadline);
	// a contact missing from two walks is gone (being skipped twice would take two unlucky shifts)
	for (const contact of missing) {
		const listed = again.contacts.get(contact.userid);
		if (listed) confirmation.listed.push(listed);
		else confirmation.removed.push(contact);
	}
	return confirmation;
}
