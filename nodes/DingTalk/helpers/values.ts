/**
 * Turning what users map into fields (often spreadsheet strings) into the values DingTalk expects.
 * Every function throws InvalidValueError with a message meant for the person who built the
 * workflow; helpers/parameters.ts adds the item index and the field's name.
 */

export class InvalidValueError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'InvalidValueError';
	}
}

/** DingTalk accepts at most this many entries in label_ids, share_dept_ids and share_user_ids. */
export const MAX_IDS_PER_LIST = 20;

function describeForMessage(value: unknown): string {
	const text = typeof value === 'string' ? `"${value}"` : JSON.stringify(value);
	return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/**
 * A number given where an id (or a mobile number) is expected: only whole positive numbers that
 * JavaScript holds exactly. 12345678901234567890 arrives as 12345678901234567000, and 1.5 or -3
 * are no ids: sending them would change the id silently.
 */
function idFromNumber(value: number | bigint): string {
	if (typeof value === 'bigint') {
		if (value <= 0n) throw new InvalidValueError(`${value} is not a whole positive number`);
		return value.toString();
	}
	if (!Number.isSafeInteger(value) || value <= 0) {
		const hint = Number.isInteger(value) && value > 0 ? ' exactly (it has too many digits for a number: give it as text)' : '';
		throw new InvalidValueError(`${describeForMessage(value)} is not a whole positive number${hint}`);
	}
	return String(value);
}

/**
 * Splits an id list as spreadsheets and expressions deliver it: an array (of numbers or strings),
 * "1,2,3", "1, 2", "[1,2,3]", '["a","b"]', or a single id. Entries are trimmed; empty entries and
 * duplicates are dropped; the order of first appearance is kept. Walks without recursion, so lists
 * of any length or depth end in a message, not a crash.
 */
function splitIdList(value: unknown): string[] {
	const pieces: string[] = [];
	const pending: unknown[] = [value];
	while (pending.length > 0) {
		const entry = pending.pop();
		if (entry === undefined || entry === null) continue;
		if (Array.isArray(entry)) {
			for (let index = entry.length - 1; index >= 0; index--) pending.push(entry[index]);
		} else if (typeof entry === 'number' || typeof entry === 'bigint') {
			pieces.push(idFromNumber(entry));
		} else if (typeof entry === 'string') {
			const text = entry.trim();
			if (text.startsWith('[') && text.endsWith(']')) {
				// a JSON-looking list: strip the brackets and any quotes instead of trusting JSON.parse,
				// so that [1, 2] and ['a', 'b'] (single quotes, as people type them) work too
				const parts = text.slice(1, -1).split(',');
				for (let index = parts.length - 1; index >= 0; index--) {
					pending.push(parts[index].trim().replace(/^["']|["']$/g, ''));
				}
			} else {
				for (const part of text.split(/[,，;；\n]/)) pieces.push(part);
			}
		} else {
			throw new InvalidValueError(`${describeForMessage(entry)} is not an id`);
		}
	}
	const unique = new Set(pieces.map((piece) => piece.trim()).filter((piece) => piece !== ''));
	return [...unique];
}

function checkCount(ids: unknown[]): void {
	if (ids.length > MAX_IDS_PER_LIST) {
		throw new InvalidValueError(
			`has ${ids.length} entries; DingTalk accepts at most ${MAX_IDS_PER_LIST}`,
		);
	}
}

/** Label and department ids: whole positive numbers. */
export function parseNumericIdList(value: unknown): number[] {
	const ids = splitIdList(value).map((text) => {
		const id = Number(text);
		if (!/^\d+(\.0+)?$/.test(text) || !Number.isSafeInteger(id) || id <= 0) {
			throw new InvalidValueError(`${describeForMessage(text)} is not a whole positive number`);
		}
		return id;
	});
	const unique = [...new Set(ids)];
	checkCount(unique);
	return unique;
}

/**
 * Labels and departments as people write them: each entry a whole number (an id) or a name ("VIP",
 * "Group / Label", "Sales / East"), mixed freely, as text ("VIP, 102"), a JSON array or a list.
 * Names are resolved against DingTalk's lists later (directory/resolve.ts).
 */
export function parseIdsOrNames(value: unknown): Array<number | string> {
	return splitIdList(value).map((text) => {
		const id = Number(text);
		return /^\d+(\.0+)?$/.test(text) && Number.isSafeInteger(id) && id > 0 ? id : text;
	});
}

/**
 * An entry of a user list that is a mobile number rather than a user id: only one written with
 * its "+" country code ("+86 138 0000 0001"). DingTalk user ids never hold "+", while a bare
 * 11-digit number may well be a user id, so nothing else is taken for a mobile number.
 */
export function isMobileEntry(text: string): boolean {
	return /^\+\s*\d/.test(text.trim());
}

/**
 * An employee's mobile number as DingTalk's getbymobile looks it up (splitMobile reads it): a Chinese
 * number as its 11 digits, also when written "86 138…" without "+"; another country's as
 * "+CC-number".
 */
export function parseEmployeeMobile(value: unknown): string {
	const { stateCode, mobile } = splitMobile(value);
	if (stateCode === '86') return mobile;
	if (stateCode !== '') return `+${stateCode}-${mobile}`;
	return /^861\d{10}$/.test(mobile) ? mobile.slice(2) : mobile;
}

/** User ids: strings (DingTalk user ids may contain letters, digits, "-" and "_"). */
export function parseStringIdList(value: unknown): string[] {
	const ids = splitIdList(value);
	checkCount(ids);
	return ids;
}

/** A single id (contact, user): a non-empty string; numbers from spreadsheets are accepted. */
export function parseSingleId(value: unknown): string {
	if (typeof value === 'number' || typeof value === 'bigint') return idFromNumber(value);
	if (typeof value !== 'string') {
		if (value === undefined || value === null) throw new InvalidValueError('is empty');
		throw new InvalidValueError(`${describeForMessage(value)} is not an id`);
	}
	const id = value.trim();
	if (id === '') throw new InvalidValueError('is empty');
	if (/[\s,]/.test(id)) {
		throw new InvalidValueError(`${describeForMessage(id)} must be a single id`);
	}
	return id;
}

/** Free text; numbers and booleans from spreadsheets become text; surrounding spaces are trimmed. */
export function parseText(value: unknown): string {
	if (value === undefined || value === null) return '';
	if (typeof value === 'string') return value.trim();
	if (typeof value === 'number' || typeof value === 'boolean') return String(value);
	throw new InvalidValueError(`${describeForMessage(value)} is not text`);
}

/** Free text that must not be empty. */
export function parseRequiredText(value: unknown): string {
	const text = parseText(value);
	if (text === '') throw new InvalidValueError('is empty');
	return text;
}

/** A country calling code such as "86", "+86" or 86. */
export function parseStateCode(value: unknown): string {
	const given = typeof value === 'number' || typeof value === 'bigint' ? idFromNumber(value) : value;
	const code = parseRequiredText(given).replace(/^\+/, '');
	if (!/^\d{1,4}$/.test(code)) {
		throw new InvalidValueError(`${describeForMessage(value)} is not a country calling code (such as 86)`);
	}
	return code;
}

/**
 * The two-digit country calling codes of ITU-T E.164. Calling codes form a prefix code: 1 and 7 are
 * the one-digit ones, these the two-digit ones, and every other code has three digits. So the code
 * at the start of "+8613800000001" is found without separators and without guessing.
 */
const TWO_DIGIT_CALLING_CODES = new Set([
	'20', '27', '30', '31', '32', '33', '34', '36', '39', '40', '41', '43', '44', '45', '46', '47', '48', '49',
	'51', '52', '53', '54', '55', '56', '57', '58', '60', '61', '62', '63', '64', '65', '66', '81', '82', '84',
	'86', '90', '91', '92', '93', '94', '95', '98',
]);

function callingCodeLength(digits: string): number {
	if (digits.startsWith('1') || digits.startsWith('7')) return 1;
	return TWO_DIGIT_CALLING_CODES.has(digits.slice(0, 2)) ? 2 : 3;
}

/** What people put between digits: spaces (no-break and full-width too), dashes, dots, brackets. */
const MOBILE_SEPARATORS = /[\s\u00a0\u3000\-‐‑–—－.()（）]/g;

/** A mobile number split into its country code ('' when it has none) and the number itself. */
export interface PhoneNumber {
	stateCode: string;
	mobile: string;
}

/**
 * A mobile number as sheets hold it: "13800000001", "138-0000 0001", or with its country code in
 * front, after "+" or "00": "+86 138 0000 0001", "+86-13800000001", "008613800000001",
 * "(+86) 138-0000-0001", "+44 (0)7700 900123". A number without "+" or "00" has no country code:
 * "8613800000001" is taken as it stands.
 */
export function splitMobile(value: unknown): PhoneNumber {
	const given = typeof value === 'number' || typeof value === 'bigint' ? idFromNumber(value) : value;
	const text = parseRequiredText(given);
	const refuse = () =>
		new InvalidValueError(`${describeForMessage(value)} is not a mobile number (such as 13800000001 or +86 138 0000 0001)`);
	// "(0)", the trunk prefix some write after the country code, is not dialled from abroad
	const compact = text.replace(/^＋/, '+').replace(/\(0\)/, '').replace(MOBILE_SEPARATORS, '');
	const international = /^(\+|00)(\d+)$/.exec(compact);
	if (!international) return { stateCode: '', mobile: nationalNumber(compact, refuse) };
	const digits = international[2];
	const codeLength = callingCodeLength(digits);
	return { stateCode: digits.slice(0, codeLength), mobile: nationalNumber(digits.slice(codeLength), refuse) };
}

function nationalNumber(digits: string, refuse: () => InvalidValueError): string {
	if (!/^\d{5,20}$/.test(digits)) throw refuse();
	return digits;
}

/** Country Code that may be left empty (the mobile numbers then carry theirs): '' when empty. */
export function parseOptionalStateCode(value: unknown): string {
	if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) return '';
	return parseStateCode(value);
}

/**
 * The Mobile field read together with the Country Code field (already parsed, '' when empty): the
 * country code written in the number wins when Country Code is empty or the same; one that
 * disagrees with Country Code is refused rather than guessed.
 */
export function parseMobileWithStateCode(value: unknown, stateCode: string): PhoneNumber {
	const phone = splitMobile(value);
	if (phone.stateCode === '') {
		if (stateCode === '') {
			throw new InvalidValueError(
				`${describeForMessage(value)} has no country code and "Country Code" is empty: set Country Code (such as 86) or write the number with it (such as +86 138 0000 0001)`,
			);
		}
		return { stateCode, mobile: phone.mobile };
	}
	if (stateCode !== '' && stateCode !== phone.stateCode) {
		throw new InvalidValueError(
			`${describeForMessage(value)} has the country code ${phone.stateCode}, but "Country Code" is ${stateCode}: leave Country Code empty to take it from the number, or make them agree`,
		);
	}
	return phone;
}

/**
 * A phone number reduced for comparison: its digits only, and a Chinese mobile written with its
 * country code (86…, 0086…, +86 …) reduced to its 11 digits. "+86 138-0013-8000" and
 * "13800138000" compare equal.
 */
export function comparableMobile(value: unknown): string {
	const digits = String(value ?? '').replace(/\D/g, '');
	return digits.replace(/^(?:0086|86)(?=1\d{10}$)/, '');
}

/** A phone number to look for: as people write it (+, spaces, dashes, brackets); empty is none. */
export function parseMobileToFind(value: unknown): string {
	const text = parseText(typeof value === 'number' || typeof value === 'bigint' ? idFromNumber(value) : value);
	if (text === '') return '';
	const digits = comparableMobile(text);
	if (!/^[\d\s+()\-.]+$/.test(text) || digits.length < 5) {
		throw new InvalidValueError(`${describeForMessage(value)} is not a phone number (digits, with "+", spaces or dashes if you like)`);
	}
	return digits;
}
