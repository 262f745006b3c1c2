import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { mergeContact, readContact } from '../../helpers/contact';
import { SAFE_TO_REPEAT } from '../../transport/client';
import type { RunContext } from '../types';
import { pickAnswer } from './answer';
import { inContactOrder } from './contactOrder';
import { additionalContactFields, contactIdField, labelIdsField, nameField, ownerByIdOrMobileField } from './fields';
import { getContact } from './get.operation';

const inMode = (mode: 'replace' | 'merge') => ({ displayOptions: { show: { updateMode: [mode] } } });
const optional = (field: INodeProperties, description = String(field.description)): INodeProperties => ({
	...field,
	required: false,
	// descriptions may end in a full stop already (after an expression link)
	description: `${description.replace(/\.$/, '')}. Leave empty to keep the current value.`,
});

const properties: INodeProperties[] = [
	{ ...contactIdField, description: `${contactIdField.description} The contact to update.` },
	{
		displayName: 'Update Mode',
		name: 'updateMode',
		type: 'options',
		options: [
			{
				name: 'Replace',
				value: 'replace',
				description:
					'Send only the fields given here, as DingTalk\'s update does. Assume DingTalk clears every field left out or empty (title, address, remark, company, sharing): its documentation does not say it keeps them. Choose it when the item holds the whole contact, or to clear fields on purpose.',
			},
			{
				name: 'Merge',
				value: 'merge',
				description:
					'Read the contact first and keep its current value for every field left out or empty here; nothing is cleared (one extra call per item). Choose it when the item holds only the fields to change.',
			},
		],
		default: 'replace',
		description: 'What happens to the fields this item leaves out or empty: Replace clears them, Merge keeps them',
	},
	{ ...nameField, ...inMode('replace') },
	{ ...optional(nameField), ...inMode('merge') },
	{ ...ownerByIdOrMobileField, ...inMode('replace') },
	{ ...optional(ownerByIdOrMobileField), ...inMode('merge') },
	{ ...labelIdsField, ...inMode('replace') },
	{
		...optional(
			labelIdsField,
			String(labelIdsField.description).replace('at least one and at most 20', 'at most 20'),
		),
		...inMode('merge'),
	},
	additionalContactFields,
];

export const description = updateDisplayOptions(
	{ show: { resource: ['externalContact'], operation: ['update'] } },
	properties,
);

/** POST /topapi/extcontact/update with DingTalk's keys; the answer's errcode and request_id. */
export async function updateContact(run: RunContext, contact: IDataObject, itemIndex: number): Promise<IDataObject> {
	const answer = await run.client.call('/topapi/extcontact/update', { contact }, SAFE_TO_REPEAT, itemIndex);
	return pickAnswer(answer, ['errcode', 'errmsg', 'request_id']);
}

export async function execute(this: IExecuteFunctions, itemIndex: number, run: RunContext): Promise<IDataObject> {
	const merge = this.getNodeParameter('updateMode', itemIndex, 'replace') === 'merge';
	const given = await readContact(this, itemIndex, run, { userId: true, coreOptional: merge });
	return await inContactOrder(run, given.user_id as string, async () => {
		const contact = merge ? mergeContact(await getContact(run.client, given.user_id as string, itemIndex), given) : given;
		return await updateContact(run, contact, itemIndex);
	});
}
