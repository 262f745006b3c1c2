import type { IDataObject } from 'n8n-workflow';

import {
	BLOCK_CHARS,
	changedFields,
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
