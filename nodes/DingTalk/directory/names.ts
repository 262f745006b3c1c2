import type { IDataObject, INodeProperties } from 'n8n-workflow';

import type { Directory } from './directory';

/** The `includeNames` switch of Get, Get Many and the DingTalk Trigger. */
export const includeNamesField: INodeProperties = {
	displayName: 'Include Names',
	name: 'includeNames',
	type: 'boolean',
	default: false,
	description:
		'Whether to add the names people read next to the IDs: label_names ("Group / Label"), follower_name, share_user_names and share_dept_names (department paths such as "Sales / East"). Reads the label groups, and the department tree and its users when needed, once per run. An ID DingTalk no longer lists is given as is.',
};

/** Name by id, built once per list a run read (Get Many names every contact with the same lists). */
const lookups = new WeakMap<object, Map<string, string>>();
function lookup<T>(list: T[], entry: (item: T) => [string, string]): Map<string, string> {
	let byId = lookups.get(list);
	if (!byId) {
		byId = new Map(list.map(entry));
		lookups.set(list, byId);
	}
	return byId;
}

const idList = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : []);

/**
 * The contact with the names of its labels, owner, shared users and shared departments added.
 * Each list is read only if some contact needs it, and once per run (the directory keeps it).
 */
export async function withNames(directory: Directory, contact: IDataObject, itemIndex?: number): Promise<IDataObject> {
	const labelIds = idList(contact.label_ids);
	const deptIds = idList(contact.share_dept_ids);
	const userIds = idList(contact.share_user_ids);
	const follower = contact.follower_user_id === undefined || contact.follower_user_id === null ? '' : String(contact.follower_user_id);

	const labels = labelIds.length > 0 ? (await directory.labels(itemIndex)).labels : [];
	const departments = deptIds.length > 0 ? await directory.departments(itemIndex) : [];
	const users = userIds.length > 0 || follower !== '' ? await directory.users(itemIndex) : [];

	const labelNames = lookup(labels, (label) => [String(label.id), `${label.groupName} / ${label.name}`]);
	const departmentPaths = lookup(departments, (department) => [String(department.id), department.path]);
	const userNames = lookup(users, (user) => [user.userid, user.name]);
	// an id that is not (or no longer) listed stays as it is: written back, it still names the same thing
	const name = (names: Map<string, string>) => (id: string) => names.get(id) ?? id;
	return {
		...contact,
		label_names: labelIds.map(name(labelNames)),
		follower_name: follower === '' ? '' : name(userNames)(follower),
		share_user_names: userIds.map(name(userNames)),
		share_dept_names: deptIds.map(name(departmentPaths)),
	};
}
