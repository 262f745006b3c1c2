import type { INodeExecutionData, INodeType, INodeTypeDescription, IPollFunctions } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { labelIdsField, ownerByIdOrMobileField } from './actions/externalContact/fields';
import { runOptionsDescription } from './actions/runOptions';
import { includeNamesField } from './directory/names';
import { listSearch } from './methods/listSearch';
import { loadOptions } from './methods/loadOptions';
import { pollContacts } from './trigger/poll';

export class DingTalkTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'DingTalk Trigger',
		name: 'dingTalkTrigger',
		icon: { light: 'file:dingtalk.svg', dark: 'file:dingtalk.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: '={{ "External contacts " + ($parameter["events"] || []).join(", ") }}',
		description: 'Starts the workflow when external contacts are added, changed or removed in DingTalk',
		defaults: { name: 'DingTalk Trigger' },
		polling: true,
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'dingTalkApi', required: true }],
		properties: [
			{
				displayName:
					'DingTalk sends external-contact events only to third-party apps, so at every poll this trigger lists all external contacts (one call per 99 contacts, plus one) and compares them with the previous poll. The first poll after activation only takes note of the contacts.',
				name: 'pollingNotice',
				type: 'notice',
				default: '',
			},
			{
				displayName: 'Events',
				name: 'events',
				type: 'multiOptions',
				options: [
					{ name: 'Added', value: 'added', description: 'An external contact was created' },
					{ name: 'Removed', value: 'removed', description: 'An external contact was deleted' },
					{ name: 'Updated', value: 'updated', description: 'A field of an external contact changed' },
				],
				default: ['added', 'updated', 'removed'],
				required: true,
				description: 'Which changes start the workflow (at least one); each change is one item',
			},
			{
				displayName: 'Filters',
				name: 'filters',
				type: 'collection',
				placeholder: 'Add Filter',
				default: {},
				options: [
					{
						...labelIdsField,
						required: false,
						description:
							'Only external contacts that have at least one of these labels: label names ("VIP"), "Group / Label" or label IDs, as text ("VIP, Partner") or a list. Choose from the list, or specify IDs using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
					},
					{
						...ownerByIdOrMobileField,
						required: false,
						description:
							'Only external contacts this employee owns (follower_user_id), given by user ID or mobile number. A contact handed to another owner still counts as updated.',
					},
				],
			},
			includeNamesField,
			runOptionsDescription,
		],
	};

	methods = {
		loadOptions: { getLabels: loadOptions.getLabels },
		listSearch: { searchUsers: listSearch.searchUsers },
	};

	async poll(this: IPollFunctions): Promise<INodeExecutionData[][] | null> {
		return await pollContacts.call(this);
	}
}
