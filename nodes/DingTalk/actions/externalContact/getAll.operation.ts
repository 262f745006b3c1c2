import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { directoryOf } from '../../directory/directory';
import { includeNamesField, withNames } from '../../directory/names';
import { matchesContactFilter, readContactFilter } from '../../helpers/contactFilter';
import { listAllPages } from '../../transport/listing';
import type { RunContext } from '../types';
import { labelIdsField, ownerByIdOrMobileField } from './fields';

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
	{
		displayName: 'Filters',
		name: 'filters',
		type: 'collection',
		placeholder: 'Add Filter',
		default: {},
		description:
			'Only external contacts that match every filter given. DingTalk has no search: the list is read page by page (one call per 100 contacts) until Limit contacts matched or the list ended.',
		options: [
			{
				displayName: 'Company Contains',
				name: 'companyContains',
				type: 'string',
				default: '',
				placeholder: 'e.g. 阿里巴巴',
				description: 'Part of the company name (company_name), in any letter case',
			},
			{
				...labelIdsField,
				required: false,
				description:
					'Only external contacts that have at least one of these labels. Choose from the list, or give label names ("VIP", "Group / Label") or IDs using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
			},
			{
				displayName: 'Mobile',
				name: 'mobile',
				type: 'string',
				default: '',
				placeholder: 'e.g. +86 138 0013 8000',
				description:
					'The mobile number, as people write it: spaces, dashes and a country code such as "+86" or "0086" are allowed',
			},
			{
				displayName: 'Name Contains',
				name: 'nameContains',
				type: 'string',
				default: '',
				placeholder: 'e.g. 王小明',
				description: 'Part of the name, in any letter case',
			},
			{
				...ownerByIdOrMobileField,
				required: false,
				description: 'Only external contacts this employee owns (follower_user_id): pick them, or give their user ID or mobile number',
			},
		],
	},
	includeNamesField,
];

export const description = updateDisplayOptions(
	{ show: { resource: ['externalContact'], operation: ['getAll'] } },
	properties,
);

/**
 * POST /topapi/extcontact/list, 100 at a time until a short page or until Limit contacts matched
 * the filters: one output item per contact.
 */
export async function execute(this: IExecuteFunctions, itemIndex: number, run: RunContext): Promise<IDataObject[]> {
	const returnAll = this.getNodeParameter('returnAll', itemIndex, false) as boolean;
	const limit = returnAll ? Number.POSITIVE_INFINITY : (this.getNodeParameter('limit', itemIndex, 50) as number);
	const filter = await readContactFilter(this, itemIndex, run);
	const contacts = await listAllPages(run.client, '/topapi/extcontact/list', limit, itemIndex, (contact) =>
		matchesContactFilter(contact, filter),
	);
	if (this.getNodeParameter('includeNames', itemIndex, false) !== true) return contacts;
	const directory = directoryOf(run);
	const named: IDataObject[] = [];
	for (const contact of contacts) named.push(await withNames(directory, contact, itemIndex));
	return named;
}
