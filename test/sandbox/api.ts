/**
 * DingTalk's rules for the calls the sandbox serves, written from the project's DingTalk API notes (dingtalk-api.md, kept beside the repository)
 * (and never from the node's code, so that the two can disagree and a test then fails): the paths,
 * the error codes of the page's table, what each call accepts and what it answers.
 *
 * Where the page is silent the sandbox takes a position and says so here:
 * - ids that do not exist (labels, departments, users in share lists) answer 40035;
 * - more than 20 entries in an id list answers 40035;
 * - a name longer than 64 characters answers 60112 (the page lists 60112 without a rule);
 * - a phone number follows ITU-T E.164: the country code (state_code) has 1 to 3 digits, the mobile
 *   only digits, both together at most 15; otherwise 40035 (state_code) or 60103 (mobile);
 * - list and listlabelgroups without both offset and size answer the first 20;
 * - listsimple and listsub for a department that does not exist answer 60003;
 * - getbymobile finds an employee by the mobile number stored for them, compared as given (11 digits
 *   for Chinese numbers, no country code); an empty mobile answers 400002, one that is not digits
 *   (an optional "+CC-" before them aside) 40104, a number no employee has 60121.
 * Whether update clears optional fields it leaves out is not documented: `updateClearsOmitted`.
 */
import type { Contact, Organisation } from './seed';

export const PATHS = {
	TOKEN: '/gettoken',
	UPDATE: '/topapi/extcontact/update',
	CREATE: '/topapi/extcontact/create',
	GET: '/topapi/extcontact/get',
	LIST: '/topapi/extcontact/list',
	DELETE: '/topapi/extcontact/delete',
	LABEL_GROUPS: '/topapi/extcontact/listlabelgroups',
	USERS: '/topapi/user/listsimple',
	DEPARTMENTS: '/topapi/v2/department/listsub',
	USER_BY_MOBILE: '/topapi/v2/user/getbymobile',
} as const;

/** The error codes the sandbox answers, with the page's meaning. */
export const ERRCODE = {
	OK: 0,
	SYSTEM_BUSY: -1,
	INVALID_TOKEN: 40014,
	TOKEN_EXPIRED: 42001,
	BAD_APP_CREDENTIALS: 40089,
	ILLEGAL_PARAMETER: 40035,
	EMPTY_PARAMETER: 40036,
	BAD_OFFSET: 40068,
	BAD_SIZE: 40069,
	NO_PERMISSION: 60011,
	INVALID_MOBILE: 60103,
	INVALID_NAME: 60112,
	USER_NOT_FOUND: 60121,
	CONTACT_EXISTS: 60200,
	LABELS_REQUIRED: 60204,
	QPS_LIMIT: 90018,
	/** not in the page's table: DingTalk's code for a department that does not exist */
	DEPARTMENT_NOT_FOUND: 60003,
	/** getbymobile: the number is not a valid mobile in the organisation */
	NOT_A_MEMBER_MOBILE: 40104,
	/** getbymobile: invalid parameter */
	INVALID_PARAMETER: 400002,
} as const;

/** The code the sandbox answers for an unknown user or external contact. */
export const NOT_FOUND = ERRCODE.USER_NOT_FOUND;

/** "at most 20" for label_ids, share_dept_ids and share_user_ids */
const MAX_LIST_ENTRIES = 20;
const MAX_PAGE_SIZE = 100;
const DEFAULT_PAGE = 20;
const MAX_NAME_LENGTH = 64;
const E164_MAX_DIGITS = 15;
const E164_MAX_COUNTRY_CODE_DIGITS = 3;
const OPTIONAL_TEXT = ['title', 'address', 'remark', 'company_name'] as const;
const OPTIONAL_LISTS = ['share_dept_ids', 'share_user_ids'] as const;

export type Params = Record<string, unknown>;

/** A DingTalk failure: HTTP 200 with a non-zero errcode. */
export class ApiError extends Error {
	constructor(
		readonly errcode: number,
		errmsg: string,
	) {
		super(errmsg);
	}
}

export function fail(errcode: number, errmsg: string): never {
	throw new ApiError(errcode, errmsg);
}

/** What a handler answers besides errcode, errmsg and request_id; `applied` names the contact changed. */
export interface Outcome {
	body: Params;
	applied?: string;
}

export interface CallContext {
	updateClearsOmitted: boolean;
	newUserid(): string;
}

type Handler = (org: Organisation, params: Params, context: CallContext) => Outcome;

// ---- value checks (the page's types) ------------------------------------------------------------

const isObject = (value: unknown): value is Params =>
	typeof value === 'object' && value !== null && !Array.isArray(value);

const isFilledString = (value: unknown): value is string => typeof value === 'string' && value.trim() !== '';

const isWholeNumber = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value);

function isDigits(text: string): boolean {
	if (text === '') return false;
	for (const character of text) if (character < '0' || character > '9') return false;
	return true;
}

/** A number parameter as forms (strings) and JSON (numbers) carry it; undefined when absent. */
function numberParam(value: unknown): number | undefined {
	if (value === undefined || value === null || value === '') return undefined;
	return typeof value === 'number' || typeof value === 'string' ? Number(value) : NaN;
}

/** state_code and mobile, which the page leaves untyped: strings, or whole numbers as JSON may carry them. */
function phoneParam(value: unknown, key: string): string | undefined {
	if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) return undefined;
	if (typeof value === 'string') return value;
	if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return String(value);
	fail(ERRCODE.ILLEGAL_PARAMETER, `不合法的参数: ${key}`);
}

function userIdParam(value: unknown): string {
	if (value === undefined || value === null || value === '') fail(ERRCODE.EMPTY_PARAMETER, '参数user_id为空');
	if (typeof value !== 'string') fail(ERRCODE.ILLEGAL_PARAMETER, '不合法的参数: user_id must be a string');
	return value;
}

function idList<T extends number | string>(
	value: unknown,
	key: string,
	isEntry: (entry: unknown) => entry is T,
	exists: (entry: T) => boolean,
): T[] {
	if (!Array.isArray(value)) fail(ERRCODE.ILLEGAL_PARAMETER, `不合法的参数: ${key} must be an array`);
	if (value.length > MAX_LIST_ENTRIES) fail(ERRCODE.ILLEGAL_PARAMETER, `不合法的参数: ${key} has more than ${MAX_LIST_ENTRIES} entries`);
	for (const entry of value) {
		if (!isEntry(entry)) fail(ERRCODE.ILLEGAL_PARAMETER, `不合法的参数: ${key} entry ${JSON.stringify(entry)}`);
		if (!exists(entry)) fail(ERRCODE.ILLEGAL_PARAMETER, `不合法的参数: ${key} entry ${JSON.stringify(entry)} does not exist`);
	}
	return [...(value as T[])];
}

const findUser = (org: Organisation, userid: string) => org.users.find((user) => user.userid === userid);
const labelExists = (org: Organisation, id: number) => org.labelGroups.some((group) => group.labels.some((label) => label.id === id));
const departmentExists = (org: Organisation, id: number) =>
	id === 1 || org.departments.some((department) => department.dept_id === id);

// ---- the contact object --------------------------------------------------------------------------

function contactParam(params: Params): Params {
	if (!isObject(params.contact)) fail(ERRCODE.ILLEGAL_PARAMETER, '不合法的参数: contact');
	return params.contact;
}

type ContactFields = Omit<Contact, 'userid' | 'state_code' | 'mobile' | 'email'>;

/** The fields create and update share: name, follower_user_id, label_ids (required) and the optional ones. */
function contactFields(org: Organisation, contact: Params): ContactFields {
	const { name, follower_user_id: follower, label_ids: labelIds } = contact;
	if (!isFilledString(name)) fail(ERRCODE.EMPTY_PARAMETER, '参数name为空');
	if (name.length > MAX_NAME_LENGTH) fail(ERRCODE.INVALID_NAME, '用户名称非法');
	if (!isFilledString(follower)) fail(ERRCODE.EMPTY_PARAMETER, '参数follower_user_id为空');
	if (!findUser(org, follower)) fail(NOT_FOUND, `用户不存在: ${follower}`);
	if (labelIds === undefined || labelIds === null || (Array.isArray(labelIds) && labelIds.length === 0)) {
		fail(ERRCODE.LABELS_REQUIRED, '标签不能为空');
	}
	const fields: ContactFields = {
		name,
		follower_user_id: follower,
		label_ids: idList(labelIds, 'label_ids', isWholeNumber, (id) => labelExists(org, id)),
	};
	if (contact.share_dept_ids !== undefined) {
		fields.share_dept_ids = idList(contact.share_dept_ids, 'share_dept_ids', isWholeNumber, (id) => departmentExists(org, id));
	}
	if (contact.share_user_ids !== undefined) {
		fields.share_user_ids = idList(contact.share_user_ids, 'share_user_ids', isFilledString, (id) => Boolean(findUser(org, id)));
	}
	for (const key of OPTIONAL_TEXT) {
		const value = contact[key];
		if (value === undefined) continue;
		if (typeof value !== 'string') fail(ERRCODE.ILLEGAL_PARAMETER, `不合法的参数: ${key}`);
		fields[key] = value;
	}
	return fields;
}

/** state_code and mobile: required on create; E.164 is the sandbox's rule (the page gives none). */
function phoneNumber(contact: Params): { state_code: string; mobile: string } {
	const stateCode = phoneParam(contact.state_code, 'state_code');
	const mobile = phoneParam(contact.mobile, 'mobile');
	if (stateCode === undefined || mobile === undefined) fail(ERRCODE.EMPTY_PARAMETER, '参数state_code或mobile为空');
	if (!isDigits(stateCode) || stateCode.length > E164_MAX_COUNTRY_CODE_DIGITS) fail(ERRCODE.ILLEGAL_PARAMETER, '不合法的参数: state_code');
	if (!isDigits(mobile) || stateCode.length + mobile.length > E164_MAX_DIGITS) fail(ERRCODE.INVALID_MOBILE, '手机号码不合法');
	return { state_code: stateCode, mobile };
}

// ---- the calls -------------------------------------------------------------------------------------

/** update: user_id, name, follower and labels required; state_code and mobile are not accepted. */
function updateContact(org: Organisation, params: Params, context: CallContext): Outcome {
	const contact = contactParam(params);
	if (contact.mobile !== undefined || contact.state_code !== undefined) {
		fail(ERRCODE.ILLEGAL_PARAMETER, '不合法的参数: update does not accept mobile or state_code');
	}
	const userid = userIdParam(contact.user_id);
	const current = org.contacts.get(userid);
	if (!current) fail(NOT_FOUND, '外部联系人不存在');
	const fields = contactFields(org, contact);
	const kept: Partial<Contact> = {};
	if (!context.updateClearsOmitted) {
		for (const key of [...OPTIONAL_TEXT, ...OPTIONAL_LISTS]) {
			if (current[key] !== undefined) Object.assign(kept, { [key]: current[key] });
		}
	}
	org.contacts.set(userid, {
		userid,
		state_code: current.state_code,
		mobile: current.mobile,
		...kept,
		...fields,
		...(current.email !== undefined ? { email: current.email } : {}),
	});
	return { body: {}, applied: userid };
}

/** create: name, follower, labels, state_code and mobile required; one contact per phone number. */
function createContact(org: Organisation, params: Params, context: CallContext): Outcome {
	const contact = contactParam(params);
	const fields = contactFields(org, contact);
	const phone = phoneNumber(contact);
	for (const existing of org.contacts.values()) {
		if (existing.state_code === phone.state_code && existing.mobile === phone.mobile) fail(ERRCODE.CONTACT_EXISTS, '外部联系人已存在');
	}
	const userid = context.newUserid();
	org.contacts.set(userid, { userid, ...phone, ...fields });
	return { body: { userid }, applied: userid };
}

function existingContact(org: Organisation, params: Params): Contact {
	const contact = org.contacts.get(userIdParam(params.user_id));
	if (!contact) fail(NOT_FOUND, '外部联系人不存在');
	return contact;
}

function getContact(org: Organisation, params: Params): Outcome {
	return { body: { result: structuredClone(existingContact(org, params)) } };
}

function deleteContact(org: Organisation, params: Params): Outcome {
	const contact = existingContact(org, params);
	org.contacts.delete(contact.userid);
	return { body: {}, applied: contact.userid };
}

/** offset and size apply only when both are given; then offset >= 0 (40068) and size 1..100 (40069). */
function page<T>(params: Params, list: T[]): T[] {
	const offset = numberParam(params.offset);
	const size = numberParam(params.size);
	if (offset === undefined || size === undefined) return list.slice(0, DEFAULT_PAGE);
	if (!Number.isInteger(offset) || offset < 0) fail(ERRCODE.BAD_OFFSET, '不合法的偏移量');
	if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) fail(ERRCODE.BAD_SIZE, '不合法的分页大小');
	return list.slice(offset, offset + size);
}

function listContacts(org: Organisation, params: Params): Outcome {
	return { body: { results: structuredClone(page(params, [...org.contacts.values()])) } };
}

function listLabelGroups(org: Organisation, params: Params): Outcome {
	return { body: { results: structuredClone(page(params, org.labelGroups)) } };
}

/** listsimple: {dept_id, cursor (0 first), size <= 100} -> {has_more, next_cursor, list:[{userid, name}]} */
function listUsers(org: Organisation, params: Params): Outcome {
	const deptId = numberParam(params.dept_id);
	if (deptId === undefined) fail(ERRCODE.EMPTY_PARAMETER, '参数dept_id为空');
	if (!departmentExists(org, deptId)) fail(ERRCODE.DEPARTMENT_NOT_FOUND, '部门不存在');
	const cursor = numberParam(params.cursor) ?? 0;
	const size = numberParam(params.size) ?? 10;
	if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) fail(ERRCODE.BAD_SIZE, '不合法的分页大小');
	if (!Number.isInteger(cursor) || cursor < 0) fail(ERRCODE.ILLEGAL_PARAMETER, '不合法的参数: cursor');
	const members = org.users.filter((user) => user.dept_ids.includes(deptId));
	const list = members.slice(cursor, cursor + size).map(({ userid, name }) => ({ userid, name }));
	const hasMore = cursor + size < members.length;
	return { body: { result: { has_more: hasMore, ...(hasMore ? { next_cursor: cursor + size } : {}), list } } };
}

/** listsub: {dept_id} (root 1) -> one level of sub-departments */
function listDepartments(org: Organisation, params: Params): Outcome {
	const deptId = numberParam(params.dept_id) ?? 1;
	if (!departmentExists(org, deptId)) fail(ERRCODE.DEPARTMENT_NOT_FOUND, '部门不存在');
	return { body: { result: structuredClone(org.departments.filter((department) => department.parent_id === deptId)) } };
}

/** getbymobile: {mobile} -> result: {userid} of the employee with that mobile number */
function userByMobile(org: Organisation, params: Params): Outcome {
	const mobile = typeof params.mobile === 'string' || typeof params.mobile === 'number' ? String(params.mobile).trim() : '';
	if (mobile === '') fail(ERRCODE.INVALID_PARAMETER, '参数mobile错误');
	if (!/^(\+\d{1,3}-)?\d{5,20}$/.test(mobile)) fail(ERRCODE.NOT_A_MEMBER_MOBILE, '不是企业内有效的手机号');
	const user = org.users.find((candidate) => candidate.mobile === mobile);
	if (!user) fail(ERRCODE.USER_NOT_FOUND, '找不到该用户');
	return { body: { result: { userid: user.userid } } };
}

/** The topapi calls by path (all POST, token in the access_token query parameter). */
export const HANDLERS: Readonly<Record<string, Handler>> = {
	[PATHS.UPDATE]: updateContact,
	[PATHS.CREATE]: createContact,
	[PATHS.GET]: getContact,
	[PATHS.LIST]: listContacts,
	[PATHS.DELETE]: deleteContact,
	[PATHS.LABEL_GROUPS]: listLabelGroups,
	[PATHS.USERS]: listUsers,
	[PATHS.DEPARTMENTS]: listDepartments,
	[PATHS.USER_BY_MOBILE]: userByMobile,
};

/**
 * Which permission a call needs: extcontact reads need qyapi_ext_read, writes qyapi_ext_write;
 * getbymobile needs qyapi_get_member_by_mobile ('mobile').
 */
export const PERMISSION: Readonly<Record<string, 'read' | 'write' | 'mobile'>> = {
	[PATHS.GET]: 'read',
	[PATHS.LIST]: 'read',
	[PATHS.LABEL_GROUPS]: 'read',
	[PATHS.UPDATE]: 'write',
	[PATHS.CREATE]: 'write',
	[PATHS.DELETE]: 'write',
	[PATHS.USER_BY_MOBILE]: 'mobile',
};

/** Parses a body as DingTalk does: form fields (strings; `contact` a JSON string) or JSON. */
export function parseBody(
	contentType: string | undefined,
	raw: string,
): { encoding: 'form' | 'json' | 'none'; params: Params; invalid: boolean } {
	if (!raw) return { encoding: 'none', params: {}, invalid: false };
	if ((contentType ?? '').toLowerCase().includes('application/json')) {
		try {
			const params: unknown = JSON.parse(raw);
			return { encoding: 'json', params: isObject(params) ? params : {}, invalid: false };
		} catch {
			return { encoding: 'json', params: {}, invalid: true };
		}
	}
	const params: Params = Object.fromEntries(new URLSearchParams(raw));
	let invalid = false;
	if (typeof params.contact === 'string') {
		try {
			params.contact = JSON.parse(params.contact);
		} catch {
			invalid = true;
		}
	}
	return { encoding: 'form', params, invalid };
}
