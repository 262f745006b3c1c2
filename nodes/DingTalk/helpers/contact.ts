import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { UPDATABLE_KEYS } from './contactKeys';
import { parseValue, readParameter } from './parameters';
import {
	InvalidValueError,
	parseMobileWithStateCode,
	parseNumericIdList,
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

function parseLabelIds(value: unknown): number[] {
	const ids = parseNumericIdList(value);
	if (ids.length === 0) throw new InvalidValueError('is empty: choose at least one label');
	return ids;
}

/** An id that may be left empty (''). */
export function parseOptionalId(value: unknown): string {
	return parseText(value) === '' ? '' : parseSingleId(value);
}

/**
 * The `contact` object DingTalk's create and update expect, read from one item's parameters.
 * Optional fields left empty are left out. With `coreOptional` (merge mode of Update and of Create
 * or Update) name, owner and labels may be left empty too, and are then left out.
 */
export function readContact(
	context: IExecuteFunctions,
	itemIndex: number,
	with_: { userId?: boolean; mobile?: boolean; coreOptional?: boolean },
): IDataObject {
	const read = <T>(name: string, label: string, parse: (value: unknown) => T, fallback?: unknown) =>
		readParameter(context, itemIndex, name, label, parse, fallback);

	const contact: IDataObject = {};
	if (with_.userId) contact.user_id = read('contactId', 'External Contact', parseSingleId);
	if (with_.coreOptional) {
		const name = read('name', 'Name', parseText, '');
		if (name !== '') contact.name = name;
		const followerUserId = read('followerUserId', 'Owner (Follower User ID)', parseOptionalId, '');
		if (followerUserId !== '') contact.follower_user_id = followerUserId;
		const labelIds = read('labelIds', 'Labels', parseNumericIdList, []);
		if (labelIds.length > 0) contact.label_ids = labelIds;
	} else {
		contact.name = read('name', 'Name', parseRequiredText);
		contact.follower_user_id = read('followerUserId', 'Owner (Follower User ID)', parseSingleId);
		contact.label_ids = read('labelIds', 'Labels', parseLabelIds);
	}
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
	const shareDeptIds = readAdditional('shareDeptIds', 'Share With Departments', parseNumericIdList);
	if (shareDeptIds.length > 0) contact.share_dept_ids = shareDeptIds;
	const shareUserIds = readAdditional('shareUserIds', 'Share With Users', parseStringIdList);
	if (shareUserIds.length > 0) contact.share_user_ids = shareUserIds;
	return contact;
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
