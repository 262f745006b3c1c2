import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { readContact } from '../../helpers/contact';
import { NOT_SAFE_TO_REPEAT } from '../../transport/client';
import type { RunContext } from '../types';
import { pickAnswer } from './answer';
import { additionalContactFields, labelIdsField, mobileField, nameField, ownerByIdOrMobileField, stateCodeField } from './fields';

/** The fields of a new contact; Create or Update uses them too. */
export const newContactProperties: INodeProperties[] = [
	nameField,
	ownerByIdOrMobileField,
	labelIdsField,
	stateCodeField,
	mobileField,
	additionalContactFields,
];

export const description = updateDisplayOptions(
	{ show: { resource: ['externalContact'], operation: ['create'] } },
	newContactProperties,
);

/** POST /topapi/extcontact/create, sent once: a second delivery would make a second contact. */
export async function createContact(run: RunContext, contact: IDataObject, itemIndex: number): Promise<IDataObject> {
	const answer = await run.client.call('/topapi/extcontact/create', { contact }, NOT_SAFE_TO_REPEAT, itemIndex);
	return pickAnswer(answer, ['errcode', 'errmsg', 'userid', 'request_id']);
}

export async function execute(this: IExecuteFunctions, itemIndex: number, run: RunContext): Promise<IDataObject> {
	return await createContact(run, await readContact(this, itemIndex, run, { mobile: true }), itemIndex);
}
