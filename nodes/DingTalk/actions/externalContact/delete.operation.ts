import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { NodeApiError, NodeOperationError, updateDisplayOptions } from 'n8n-workflow';

import { readParameter } from '../../helpers/parameters';
import { parseSingleId } from '../../helpers/values';
import { failedAfterPossibleDelivery, SAFE_TO_REPEAT } from '../../transport/client';
import { isNotFound } from '../../transport/notFound';
import type { RunContext } from '../types';
import { pickAnswer } from './answer';
import { inContactOrder } from './contactOrder';
import { contactIdField } from './fields';

export const description = updateDisplayOptions({ show: { resource: ['externalContact'], operation: ['delete'] } }, [
	{ ...contactIdField, description: `${contactIdField.description} The contact to delete.` },
]);

/**
 * POST /topapi/extcontact/delete. Sending it twice deletes nothing more, so it may be retried. When
 * an attempt may have reached DingTalk before its answer was lost, a retry that DingTalk answers
 * with "not found" finds the contact deleted, most likely by that attempt: the item succeeds and says
 * so (`alreadyGone`), without DingTalk's errcode, which is not 0.
 */
export async function execute(this: IExecuteFunctions, itemIndex: number, run: RunContext): Promise<IDataObject> {
	const userId = readParameter(this, itemIndex, 'contactId', 'External Contact', parseSingleId);
	return await inContactOrder(run, userId, async () => {
		try {
			const answer = await run.client.call('/topapi/extcontact/delete', { user_id: userId }, SAFE_TO_REPEAT, itemIndex);
			return { ...pickAnswer(answer, ['errcode', 'errmsg', 'request_id']), deleted: true };
		} catch (error) {
			const failure = error instanceof NodeApiError ? error : new NodeOperationError(this.getNode(), error as Error, { itemIndex });
			if (!failedAfterPossibleDelivery(failure) || !isNotFound(failure)) throw failure;
			return {
				deleted: true,
				alreadyGone: true,
				note: 'An earlier attempt of this delete may have reached DingTalk before its answer was lost; when it was sent again, DingTalk said the contact does not exist (any more).',
				...pickAnswer((failure.errorResponse ?? {}) as IDataObject, ['request_id']),
			};
		}
	});
}
