import type { ILoadOptionsFunctions, INodePropertyOptions } from 'n8n-workflow';

import { DEFAULT_RUN_OPTIONS } from '../actions/runOptions';
import { DingTalkClient } from '../transport/client';
import { listAllUsers, listDepartments, listLabels } from './directory';

const byName = (a: INodePropertyOptions, b: INodePropertyOptions) => a.name.localeCompare(b.name);

export const loadOptions = {
	/** "Group / Label" for every label of every label group. */
	async getLabels(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
		const labels = await listLabels(new DingTalkClient(this, DEFAULT_RUN_OPTIONS));
		return labels.map((label) => ({
			name: `${label.groupName} / ${label.name}`,
			value: label.id,
			description: `Label ID ${label.id}`,
		}));
	},

	/** Every department, by its path from the top ("Sales / East"). */
	async getDepartments(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
		const departments = await listDepartments(new DingTalkClient(this, DEFAULT_RUN_OPTIONS));
		return departments
			.map((department) => ({
				name: department.path,
				value: department.id,
				description: `Department ID ${department.id}`,
			}))
			.sort(byName);
	},

	async getUsers(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
		const users = await listAllUsers(new DingTalkClient(this, DEFAULT_RUN_OPTIONS));
		return users
			.map((user) => ({ name: user.name, value: user.userid, description: `User ID ${user.userid}` }))
			.sort(byName);
	},
};
