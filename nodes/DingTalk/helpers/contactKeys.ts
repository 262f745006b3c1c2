/**
 * DingTalk's contact keys, as extcontact/list and get return them (`userid` apart). The order is
 * the trigger's slot order in its saved state: append, never reorder.
 */
export const CONTACT_KEYS = [
	'name',
	'follower_user_id',
	'label_ids',
	'state_code',
	'mobile',
	'title',
	'address',
	'remark',
	'company_name',
	'share_dept_ids',
	'share_user_ids',
	'email',
] as const;

/** Set on create only (the mobile number), or read only (email): update does not take them. */
const NOT_UPDATABLE = new Set<string>(['state_code', 'mobile', 'email']);

/** The keys update accepts besides user_id (read back under the same names). */
export const UPDATABLE_KEYS: readonly string[] = CONTACT_KEYS.filter((key) => !NOT_UPDATABLE.has(key));
