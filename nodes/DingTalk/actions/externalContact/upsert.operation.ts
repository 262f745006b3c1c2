import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { readContact } from '../../helpers/contact';
import { listAllPages } from '../../methods/directory';
import type { RunContext } from '../types';
import { createContact, newContactProperties } from './create.operation';
import { updateContact } from './update.operation';

export const description = updateDisplayOptions(
	{ show: { resource: ['externalContact'], operation: ['upsert'] } },
	newContactProperties,
);

/**
 * Who has which mobile number: "stateCode:mobile" → the userid, or the pending creation of a row
 * earlier in this run (undefined if that creation failed).
 */
type MobileIndex = Map<string, Promise<string | undefined>>;

const mobileKey = (stateCode: unknown, mobile: unknown) => `${String(stateCode ?? '')}:${String(mobile ?? '')}`;

/** All contacts, listed once per run however many items there are. */
async function indexByMobile(run: RunContext, itemIndex: number): Promise<MobileIndex> {
	return await run.once('externalContact.byMobile', async () => {
		const contacts = await listAllPages(run.client, '/topapi/extcontact/list', undefined, itemIndex);
		const index: MobileIndex = new Map();
		for (const contact of contacts) {
			const key = mobileKey(contact.state_code, contact.mobile);
			if (!index.has(key)) index.set(key, Promise.resolve(String(contact.userid)));
		}
		return index;
	});
}

/**
 * Updates the contact with this item's country code and mobile, or creates it. Rows of one run
 * that share a mobile number: the first creates the contact, the later ones wait for it and update
 * it, so the last row wins, as when the sheet is synced row by row.
 */
export async function execute(this: IExecuteFunctions, itemIndex: number, run: RunContext): Promise<IDataObject> {
	const { state_code: stateCode, mobile, ...rest } = readContact(this, itemIndex, { mobile: true });
	const index = await indexByMobile(run, itemIndex);
	const key = mobileKey(stateCode, mobile);

	// a row before this one may be creating the contact; if that fails, this row tries (bounded)
	for (let pass = 0; pass < 3; pass++) {
		const claim = index.get(key);
		const userId = claim ? await claim : undefined;
		if (userId !== undefined) {
			const answer = await updateContact(run, { user_id: userId, ...rest }, itemIndex);
			return { action: 'updated', userid: userId, ...answer };
		}
		if (claim && index.get(key) !== claim) continue; // another row took over the creation
		const creation = createContact(run, { ...rest, state_code: stateCode, mobile }, itemIndex);
		index.set(
			key,
			creation.then(
				(answer) => String(answer.userid),
				() => undefined,
			),
		);
		const answer = await creation;
		return { action: 'created', ...answer };
	}
	return { action: 'skipped' };
}
