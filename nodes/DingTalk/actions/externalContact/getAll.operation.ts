import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { directoryOf } from '../../directory/directory';
import { includeNamesField, withNames } from '../../directory/names';
import { listAllPages } from '../../transport/listing';
import type { RunContext } from '../types';

const properties: INodeProperties[] = [
	{
		displayName: 'Return All',
		name: 'returnAll',
		type: 'boolean',
		default: false,
		description: 'Whether to return all results or only up to a given limit',
	},
	{
		displayName: 'Limit',
		name: 'limit',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: 50,
		description: 'Max number of results to return',
		displayOptions: { show: { returnAll: [false] } },
	},
	includeNamesField,
];

export const description = updateDisplayOptions(
	{ show: { resource: ['externalContact'], operation: ['getAll'] } },
	properties,
);

/** POST /topapi/extcontact/list, 100 at a time until a short page: one output item per contact. */
export async function execute(this: IExecuteFunctions, itemIndex: number, run: RunContext): Promise<IDataObject[]> {
	const returnAll = this.getNodeParameter('returnAll', itemIndex, false) as boolean;
	const limit = returnAll ? Number.POSITIVE_INFINITY : (this.getNodeParameter('limit', itemIndex, 50) as number);
	const contacts = await listAllPages(run.client, '/topapi/extcontact/list', limit, itemIndex);
	if (this.getNodeParameter('includeNames', itemIndex, false) !== true) return contacts;
	const directory = directoryOf(run);
	const named: IDataObject[] = [];
	for (const contact of contacts) named.push(await withNames(directory, contact, itemIndex));
	return named;
}
