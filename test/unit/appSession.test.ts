/**
 * What executions of one app share (transport/appSession.ts), stoppable waits (wait.ts) and paged
 * lists (listing.ts).
 */
import type { IDataObject } from 'n8n-workflow';

import { AppSession, AppSessions, appSessions, IDLE_MS } from '../../nodes/DingTalk/transport/appSession';
import { listAllPages, listPage, ListTooLongError, MAX_PAGES, PAGE_SIZE } from '../../nodes/DingTalk/transport/listing';
import { SAFE_TO_REPEAT } from '../../nodes/DingTalk/transport/retryPolicy';
import { ExecutionStoppedError, throwIfStopped, wait } from '../../nodes/DingTalk/transport/wait';
import { DingTalkClient } from '../../nodes/DingTalk/transport/client';
import { APP_SECRET, BASE_URL, fakeContext, FakeDingTalk, NODE, ok, rejection, settle, useFakeClock } from './fakes';

afterEach(() => jest.useRealTimers());

describe('AppSessions', () => {
	it('one session per Base URL, App Key and App Secret', () => {
		const sessions = new AppSessions(() => 0);
		const a = sessions.sessionFor('https://a', 'key', 'secret');
		expect(sessions.sessionFor('https://a', 'key', 'secret')).toBe(a);
		expect(sessions.sessionFor('https://b', 'key', 'secret')).not.toBe(a);
		expect(sessions.sessionFor('https://a', 'other', 'secret')).not.toBe(a);
		expect(sessions.sessionFor('https://a', 'key', 'wrong')).not.toBe(a);
		expect(sessions.sessionFor('https://a', undefined, undefined)).toBe(sessions.sessionFor('https://a', '', ''));
		expect(sessions.size).toBe(5);
		sessions.clear();
		expect(sessions.size).toBe(0);
	});

	it('sessions unused for 10 minutes are dropped, unless a token fetch is under way', () => {
		let now = 0;
		const sessions = new AppSessions(() => now);
		const idle = sessions.sessionFor('https://a', 'idle', 's');
		const fetching = sessions.sessionFor('https://a', 'fetching', 's');
		fetching.fetching = new Promise(() => undefined);
		now = 5 * 60 * 1000;
		const used = sessions.sessionFor('https://a', 'used', 's');
		expect(used.lastUsedAt).toBe(now);
		now = IDLE_MS;
		sessions.sweep();
		expect(sessions.size).toBe(3);
		now = IDLE_MS + 1;
		sessions.sweep();
		expect(sessions.size).toBe(2);
		expect(sessions.sessionFor('https://a', 'idle', 's')).not.toBe(idle);
		expect(sessions.sessionFor('https://a', 'fetching', 's')).toBe(fetching);
		sessions.sweep(now + IDLE_MS + 1);
		expect(sessions.size).toBe(1);
		expect(IDLE_MS).toBe(600_000);
	});
});

describe('a session in use is never swept', () => {
	it('a call under way holds its session however long it takes; once it ends the idle time counts from then', () => {
		let now = 0;
		const sessions = new AppSessions(() => now);
		const session = sessions.sessionFor('https://a', 'long-run', 's');
		const release = session.use();
		now = 3 * IDLE_MS;
		sessions.sweep();
		expect(sessions.sessionFor('https://a', 'long-run', 's')).toBe(session);
		now = 4 * IDLE_MS;
		release();
		release(); // a second release changes nothing
		now = 5 * IDLE_MS;
		sessions.sweep();
		expect(sessions.size).toBe(1);
		now = 5 * IDLE_MS + 1;
		sessions.sweep();
		expect(sessions.size).toBe(0);
	});

	it('two calls at once: the session is held until both ended', () => {
		let now = 0;
		const sessions = new AppSessions(() => now);
		const session = sessions.sessionFor('https://a', 'k', 's');
		const first = session.use();
		const second = session.use();
		first();
		now = 2 * IDLE_MS;
		sessions.sweep();
		expect(sessions.size).toBe(1);
		second();
		now = 3 * IDLE_MS + 1;
		sessions.sweep();
		expect(sessions.size).toBe(0);
	});

	it('through the client: a run whose calls take over 10 minutes keeps its session for the next run', async () => {
		useFakeClock();
		const dingTalk = new FakeDingTalk();
		let release!: () => void;
		const gate = new Promise<void>((resolve) => (release = resolve));
		dingTalk.on('/slow', () => ok());
		const context = fakeContext({ dingTalk });
		const handle = dingTalk.handle.bind(dingTalk);
		dingTalk.handle = async (options) => {
			if (String(options.url).endsWith('/slow')) await gate;
			return await handle(options);
		};
		appSessions.clear();
		const client = new DingTalkClient(context, { requestsPerSecond: 10, maxRetries: 0, maxBanWaitSeconds: 30, timeoutSeconds: 3600 });
		const slow = client.call('/slow', {}, SAFE_TO_REPEAT);
		await jest.advanceTimersByTimeAsync(100);
		const session = appSessions.sessionFor(BASE_URL, 'the-app-key', APP_SECRET);
		jest.setSystemTime(Date.now() + IDLE_MS + 60_000);
		appSessions.sweep();
		expect(appSessions.sessionFor(BASE_URL, 'the-app-key', APP_SECRET)).toBe(session);
		release();
		await settle(slow);
		appSessions.clear();
	});
});

describe('AppSession', () => {
	it('one limiter per API and rate', () => {
		const session = new AppSession(0);
		const update = session.limiter('/update', 20);
		expect(session.limiter('/update', 20)).toBe(update);
		expect(session.limiter('/update', 10)).not.toBe(update);
		expect(session.limiter('/list', 20)).not.toBe(update);
		expect(update.rate).toBe(20);
	});

	it('a ban pauses every API of the app', async () => {
		useFakeClock();
		const session = new AppSession(Date.now());
		const started: string[] = [];
		const start = async (path: string) => {
			await session.limiter(path, 1000).acquire();
			started.push(`${path} ${Date.now()}`);
		};
		await settle(Promise.all([start('/a'), start('/b')]));
		const t0 = Date.now();
		session.pauseAll(3000);
		await settle(Promise.all([start('/a'), start('/b')]));
		expect(started.slice(2)).toEqual([`/a ${t0 + 3000}`, `/b ${t0 + 3000}`]);
	});

	it("an API's limiter lets at most its rate start within a second", async () => {
		useFakeClock();
		const limiter = new AppSession(Date.now()).limiter('/update', 10);
		const first = Date.now();
		const startedAt: number[] = [];
		await settle(
			Promise.all(
				Array.from({ length: 21 }, async () => {
					// calls of a 2 s Timeout, never reported: each holds its place 2 s plus the window
					await limiter.acquire(undefined, 2000);
					startedAt.push(Date.now() - first);
				}),
			),
		);
		// the rate's places fill over the first second, 1 / rate apart (rateLimiter.ts)
		expect(startedAt.slice(0, 10)).toEqual([0, 100, 200, 300, 400, 500, 600, 700, 800, 900]);
		// the 11th waits until a place is free: a second after an answer or the timeout
		expect(startedAt[10]).toBeGreaterThan(1000);
		// any call and the tenth after it start more than a second apart
		const gaps = startedAt.slice(10).map((time, index) => time - startedAt[index]);
		expect(Math.min(...gaps)).toBeGreaterThan(1000);
	});

	it('retired tokens: never used again, the newest eight remembered, all of them redacted', () => {
		const session = new AppSession(0);
		session.token = 'current-token';
		session.tokenExpiresAt = 123;
		session.retire('');
		expect(session.knownTokens()).toEqual(['current-token']);
		session.retire('older-token');
		expect(session.token).toBe('current-token');
		expect(session.isRetired('older-token')).toBe(true);
		session.retire('current-token');
		expect(session).toMatchObject({ token: '', tokenExpiresAt: '' });
		session.retire('current-token');
		expect(session.knownTokens()).toEqual(['', 'older-token', 'current-token']);
		for (let index = 0; index < 7; index++) session.retire(`token-${index}`);
		expect(session.isRetired('older-token')).toBe(false);
		expect(session.isRetired('current-token')).toBe(true);
		expect(session.knownTokens()).toHaveLength(9);
	});
});

describe('wait', () => {
	it('resolves after the time, or at once for none', async () => {
		useFakeClock();
		let done = false;
		const waiting = wait(250).then(() => (done = true));
		await jest.advanceTimersByTimeAsync(249);
		expect(done).toBe(false);
		await jest.advanceTimersByTimeAsync(1);
		await waiting;
		expect(done).toBe(true);
		const controller = new AbortController();
		for (const ms of [0, -5, Number.NaN]) await wait(ms, controller.signal);
		expect(jest.getTimerCount()).toBe(0);
	});

	it('with a stop signal: in steps of at most 100 ms, and ends at once when stopped', async () => {
		useFakeClock();
		const controller = new AbortController();
		const start = Date.now();
		let ended = 0;
		const waiting = wait(1000, controller.signal).then(() => (ended = Date.now()));
		await jest.advanceTimersByTimeAsync(0);
		expect(jest.getTimerCount()).toBe(1);
		await jest.advanceTimersByTimeAsync(1000);
		await waiting;
		expect(ended - start).toBe(1000);

		const stopped = wait(60_000, controller.signal);
		controller.abort();
		expect(await rejection(stopped)).toBeInstanceOf(ExecutionStoppedError);
		await expect(wait(10, controller.signal)).rejects.toThrow('The execution was stopped');
	});

	it('throwIfStopped', () => {
		const controller = new AbortController();
		expect(() => throwIfStopped(undefined)).not.toThrow();
		expect(() => throwIfStopped(controller.signal)).not.toThrow();
		controller.abort();
		expect(() => throwIfStopped(controller.signal)).toThrow(ExecutionStoppedError);
		expect(new ExecutionStoppedError()).toMatchObject({ name: 'ExecutionStoppedError', message: 'The execution was stopped' });
	});
});

describe('paged lists', () => {
	/** A client whose list holds `total` entries; records the pages asked for. */
	function listClient(total: number, results: (page: IDataObject[]) => unknown = (page) => page) {
		const asked: IDataObject[] = [];
		const client = {
			node: NODE,
			async call(path: string, params: IDataObject, policy: unknown, itemIndex?: number) {
				asked.push({ path, ...params, policy: policy as IDataObject, itemIndex });
				const offset = Number(params.offset);
				const page = Array.from({ length: Math.max(0, Math.min(Number(params.size), total - offset)) }, (_, index) => ({ id: offset + index }));
				return { errcode: 0, results: results(page) };
			},
		} as unknown as DingTalkClient;
		return { client, asked };
	}

	it('pages of 100 until a short page', async () => {
		const { client, asked } = listClient(250);
		const all = await listAllPages(client, '/list', undefined, 2);
		expect(all.map((entry) => entry.id)).toEqual(Array.from({ length: 250 }, (_, index) => index));
		expect(asked).toEqual([0, 100, 200].map((offset) => ({ path: '/list', offset, size: 100, policy: SAFE_TO_REPEAT, itemIndex: 2 })));
		expect(PAGE_SIZE).toBe(100);
	});

	it('a full last page is followed by an empty one', async () => {
		const { client, asked } = listClient(200);
		expect(await listAllPages(client, '/list')).toHaveLength(200);
		expect(asked).toHaveLength(3);
	});

	it('up to a limit, reading no page more than needed', async () => {
		const { client, asked } = listClient(1000);
		expect(await listAllPages(client, '/list', 150)).toHaveLength(150);
		expect(asked).toHaveLength(2);
		const exact = listClient(1000);
		expect(await listAllPages(exact.client, '/list', 100)).toHaveLength(100);
		expect(exact.asked).toHaveLength(1);
	});

	it('a list longer than 1,000 pages is an error, not part of the list', async () => {
		const { client, asked } = listClient(Number.POSITIVE_INFINITY);
		const failure = await listAllPages(client, '/list').catch((error: unknown) => error);
		expect(failure).toBeInstanceOf(ListTooLongError);
		expect(failure).toMatchObject({
			message: "DingTalk's list (/list) has 100,000 entries or more, more than this package reads in one walk",
			description: expect.stringContaining('Nothing was returned or changed for this item'),
		});
		expect(asked).toHaveLength(MAX_PAGES);
		// within a limit the same list is fine, and read only as far as needed
		const limited = listClient(Number.POSITIVE_INFINITY);
		expect(await listAllPages(limited.client, '/list', 250)).toHaveLength(250);
		expect(limited.asked).toHaveLength(3);
	});

	it('keeps only the entries asked for, counting them against the limit', async () => {
		const { client, asked } = listClient(1000);
		const even = await listAllPages(client, '/list', 60, undefined, (entry) => Number(entry.id) % 2 === 0);
		expect(even.map((entry) => entry.id)).toEqual(Array.from({ length: 60 }, (_, index) => index * 2));
		expect(asked).toHaveLength(2);
		const none = listClient(250);
		expect(await listAllPages(none.client, '/list', 10, undefined, () => false)).toEqual([]);
		expect(none.asked).toHaveLength(3);
		expect(await listAllPages(none.client, '/list', 0)).toEqual([]);
	});

	it('an answer without a results list fails: it is not an empty page', async () => {
		const { client } = listClient(5, () => 'not a list');
		const message = 'DingTalk answered /list without its data ("results")';
		expect((await rejection(listPage(client, '/list', 0, 100, 3))).message).toBe(message);
		expect(await rejection(listAllPages(client, '/list'))).toMatchObject({ message, errorResponse: { errcode: 0 } });
	});
});
