import type { IDataObject } from 'n8n-workflow';

import { CONTACT_KEYS } from '../helpers/contactKeys';

/**
 * What the trigger remembers of each external contact between polls, in at most 64 bytes of the
 * workflow's static data (as JSON, UTF-8): 10,000 contacts take at most 640 KB.
 *
 * One contact is one record `BLOCK` + `id` + `:` + `name`, records joined by `|`:
 *
 * - BLOCK, 33 characters of base64url:
 *   - 1 character of flags: whether the contact matched the trigger's filters, whether the name
 *     below is cut short;
 *   - 6 characters (36 bits) of a hash of the whole contact: any change to any field changes it
 *     (a change goes unnoticed with a chance of 1 in 69 billion);
 *   - 13 slots of 2 characters (12 bits), one per DingTalk field (`FIELDS`) plus one for every other
 *     key DingTalk may add: a hash of that field's value alone. Comparing slots tells which fields
 *     changed. A changed field whose slot hash happens to stay equal (1 chance in 4,096) is missed
 *     in `changedFields`; if no slot changed although the whole hash did, every field is reported.
 * - the contact's id in full and as much of its name as fits in the 64 bytes (13 bytes for a
 *   16-character id: four Chinese characters, or "John Smith"), so that a removal can say who
 *   was removed. `%`, `|` and `:` in ids and names are written as `%25`, `%7C` and `%3A`.
 *
 * Values are compared after normalising: a missing field, null, "" and [] are the same (empty),
 * numbers and their text are the same, and id lists are compared as sets (their order is ignored).
 */

/** DingTalk's contact keys as extcontact/list returns them, in slot order (`userid` is the key). */
export const FIELDS = CONTACT_KEYS;

const KNOWN = new Set<string>([...FIELDS, 'userid']);
export const MAX_RECORD_BYTES = 64;
const SLOT_COUNT = FIELDS.length + 1;
const FLAGS_AT = 0;
const WHOLE_AT = 1;
const WHOLE_CHARS = 6;
const SLOTS_AT = WHOLE_AT + WHOLE_CHARS;
const SLOT_CHARS = 2;
export const BLOCK_CHARS = SLOTS_AT + SLOT_COUNT * SLOT_CHARS;
const RECORD_SEPARATOR = '|';
const NAME_SEPARATOR = ':';
/** the separators' bytes: the `|` after the record and the `:` before the name */
const SEPARATOR_BYTES = 2;

const MATCHED = 1;
const NAME_CUT = 2;

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const DIGIT = new Map([...ALPHABET].map((char, index) => [char, index]));

/** A remembered contact: the record as stored, and its parts. */
export interface Remembered {
	userid: string;
	record: string;
	/** the name as far as it was kept */
	name: string;
	nameCut: boolean;
	matched: boolean;
}

/**
 * cyrb53 (public domain, bryc): a fast 53-bit string hash with good spread. Not cryptographic,
 * which is not needed here: it only tells whether a value changed.
 */
function hash53(text: string, seed = 0): number {
	let h1 = 0xdeadbeef ^ seed;
	let h2 = 0x41c6ce57 ^ seed;
	for (let i = 0; i < text.length; i++) {
		const code = text.charCodeAt(i);
		h1 = Math.imul(h1 ^ code, 2654435761);
		h2 = Math.imul(h2 ^ code, 1597334677);
	}
	h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
	h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
	return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** `chars` base64url digits of the low 6 × `chars` bits of `value`. */
function digits(value: number, chars: number): string {
	let text = '';
	let rest = value;
	for (let i = 0; i < chars; i++) {
		text = ALPHABET[rest % 64] + text;
		rest = Math.floor(rest / 64);
	}
	return text;
}

/** The form in which two values count as equal. */
function normalise(value: unknown): string {
	if (value === undefined || value === null || value === '') return '';
	if (Array.isArray(value)) {
		if (value.length === 0) return '';
		return JSON.stringify(value.map((entry) => (typeof entry === 'object' ? normalise(entry) : String(entry))).sort());
	}
	if (typeof value === 'object') {
		const object = value as IDataObject;
		return JSON.stringify(
			Object.keys(object)
				.sort()
				.map((key) => [key, normalise(object[key])]),
		);
	}
	return String(value);
}

/** DingTalk keys this trigger has no slot of its own for (kept together in the last slot). */
function otherKeys(contact: IDataObject): string[] {
	return Object.keys(contact)
		.filter((key) => !KNOWN.has(key))
		.sort();
}

/** The 13 slot hashes (full 53 bits) of a contact. */
function slotHashes(contact: IDataObject): number[] {
	const hashes = FIELDS.map((field, slot) => hash53(normalise(contact[field]), slot));
	const others = otherKeys(contact)
		.map((key) => [key, normalise(contact[key])])
		.filter(([, value]) => value !== '')
		.map(([key, value]) => `${key}=${value}`)
		.join('\u0000');
	hashes.push(hash53(others, FIELDS.length));
	return hashes;
}

function escape(text: string): string {
	return text.replace(/[%|:]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

function unescape(text: string): string {
	return text.replace(/%(25|7C|3A)/g, (_, code: string) => String.fromCharCode(parseInt(code, 16)));
}

/** Bytes a code point takes in the saved JSON (UTF-8, with JSON's escapes). */
function jsonBytes(char: string): number {
	const code = char.codePointAt(0) ?? 0;
	if (char === '"' || char === '\\') return 2;
	if (code < 0x20) return 6;
	if (code < 0x80) return 1;
	if (code < 0x800) return 2;
	if (code >= 0xd800 && code <= 0xdfff) return 6; // a lone surrogate: \uXXXX
	return code < 0x10000 ? 3 : 4;
}

function byteLength(text: string): number {
	let bytes = 0;
	for (const char of text) bytes += jsonBytes(char);
	return bytes;
}

/** U+0000 to U+001F and U+007F. */
function isControlCharacter(char: string): boolean {
	const code = char.charCodeAt(0);
	return code < 0x20 || code === 0x7f;
}

/** The escaped name, cut at a character boundary to fit `budget` bytes. */
function fitName(name: string, budget: number): { text: string; cut: boolean } {
	// control characters would cost six bytes each in JSON: a space says as much in a name
	const escaped = escape(Array.from(name, (char) => (isControlCharacter(char) ? ' ' : char)).join(''));
	let text = '';
	let used = 0;
	for (const char of escaped) {
		const bytes = jsonBytes(char);
		if (used + bytes > budget) {
			// never keep half of an escape such as "%7C"
			return { text: text.replace(/%[0-9A-F]?$/, ''), cut: true };
		}
		text += char;
		used += bytes;
	}
	return { text, cut: false };
}

/** The record that stands for `contact` in the saved state. */
export function recordOf(contact: IDataObject, matched: boolean): string {
	const slots = slotHashes(contact);
	const whole = hash53(slots.join(','), SLOT_COUNT);
	const id = escape(String(contact.userid ?? ''));
	const budget = Math.max(0, MAX_RECORD_BYTES - SEPARATOR_BYTES - BLOCK_CHARS - byteLength(id));
	const name = fitName(String(contact.name ?? ''), budget);
	const flags = (matched ? MATCHED : 0) | (name.cut ? NAME_CUT : 0);
	return (
		ALPHABET[flags] +
		digits(Math.floor(whole / 2 ** 17), WHOLE_CHARS) +
		slots.map((slot) => digits(slot, SLOT_CHARS)).join('') +
		id +
		NAME_SEPARATOR +
		name.text
	);
}

export function parseRecord(record: string): Remembered | undefined {
	const separator = record.indexOf(NAME_SEPARATOR, BLOCK_CHARS);
	if (record.length < BLOCK_CHARS || separator === -1) return undefined;
	const flags = DIGIT.get(record[FLAGS_AT]) ?? 0;
	return {
		userid: unescape(record.slice(BLOCK_CHARS, separator)),
		record,
		name: unescape(record.slice(separator + 1)),
		nameCut: (flags & NAME_CUT) !== 0,
		matched: (flags & MATCHED) !== 0,
	};
}

export function joinRecords(records: string[]): string {
	return records.join(RECORD_SEPARATOR);
}

export function splitRecords(text: string): string[] {
	return text === '' ? [] : text.split(RECORD_SEPARATOR);
}

/**
 * The DingTalk keys whose value differs between a remembered record and the contact now, or
 * undefined when nothing changed. `contact` is the contact as DingTalk returns it now.
 */
export function changedFields(before: string, now: string, contact: IDataObject): string[] | undefined {
	if (before.slice(WHOLE_AT, WHOLE_AT + WHOLE_CHARS) === now.slice(WHOLE_AT, WHOLE_AT + WHOLE_CHARS)) return undefined;
	const slotOf = (record: string, slot: number) =>
		record.slice(SLOTS_AT + slot * SLOT_CHARS, SLOTS_AT + (slot + 1) * SLOT_CHARS);
	const changed: string[] = FIELDS.filter((_, slot) => slotOf(before, slot) !== slotOf(now, slot));
	if (slotOf(before, FIELDS.length) !== slotOf(now, FIELDS.length)) {
		// the other keys share one slot: name those present now (one that disappeared cannot be named)
		changed.push(...otherKeys(contact));
	}
	return changed.length > 0 ? changed : [...FIELDS, ...otherKeys(contact)];
}

/** A short hash of any JSON-able value (the filters the state was taken under). */
export function signature(value: unknown): string {
	return digits(hash53(normalise(value)), 8);
}
