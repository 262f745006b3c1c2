/**
 * Many rows in one run: concurrency under a shared rate limit, retries that lose nothing and apply
 * nothing twice, and two runs sharing one app's quota.
 */
import type { IDataObject } from 'n8n-workflow';

import type { Sandbox } from './support';
import { appSessions } from '../nodes/DingTalk/transport/appSession';
import { callsTo, credentialStoreFor, runDingTalk, SEED, startDingTalk, UPDATE_FROM_JSON } from './support';

const UPDATE = '/topapi/extcontact/update';
const ITEMS = 200;

let sandbox: Sandbox;

beforeAll(async () => {
	sandbox = await startDingTalk({ seed: { extraContacts: ITEMS } });
});
afterAll(async () => await sandbox.close());
beforeEach(() => {
	appSessions.clear();
	sandbox.reset();
	sandbox.resetLog();
});

/** One row per contact, so "applied exactly once" can be checked per contact. */
function rowsForContacts(count: number, offset = 0): IDataObject[] {
	const ids = [...sandbox.state.contacts.keys()].slice(offset, offset + count);
	expect(ids).toHaveLength(count);
	return ids.map((id, index) => ({
		id,
		name: `Bulk ${offset + index}`,
		owner: (SEED.userIds as string[])[index % 3],
		labels: String((SEED.labelIds as number[])[index % 2]),
	}));
}

function appliedPerContact(): Map<string, number> {
	const counts = new Map<string, number>();
	for (const call of callsTo(sandbox, UPDATE)) {
		if (!call.applied) continue;
		const id = String((call.params.contact as IDataObject).user_id);
		counts.set(id, (counts.get(id) ?? 0) + 1);
	}
	return counts;
}

it('200 items through busy answers, 500s, token expiry and a QPS limit of 10: each applied exactly once', async () => {
	sandbox.set({ busyRate: 0.1, http500Rate: 0.05, tokenExpiresAfterCalls: 60, qpsLimit: { [UPDATE]: 10 }, randomSeed: 7 });
	const rows = rowsForContacts(ITEMS);
	const result = await runDingTalk({
		store: credentialStoreFor(sandbox),
		parameters: { ...UPDATE_FROM_JSON, options: { requestsPerSecond: 20, maxRetries: 5 } },
		items: rows,
	});
	expect(result.error).toBeUndefined();
	expect(result.items).toHaveLength(ITEMS);
	expect(result.items.every((item, index) => item.json.errcode === 0 && (item.pairedItem as { item: number }).item === index)).toBe(true);

	const applied = appliedPerContact();
	expect(applied.size).toBe(ITEMS);
	expect([...applied.values()].every((count) => count === 1)).toBe(true);
	// every row's name, read back through the node (Get Many)
	const listed = await runDingTalk({
		store: credentialStoreFor(sandbox),
		parameters: { resource: 'externalContact', operation: 'getAll', returnAll: true },
	});
	const names = new Map(listed.items.map((item) => [item.json.userid, item.json.name]));
	expect(rows.map((row) => names.get(row.id))).toEqual(rows.map((_, index) => `Bulk ${index}`));

	// no more calls than items plus rejected ones (each retried call was refused, not applied)
	const calls = callsTo(sandbox, UPDATE);
	const rejected = calls.filter((call) => !call.applied);
	expect(calls.length).toBe(ITEMS + rejected.length);
	expect(rejected.length).toBeGreaterThan(0);
	// a handful of tokens: the first, then one per expiry, never one per item
	expect(callsTo(sandbox, '/gettoken').length).toBeLessThanOrEqual(Math.ceil(calls.length / 60) + 2);
}, 120_000);

it('two runs at once against one QPS limit both finish without error items', async () => {
	sandbox.set({ qpsLimit: { [UPDATE]: 10 } });
	const store = credentialStoreFor(sandbox);
	const [first, second] = await Promise.all([
		runDingTalk({ store, parameters: UPDATE_FROM_JSON, items: rowsForContacts(60, 0), continueOnFail: true }),
		runDingTalk({ store, parameters: UPDATE_FROM_JSON, items: rowsForContacts(60, 60), continueOnFail: true }),
	]);
	for (const result of [first, second]) {
		expect(result.items).toHaveLength(60);
		expect(result.items.filter((item) => item.json.error !== undefined)).toEqual([]);
	}
	const throttled = callsTo(sandbox, UPDATE).filter((call) => (call.response as IDataObject)?.errcode === 90018);
	expect(throttled.length).toBeGreaterThan(0);
	expect(appliedPerContact().size).toBe(120);
}, 120_000);

it('an item failing all retries comes out paired to its input while the rest succeed', async () => {
	const rows = rowsForContacts(12);
	const unlucky = String(rows[7].id);
	sandbox.failFor({ path: UPDATE, userId: unlucky }, { errcode: -1, errmsg: 'system busy' });
	const result = await runDingTalk({
		store: credentialStoreFor(sandbox),
		parameters: { ...UPDATE_FROM_JSON, options: { maxRetries: 2 } },
		items: rows,
		continueOnFail: true,
	});
	expect(result.items).toHaveLength(12);
	expect(result.items[7].json).toMatchObject({ error: 'DingTalk error -1: DingTalk is busy', errcode: -1 });
	expect(result.items[7].pairedItem).toEqual({ item: 7 });
	expect(result.items.filter((item) => item.json.errcode === 0)).toHaveLength(11);
	// the unlucky contact was tried 1 + 2 times
	const attempts = callsTo(sandbox, UPDATE).filter(
		(call) => (call.params.contact as IDataObject).user_id === unlucky,
	);
	expect(attempts).toHaveLength(3);
});

it('creates are not repeated after a timeout, updates are', async () => {
	const rows = rowsForContacts(1);
	sandbox.script(UPDATE, [{ delayMs: 2500 }]);
	const update = await runDingTalk({
		store: credentialStoreFor(sandbox),
		parameters: { ...UPDATE_FROM_JSON, options: { timeoutSeconds: 1 } },
		items: rows,
	});
	expect(update.error).toBeUndefined();
	expect(callsTo(sandbox, UPDATE).length).toBe(2);

	sandbox.script('/topapi/extcontact/create', [{ delayMs: 2500 }]);
	const create = await runDingTalk({
		store: credentialStoreFor(sandbox),
		parameters: {
			resource: 'externalContact',
			operation: 'create',
			name: 'Timeout Test',
			followerUserId: { __rl: true, mode: 'id', value: (SEED.userIds as string[])[0] },
			labelIds: [(SEED.labelIds as number[])[0]],
			stateCode: '86',
			mobile: '13900000001',
			options: { timeoutSeconds: 1 },
		},
	});
	expect(create.error?.message).toMatch(/did not answer in time/);
	expect(String(create.error?.description)).toMatch(/may have reached DingTalk/);
	expect(callsTo(sandbox, '/topapi/extcontact/create')).toHaveLength(1);
});
