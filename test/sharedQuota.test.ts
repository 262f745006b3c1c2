/**
 * One DingTalk quota per app, however many executions share it: many executions at once in one n8n
 * process (a webhook per CRM change) go through one limiter per app and API, one token fetch and
 * one ban pause (nodes/DingTalk/transport/appSession.ts). Each execution here is a real run through
 * n8n-core's executor (support.ts's runDingTalk), started together with Promise.all.
 */
import type { IDataObject } from 'n8n-workflow';

import type { RunResult, Sandbox } from './support';
import { appSessions, IDLE_MS } from '../nodes/DingTalk/transport/appSession';
import { tokenFingerprint } from '../nodes/DingTalk/transport/tokenRequest';
import { callsTo, credentialStoreFor, runDingTalk, SEED, startDingTalk, UPDATE_FROM_JSON } from './support';

const UPDATE = '/topapi/extcontact/update';
const QUOTA = 10;
const EXECUTIONS = 50;
/** the node set to the app's quota, as the README tells users to */
const PARAMETERS: IDataObject = { ...UPDATE_FROM_JSON, options: { requestsPerSecond: QUOTA } };
/**
 * The target: at most 2% of the calls refused with 90018 (1 of 50). The limiter holds each
 * call's place until a second after its answer, so neither a stalled event loop nor the round trip
 * of the token fetch ahead of the first call lets more than QUOTA calls reach DingTalk in a second.
 */
const REFUSAL_TARGET = 0.02;

let first: Sandbox;
let second: Sandbox;

beforeAll(async () => {
	// two apps: two DingTalk stand-ins, each with its own quota
	[first, second] = await Promise.all([
		startDingTalk({ seed: { extraContacts: EXECUTIONS } }),
		startDingTalk({ seed: { extraContacts: EXECUTIONS } }),
	]);
});
afterAll(async () => await Promise.all([first.close(), second.close()]));
beforeEach(() => {
	appSessions.clear();
	for (const sandbox of [first, second]) {
		sandbox.reset();
		sandbox.set({ qpsLimit: { [UPDATE]: QUOTA }, latencyMs: 30 });
		sandbox.resetLog();
	}
});

/** A token the credential already holds, as it does in n8n after the app's first execution. */
async function storedToken(sandbox: Sandbox): Promise<IDataObject> {
	const url = `${sandbox.url}/gettoken?appkey=${encodeURIComponent(sandbox.appKey)}&appsecret=${encodeURIComponent(sandbox.appSecret)}`;
	const answer = (await (await fetch(url)).json()) as IDataObject;
	sandbox.resetLog();
	const settings = { baseUrl: sandbox.url, appKey: sandbox.appKey, appSecret: sandbox.appSecret };
	return { accessToken: answer.access_token, accessTokenExpiresAt: Date.now() + 3600_000, accessTokenFor: tokenFingerprint(settings) };
}

/** `count` executions of one item each, all started at once, each updating its own contact. */
async function storm(sandbox: Sandbox, count: number, credential: IDataObject = {}): Promise<{ results: RunResult[]; wallMs: number }> {
	const ids = [...sandbox.state.contacts.keys()].slice(0, count);
	expect(ids).toHaveLength(count);
	// one credential store per app, as n8n holds one credential: its saved token is shared too
	const store = credentialStoreFor(sandbox, credential);
	const started = Date.now();
	const results = await Promise.all(
		ids.map(async (id, index) =>
			await runDingTalk({
				store,
				parameters: PARAMETERS,
				items: [{ id, name: `Storm ${index}`, owner: (SEED.userIds as string[])[0], labels: String((SEED.labelIds as number[])[0]) }],
			}),
		),
	);
	return { results, wallMs: Date.now() - started };
}

/** How the storm went for the contacts it meant to update: lost = never applied, duplicated = applied twice. */
function tally(sandbox: Sandbox, count: number) {
	const ids = [...sandbox.state.contacts.keys()].slice(0, count);
	const applied = new Map<string, number>();
	for (const call of callsTo(sandbox, UPDATE)) {
		if (!call.applied) continue;
		const id = String((call.params.contact as IDataObject).user_id);
		applied.set(id, (applied.get(id) ?? 0) + 1);
	}
	const calls = callsTo(sandbox, UPDATE);
	return {
		calls: calls.length,
		refused: calls.filter((call) => (call.response as IDataObject)?.errcode === 90018).length,
		lost: ids.filter((id) => !applied.has(id)).length,
		duplicated: [...applied.values()].filter((times) => times > 1).length,
		tokenCalls: callsTo(sandbox, '/gettoken').length,
	};
}

/** Prints a storm's figures, then checks them: nothing lost or applied twice, few refusals. */
function expectNothingLostAndFewRefusals(label: string, figures: ReturnType<typeof tally>, wallMs: number): void {
	console.log(`${label}: ${(wallMs / 1000).toFixed(2)} s, ${JSON.stringify(figures)}`);
	expect(figures.lost).toBe(0);
	expect(figures.duplicated).toBe(0);
	expect(figures.refused).toBeLessThanOrEqual(Math.floor(figures.calls * REFUSAL_TARGET));
}

function expectEachSucceeded(results: RunResult[]): void {
	for (const result of results) {
		expect(result.error).toBeUndefined();
		expect(result.items.map((item) => item.json.errcode)).toEqual([0]);
	}
}

it(`${EXECUTIONS} executions of one item at once against a quota of ${QUOTA}/s: none lost, at most 2% of calls refused`, async () => {
	const { results, wallMs } = await storm(first, EXECUTIONS, await storedToken(first));
	expectEachSucceeded(results);
	const figures = tally(first, EXECUTIONS);
	expectNothingLostAndFewRefusals(`${EXECUTIONS} executions, token stored`, figures, wallMs);
	expect(figures.tokenCalls).toBe(0);
	// spaced as one client: the first QUOTA calls in the first second, then QUOTA a second
	expect(wallMs).toBeGreaterThanOrEqual(((EXECUTIONS - QUOTA) / QUOTA) * 1000);
}, 60_000);

it(`${EXECUTIONS} executions at once with no token yet: one token fetch for all, none lost, at most 2% refused`, async () => {
	const { results, wallMs } = await storm(first, EXECUTIONS);
	expectEachSucceeded(results);
	const figures = tally(first, EXECUTIONS);
	expectNothingLostAndFewRefusals(`${EXECUTIONS} executions, no token yet`, figures, wallMs);
	expect(figures.tokenCalls).toBe(1);
}, 60_000);

it('a DingTalk stall of 6 s: calls still unanswered keep their places, so the calls after them do not pile into the same second', async () => {
	// the first QUOTA calls hang for 6 s; the next QUOTA take 2 s: sent before the first are
	// answered, they would reach DingTalk's counter in the same second as the stalled ones
	first.script(UPDATE, [...Array(QUOTA).fill({ delayMs: 6000 }), ...Array(QUOTA).fill({ delayMs: 2000 })]);
	const count = 2 * QUOTA;
	const { results, wallMs } = await storm(first, count, await storedToken(first));
	expectEachSucceeded(results);
	const figures = tally(first, count);
	console.log(`${count} executions through a 6 s stall: ${(wallMs / 1000).toFixed(2)} s, ${JSON.stringify(figures)}`);
	expect(figures).toMatchObject({ calls: count, refused: 0, lost: 0, duplicated: 0 });
	// the later calls left only once the stalled ones were answered, and a second after
	const updates = callsTo(first, UPDATE);
	const stalledAnswered = Math.min(...updates.slice(0, QUOTA).map((call) => call.time + call.latencyMs));
	for (const later of updates.slice(QUOTA)) expect(later.time).toBeGreaterThanOrEqual(stalledAnswered + 1000);
}, 60_000);

it('two apps in parallel do not slow each other down', async () => {
	const count = 30;
	const alone = await storm(first, count, await storedToken(first));
	expectNothingLostAndFewRefusals(`first app alone, ${count} executions`, tally(first, count), alone.wallMs);

	// a fresh process: no limiter remembers the first storm, so let DingTalk's second of it pass too
	appSessions.clear();
	await new Promise((resolve) => setTimeout(resolve, 1100));
	const tokens = [await storedToken(first), await storedToken(second)];
	const [a, b] = await Promise.all([storm(first, count, tokens[0]), storm(second, count, tokens[1])]);
	expectNothingLostAndFewRefusals(`first app, beside the second`, tally(first, count), a.wallMs);
	expectNothingLostAndFewRefusals(`second app, beside the first`, tally(second, count), b.wallMs);
	const together = Math.max(a.wallMs, b.wallMs);
	// sharing one limiter would take about twice as long as one app alone
	expect(together).toBeLessThan(alone.wallMs * 1.5);
	expect(appSessions.size).toBe(2);
}, 60_000);

it('an app left idle is forgotten: its limiter, token and pauses go away', async () => {
	await storm(first, 3);
	expect(appSessions.size).toBe(1);
	appSessions.sweep(Date.now() + IDLE_MS - 60_000);
	expect(appSessions.size).toBe(1);
	appSessions.sweep(Date.now() + IDLE_MS + 1);
	expect(appSessions.size).toBe(0);

	// the next execution simply starts a new session
	const [result] = (await storm(first, 1)).results;
	expect(result.items[0].json.errcode).toBe(0);
	expect(appSessions.size).toBe(1);
});
