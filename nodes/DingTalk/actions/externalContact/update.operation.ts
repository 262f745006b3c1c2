import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { readContact } from '../../helpers/contact';
import { SAFE_TO_REPEAT } from '../../transport/client';
import type { RunContext } from '../types';
import { pickAnswer } from './answer';
import { additionalContactFields, contactIdField, followerUserIdField, labelIdsField, nameField } from './fields';

const properties: INodeProperties[] = [
	{ ...contactIdField, description: `${contactIdField.description} The contact to update.` },
	nameField,
	followerUserIdField,
	labelIdsField,
	additionalContactFields,
];

export const description = updateDisplayOptions(
	{ show: { resource: ['externalContact'], operation: ['update'] } },
	properties,
);

/** POST /topapi/extcontact/update. DingTalk replaces the contact with what is sent. */
export async function execute(this: IExecuteFunctions, itemIndex: number, run: RunContext): Promise<IDataObject> {
	const contact = readContact(this, itemIndex, { userId: true });
	const answer = await run.client.call('/topapi/extcontact/update', { contact }, SAFE_TO_REPEAT, itemIndex);
	return pickAnswer(answer, ['errcode', 'errmsg', 'request_id']);
}
