/**
 * Mobile numbers as sheets hold them (helpers/values.ts): the country code written in front of the
 * number, with "+" or "00", spaces, dashes and brackets; how it meets the Country Code field.
 */
import { InvalidValueError, parseMobileWithStateCode, parseOptionalStateCode, splitMobile } from '../../nodes/DingTalk/helpers/values';

const messageOf = (parse: () => unknown): string => {
	try {
		parse();
	} catch (error) {
		expect(error).toBeInstanceOf(InvalidValueError);
		return (error as Error).message;
	}
	return 'no error';
};

describe('splitMobile', () => {
	it.each<[unknown, string, string]>([
		['+86 138 0000 0001', '86', '13800000001'],
		['+86-13800000001', '86', '13800000001'],
		['008613800000001', '86', '13800000001'],
		['(+86) 138-0000-0001', '86', '13800000001'],
		['+8613800000001', '86', '13800000001'],
		['＋86 138 0000 0001', '86', '13800000001'],
		['+86\u00a0138\u00a00000\u00a00001', '86', '13800000001'],
		['+1 (415) 555-0100', '1', '4155550100'],
		['+7 912 345 67 89', '7', '9123456789'],
		['+34 612 34 56 78', '34', '612345678'],
		['+852 5123 4567', '852', '51234567'],
		['+886 912 345 678', '886', '912345678'],
		['+44 (0)7700 900123', '44', '7700900123'],
		['00 1 415 555 0100', '1', '4155550100'],
		// no "+" or "00": the number alone, as before
		['13800000001', '', '13800000001'],
		[' 138-0000 0001 ', '', '13800000001'],
		['8613800000001', '', '8613800000001'],
		[13800000001, '', '13800000001'],
	])('%p → country code %p, number %p', (value, stateCode, mobile) => {
		expect(splitMobile(value)).toEqual({ stateCode, mobile });
	});

	it.each<[unknown, string]>([
		['', 'is empty'],
		[null, 'is empty'],
		['call me', '"call me" is not a mobile number (such as 13800000001 or +86 138 0000 0001)'],
		['+86', '"+86" is not a mobile number (such as 13800000001 or +86 138 0000 0001)'],
		['+86 1234', '"+86 1234" is not a mobile number (such as 13800000001 or +86 138 0000 0001)'],
		['138+0000', '"138+0000" is not a mobile number (such as 13800000001 or +86 138 0000 0001)'],
		['++86 138 0000 0001', '"++86 138 0000 0001" is not a mobile number (such as 13800000001 or +86 138 0000 0001)'],
		['1234', '"1234" is not a mobile number (such as 13800000001 or +86 138 0000 0001)'],
		[1.5, '1.5 is not a whole positive number'],
		[{}, '{} is not text'],
	])('%p is refused', (value, message) => expect(messageOf(() => splitMobile(value))).toBe(message));
});

describe('parseOptionalStateCode', () => {
	it('is empty when nothing is given, and parsed as before otherwise', () => {
		expect(parseOptionalStateCode('')).toBe('');
		expect(parseOptionalStateCode('  ')).toBe('');
		expect(parseOptionalStateCode(undefined)).toBe('');
		expect(parseOptionalStateCode('+86')).toBe('86');
		expect(parseOptionalStateCode(1)).toBe('1');
		expect(messageOf(() => parseOptionalStateCode('China'))).toBe('"China" is not a country calling code (such as 86)');
	});
});

describe('parseMobileWithStateCode (Mobile read with the Country Code field)', () => {
	it('takes the country code from the number when Country Code is empty or the same', () => {
		expect(parseMobileWithStateCode('+86 138 0000 0001', '')).toEqual({ stateCode: '86', mobile: '13800000001' });
		expect(parseMobileWithStateCode('+86 138 0000 0001', '86')).toEqual({ stateCode: '86', mobile: '13800000001' });
		expect(parseMobileWithStateCode('0034 612 345 678', '')).toEqual({ stateCode: '34', mobile: '612345678' });
	});

	it('takes Country Code for a number without one', () => {
		expect(parseMobileWithStateCode('138 0000 0001', '86')).toEqual({ stateCode: '86', mobile: '13800000001' });
		expect(parseMobileWithStateCode('4155550100', '1')).toEqual({ stateCode: '1', mobile: '4155550100' });
	});

	it('refuses a country code that disagrees with the number, naming both', () => {
		expect(messageOf(() => parseMobileWithStateCode('+1 415 555 0100', '86'))).toBe(
			'"+1 415 555 0100" has the country code 1, but "Country Code" is 86: leave Country Code empty to take it from the number, or make them agree',
		);
	});

	it('refuses a number without a country code when Country Code is empty', () => {
		expect(messageOf(() => parseMobileWithStateCode('13800000001', ''))).toBe(
			'"13800000001" has no country code and "Country Code" is empty: set Country Code (such as 86) or write the number with it (such as +86 138 0000 0001)',
		);
	});
});
