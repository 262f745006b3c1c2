import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import type { RunContext } from '../actions/types';
import { directoryOf } from '../directory/directory';
import { resolveDepartmentIds, resolveLabelIds, resolveUserIdByMobile, resolveUserIds } from '../directory/resolve';
import { UPDATABLE_KEYS } from './contactKeys';
import { parseValue, readParameter, resolveValue } from './parameters';
import {
	InvalidValueError,
	parseEmployeeMobile,
	parseIdsOrNames,
	parseMobileWithStateCode,
	parseOptionalStateCode,
	parseRequiredText,
	parseSingleId,
	parseStringIdList,
	parseText,
} from './values';

/** The optional fields of a contact: node parameter in `additionalFields` → DingTalk key. */
const OPTIONAL_TEXT_FIELDS: ReadonlyArray<[parameter: string, label: string, dingTalkKey: string]> = [
	['title', 'Title', 'title'],
	['address', 'Address', 'address'],
	['remark', 'Remark', 'remark'],
	['companyName', 'Company Name', 'company_name'],
];

const OWNER_LABEL = 'Owner (Follower User ID)';

function parseLabels(value: unknown): Array<number | string> {
	const entries = parseIdsOrNames(value);
	if (entries.length === 0) throw new InvalidValueError('is empty: choose at least one label');
	return entries;
}

/** An id that may be left empty (''). */
export function parseOptionalId(value: unknown): string {
	return parseText(value) === '' ? '' : parseSingleId(value);
}

/** An employee's mobile number, checked now and kept as given (for messages); looked up later. */
function checkMobile(value: unknown): string {
	parseEmployeeMobile(value);
	return parseText(value);
}

function checkOptionalMobile(value: unknown): string {
	return parseText(value) === '' ? '' : checkMobile(value);
}

/** A contact read from an item: its fields as given, and the step that resolves names in them. */
export interface ParsedContact {
	/** what the item gives, with names and mobile numbers not yet resolved to ids */
	given: IDataObject;
	/** resolves them (through the run's directory) and returns the contact to send */
	resolve(): Promise<IDataObject>;
}

/**
 * The `contact` object DingTalk's create and update expect, read from one item's parameters.
 * Optional fields left empty are left out. With `coreOptional` (merge mode of Update and of Create
 * or Update) name, owner and labels may be left empty too, and are then left out.
 *
 * Names (labels, departments) and mobile numbers (owner, "+86 …" share entries) are resolved
 * through the run's directory once every field has parsed. A value either step refuses fails the
 * item before anything is sent for it.
 */
export async function readContact(
	context: IExecuteFunctions,
	itemIndex: number,
	run: RunContext,
	with_: ContactParts,
): Promise<IDataObject> {
	return await parseContact(context, itemIndex, run, with_).resolve();
}

interface ContactParts {
	userId?: boolean;
	mobile?: boolean;
	coreOptional?: boolean;
}

/** readContact in two steps: parsing (throws at once), then resolving names (see ParsedContact). */
export function parseContact(context: IExecuteFunctions, itemIndex: number, run: RunContext, with_: ContactParts): ParsedContact {
	const read = <T>(name: string, label: string, parse: (value: unknown) => T, fallback?: unknown) =>
		readParameter(context, itemIndex, name, label, parse, fallback);
	const directory = directoryOf(run);
	/** resolutions, run once every field has parsed */
	const resolutions: Array<() => Promise<void>> = [];
	/** `path`: the parameter the value came from, to name the AI tool argument to fix */
	const resolveInto = (key: string, label: string, path: string, resolve: () => Promise<number[] | string[] | string>) =>
		resolutions.push(async () => {
			contact[key] = await resolveValue(context, itemIndex, label, resolve(), path);
		});

	const contact: IDataObject = {};
	if (with_.userId) contact.user_id = read('contactId', 'External Contact', parseSingleId);
	if (with_.coreOptional) {
		const name = read('name', 'Name', parseText, '');
		if (name !== '') contact.name = name;
	} else {
		contact.name = read('name', 'Name', parseRequiredText);
	}
	const ownerLocator = context.getNodeParameter('followerUserId', itemIndex, undefined) as { mode?: unknown } | undefined;
	const ownerByMobile = typeof ownerLocator === 'object' && ownerLocator?.mode === 'mobile';
	const owner = read(
		'followerUserId',
		OWNER_LABEL,
		with_.coreOptional ? (ownerByMobile ? checkOptionalMobile : parseOptionalId) : ownerByMobile ? checkMobile : parseSingleId,
		with_.coreOptional ? '' : undefined,
	);
	const labels = with_.coreOptional ? read('labelIds', 'Labels', parseIdsOrNames, []) : read('labelIds', 'Labels', parseLabels);
	if (owner !== '') {
		if (ownerByMobile) resolveInto('follower_user_id', OWNER_LABEL, 'followerUserId', async () => await resolveUserIdByMobile(directory, owner, itemIndex));
		else contact.follower_user_id = owner;
	}
	if (labels.length > 0) resolveInto('label_ids', 'Labels', 'labelIds', async () => await resolveLabelIds(directory, labels, itemIndex));
	if (with_.mobile) {
		// Country Code may be empty when the number carries its own ("+86 138 0000 0001")
		const stateCode = read('stateCode', 'Country Code', parseOptionalStateCode, '');
		const phone = read('mobile', 'Mobile', (value) => parseMobileWithStateCode(value, stateCode));
		contact.state_code = phone.stateCode;
		contact.mobile = phone.mobile;
	}

	// the collection is read once; each of its fields is then parsed from it
	const additional = read('additionalFields', 'Additional Fields', (value) => (value ?? {}) as IDataObject, {});
	const readAdditional = <T>(name: string, label: string, parse: (value: unknown) => T) =>
		parseValue(context, itemIndex, label, parse, additional[name], `additionalFields.${name}`);
	for (const [parameter, label, key] of OPTIONAL_TEXT_FIELDS) {
		const text = readAdditional(parameter, label, parseText);
		if (text !== '') contact[key] = text;
	}
	const shareDepartments = readAdditional('shareDeptIds', 'Share With Departments', parseIdsOrNames);
	if (shareDepartments.length > 0) {
		resolveInto('share_dept_ids', 'Share With Departments', 'additionalFields.shareDeptIds', async () => await resolveDepartmentIds(directory, shareDepartments, itemIndex));
	}
	const shareUsers = readAdditional('shareUserIds', 'Share With Users', parseStringIdList);
	if (shareUsers.length > 0) {
		resolveInto('share_user_ids', 'Share With Users', 'additionalFields.shareUserIds', async () => await resolveUserIds(directory, shareUsers, itemIndex));
	}
	return {
		given: { ...contact },
		resolve: async () => {
			for (const resolve of resolutions) await resolve();
			return contact;
		},
	};
}

/** For Update in merge mode: the current contact's values wherever the item gives none. */
export function mergeContact(current: IDataObject, given: IDataObject): IDataObject {
	const merged: IDataObject = { user_id: given.user_id };
	for (const key of UPDATABLE_KEYS) {
		const value = given[key] ?? current[key];
		const empty = value === undefined || value === null || value === '' || (Array.isArray(value) && value.length === 0);
		if (!empty) merged[key] = value;
	}
	return merged;
}
