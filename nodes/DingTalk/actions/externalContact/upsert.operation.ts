import type { IDataObject, IExecuteFunctions, INode, INodeProperties } from 'n8n-workflow';
import { NodeApiError, updateDisplayOptions } from 'n8n-workflow';

import { mergeContact, parseContact, readContact } from '../../helpers/contact';
import { OneAtATimePerKey } from '../../helpers/ordering';
import { parseMobileWithStateCode, parseOptionalStateCode } from '../../helpers/values';
import { listAllPages } from '../../transport/listing';
import { mayHaveTakenEffect } from '../../transport/messages';
import type { RunContext } from '../types';
import { createContact, newContactProperties } from './create.operation';
import { additionalContactFields } from './fields';
import { updateContact } from './update.operation';

/**
 * Version 1 of the node had no Update Mode here and sent only the row. Saved workflows get the
 * default, merge, too: it never clears a field, where the old behaviour could (DingTalk's update is
 * to be taken as a full replace), so it is the safer reading of what those rows meant.
 */
const updateModeField: INodeProperties = {
	displayName: 'Update Mode',
	name: 'updateMode',
	type: 'options',
	options: [
		{
			name: 'Merge',
			value: 'merge',
			description:
				'When the contact exists, keep its current value for every field the row leaves empty or does not map (taken from the contact list this run reads anyway: no extra call). An empty cell never clears a field.',
		},
		{
			name: 'Replace',
			value: 'replace',
			description:
				'When the contact exists, send only the fields the row gives. Assume DingTalk clears the others (title, address, remark, company, sharing): choose it only when the row holds the whole contact, or to clear fields on purpose.',
		},
	],
	default: 'merge',
	description: 'What happens to the fields of an existing contact that the row leaves empty. A new contact gets only what the row gives.',
};

export const description = updateDisplayOptions(
	{ show: { resource: ['externalContact'], operation: ['upsert'] } },
	// Create's fields, Update Mode after the mobile number that finds the contact
	newContactProperties.flatMap((field) => (field === additionalContactFields ? [updateModeField, field] : [field])),
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
	/** `current`: the contact as last known, from the list or from what a row of this run wrote */
	| { kind: 'exists'; userId: string; current: IDataObject }
	| { kind: 'uncertain' }
	| { kind: 'unresolved' };

interface MobileEntry {
	state: MobileState;
	/** whether the run's listing has been consulted for this number */
	initialized: boolean;
	relisted: boolean;
}

interface UpsertState {
	/** all contacts by mobile, listed once per run however many items there are */
	listing?: Promise<Map<string, IDataObject>>;
	entries: Map<string, MobileEntry>;
	/** rows of one number go one at a time, in input order */
	rows: OneAtATimePerKey;
}

const mobileKey = (stateCode: unknown, mobile: unknown) => `${String(stateCode ?? '')}:${String(mobile ?? '')}`;

/** A listed contact's number read as a row's would be, so "138 0013 8001" there matches "+86 13800138001" here. */
function listedMobileKey(contact: IDataObject): string {
	try {
		const phone = parseMobileWithStateCode(contact.mobile, parseOptionalStateCode(contact.state_code));
		return mobileKey(phone.stateCode, phone.mobile);
	} catch {
		return mobileKey(contact.state_code, contact.mobile);
	}
}

async function listByMobile(run: RunContext, itemIndex: number): Promise<Map<string, IDataObject>> {
	const contacts = await listAllPages(run.client, LIST_PATH, undefined, itemIndex);
	const byMobile = new Map<string, IDataObject>();
	for (const contact of contacts) {
		const key = listedMobileKey(contact);
		if (!byMobile.has(key)) byMobile.set(key, contact);
	}
	return byMobile;
}

const existing = (contact: IDataObject): MobileState => ({ kind: 'exists', userId: String(contact.userid), current: contact });

/**
 * Updates the contact with this item's country code and mobile, or creates it. Rows of one run
 * that share a mobile number are applied one after another in input order, each as create or
 * update as things stand at its turn, so the last row wins, as when the sheet is synced row by row.
 */
export async function execute(this: IExecuteFunctions, itemIndex: number, run: RunContext): Promise<IDataObject> {
	const merge = this.getNodeParameter('updateMode', itemIndex, 'merge') === 'merge';
	// parsed now; names (labels, the owner's mobile) resolved at the row's turn, so rows keep their
	// input order. In merge mode name, owner and labels may be empty for a contact that exists.
	const parsed = parseContact(this, itemIndex, run, { mobile: true, coreOptional: merge });
	const { state_code: stateCode, mobile } = parsed.given;
	const node = this.getNode();
	const upsert = run.shared<UpsertState>('externalContact.upsert', () => ({ entries: new Map(), rows: new OneAtATimePerKey() }));
	const key = mobileKey(stateCode, mobile);
	let entry = upsert.entries.get(key);
	if (!entry) {
		entry = { state: { kind: 'absent' }, initialized: false, relisted: false };
		upsert.entries.set(key, entry);
	}
	const mine = entry;
	// queued before any await, so rows keep their input order
	return await upsert.rows.run(key, async () => {
		const changes = await parsed.resolve();
		// update does not take the mobile number (DingTalk cannot change it)
		delete changes.state_code;
		delete changes.mobile;
		const row: Row = {
			changes,
			merge,
			// a new contact needs name, owner and labels: read in full, they fail the item here if missing
			forCreate: merge
				? async () => await readContact(this, itemIndex, run, { mobile: true })
				: async () => ({ ...changes, state_code: stateCode, mobile }),
		};
		upsert.listing ??= listByMobile(run, itemIndex);
		const listed = await upsert.listing;
		if (!mine.initialized) {
			mine.initialized = true;
			const contact = listed.get(key);
			if (contact !== undefined) mine.state = existing(contact);
		}
		return await applyRow(run, node, mine, key, row, itemIndex);
	});
}

/** One row: what it gives besides the mobile number, and how it applies. */
interface Row {
	/** the fields the row gives, under DingTalk's keys, without state_code and mobile */
	changes: IDataObject;
	merge: boolean;
	/** the contact to create, read in full (a missing name, owner or labels fails the item here) */
	forCreate: () => Promise<IDataObject>;
}

/** One row at its turn. Bounded: at most one fresh look-up per number, then create or update. */
async function applyRow(
	run: RunContext,
	node: INode,
	entry: MobileEntry,
	key: string,
	row: Row,
	itemIndex: number,
): Promise<IDataObject> {
	for (let pass = 0; pass < 3; pass++) {
		const state = entry.state;
		switch (state.kind) {
			case 'exists': {
				const given = { user_id: state.userId, ...row.changes };
				const contact = row.merge ? mergeContact(state.current, given) : given;
				// later rows of the number start from what this one wrote (DingTalk's update replaces the
				// record), also when its answer was lost: it may have been applied, and later rows of the
				// sheet are newer than the listing anyway
				const answer = await updateContact(run, contact, itemIndex).catch((error: unknown) => {
					if (mayHaveTakenEffect(error)) entry.state = { ...state, current: contact };
					throw error;
				});
				entry.state = { ...state, current: contact };
				return { action: 'updated', userid: state.userId, ...answer };
			}
			case 'uncertain': {
				entry.relisted = true;
				const found = (await listByMobile(run, itemIndex)).get(key);
				entry.state = found ? existing(found) : { kind: 'unresolved' };
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
				const contact = await row.forCreate();
				const created = await createContact(run, contact, itemIndex).then(
					(answer) => ({ answer }),
					(error: NodeApiError) => ({ error }),
				);
				if ('answer' in created) {
					entry.state = existing({ ...contact, userid: created.answer.userid });
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
