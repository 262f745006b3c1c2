import type { ILoadOptionsFunctions, INodeListSearchItems, INodeListSearchResult } from 'n8n-workflow';

import { DEFAULT_RUN_OPTIONS } from '../actions/runOptions';
import { DingTalkClient } from '../transport/client';
import { listPage, PAGE_SIZE } from '../transport/listing';
import { listDepartments, listUsersPage, matchesFilter } from '../directory/lists';

/**
 * How many DingTalk pages one editor request may read while filtering, so that a search in a large
 * organisation answers promptly; the editor asks for more with the pagination token. While nothing
 * matched yet it reads on further, since the editor shows an empty list as "no results".
 */
const MAX_PAGES_PER_REQUEST = 10;
const MAX_PAGES_WHILE_NOTHING_FOUND = 100;
const pageBudget = (found: number) => (found > 0 ? MAX_PAGES_PER_REQUEST : MAX_PAGES_WHILE_NOTHING_FOUND);
/** Enough results to fill the editor's list before it asks for more. */
const WANTED_RESULTS = 50;

export const listSearch = {
	/** External contacts whose name (or id) contains the filter; pages through extcontact/list. */
	async searchContacts(
		this: ILoadOptionsFunctions,
		filter?: string,
		paginationToken?: string,
	): Promise<INodeListSearchResult> {
		const client = new DingTalkClient(this, DEFAULT_RUN_OPTIONS);
		const results: INodeListSearchItems[] = [];
		let offset = Number(paginationToken) || 0;
		for (let page = 0; page < pageBudget(results.length) && results.length < WANTED_RESULTS; page++) {
			const contacts = await listPage(client, '/topapi/extcontact/list', offset, PAGE_SIZE);
			offset += PAGE_SIZE;
			for (const contact of contacts) {
				const name = String(contact.name ?? '');
				const userid = String(contact.userid ?? '');
				if (!matchesFilter(`${name} ${userid}`, filter)) continue;
				const company = contact.company_name ? ` (${String(contact.company_name)})` : '';
				results.push({ name: `${name}${company}`, value: userid });
			}
			if (contacts.length < PAGE_SIZE) return { results };
		}
		return { results, paginationToken: String(offset) };
	},

	/**
	 * Employees whose name (or id) contains the filter, department by department. The first request
	 * walks the department tree; the pagination token carries the departments still to read and the
	 * cursor within the first of them, so later pages need no walk. (Someone in two departments can
	 * show up on two pages.)
	 */
	async searchUsers(
		this: ILoadOptionsFunctions,
		filter?: string,
		paginationToken?: string,
	): Promise<INodeListSearchResult> {
		const client = new DingTalkClient(this, DEFAULT_RUN_OPTIONS);
		let { departments, cursor } = readUserSearchToken(paginationToken);
		if (!paginationToken) departments = (await listDepartments(client)).map((department) => department.id);
		const results: INodeListSearchItems[] = [];
		const seen = new Set<string>();
		for (
			let page = 0;
			page < pageBudget(results.length) && results.length < WANTED_RESULTS && departments.length > 0;
			page++
		) {
			const { users, nextCursor } = await listUsersPage(client, departments[0], cursor);
			for (const user of users) {
				if (seen.has(user.userid) || !matchesFilter(`${user.name} ${user.userid}`, filter)) continue;
				seen.add(user.userid);
				// the user id tells apart two employees with the same name
				results.push({ name: `${user.name} (${user.userid})`, value: user.userid });
			}
			if (nextCursor === undefined) departments = departments.slice(1);
			cursor = nextCursor ?? 0;
		}
		return {
			results,
			paginationToken: departments.length > 0 ? JSON.stringify({ departments, cursor }) : undefined,
		};
	},
};

function readUserSearchToken(token: string | undefined): { departments: number[]; cursor: number } {
	try {
		const parsed = JSON.parse(token ?? '') as { departments?: unknown; cursor?: unknown };
		const departments = Array.isArray(parsed.departments) ? parsed.departments.map(Number).filter(Number.isInteger) : [];
		return { departments, cursor: Number.isInteger(parsed.cursor) ? Number(parsed.cursor) : 0 };
	} catch {
		return { departments: [], cursor: 0 };
	}
}
