import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { directoryOf } from '../../directory/directory';
import { includeNamesField, withNames } from '../../directory/names';
import { readParameter } from '../../helpers/parameters';
import { parseSingleId } from '../../helpers/values';
import { SAFE_TO_REPEAT } from '../../transport/client';
import type { RunContext } from '../types';
import { contactIdField } from './fields';

export const description = updateDisplayOptions({ show: { resource: ['externalContact'], operation: ['get'] } }, [
	{ ...contactIdField, description: `${contactIdField.description} The contact to read.` },
	includeNamesField,
]);

/** POST /topapi/extcontact/get: one contact, in DingTalk's read-back shape. */
export async function getContact(run: RunContext, userId: string, itemIndex: number): Promise<IDataObject> {
	const answer = await run.client.call('/topapi/extcontact/get', { user_id: userId }, SAFE_TO_REPEAT, itemIndex);
	return (answer.result as IDataObject | undefined) ?? {};
}

export async function execute(this: IExecuteFunctions, itemIndex: number, run: RunContext): Promise<IDataObject> {
	const userId = readParameter(this, itemIndex, 'contactId', 'External Contact', parseSingleId);
	const contact = await getContact(run, userId, itemIndex);
	return this.getNodeParameter('includeNames', itemIndex, false) === true ? await withNames(directoryOf(run), contact, itemIndex) : contact;
}
