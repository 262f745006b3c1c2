import type { ILoadOptionsFunctions, INodePropertyOptions } from 'n8n-workflow';

import { DEFAULT_RUN_OPTIONS } from '../actions/runOptions';
import { directoryFor as openDirectory } from '../directory/directory';

const directoryFor = (context: ILoadOptionsFunctions) => openDirectory(context, DEFAULT_RUN_OPTIONS);
const byName = (a: INodePropertyOptions, b: INodePropertyOptions) => a.name.localeCompare(b.name);

export const loadOptions = {
	/** "Group / Label" for every label of every label group, read afresh (runs of the next minute reuse it). */
	async getLabels(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
		const { labels } = await directoryFor(this).labels(undefined, true);
		return labels.map((label) => ({
			name: `${label.groupName} / ${label.name}`,
			value: label.id,
			description: `Label ID ${label.id}`,
		}));
	},

	/** Every department, by its path from the top ("Sales / East"). */
	async getDepartments(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
		const departments = await directoryFor(this).departments();
		return departments
			.map((department) => ({
				name: department.path,
				value: department.id,
				description: `Department ID ${department.id}`,
			}))
			.sort(byName);
	},

	async getUsers(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
		const users = await directoryFor(this).users();
		return users
			.map((user) => ({ name: user.name, value: user.userid, description: `User ID ${user.userid}` }))
			.sort(byName);
	},
};
