import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { readParameter } from '../../helpers/parameters';
import { parseSingleId } from '../../helpers/values';
import { SAFE_TO_REPEAT } from '../../transport/client';
import type { RunContext } from '../types';
import { pickAnswer } from './answer';
import { inContactOrder } from './contactOrder';
import { contactIdField } from './fields';

export const description = updateDisplayOptions({ show: { resource: ['externalContact'], operation: ['delete'] } }, [
	{ ...contactIdField, description: `${contactIdField.description} The contact to delete.` },
]);

/** POST /topapi/extcontact/delete. Sending it twice deletes nothing more, so it may be retried. */
export async function execute(this: IExecuteFunctions, itemIndex: number, run: RunContext): Promise<IDataObject> {
	const userId = readParameter(this, itemIndex, 'contactId', 'External Contact', parseSingleId);
	return await inContactOrder(run, userId, async () => {
		const answer = await run.client.call('/topapi/extcontact/delete', { user_id: userId }, SAFE_TO_REPEAT, itemIndex);
		return { ...pickAnswer(answer, ['errcode', 'errmsg', 'request_id']), deleted: true };
	});
}
