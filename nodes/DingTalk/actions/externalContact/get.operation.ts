import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { directoryOf } from '../../directory/directory';
import { includeNamesField, withNames } from '../../directory/names';
import { readParameter } from '../../helpers/parameters';
import { parseSingleId } from '../../helpers/values';
import { answerData, isRecord } from '../../transport/answerData';
import type { DingTalkClient } from '../../transport/client';
import { SAFE_TO_REPEAT } from '../../transport/client';
import type { RunContext } from '../types';
import { inContactOrder } from './contactOrder';
import { contactIdField } from './fields';

export const description = updateDisplayOptions({ show: { resource: ['externalContact'], operation: ['get'] } }, [
	{ ...contactIdField, description: `${contactIdField.description} The contact to read.` },
	includeNamesField,
]);

const GET_PATH = '/topapi/extcontact/get';

/** POST /topapi/extcontact/get: one contact, in DingTalk's read-back shape; an answer without it fails. */
export async function getContact(client: DingTalkClient, userId: string, itemIndex?: number): Promise<IDataObject> {
	const answer = await client.call(GET_PATH, { user_id: userId }, SAFE_TO_REPEAT, itemIndex);
	return answerData(client, GET_PATH, answer, 'result', isRecord, itemIndex);
}

export async function execute(this: IExecuteFunctions, itemIndex: number, run: RunContext): Promise<IDataObject> {
	const userId = readParameter(this, itemIndex, 'contactId', 'External Contact', parseSingleId);
	const contact = await inContactOrder(run, userId, async () => await getContact(run.client, userId, itemIndex));
	return this.getNodeParameter('includeNames', itemIndex, false) === true ? await withNames(directoryOf(run), contact, itemIndex) : contact;
}
