import type { IDataObject } from 'n8n-workflow';

import { answerData, isList } from './answerData';
import type { DingTalkClient } from './client';
import { SAFE_TO_REPEAT } from './retryPolicy';

/** Reading DingTalk's offset/size lists (extcontact/list, listlabelgroups), page by page. */

export const PAGE_SIZE = 100;
/** Bounds every walk: 1,000 pages of 100 is far past any organisation. */
export const MAX_PAGES = 1000;

/**
 * One page; DingTalk gives no total and no "has more": a page shorter than `size` is the last. An
 * answer without `results` fails (answerData.ts): it is not an empty page.
 */
export async function listPage(
	client: DingTalkClient,
	path: string,
	offset: number,
	size: number,
	itemIndex?: number,
): Promise<IDataObject[]> {
	const answer = await client.call(path, { offset, size }, SAFE_TO_REPEAT, itemIndex);
	return answerData(client, path, answer, 'results', isList, itemIndex);
}

/**
 * Thrown when a list is longer than MAX_PAGES pages: what was read is not the whole list, and an
 * operation working on part of it (Create or Update deciding a number is new) would go wrong. The
 * router turns it into the item's error, description included.
 */
export class ListTooLongError extends Error {
	readonly description =
		'Nothing was returned or changed for this item. Get Many: turn off Return All and set a Limit, which reads only as far as needed. Create or Update needs the whole list to tell new mobile numbers from known ones: use Update with the contact ID instead.';

	constructor(path: string) {
		super(
			`DingTalk's list (${path}) has ${(MAX_PAGES * PAGE_SIZE).toLocaleString('en')} entries or more, more than this package reads in one walk`,
		);
		this.name = 'ListTooLongError';
	}
}

/**
 * Every entry that `keep` accepts (all when not given), 100 a page, up to `maxItems`: the pages
 * are read one after the other and the walk stops as soon as `maxItems` entries were kept. A list
 * that goes on past MAX_PAGES pages throws ListTooLongError rather than returning part of it.
 */
export async function listAllPages(
	client: DingTalkClient,
	path: string,
	maxItems = Number.POSITIVE_INFINITY,
	itemIndex?: number,
	keep: (entry: IDataObject) => boolean = () => true,
): Promise<IDataObject[]> {
	const kept: IDataObject[] = [];
	if (maxItems <= 0) return kept;
	for (let page = 0; page < MAX_PAGES; page++) {
		const results = await listPage(client, path, page * PAGE_SIZE, PAGE_SIZE, itemIndex);
		for (const entry of results) {
			if (kept.length < maxItems && keep(entry)) kept.push(entry);
		}
		if (results.length < PAGE_SIZE || kept.length >= maxItems) return kept;
	}
	throw new ListTooLongError(path);
}
