/**
 * The lists a person picks from in the editor: labels, departments, users, contacts; searched by
 * name and paged so that large organisations do not hang the editor.
 */
import type { IDataObject, INodeListSearchResult, INodePropertyOptions } from 'n8n-workflow';

import { DingTalk } from '../nodes/DingTalk/DingTalk.node';
import { listSearch, loadOptions } from './harness';
import type { CredentialStore, Sandbox } from './support';
import { appSessions } from '../nodes/DingTalk/transport/appSession';
import { callsTo, contactsSentTo, CREDENTIAL_ID, credentialStoreFor, runDingTalk, SEED, startDingTalk, UPDATE_FROM_JSON } from './support';

let sandbox: Sandbox;
let store: CredentialStore;

const EXTRA_USERS = 1000;
const EXTRA_CONTACTS = 450;

beforeAll(async () => {
	sandbox = await startDingTalk({ seed: { extraUsers: EXTRA_USERS, extraContacts: EXTRA_CONTACTS } });
});
afterAll(async () => await sandbox.close());
beforeEach(() => {
	appSessions.clear();
	sandbox.resetLog();
	store = credentialStoreFor(sandbox);
});

const updateParameters = { resource: 'externalContact', operation: 'update' };

async function options(method: string): Promise<INodePropertyOptions[]> {
	return (await loadOptions({
		nodeType: DingTalk,
		method,
		parameters: updateParameters,
		credentials: store,
		credentialId: CREDENTIAL_ID,
	})) as INodePropertyOptions[];
}

async function search(method: string, filter?: string, paginationToken?: string): Promise<INodeListSearchResult> {
	return (await listSearch({
		nodeType: DingTalk,
		method,
		filter,
		paginationToken,
		parameters: updateParameters,
		credentials: store,
		credentialId: CREDENTIAL_ID,
	})) as INodeListSearchResult;
}

function sandboxLabels(): Array<{ id: number; name: string; group: string }> {
	const groups = sandbox.state.labelGroups as IDataObject[];
	return groups.flatMap((group) =>
		(group.labels as IDataObject[]).map((label) => ({
			id: label.id as number,
			name: label.name as string,
			group: group.name as string,
		})),
	);
}

describe('labels', () => {
	it('lists every label of every group as "Group / Label" with its id', async () => {
		const labels = await options('getLabels');
		const expected = sandboxLabels().map((label) => ({ name: `${label.group} / ${label.name}`, value: label.id }));
		expect(labels.map(({ name, value }) => ({ name, value }))).toEqual(expected);
		expect(callsTo(sandbox, '/topapi/extcontact/listlabelgroups').length).toBeGreaterThanOrEqual(1);
	});

	it('reads afresh each time the list opens; runs of the next minute reuse what it read', async () => {
		await options('getLabels');
		await options('getLabels');
		expect(callsTo(sandbox, '/topapi/extcontact/listlabelgroups')).toHaveLength(2);
		const result = await runDingTalk({
			store,
			parameters: { ...UPDATE_FROM_JSON },
			items: [{ id: SEED.contactIds[0], name: 'Picked', owner: SEED.userIds[0], labels: 'Region / 华南' }],
		});
		expect(result.error).toBeUndefined();
		expect(callsTo(sandbox, '/topapi/extcontact/listlabelgroups')).toHaveLength(2);
		expect(contactsSentTo(sandbox, '/topapi/extcontact/update')[0].label_ids).toEqual([202]);
	});
});

describe('departments', () => {
	it('walks the whole tree from the root and names each by its path', async () => {
		const departments = await options('getDepartments');
		const all = sandbox.state.departments as IDataObject[];
		const ids = departments.map((department) => department.value).sort((a, b) => Number(a) - Number(b));
		const expectedIds = [...new Set([1, ...all.map((department) => Number(department.dept_id))])].sort(
			(a, b) => a - b,
		);
		expect(ids).toEqual(expectedIds);
		// a department two levels down is shown with its parent
		const deep = all.find((department) => Number(department.parent_id) !== 1 && Number(department.dept_id) !== 1);
		expect(deep).toBeDefined();
		const shown = departments.find((department) => department.value === Number(deep!.dept_id));
		expect(shown?.name).toMatch(new RegExp(` / ${String(deep!.name)}$`));
		// one listsub call per department
		expect(callsTo(sandbox, '/topapi/v2/department/listsub')).toHaveLength(expectedIds.length);
	});
});

describe('users', () => {
	it('lists every user once, paging through departments 100 at a time', async () => {
		const users = await options('getUsers');
		const all = sandbox.state.users as IDataObject[];
		expect(new Set(users.map((user) => user.value))).toEqual(new Set(all.map((user) => user.userid)));
		expect(users).toHaveLength(all.length);
		const pages = callsTo(sandbox, '/topapi/user/listsimple');
		expect(pages.some((call) => Number(call.params.cursor) > 0)).toBe(true);
		expect(pages.every((call) => Number(call.params.size) === 100)).toBe(true);
	});

	it('searches users by name, a page at a time', async () => {
		const all = sandbox.state.users as IDataObject[];
		const someone = all[3];
		const found = await search('searchUsers', String(someone.name));
		expect(found.results.map((result) => result.value)).toContain(someone.userid);
		expect(found.results.every((result) => String(result.name).includes(String(someone.name)))).toBe(true);
		// two employees may share a name: the user id tells them apart
		expect(found.results.find((result) => result.value === someone.userid)?.name).toBe(`${String(someone.name)} (${String(someone.userid)})`);

		// unfiltered: the first request answers a part, and the token leads to the rest
		const first = await search('searchUsers');
		expect(first.paginationToken).toEqual(expect.any(String));
		const seen = new Set(first.results.map((item) => String(item.value)));
		let token = first.paginationToken as string | undefined;
		for (let page = 0; token && page < 50; page++) {
			const result = await search('searchUsers', undefined, token);
			for (const item of result.results) seen.add(String(item.value));
			token = result.paginationToken as string | undefined;
		}
		expect(token).toBeUndefined();
		expect(seen).toEqual(new Set(all.map((user) => user.userid)));
	});
});

describe('contacts', () => {
	it('pages through external contacts without reading them all for the first page', async () => {
		const first = await search('searchContacts');
		expect(first.results.length).toBeGreaterThan(0);
		expect(first.paginationToken).toBeDefined();
		const listCalls = callsTo(sandbox, '/topapi/extcontact/list');
		expect(listCalls.length).toBeLessThan(sandbox.state.contacts.size / 100);
		expect(listCalls.every((call) => Number(call.params.size) === 100)).toBe(true);

		const all = new Set(first.results.map((result) => result.value));
		let token = first.paginationToken as string | undefined;
		for (let page = 0; token && page < 100; page++) {
			const next = await search('searchContacts', undefined, token);
			for (const result of next.results) all.add(result.value);
			token = next.paginationToken as string | undefined;
		}
		expect(all.size).toBe(sandbox.state.contacts.size);
	});

	it('finds a contact by part of its name', async () => {
		const contacts = [...sandbox.state.contacts.values()];
		const target = contacts[contacts.length - 1];
		const name = String(target.name);
		const found = await search('searchContacts', name.slice(1));
		const values: string[] = [];
		let result = found;
		let token = found.paginationToken as string | undefined;
		values.push(...result.results.map((item) => String(item.value)));
		for (let page = 0; token && page < 20; page++) {
			result = await search('searchContacts', name.slice(1), token);
			values.push(...result.results.map((item) => String(item.value)));
			token = result.paginationToken as string | undefined;
		}
		expect(values).toContain(target.userid);
	});
});
