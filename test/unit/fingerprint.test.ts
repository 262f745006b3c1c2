import type { IDataObject } from 'n8n-workflow';

import {
	BLOCK_CHARS,
	changedFields,
	FIELDS,
	MAX_RECORD_BYTES,
	parseRecord,
	recordOf,
	splitRecords,
	joinRecords,
} from '../../nodes/DingTalk/trigger/fingerprint';

/** Bytes one record takes in the saved JSON, with its separator. */
const savedBytes = (record: string) => Buffer.byteLength(JSON.stringify(record)) - 2 + 1;

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { buildSeed } = require('../sandbox/seed');

/** The sandbox's first contact: 王小明, with labels, shares and a title. */
const contact = buildSeed().contacts.values().next().value as IDataObject & { userid: string };

describe('state records', () => {
	it('keep the id and the name, and at most 64 bytes whatever the name', () => {
		for (const name of ['王小明', '欧阳娜娜娜娜娜娜', 'María García López', 'A "quoted" \\ name', 'tab\there', '😀😀😀😀😀😀', 'a|b:c%d e|f:g%h']) {
			const record = recordOf({ ...contact, name }, true);
			expect(savedBytes(record)).toBeLessThanOrEqual(MAX_RECORD_BYTES);
			const parsed = parseRecord(record)!;
			expect(parsed.userid).toBe(contact.userid);
			expect(parsed.matched).toBe(true);
			// the kept name is the start of the real one (control characters become spaces)
			expect(name.replace(/\t/g, ' ').startsWith(parsed.name)).toBe(true);
			expect(parsed.nameCut).toBe(parsed.name !== name.replace(/\t/g, ' '));
		}
		expect(parseRecord(recordOf(contact, false))).toMatchObject({ name: '王小明', nameCut: false, matched: false });
		expect(parseRecord(recordOf({ ...contact, name: 'John Smith' }, false))!.name).toBe('John Smith');
	});

	it('ids with the separators survive; records join and split', () => {
		const odd = { ...contact, userid: 'a|b:c%d' };
		const records = [recordOf(odd, false), recordOf(contact, false)];
		const back = splitRecords(joinRecords(records)).map((record) => parseRecord(record)!.userid);
		expect(back).toEqual(['a|b:c%d', contact.userid]);
		expect(splitRecords('')).toEqual([]);
	});

	it('a long id leaves no room for the name but is kept whole', () => {
		const userid = 'x'.repeat(40);
		const parsed = parseRecord(recordOf({ ...contact, userid }, false))!;
		expect(parsed).toMatchObject({ userid, name: '', nameCut: true });
	});

	it('name the fields that changed; order of ids, empty values and number-as-text are no change', () => {
		const before = recordOf(contact, false);
		const same = { ...contact, label_ids: [201, 101], remark: '', custom_note: null, state_code: 86 };
		expect(changedFields(before, recordOf(same, false), same)).toBeUndefined();
		const edited = { ...contact, title: 'Buyer', share_user_ids: [] as string[], name: '王大明' };
		expect(changedFields(before, recordOf(edited, false), edited)).toEqual(['name', 'title', 'share_user_ids']);
		const extra = { ...contact, custom_field: 'x' };
		expect(changedFields(before, recordOf(extra, false), extra)).toEqual(['custom_field']);
		expect(recordOf(contact, true).slice(1, BLOCK_CHARS)).toBe(before.slice(1, BLOCK_CHARS));
	});
});

describe('the kept name fills the 64 bytes as the saved JSON counts them', () => {
	/** Bytes a character takes in the saved JSON, as JSON.stringify and UTF-8 count them. */
	const jsonBytesOf = (char: string) => Buffer.byteLength(JSON.stringify(char)) - 2;

	it('each kind of character: as many as fit, and one more would not', () => {
		const kinds = ['a', '"', '\\', '\u0080', 'é', '\u07ff', '\u0800', '中', '\ud7ff', '\ud800', '\udfff', '\ue000', '\uffff', '\u{10000}', '😀'];
		for (const char of kinds) {
			const record = recordOf({ userid: 'c1', name: char.repeat(40) }, false);
			const parsed = parseRecord(record)!;
			expect({ char, cut: parsed.nameCut, fits: savedBytes(record) <= MAX_RECORD_BYTES }).toEqual({ char, cut: true, fits: true });
			expect({ char, oneMoreFits: savedBytes(record) + jsonBytesOf(char) <= MAX_RECORD_BYTES }).toEqual({ char, oneMoreFits: false });
			expect([...parsed.name].every((kept) => kept === char)).toBe(true);
		}
		// a name that fits exactly is kept whole
		const exact = 'a'.repeat(MAX_RECORD_BYTES - savedBytes(recordOf({ userid: 'c1', name: '' }, false)));
		expect(parseRecord(recordOf({ userid: 'c1', name: exact }, false))).toMatchObject({ name: exact, nameCut: false });
	});

	it('control characters in an id cost their JSON escape; in a name they become spaces', () => {
		const record = recordOf({ userid: 'c\u0001', name: 'x'.repeat(40) }, false);
		expect(savedBytes(record)).toBeLessThanOrEqual(MAX_RECORD_BYTES);
		expect(savedBytes(record) + 1).toBeGreaterThan(MAX_RECORD_BYTES);
		expect(parseRecord(recordOf({ userid: 'c1', name: 'a\u0000b\u007fc' }, false))!.name).toBe('a b c');
	});

	it('a cut never keeps half of an escaped separator', () => {
		const room = MAX_RECORD_BYTES - savedBytes(recordOf({ userid: 'c1', name: '' }, false));
		// "|" is written "%7C": a cut after "%" or after "%7" drops the escape
		for (const before of [room - 1, room - 2]) {
			const name = `${'a'.repeat(before)}|tail`;
			expect(parseRecord(recordOf({ userid: 'c1', name }, false))).toMatchObject({ name: 'a'.repeat(before), nameCut: true });
		}
		expect(parseRecord(recordOf({ userid: 'c1', name: `${'a'.repeat(room - 3)}|tail` }, false))!.name).toBe(`${'a'.repeat(room - 3)}|`);
	});

	it('a contact without an id or a name gives empty ones', () => {
		expect(parseRecord(recordOf({ title: 'x' }, true))).toMatchObject({ userid: '', name: '', nameCut: false, matched: true });
	});

	it('text that is not a record is not read as one', () => {
		const record = recordOf(contact, false);
		expect(parseRecord(record.slice(0, BLOCK_CHARS - 1))).toBeUndefined();
		expect(parseRecord(`${record.slice(0, 10)}:name`)).toBeUndefined();
		expect(parseRecord(record.replace(':', '_'))).toBeUndefined();
		expect(parseRecord(`${record.slice(0, BLOCK_CHARS)}:`)).toMatchObject({ userid: '', name: '' });
	});
});

describe('the hashes', () => {
	it('the whole-contact hash uses all 36 of its bits: every one of its 6 characters varies', () => {
		const wholes = Array.from({ length: 300 }, (_, n) => recordOf({ ...contact, remark: `note ${n}` }, false).slice(1, 7));
		for (let position = 0; position < 6; position++) {
			expect({ position, values: new Set(wholes.map((whole) => whole[position])).size > 32 }).toEqual({ position, values: true });
		}
	});

	it('the other keys are named only when their slot changed', () => {
		const withExtra = { ...contact, custom_field: 'x' };
		const before = recordOf(withExtra, false);
		const edited = { ...withExtra, title: 'Buyer' };
		expect(changedFields(before, recordOf(edited, false), edited)).toEqual(['title']);
	});

	it('values compare as the same after normalising: empty forms, key order, set order, nested values', () => {
		const same = (a: IDataObject, b: IDataObject) => changedFields(recordOf({ ...contact, ...a }, false), recordOf({ ...contact, ...b }, false), { ...contact, ...b });
		expect(same({ remark: '' }, { remark: null })).toBeUndefined();
		expect(same({ share_user_ids: [] }, { share_user_ids: undefined })).toBeUndefined();
		expect(same({ extra: { b: 1, a: [2, 1] } }, { extra: { a: [1, 2], b: '1' } })).toBeUndefined();
		expect(same({ first: 1, second: 2 }, { second: 2, first: 1 })).toBeUndefined();
		expect(same({ extra: [{ a: 1 }, { b: 2 }] }, { extra: [{ b: 2 }, { a: 1 }] })).toBeUndefined();
		// and differ when they do
		expect(same({ extra: [{ a: 1 }] }, { extra: [{ a: 2 }] })).toEqual(['extra']);
		expect(same({ extra: { a: 1 } }, { extra: { a: 1, b: 2 } })).toEqual(['extra']);
		expect(same({ share_user_ids: [] }, { share_user_ids: [''] })).toEqual(['share_user_ids']);
		// other keys are told apart by key as well as by value
		expect(same({ a: '1b=2' }, { a: '1', b: '2' })).toEqual(['a', 'b']);
		// several other keys are named in order
		expect(same({}, { zeta: 1, alpha: 2 })).toEqual(['alpha', 'zeta']);
	});

	it('a whole hash that changed with no slot changed (a slot collision) names every field', () => {
		const before = recordOf({ ...contact, custom_field: 'x' }, false);
		const now = `${before[0]}${before[1] === 'A' ? 'B' : 'A'}${before.slice(2)}`;
		expect(changedFields(before, now, { ...contact, custom_field: 'x' })).toEqual([...FIELDS, 'custom_field']);
	});
});
