import type { ILoadOptionsFunctions, INodeListSearchItems, INodeListSearchResult } from 'n8n-workflow';

import { DingTalkClient } from '../transport/client';
import { listDepartments, listPage, listUsersPage, matchesFilter, PAGE_SIZE } from './directory';

/**
 * How many DingTalk pages one editor request may read while filtering, so that a search in a large
 * organisation answers promptly; the editor asks for more with the pagination token.
 */
const MAX_PAGES_PER_REQUEST = 10;
/** Enough results to fill the editor's list before it asks for more. */
const WANTED_RESULTS = 50;

export const listSearch = {
	/** External contacts whose name (or id) contains the filter; pages through extcontact/list. */
	async searchContacts(
		this: ILoadOptionsFunctions,
		filter?: string,
		paginationToken?: string,
	): Promise<INodeListSearchResult> {
		const client = new DingTalkClient(this);
		const results: INodeListSearchItems[] = [];
		let offset = Number(paginationToken) || 0;
		for (let page = 0; page < MAX_PAGES_PER_REQUEST && results.length < WANTED_RESULTS; page++) {
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

	/** Employees whose name (or id) contains the filter, department by department. */
	async searchUsers(
		this: ILoadOptionsFunctions,
		filter?: string,
		paginationToken?: string,
	): Promise<INodeListSearchResult> {
		const client = new DingTalkClient(this);
		const departments = await listDepartments(client);
		// the token is "department index:cursor"
		let [departmentIndex, cursor] = (paginationToken ?? '0:0').split(':').map(Number);
		if (!Number.isInteger(departmentIndex) || !Number.isInteger(cursor)) [departmentIndex, cursor] = [0, 0];
		const results: INodeListSearchItems[] = [];
		const seen = new Set<string>();
		for (
			let page = 0;
			page < MAX_PAGES_PER_REQUEST && results.length < WANTED_RESULTS && departmentIndex < departments.length;
			page++
		) {
			const { users, nextCursor } = await listUsersPage(client, departments[departmentIndex].id, cursor);
			for (const user of users) {
				if (seen.has(user.userid) || !matchesFilter(`${user.name} ${user.userid}`, filter)) continue;
				seen.add(user.userid);
				results.push({ name: user.name, value: user.userid });
			}
			if (nextCursor === undefined) {
				departmentIndex++;
				cursor = 0;
			} else {
				cursor = nextCursor;
			}
		}
		const more = departmentIndex < departments.length;
		return { results, paginationToken: more ? `${departmentIndex}:${cursor}` : undefined };
	},
};
