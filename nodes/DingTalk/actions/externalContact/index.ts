import type { INodeProperties } from 'n8n-workflow';

import type { Operation } from '../types';
import * as update from './update.operation';

export const operations: Record<string, Operation> = { update };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['externalContact'] } },
		options: [
			{
				name: 'Update',
				value: 'update',
				description: "Replace an external contact's details",
				action: 'Update an external contact',
			},
		],
		default: 'update',
	},
	...update.description,
];
