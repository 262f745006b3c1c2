import type { IDataObject, IPollFunctions } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

/**
 * The trigger's only door to the transport: everything it asks DingTalk goes through here, under
 * the client's rate limiter, retries and token handling.
 */
import type { ClientOptions } from '../transport/client';
import { DingTalkClient, SAFE_TO_REPEAT } from '../transport/client';
import { listPage, PAGE_SIZE } from '../transport/listing';
import { failureErrcode } from '../transport/messages';

export { PAGE_SIZE };

const LIST_PATH = '/topapi/extcontact/list';
const GET_PATH = '/topapi/extcontact/get';

/** What extcontact/get answers for a contact that does not exist (any more). */
const NOT_FOUND_ERRCODES = new Set([60121, 40003, 33012]);

export interface ContactList {
	/** One page of extcontact/list: PAGE_SIZE contacts from `offset` on (fewer on the last page). */
	readPage(offset: number): Promise<IDataObject[]>;
	/** The contact as extcontact/get returns it, or undefined when DingTalk says it does not exist. */
	find(userid: string): Promise<IDataObject | undefined>;
}

export function openContactList(context: IPollFunctions, options: ClientOptions): ContactList {
	const client = new DingTalkClient(context, options);
	return {
		readPage: async (offset) => await listPage(client, LIST_PATH, offset, PAGE_SIZE),
		find: async (userid) => {
			try {
				const answer = await client.call(GET_PATH, { user_id: userid }, SAFE_TO_REPEAT);
				if (answer.result && typeof answer.result === 'object') return answer.result as IDataObject;
			} catch (error) {
				const failure =
					error instanceof NodeApiError ? error : new NodeOperationError(context.getNode(), error as Error);
				if (NOT_FOUND_ERRCODES.has(failureErrcode(failure) ?? 0)) return undefined;
				throw failure;
			}
			// errcode 0 without the contact: not an answer to decide a removal on
			throw new NodeApiError(context.getNode(), { errcode: 0 }, {
				message: 'DingTalk answered a contact lookup without the contact',
				description: `${GET_PATH} answered errcode 0 but no "result" for one contact.`,
			});
		},
	};
}
