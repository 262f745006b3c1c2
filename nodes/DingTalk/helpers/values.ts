/**
 * Turning what users map into fields (often spreadsheet strings) into the values DingTalk expects.
 * Every function throws InvalidValueError with a message meant for the person who built the
 * workflow; the router adds the item index and the field's name.
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
 * Splits an id list as spreadsheets and expressions deliver it: an array (of numbers or strings),
 * "1,2,3", "1, 2", "[1,2,3]", '["a","b"]', or a single id. Entries are trimmed; empty entries and
 * duplicates are dropped; the order of first appearance is kept.
 */
function splitIdList(value: unknown): string[] {
	if (value === undefined || value === null) return [];
	const pieces: string[] = [];
	const add = (entry: unknown): void => {
		if (entry === undefined || entry === null) return;
		if (Array.isArray(entry)) {
			entry.forEach(add);
		} else if (typeof entry === 'number' || typeof entry === 'bigint') {
			pieces.push(String(entry));
		} else if (typeof entry === 'string') {
			const text = entry.trim();
			if (text.startsWith('[') && text.endsWith(']')) {
				// a JSON-looking list: strip the brackets and any quotes instead of trusting JSON.parse,
				// so that [1, 2] and ['a', 'b'] (single quotes, as people type them) work too
				text.slice(1, -1).split(',').forEach((part) => add(part.trim().replace(/^["']|["']$/g, '')));
			} else {
				pieces.push(...text.split(/[,，;；\n]/));
			}
		} else {
			throw new InvalidValueError(`${describeForMessage(entry)} is not an id`);
		}
	};
	add(value);
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

/** User ids: strings (DingTalk user ids may contain letters, digits, "-" and "_"). */
export function parseStringIdList(value: unknown): string[] {
	const ids = splitIdList(value);
	checkCount(ids);
	return ids;
}

/** A single id (contact, user): a non-empty string; numbers from spreadsheets are accepted. */
export function parseSingleId(value: unknown): string {
	if (typeof value === 'number' && Number.isFinite(value)) return String(value);
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

/** A mobile number: digits only (spaces and dashes as people type them are removed). */
export function parseMobile(value: unknown): string {
	const digits = parseRequiredText(value).replace(/[\s-]/g, '');
	if (!/^\d{5,20}$/.test(digits)) {
		throw new InvalidValueError(`${describeForMessage(value)} is not a mobile number (digits only, without the country code)`);
	}
	return digits;
}

/** A country calling code such as "86", "+86" or 86. */
export function parseStateCode(value: unknown): string {
	const code = parseRequiredText(value).replace(/^\+/, '');
	if (!/^\d{1,4}$/.test(code)) {
		throw new InvalidValueError(`${describeForMessage(value)} is not a country calling code (such as 86)`);
	}
	return code;
}
