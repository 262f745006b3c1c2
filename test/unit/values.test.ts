import {
	comparableMobile,
	InvalidValueError,
	parseMobileToFind,
	parseNumericIdList,
	parseSingleId,
	parseStateCode,
	parseStringIdList,
	parseText,
	splitMobile,
} from '../../nodes/DingTalk/helpers/values';

describe('parseNumericIdList (label and department ids)', () => {
	it.each([
		['an array of numbers', [1, 2, 3], [1, 2, 3]],
		['an array of strings', ['1', '2', '3'], [1, 2, 3]],
		['a comma list', '1,2,3', [1, 2, 3]],
		['a comma list with spaces', '1, 2 ,3 ', [1, 2, 3]],
		['a JSON array', '[1,2,3]', [1, 2, 3]],
		['a JSON array of strings', '["4", "5"]', [4, 5]],
		['a single number', 7, [7]],
		['a single numeric string', ' 7 ', [7]],
		['a spreadsheet float', '12.0', [12]],
		['Chinese commas', '1，2', [1, 2]],
		['empty entries', '1,,2, ,', [1, 2]],
		['duplicates', '3,1,3,1', [3, 1]],
		['an array holding a comma list', ['1,2', 3], [1, 2, 3]],
		['an empty string', '', []],
		['undefined', undefined, []],
		['null', null, []],
		['an empty array', [], []],
	])('accepts %s', (_, input, expected) => {
		expect(parseNumericIdList(input)).toEqual(expected);
	});

	it.each([
		['letters', 'abc', '"abc" is not a whole positive number'],
		['a fraction', '1.5', '"1.5" is not a whole positive number'],
		['zero', '0', '"0" is not a whole positive number'],
		['a negative number', '-3', '"-3" is not a whole positive number'],
		['a mixed list', '1,x,3', '"x" is not a whole positive number'],
		['an object', { id: 1 }, 'is not an id'],
		['a number past 2^53', '9007199254740993', 'is not a whole positive number'],
	])('rejects %s', (_, input, message) => {
		expect(() => parseNumericIdList(input)).toThrow(InvalidValueError);
		expect(() => parseNumericIdList(input)).toThrow(message);
	});

	it('accepts 20 ids and rejects 21, counting after duplicates are dropped', () => {
		const twenty = Array.from({ length: 20 }, (_, i) => i + 1);
		expect(parseNumericIdList(twenty)).toHaveLength(20);
		expect(parseNumericIdList([...twenty, 1, 2])).toHaveLength(20);
		expect(() => parseNumericIdList([...twenty, 21])).toThrow('has 21 entries; DingTalk accepts at most 20');
	});
});

describe('parseStringIdList (user ids)', () => {
	it('keeps user ids as strings, trimmed and without duplicates', () => {
		expect(parseStringIdList(' manager4220, user_1 ,manager4220')).toEqual(['manager4220', 'user_1']);
		expect(parseStringIdList(['a', 'b'])).toEqual(['a', 'b']);
		expect(parseStringIdList("['a', 'b']")).toEqual(['a', 'b']);
		expect(parseStringIdList(12345)).toEqual(['12345']);
		expect(parseStringIdList('')).toEqual([]);
	});

	it('rejects more than 20', () => {
		const ids = Array.from({ length: 21 }, (_, i) => `user${i}`);
		expect(() => parseStringIdList(ids.join(','))).toThrow('has 21 entries');
	});
});

describe('single values', () => {
	it('parseSingleId takes strings and spreadsheet numbers, and refuses lists and blanks', () => {
		expect(parseSingleId(' abc123 ')).toBe('abc123');
		expect(parseSingleId(1234567)).toBe('1234567');
		expect(() => parseSingleId('')).toThrow('is empty');
		expect(() => parseSingleId(undefined)).toThrow('is empty');
		expect(() => parseSingleId('a,b')).toThrow('must be a single id');
		expect(() => parseSingleId({})).toThrow('is not an id');
	});

	it('parseText turns numbers and booleans into text and trims', () => {
		expect(parseText('  hello ')).toBe('hello');
		expect(parseText(42)).toBe('42');
		expect(parseText(true)).toBe('true');
		expect(parseText(undefined)).toBe('');
		expect(() => parseText({ a: 1 })).toThrow('is not text');
	});

	it('splitMobile keeps digits, strips the separators people type, and sets a country code in front apart', () => {
		expect(splitMobile('138-0013 8000')).toEqual({ stateCode: '', mobile: '13800138000' });
		expect(splitMobile(13800138000)).toEqual({ stateCode: '', mobile: '13800138000' });
		expect(splitMobile('+86 138 0013 8000')).toEqual({ stateCode: '86', mobile: '13800138000' });
		expect(() => splitMobile('+86 138')).toThrow('is not a mobile number');
		expect(() => splitMobile('')).toThrow('is empty');
	});

	it('parseStateCode accepts 86, "+86" and "86"', () => {
		expect(parseStateCode(86)).toBe('86');
		expect(parseStateCode('+86')).toBe('86');
		expect(() => parseStateCode('China')).toThrow('is not a country calling code');
	});
});

describe('mobile numbers to look for', () => {
	it.each([
		['+86 138-0013-8000', '13800138000'],
		['0086 13800138000', '13800138000'],
		['8613800138000', '13800138000'],
		['(86) 138 0013 8000', '13800138000'],
		['13800138000', '13800138000'],
		// not a Chinese mobile after the 86: kept whole
		['86 612345678', '86612345678'],
		['+1 415-555-0100', '14155550100'],
	])('comparableMobile(%s) = %s', (given, expected) => {
		expect(comparableMobile(given)).toBe(expected);
	});

	it('parseMobileToFind: empty is no number; letters or too few digits are refused', () => {
		expect(parseMobileToFind('')).toBe('');
		expect(parseMobileToFind(undefined)).toBe('');
		expect(parseMobileToFind(13800138000)).toBe('13800138000');
		expect(parseMobileToFind(' +86 138.0013.8000 ')).toBe('13800138000');
		expect(() => parseMobileToFind('call me')).toThrow(new InvalidValueError('"call me" is not a phone number (digits, with "+", spaces or dashes if you like)'));
		expect(() => parseMobileToFind('1234')).toThrow(InvalidValueError);
		expect(() => parseMobileToFind('138 0013 800x')).toThrow(InvalidValueError);
	});
});
