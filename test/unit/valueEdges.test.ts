/**
 * helpers/values.ts at its edges: the exact messages (quoting and shortening the value), big and
 * inexact numbers, bigint, JSON-looking lists with quotes, and the digit rules of ids, mobiles and
 * country codes.
 */
import * as values from '../../nodes/DingTalk/helpers/values';
import { thrown } from './fakes';

const { InvalidValueError, MAX_IDS_PER_LIST, parseNumericIdList, parseSingleId, parseStateCode, parseStringIdList, parseText, splitMobile } = values;
/** The number part of a mobile number (its country code apart). */
const parseMobile = (value: unknown) => splitMobile(value).mobile;

/** The message `parse(value)` fails with, or 'accepted'. */
const messageOf = (parse: (value: unknown) => unknown, value: unknown): string => thrown(() => parse(value))?.message ?? 'accepted';

it('every refusal is an InvalidValueError, for the caller to name the item and the field', () => {
	for (const refuse of [() => parseSingleId({}), () => parseMobile('1'), () => parseStateCode('x'), () => parseNumericIdList('0'), () => parseText([])]) {
		const error = thrown(refuse);
		expect(error).toBeInstanceOf(InvalidValueError);
		expect(error?.name).toBe('InvalidValueError');
	}
});

describe('ids given as numbers', () => {
	it.each<[unknown, string]>([
		[12345678901234567890, '12345678901234567000 is not a whole positive number exactly (it has too many digits for a number: give it as text)'],
		[2 ** 53, '9007199254740992 is not a whole positive number exactly (it has too many digits for a number: give it as text)'],
		[1.5, '1.5 is not a whole positive number'],
		[0, '0 is not a whole positive number'],
		[-3, '-3 is not a whole positive number'],
		[-(2 ** 60), '-1152921504606847000 is not a whole positive number'],
		[Number.NaN, 'null is not a whole positive number'],
		[0n, '0 is not a whole positive number'],
		[-5n, '-5 is not a whole positive number'],
	])('%p: %s', (value, message) => {
		expect(messageOf(parseSingleId, value)).toBe(message);
	});

	it('whole positive numbers, safe ones and any bigint, become their digits', () => {
		expect(parseSingleId(2 ** 53 - 1)).toBe('9007199254740991');
		expect(parseSingleId(1)).toBe('1');
		expect(parseSingleId(123456789012345678901234567890n)).toBe('123456789012345678901234567890');
		expect(parseStringIdList([7n, 8])).toEqual(['7', '8']);
		expect(parseMobile(13800138000n)).toBe('13800138000');
		expect(parseStateCode(86n)).toBe('86');
		expect(messageOf(parseMobile, 1.5)).toBe('1.5 is not a whole positive number');
		expect(messageOf(parseStateCode, -86)).toBe('-86 is not a whole positive number');
	});
});

describe('what the messages quote', () => {
	it('text in quotes, other values as JSON, long ones cut at 57 characters', () => {
		expect(messageOf(parseSingleId, { id: 1 })).toBe('{"id":1} is not an id');
		expect(messageOf(parseSingleId, true)).toBe('true is not an id');
		expect(messageOf(parseSingleId, null)).toBe('is empty');
		expect(messageOf(parseSingleId, ' ')).toBe('is empty');
		expect(messageOf(parseSingleId, 'a b')).toBe('"a b" must be a single id');
		expect(messageOf(parseSingleId, 'a\tb')).toBe('"a\tb" must be a single id');
		const sixty = `"${'x'.repeat(58)}"`;
		expect(messageOf(parseSingleId, `${'x'.repeat(58)},`)).toBe(`"${'x'.repeat(56)}... must be a single id`);
		expect(messageOf(parseNumericIdList, 'y'.repeat(58))).toBe(`${sixty.replace(/x/g, 'y')} is not a whole positive number`);
		expect(messageOf(parseNumericIdList, 'y'.repeat(59))).toBe(`"${'y'.repeat(56)}... is not a whole positive number`);
		expect(messageOf(parseText, ['a'])).toBe('["a"] is not text');
	});
});

describe('id lists', () => {
	it.each<[string, unknown, unknown[]]>([
		['a JSON list with spaces and quotes', ' [ "a" , \'b\' ,c ] ', ['a', 'b', 'c']],
		['quotes only at the ends are removed', '["a\'b"]', ["a'b"]],
		['an empty JSON list', '[]', []],
		['a bracket that is not a list', '[a', ['[a']],
		['semicolons, newlines and Chinese separators', 'a;b\nc；d，e', ['a', 'b', 'c', 'd', 'e']],
		['nested arrays, in order', [['a', ['b']], 'c,a'], ['a', 'b', 'c']],
		['undefined and null entries', [undefined, 'a', null], ['a']],
	])('%s', (_, value, expected) => {
		expect(parseStringIdList(value)).toEqual(expected);
	});

	it('numeric ids: digits, a whole-number float form, nothing else', () => {
		expect(parseNumericIdList(['7', '08', '9.00'])).toEqual([7, 8, 9]);
		expect(messageOf(parseNumericIdList, '1e3')).toBe('"1e3" is not a whole positive number');
		expect(messageOf(parseNumericIdList, '0x1f')).toBe('"0x1f" is not a whole positive number');
		expect(messageOf(parseNumericIdList, '12.50')).toBe('"12.50" is not a whole positive number');
		expect(messageOf(parseNumericIdList, 'x12')).toBe('"x12" is not a whole positive number');
		expect(messageOf(parseNumericIdList, '12x')).toBe('"12x" is not a whole positive number');
		expect(messageOf(parseNumericIdList, '12.')).toBe('"12." is not a whole positive number');
		expect(messageOf(parseNumericIdList, [true])).toBe('true is not an id');
		expect(parseNumericIdList('[1, "2"]')).toEqual([1, 2]);
		expect(parseNumericIdList(['5', 5, '5.0'])).toEqual([5]);
	});

	it(`at most ${MAX_IDS_PER_LIST}, counted after duplicates are dropped`, () => {
		expect(MAX_IDS_PER_LIST).toBe(20);
		const ids = Array.from({ length: 21 }, (_, index) => `u${index}`);
		expect(parseStringIdList([...ids.slice(0, 20), 'u0'])).toHaveLength(20);
		expect(messageOf(parseStringIdList, ids)).toBe('has 21 entries; DingTalk accepts at most 20');
		expect(messageOf(parseNumericIdList, Array.from({ length: 25 }, (_, index) => index + 1))).toBe('has 25 entries; DingTalk accepts at most 20');
	});
});

describe('mobile numbers and country codes', () => {
	it.each<[unknown, string]>([
		['12345', '12345'],
		['1'.repeat(20), '1'.repeat(20)],
		[' 138-0013 8000 ', '13800138000'],
	])('mobile %p', (value, expected) => expect(parseMobile(value)).toBe(expected));

	it.each<[unknown, string]>([
		['1234', '"1234" is not a mobile number (such as 13800000001 or +86 138 0000 0001)'],
		['1'.repeat(21), `"${'1'.repeat(21)}" is not a mobile number (such as 13800000001 or +86 138 0000 0001)`],
		['a13800138000', '"a13800138000" is not a mobile number (such as 13800000001 or +86 138 0000 0001)'],
		['13800138000a', '"13800138000a" is not a mobile number (such as 13800000001 or +86 138 0000 0001)'],
		['+86 1234', '"+86 1234" is not a mobile number (such as 13800000001 or +86 138 0000 0001)'],
		[null, 'is empty'],
		[{}, '{} is not text'],
	])('mobile %p is refused', (value, message) => expect(messageOf(parseMobile, value)).toBe(message));

	it.each<[unknown, string]>([
		['86', '86'],
		['+1', '1'],
		[' +1234 ', '1234'],
		[1, '1'],
	])('country code %p', (value, expected) => expect(parseStateCode(value)).toBe(expected));

	it.each<[unknown, string]>([
		['12345', '"12345" is not a country calling code (such as 86)'],
		['++86', '"++86" is not a country calling code (such as 86)'],
		['8+6', '"8+6" is not a country calling code (such as 86)'],
		['86a', '"86a" is not a country calling code (such as 86)'],
		['a86', '"a86" is not a country calling code (such as 86)'],
		['', 'is empty'],
		['+', '"+" is not a country calling code (such as 86)'],
	])('country code %p is refused', (value, message) => expect(messageOf(parseStateCode, value)).toBe(message));
});
