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

/** Every entry, 100 a page, up to `maxItems`. */
export async function listAllPages(
	client: DingTalkClient,
	path: string,
	maxItems = Number.POSITIVE_INFINITY,
	itemIndex?: number,
): Promise<IDataObject[]> {
	const all: IDataObject[] = [];
	for (let page = 0; page < MAX_PAGES && all.length < maxItems; page++) {
		const results = await listPage(client, path, page * PAGE_SIZE, PAGE_SIZE, itemIndex);
		for (const entry of results) all.push(entry);
		if (results.length < PAGE_SIZE) break;
	}
	return all.slice(0, maxItems);
}
