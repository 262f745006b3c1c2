import type { IDataObject } from 'n8n-workflow';

import { forEachConcurrently } from '../helpers/concurrency';
import type { DingTalkClient } from '../transport/client';
import { SAFE_TO_REPEAT } from '../transport/client';
import { listAllPages, MAX_PAGES, PAGE_SIZE } from '../transport/listing';

/** Reading DingTalk's directory (labels, departments, users), page by page, for pickers and lookups. */

const MAX_DEPARTMENTS = 5000;
export const ROOT_DEPARTMENT_ID = 1;
const ROOT_DEPARTMENT_NAME = 'Whole organisation';

const LABEL_GROUPS_PATH = '/topapi/extcontact/listlabelgroups';
const SUB_DEPARTMENTS_PATH = '/topapi/v2/department/listsub';
const USERS_PATH = '/topapi/user/listsimple';

export interface Label {
	id: number;
	name: string;
	groupName: string;
	groupColor: number;
}

export interface Department {
	id: number;
	name: string;
	/** "Sales / East" (the root is "Whole organisation") */
	path: string;
}

export interface User {
	userid: string;
	name: string;
}

/**
 * DingTalk answered errcode 0 without the data the call exists for. Such an answer is a failed
 * call: read as an empty list it would make labels, departments or people look deleted.
 */
export class IncompleteAnswerError extends Error {
	constructor(path: string, missing: string) {
		super(`DingTalk answered ${path} without ${missing} (errcode 0, but the answer holds no data). Nothing was decided from it; run the workflow again.`);
		this.name = 'IncompleteAnswerError';
	}
}

export async function listLabels(client: DingTalkClient, itemIndex?: number): Promise<Label[]> {
	const groups = await listAllPages(client, LABEL_GROUPS_PATH, undefined, itemIndex);
	return groups.flatMap((group) =>
		((group.labels as IDataObject[] | undefined) ?? []).map((label) => ({
			id: Number(label.id),
			name: String(label.name ?? ''),
			groupName: String(group.name ?? ''),
			groupColor: Number(group.color ?? 0),
		})),
	);
}

/** The direct sub-departments of one department (listsub gives one level). */
async function listSubDepartments(client: DingTalkClient, parentId: number, itemIndex?: number): Promise<IDataObject[]> {
	const answer = await client.call(SUB_DEPARTMENTS_PATH, { dept_id: parentId }, SAFE_TO_REPEAT, itemIndex);
	if (!Array.isArray(answer.result)) throw new IncompleteAnswerError(SUB_DEPARTMENTS_PATH, '"result" (the sub-departments)');
	return answer.result as IDataObject[];
}

/**
 * The whole department tree, walked from the root one level at a time (listsub gives one level);
 * the departments of a level are asked at once, under the client's rate limit.
 */
export async function listDepartments(client: DingTalkClient, itemIndex?: number): Promise<Department[]> {
	const departments: Department[] = [{ id: ROOT_DEPARTMENT_ID, name: ROOT_DEPARTMENT_NAME, path: ROOT_DEPARTMENT_NAME }];
	const seen = new Set([ROOT_DEPARTMENT_ID]);
	let level = departments;
	for (let depth = 0; level.length > 0 && departments.length < MAX_DEPARTMENTS && depth < 100; depth++) {
		const children = await mapConcurrently(level, async (parent) =>
			(await listSubDepartments(client, parent.id, itemIndex)).map((child) => {
				const name = String(child.name ?? child.dept_id);
				const path = parent.id === ROOT_DEPARTMENT_ID ? name : `${parent.path} / ${name}`;
				return { id: Number(child.dept_id), name, path };
			}),
		);
		level = children.flat().filter((department) => !seen.has(department.id) && seen.add(department.id));
		departments.push(...level);
	}
	return departments;
}

/** At most this many directory calls wait for an answer at once (the rate limit still applies). */
const DIRECTORY_CONCURRENCY = 10;

async function mapConcurrently<T, R>(inputs: T[], map: (input: T) => Promise<R>): Promise<R[]> {
	const results = new Array<R>(inputs.length);
	await forEachConcurrently(inputs.length, DIRECTORY_CONCURRENCY, undefined, async (index) => {
		results[index] = await map(inputs[index]);
	});
	return results;
}

/** One page of the users directly in a department. */
export async function listUsersPage(
	client: DingTalkClient,
	departmentId: number,
	cursor: number,
	itemIndex?: number,
): Promise<{ users: User[]; nextCursor?: number }> {
	const answer = await client.call(USERS_PATH, { dept_id: departmentId, cursor, size: PAGE_SIZE }, SAFE_TO_REPEAT, itemIndex);
	const result = answer.result as IDataObject | undefined;
	if (!result || typeof result !== 'object' || !Array.isArray(result.list)) {
		throw new IncompleteAnswerError(USERS_PATH, '"result.list" (the users of a department)');
	}
	const users = (result.list as IDataObject[]).map((user) => ({
		userid: String(user.userid),
		name: String(user.name ?? user.userid),
	}));
	const nextCursor = result.has_more ? Number(result.next_cursor) : undefined;
	return { users, nextCursor: Number.isFinite(nextCursor) ? nextCursor : undefined };
}

/** Every user of the organisation, once each (a person can belong to several departments). */
export async function listAllUsers(client: DingTalkClient, departments?: Department[], itemIndex?: number): Promise<User[]> {
	const perDepartment = await mapConcurrently(departments ?? (await listDepartments(client, itemIndex)), async (department) => {
		const users: User[] = [];
		let cursor: number | undefined = 0;
		for (let page = 0; cursor !== undefined && page < MAX_PAGES; page++) {
			const next: { users: User[]; nextCursor?: number } = await listUsersPage(client, department.id, cursor, itemIndex);
			users.push(...next.users);
			cursor = next.nextCursor;
		}
		return users;
	});
	const byId = new Map<string, User>();
	for (const user of perDepartment.flat()) if (!byId.has(user.userid)) byId.set(user.userid, user);
	return [...byId.values()];
}

export function matchesFilter(text: string, filter: string | undefined): boolean {
	return !filter || text.toLowerCase().includes(filter.trim().toLowerCase());
}
