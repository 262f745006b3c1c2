import type { IDataObject, IExecuteFunctions, INode } from 'n8n-workflow';
import { NodeApiError, updateDisplayOptions } from 'n8n-workflow';

import { readContact } from '../../helpers/contact';
import { listAllPages } from '../../transport/listing';
import { mayHaveTakenEffect } from '../../transport/messages';
import type { RunContext } from '../types';
import { createContact, newContactProperties } from './create.operation';
import { updateContact } from './update.operation';

export const description = updateDisplayOptions(
	{ show: { resource: ['externalContact'], operation: ['upsert'] } },
	newContactProperties,
);

const LIST_PATH = '/topapi/extcontact/list';
/** DingTalk's answers to a create whose mobile number is taken. */
const ALREADY_EXISTS = new Set([60200, 22005]);

/**
 * What this run knows of one mobile number (country code + number):
 * - absent: no contact has it (create one);
 * - exists: the contact with it (update that one);
 * - uncertain: a create may have reached DingTalk without our knowing (a lost answer), or DingTalk
 *   says the number is taken after all: look it up again before doing anything else;
 * - unresolved: looked up again and not found, though a create may have reached DingTalk.
 */
type MobileState =
	| { kind: 'absent' }
	| { kind: 'exists'; userId: string }
	| { kind: 'uncertain' }
	| { kind: 'unresolved' };

interface MobileEntry {
	state: MobileState;
	/** the end of the last row queued for this number: rows of one number go one at a time */
	lastRow: Promise<unknown>;
	/** whether the run's listing has been consulted for this number */
	initialized: boolean;
	relisted: boolean;
}

interface UpsertState {
	/** all contacts by mobile, listed once per run however many items there are */
	listing?: Promise<Map<string, string>>;
	entries: Map<string, MobileEntry>;
}

const mobileKey = (stateCode: unknown, mobile: unknown) => `${String(stateCode ?? '')}:${String(mobile ?? '')}`;

async function listByMobile(run: RunContext, itemIndex: number): Promise<Map<string, string>> {
	const contacts = await listAllPages(run.client, LIST_PATH, undefined, itemIndex);
	const byMobile = new Map<string, string>();
	for (const contact of contacts) {
		const key = mobileKey(contact.state_code, contact.mobile);
		if (!byMobile.has(key)) byMobile.set(key, String(contact.userid));
	}
	return byMobile;
}

/**
 * Updates the contact with this item's country code and mobile, or creates it. Rows of one run
 * that share a mobile number are applied one after another in input order, each as create or
 * update as things stand at its turn, so the last row wins, as when the sheet is synced row by row.
 */
export async function execute(this: IExecuteFunctions, itemIndex: number, run: RunContext): Promise<IDataObject> {
	const { state_code: stateCode, mobile, ...rest } = readContact(this, itemIndex, { mobile: true });
	const node = this.getNode();
	const upsert = run.shared<UpsertState>('externalContact.upsert', () => ({ entries: new Map() }));
	const key = mobileKey(stateCode, mobile);
	let entry = upsert.entries.get(key);
	if (!entry) {
		entry = { state: { kind: 'absent' }, lastRow: Promise.resolve(), initialized: false, relisted: false };
		upsert.entries.set(key, entry);
	}
	const mine = entry;
	// queued before any await, so rows keep their input order
	const row = mine.lastRow.then(async () => {
		upsert.listing ??= listByMobile(run, itemIndex);
		const listed = await upsert.listing;
		if (!mine.initialized) {
			mine.initialized = true;
			const userId = listed.get(key);
			if (userId !== undefined) mine.state = { kind: 'exists', userId };
		}
		return await applyRow(run, node, mine, key, { ...rest, state_code: stateCode, mobile }, itemIndex);
	});
	mine.lastRow = row.catch(() => undefined);
	return await row;
}

/** One row at its turn. Bounded: at most one fresh look-up per number, then create or update. */
async function applyRow(
	run: RunContext,
	node: INode,
	entry: MobileEntry,
	key: string,
	contact: IDataObject,
	itemIndex: number,
): Promise<IDataObject> {
	// update does not take the mobile number (DingTalk cannot change it)
	const changes = { ...contact };
	delete changes.state_code;
	delete changes.mobile;
	for (let pass = 0; pass < 3; pass++) {
		const state = entry.state;
		switch (state.kind) {
			case 'exists': {
				const answer = await updateContact(run, { user_id: state.userId, ...changes }, itemIndex);
				return { action: 'updated', userid: state.userId, ...answer };
			}
			case 'uncertain': {
				entry.relisted = true;
				const userId = (await listByMobile(run, itemIndex)).get(key);
				entry.state = userId ? { kind: 'exists', userId } : { kind: 'unresolved' };
				continue;
			}
			case 'unresolved':
				throw new NodeApiError(node, {}, {
					message: 'An earlier row with this mobile number may have created the contact already',
					description:
						'The answer to that create was lost, and the contact was not found when looked up again. To avoid a duplicate contact this row was not sent. Check in DingTalk whether the contact exists, then run this item again.',
					itemIndex,
				});
			case 'absent': {
				const created = await createContact(run, contact, itemIndex).then(
					(answer) => ({ answer }),
					(error: NodeApiError) => ({ error }),
				);
				if ('answer' in created) {
					entry.state = { kind: 'exists', userId: String(created.answer.userid) };
					return { action: 'created', ...created.answer };
				}
				const errcode = Number((created.error.errorResponse ?? {}).errcode);
				// the number was taken since the list was read: look it up again and update
				const takenMeanwhile = ALREADY_EXISTS.has(errcode) && !entry.relisted;
				if (mayHaveTakenEffect(created.error) || takenMeanwhile) entry.state = { kind: 'uncertain' };
				if (takenMeanwhile) continue;
				throw created.error;
			}
		}
	}
	throw new NodeApiError(node, {}, { message: 'Could not apply this row (create or update)', itemIndex });
}
