import type { IDataObject, IPollFunctions } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

/**
 * The trigger's only door to the transport: everything it asks DingTalk goes through here, under
 * the client's rate limiter, retries and token handling.
 */
import { getContact } from '../actions/externalContact/get.operation';
import type { ClientOptions } from '../transport/client';
import { DingTalkClient } from '../transport/client';
import { listPage, PAGE_SIZE } from '../transport/listing';
import { isNotFound } from '../transport/notFound';

export { PAGE_SIZE };

const LIST_PATH = '/topapi/extcontact/list';

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
				// errcode 0 without the contact fails too: not an answer to decide a removal on
				return await getContact(client, userid);
			} catch (error) {
				if (isNotFound(error)) return undefined;
				throw error instanceof NodeApiError ? error : new NodeOperationError(context.getNode(), error as Error);
			}
		},
	};
}
