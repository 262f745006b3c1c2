/**
 * A small DingTalk directory for the unit tests of operations and pickers: contacts, labels,
 * departments and users, answered by the in-memory DingTalk of fakes.ts as DingTalk documents it.
 */
import type { IDataObject } from 'n8n-workflow';

import type { FakeDingTalk, Reply } from './fakes';
import { errcode, ok } from './fakes';

export interface Directory {
	contacts: Map<string, IDataObject>;
	labelGroups: IDataObject[];
	/** department id → its direct sub-departments */
	departments: Map<number, IDataObject[]>;
	/** department id → the users directly in it */
	users: Map<number, IDataObject[]>;
}

export const contact = (userid: string, fields: IDataObject = {}): IDataObject => ({
	userid,
	name: `Contact ${userid}`,
	follower_user_id: 'owner-1',
	label_ids: [1],
	state_code: '86',
	mobile: `1380000${userid.replace(/\D/g, '').padStart(4, '0')}`,
	...fields,
});

export function emptyDirectory(): Directory {
	return { contacts: new Map(), labelGroups: [], departments: new Map(), users: new Map() };
}

/** Serves the directory on the paths the node uses; scripted answers still come first. */
export function serve(dingTalk: FakeDingTalk, directory: Directory): FakeDingTalk {
	let created = 0;
	const page = (list: IDataObject[], params: IDataObject): Reply => {
		const offset = Number(params.offset);
		const size = Number(params.size);
		return ok({ results: list.slice(offset, offset + size) });
	};
	return dingTalk
		.on('/topapi/extcontact/list', ({ params }) => page([...directory.contacts.values()], params))
		.on('/topapi/extcontact/listlabelgroups', ({ params }) => page(directory.labelGroups, params))
		.on('/topapi/extcontact/get', ({ params }) => {
			const found = directory.contacts.get(String(params.user_id));
			return found ? ok({ result: found }) : errcode(60121);
		})
		.on('/topapi/extcontact/create', ({ params }) => {
			const { user_id: _ignored, ...fields } = params.contact as IDataObject;
			const userid = `new-${++created}`;
			directory.contacts.set(userid, { userid, ...fields });
			return ok({ userid, request_id: `create-${created}` });
		})
		.on('/topapi/extcontact/update', ({ params }) => {
			const { user_id: userid, ...fields } = params.contact as IDataObject;
			const found = directory.contacts.get(String(userid));
			if (!found) return errcode(60121);
			directory.contacts.set(String(userid), { ...found, ...fields });
			return ok({ request_id: `update-${String(userid)}` });
		})
		.on('/topapi/extcontact/delete', ({ params }) =>
			directory.contacts.delete(String(params.user_id)) ? ok({ request_id: 'delete' }) : errcode(60121),
		)
		.on('/topapi/v2/department/listsub', ({ params }) => ok({ result: directory.departments.get(Number(params.dept_id)) ?? [] }))
		.on('/topapi/user/listsimple', ({ params }) => {
			const all = directory.users.get(Number(params.dept_id)) ?? [];
			const cursor = Number(params.cursor);
			const size = Number(params.size);
			const list = all.slice(cursor, cursor + size);
			const hasMore = cursor + size < all.length;
			return ok({ result: { has_more: hasMore, ...(hasMore ? { next_cursor: cursor + size } : {}), list } });
		});
}
