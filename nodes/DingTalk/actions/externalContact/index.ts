import type { INodeProperties } from 'n8n-workflow';

import type { Operation } from '../types';
import * as create from './create.operation';
import * as deleteOperation from './delete.operation';
import * as get from './get.operation';
import * as getAll from './getAll.operation';
import * as update from './update.operation';
import * as upsert from './upsert.operation';

export const operations: Record<string, Operation> = {
	create,
	delete: deleteOperation,
	get,
	getAll,
	update,
	upsert,
};

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['externalContact'] } },
		options: [
			{
				name: 'Create',
				value: 'create',
				description: 'Add a new external contact',
				action: 'Create an external contact',
			},
			{
				name: 'Create or Update',
				value: 'upsert',
				description: 'Create a new record, or update the current one if it already exists (upsert)',
				action: 'Create or update an external contact',
			},
			{
				name: 'Delete',
				value: 'delete',
				description: 'Remove an external contact',
				action: 'Delete an external contact',
			},
			{
				name: 'Get',
				value: 'get',
				description: 'Read one external contact',
				action: 'Get an external contact',
			},
			{
				name: 'Get Many',
				value: 'getAll',
				description: 'List the external contacts of the organisation',
				action: 'Get many external contacts',
			},
			{
				name: 'Update',
				value: 'update',
				description: "Change an external contact's details",
				action: 'Update an external contact',
			},
		],
		default: 'update',
	},
	...create.description,
	...upsert.description,
	...deleteOperation.description,
	...get.description,
	...getAll.description,
	...update.description,
];
