/**
 * What DingTalk's errcodes mean and what the node does about them.
 * Source: DingTalk's server API documentation, "Error codes" (open.dingtalk.com), as the project's
 * API notes summarise it.
 */

/** How the transport reacts to an errcode. */
export type ErrcodeHandling =
	/** the access token is bad or expired: fetch a new one once, then repeat the call once */
	| 'refreshToken'
	/** a passing condition (busy, quota per second): wait and retry */
	| 'retry'
	/** per-second quota exceeded: retry, and slow the whole node down */
	| 'throttle'
	/** the item (or the whole setup) is wrong: fail without retrying */
	| 'fail';

export interface ErrcodeInfo {
	/** short English meaning, shown after "DingTalk error CODE:" */
	meaning: string;
	/** what a person should do about it */
	action: string;
	handling: ErrcodeHandling;
	/** the token in use may be the cause (one fetched before a permission was granted): retire it */
	retiresToken?: boolean;
}

const TOKEN_ERROR: Omit<ErrcodeInfo, 'meaning'> = {
	action:
		'The node fetches a new access token by itself and repeats the call once. If this error stays, check that the App Key and App Secret in the DingTalk API credential belong to the app you granted permissions to.',
	handling: 'refreshToken',
};

const WRONG_APP_CREDENTIALS: Omit<ErrcodeInfo, 'meaning'> = {
	action:
		'Open the DingTalk API credential and copy the App Key and App Secret again from the DingTalk developer console (open-dev.dingtalk.com → your app → Credentials & Basic Info).',
	handling: 'fail',
};

const USER_NOT_FOUND: Omit<ErrcodeInfo, 'meaning'> = {
	action:
		'Check the ids in this item: the external contact ID (for Update, Get and Delete), the owner (Follower User ID) and the Share With Users entries must exist in your organisation. Pick them from the lists in the node to be sure.',
	handling: 'fail',
};

const MISSING_PERMISSION: Omit<ErrcodeInfo, 'meaning'> = {
	action:
		'In the DingTalk developer console, open your app → Permissions and grant "qyapi_ext_write" (to change external contacts) and "qyapi_ext_read" (to read them). A token fetched before the grant keeps failing: the node fetches a new one by itself on the next run.',
	handling: 'fail',
	retiresToken: true,
};

const ALREADY_EXISTS: Omit<ErrcodeInfo, 'meaning'> = {
	action:
		'An external contact with this mobile number already exists. Use the "Create or Update" operation, or update the existing contact instead.',
	handling: 'fail',
};

const RATE_LIMITED: Omit<ErrcodeInfo, 'meaning'> = {
	action:
		'The node waits and retries by itself and slows down. If it still fails, lower "Requests per Second" in the node options, or run fewer workflows against the same DingTalk app at once.',
	handling: 'throttle',
};

const TEMPORARY_BAN: Omit<ErrcodeInfo, 'meaning'> = {
	action:
		'DingTalk has temporarily blocked calls from this app or server, usually after too many calls. Wait a few minutes, lower "Requests per Second" in the node options, and run the workflow again.',
	handling: 'retry',
};

const BAD_PAGING: Omit<ErrcodeInfo, 'meaning'> = {
	action: 'This is a bug in the node: please report it with the workflow that caused it.',
	handling: 'fail',
};

export const ERRCODES: Readonly<Record<number, ErrcodeInfo>> = {
	88: {
		meaning: 'DingTalk refused the call for a reason it gives in sub_code',
		action: 'Look at the sub_code and sub_msg in the error details; they name the real reason.',
		handling: 'fail',
	},
	[-1]: {
		meaning: 'DingTalk is busy',
		action: 'The node retries by itself with increasing waits. If it keeps failing, run the workflow again later.',
		handling: 'retry',
	},
	40014: { meaning: 'the access token is invalid', ...TOKEN_ERROR },
	42001: { meaning: 'the access token has expired', ...TOKEN_ERROR },
	40001: {
		meaning: 'the access token is invalid, or DingTalk reports "system busy"',
		action:
			'The node fetches a new access token and repeats the call once. When creating contacts, this error also appears when your organisation made a custom external-contact field mandatory: make that field optional in the DingTalk admin console.',
		handling: 'refreshToken',
	},
	33009: { meaning: 'the access token is not valid for this app', ...TOKEN_ERROR },
	40089: { meaning: 'the App Key or App Secret is wrong', ...WRONG_APP_CREDENTIALS },
	40096: { meaning: 'the App Key or App Secret is wrong', ...WRONG_APP_CREDENTIALS },
	40035: {
		meaning: 'a parameter is missing or not valid',
		action:
			'Check the values mapped into this item: ids must exist in DingTalk, and each id list may hold at most 20 entries. Update cannot change the mobile number.',
		handling: 'fail',
	},
	40036: {
		meaning: 'a required parameter is empty',
		action: 'Fill in every required field (Name, Owner, Labels) for this item.',
		handling: 'fail',
	},
	40003: { meaning: 'the user id is not valid', ...USER_NOT_FOUND },
	33012: { meaning: 'the user id is not valid', ...USER_NOT_FOUND },
	60121: { meaning: 'the user or external contact was not found', ...USER_NOT_FOUND },
	60112: {
		meaning: 'the name is not valid',
		action: 'Check the Name field of this item: it must not be empty or too long.',
		handling: 'fail',
	},
	60103: {
		meaning: 'the mobile number is not valid',
		action: 'Check the Mobile and Country Code fields of this item: the number must be complete, and the country code the right one for it.',
		handling: 'fail',
	},
	60200: { meaning: 'the external contact already exists', ...ALREADY_EXISTS },
	22005: { meaning: 'the external contact already exists', ...ALREADY_EXISTS },
	60203: {
		meaning: 'the organisation has too many external contacts',
		action: 'Delete external contacts you no longer need, or ask DingTalk to raise the limit.',
		handling: 'fail',
	},
	60204: {
		meaning: 'labels are required',
		action: 'Give this item at least one label (Labels field). Labels come from the admin console → Contacts → External contacts → label settings.',
		handling: 'fail',
	},
	60205: {
		meaning: 'the external contacts feature is not enabled for this organisation',
		action: 'An administrator must enable External Contacts in the DingTalk admin console first.',
		handling: 'fail',
	},
	43007: { meaning: 'the app lacks the permission for this call', ...MISSING_PERMISSION },
	60011: { meaning: 'the app lacks the permission for this call', ...MISSING_PERMISSION },
	40068: { meaning: 'the offset is not valid', ...BAD_PAGING },
	40069: { meaning: 'the page size is not valid', ...BAD_PAGING },
	90018: { meaning: 'too many calls per second for this app', ...RATE_LIMITED },
	90002: { meaning: 'too many calls per second to this DingTalk API', ...RATE_LIMITED },
	90020: {
		meaning: 'the monthly API call quota is used up',
		action: 'Wait for next month, or upgrade the DingTalk edition. (Token and external-contact calls are normally exempt.)',
		handling: 'fail',
	},
};

/** 90001 and 90003 to 90014 are temporary bans of the app or of the server's IP address. */
function isTemporaryBan(errcode: number): boolean {
	return errcode === 90001 || (errcode >= 90003 && errcode <= 90014);
}

/**
 * An errcode as DingTalk sends it: a whole number, or a string of digits. Anything else (missing,
 * "", " ", null, false, [] …) is not an errcode, and such an answer is never taken for success.
 */
export function readErrcode(value: unknown): number | undefined {
	if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined;
	if (typeof value === 'string' && /^-?\d{1,12}$/.test(value)) return Number(value);
	return undefined;
}

/**
 * The errcode that decides what happens: errcode 88 carries the real reason in sub_code. Only a
 * non-zero sub_code decides; 88 itself is a refusal, so it is never read as success.
 */
export function effectiveErrcode(errcode: number, subCode: unknown): number {
	if (errcode !== 88) return errcode;
	const reason = readErrcode(subCode);
	return reason === undefined || reason === 0 ? errcode : reason;
}

export function describeErrcode(errcode: number): ErrcodeInfo {
	const known = ERRCODES[errcode];
	if (known) return known;
	if (isTemporaryBan(errcode)) return { meaning: 'calls are temporarily blocked', ...TEMPORARY_BAN };
	return {
		meaning: 'DingTalk refused the request',
		action:
			'Look up this errcode in the DingTalk developer documentation (open.dingtalk.com → Server API → Error codes).',
		handling: 'fail',
	};
}
