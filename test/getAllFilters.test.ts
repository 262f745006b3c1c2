/**
 * External Contact → Get Many with Filters, through n8n-core's executor against the sandbox:
 * DingTalk's list has no search, so the node reads page by page, keeps the contacts that match
 * every filter and stops once Limit of them were found.
 */
import type { IDataObject } from 'n8n-workflow';

import { sendJson, startGateway } from './gateway';
import type { Gateway } from './gateway';
import type { CredentialStore } from './support';
import { callsTo, credentialStoreFor, runDingTalk, SEED, useSandbox } from './support';

const env = useSandbox({ seed: { extraContacts: 245 } });

const LIST = '/topapi/extcontact/list';
const [wang, john, chen, maria, liu] = SEED.contactIds as string[];
const ZHANG = 'gen-ext-000150';

const findContacts = (filters: IDataObject, paging: IDataObject = { returnAll: false, limit: 10 }) =>
	runDingTalk({ store: env.store, parameters: { resource: 'externalContact', operation: 'getAll', ...paging, filters } });

const ids = (result: { items: Array<{ json: IDataObject }> }) => result.items.map((item) => item.json.userid);
const offsetsRead = () => callsTo(env.sandbox, LIST).map((call) => Number(call.params.offset));

beforeEach(() => {
	const contacts = env.sandbox.state.contacts;
	contacts.set(ZHANG, { ...contacts.get(ZHANG)!, name: 'Zhang San', company_name: 'Zhang Trading 张氏贸易', mobile: '18612345678' });
});

describe('Get Many filters', () => {
	it('name contains, in any letter case: reads only as far as the Limit needs', async () => {
		const result = await findContacts({ nameContains: '  zhang SAN ' }, { returnAll: false, limit: 1 });
		expect(result.error).toBeUndefined();
		expect(ids(result)).toEqual([ZHANG]);
		expect(result.items[0].json).toMatchObject({ name: 'Zhang San', follower_user_id: 'manager4220' });
		// the contact is the 155th: two pages read, the third never asked for
		expect(offsetsRead()).toEqual([0, 100]);
	});

	it('with no match within Limit the whole list is read, and nothing comes out', async () => {
		const result = await findContacts({ nameContains: 'Nobody Of That Name' });
		expect(result.error).toBeUndefined();
		expect(result.items).toEqual([]);
		expect(offsetsRead()).toEqual([0, 100, 200]);
	});

	it('mobile, written with a country code, spaces, dashes or brackets', async () => {
		for (const written of ['+86 138-0013-8001', '0086 13800138001', '(86) 138 0013 8001', 13800138001]) {
			env.sandbox.resetLog();
			const result = await findContacts({ mobile: written });
			expect([written, result.error, ids(result)]).toEqual([written, undefined, [wang]]);
		}
		// a number outside China: the mobile alone, or with its country code
		expect(ids(await findContacts({ mobile: '415-555-0100' }))).toEqual([john]);
		expect(ids(await findContacts({ mobile: '+1 415 555 0100' }))).toEqual([john]);
		// part of a number is no match
		expect(ids(await findContacts({ mobile: '138 0013' }))).toEqual([]);
	});

	it('company contains, label IDs (any of them), owner; several filters must all match', async () => {
		expect(ids(await findContacts({ companyContains: 'ACME' }))).toEqual([john]);
		expect(ids(await findContacts({ companyContains: '张氏' }))).toEqual([ZHANG]);
		expect(ids(await findContacts({ labelIds: '203, 103' }))).toEqual([john, chen, maria]);
		expect(ids(await findContacts({ followerUserId: { __rl: true, mode: 'list', value: 'zhaoliu' } }))).toEqual([liu]);
		expect(ids(await findContacts({ followerUserId: { __rl: true, mode: 'id', value: 'david.wang' } }))).toEqual([maria]);
		const both = await findContacts({ labelIds: [101], followerUserId: { __rl: true, mode: 'id', value: 'manager4220' } }, { returnAll: true });
		// 王小明 and every generated contact (label 101, owner manager4220); not 刘洋 (label 101, another owner)
		expect(both.items).toHaveLength(246);
		expect(ids(both)).toContain(wang);
		expect(ids(both)).not.toContain(liu);
	});

	it('labels by name and the owner by mobile number, resolved as in the other operations', async () => {
		// "International" is label 203, "合作伙伴" label 103: the same contacts as by id
		expect(ids(await findContacts({ labelIds: 'International, 客户类型 / 合作伙伴' }))).toEqual([john, chen, maria]);
		const byMobile = await findContacts({ followerUserId: { __rl: true, mode: 'mobile', value: '+86 138 0000 0001' } }, { returnAll: true });
		expect(byMobile.error).toBeUndefined();
		expect(callsTo(env.sandbox, '/topapi/v2/user/getbymobile')).toHaveLength(1);
		const byId = await findContacts({ followerUserId: { __rl: true, mode: 'id', value: 'manager4220' } }, { returnAll: true });
		expect(ids(byMobile)).toContain(wang);
		expect(ids(byMobile)).toEqual(ids(byId));
		// a name in two groups is refused, naming the filter, before the list is read
		env.sandbox.resetLog();
		const ambiguous = await findContacts({ labelIds: 'VIP' });
		expect(ambiguous.error?.message).toMatch(/^Item 0: "Filters: Labels" /);
		expect(offsetsRead()).toEqual([]);
	});

	it('Limit counts the matching contacts, not the contacts read', async () => {
		const result = await findContacts({ labelIds: '101' }, { returnAll: false, limit: 120 });
		expect(result.items).toHaveLength(120);
		expect(ids(result).slice(0, 3)).toEqual([wang, liu, 'gen-ext-000001']);
		expect(offsetsRead()).toEqual([0, 100]);
	});

	it('empty filters filter nothing', async () => {
		const result = await findContacts({ nameContains: '', mobile: '', companyContains: ' ', labelIds: [], followerUserId: { __rl: true, mode: 'list', value: '' } });
		expect(result.items).toHaveLength(10);
	});

	it('a filter value that does not parse fails the item, naming the item and the filter, before anything is read', async () => {
		for (const [filters, message] of [
			[{ mobile: 'call me' }, 'Item 0: "Filters: Mobile" "call me" is not a phone number'],
			[{ labelIds: [{}] }, 'Item 0: "Filters: Labels" {} is not'],
			[{ followerUserId: { __rl: true, mode: 'id', value: 'two, owners' } }, 'Item 0: "Filters: Owner" "two, owners" must be a single id'],
		] as Array<[IDataObject, string]>) {
			env.sandbox.resetLog();
			const result = await findContacts(filters);
			expect(result.error?.message).toContain(message);
			expect(String(result.error?.description)).toContain('Nothing was sent to DingTalk for this item');
			expect(callsTo(env.sandbox, LIST)).toEqual([]);
		}
	});
});

describe('a list longer than the node reads (1,000 pages of 100)', () => {
	let gateway: Gateway | undefined;
	afterEach(async () => {
		await gateway?.close();
		gateway = undefined;
	});

	/** A DingTalk whose list never ends: every page is full. */
	async function endlessList(): Promise<{ store: CredentialStore; listCalls: () => number }> {
		const started = await startGateway((request, response) => {
			if (request.url?.startsWith('/gettoken')) return sendJson(response, { errcode: 0, access_token: 'endless-token', expires_in: 7200 });
			const page = Array.from({ length: 100 }, (_, index) => ({ userid: `endless-${index}`, name: 'Someone', state_code: '86', mobile: '13800000000' }));
			sendJson(response, { errcode: 0, results: page });
		});
		gateway = started;
		return {
			store: credentialStoreFor({ url: started.url, appKey: 'endless-key', appSecret: 'endless-secret' }),
			listCalls: () => started.requests.filter((line) => line.includes(LIST)).length,
		};
	}

	const FAST = { options: { requestsPerSecond: 1000 } };

	it('Get Many with Return All fails with what happened and what to do, instead of returning part of the list', async () => {
		const { store, listCalls } = await endlessList();
		const result = await runDingTalk({ store, parameters: { resource: 'externalContact', operation: 'getAll', returnAll: true, ...FAST } });
		expect(result.error?.message).toBe(`DingTalk's list (${LIST}) has 100,000 entries or more, more than this package reads in one walk`);
		expect(result.error?.description).toMatch(/turn off Return All and set a Limit/);
		expect(result.items).toEqual([]);
		expect(listCalls()).toBe(1000);
	});

	it('Create or Update stops before creating anything it could not look up', async () => {
		const { store } = await endlessList();
		const result = await runDingTalk({
			store,
			parameters: {
				resource: 'externalContact',
				operation: 'upsert',
				name: 'New Person',
				followerUserId: { __rl: true, mode: 'id', value: 'manager4220' },
				labelIds: '101',
				stateCode: '86',
				mobile: '13912345678',
				additionalFields: {},
				...FAST,
			},
			continueOnFail: true,
		});
		expect(result.items.map((item) => item.json.error)).toEqual([
			`DingTalk's list (${LIST}) has 100,000 entries or more, more than this package reads in one walk`,
		]);
		expect(gateway!.requests.filter((line) => line.includes('/create'))).toEqual([]);
	});
});
