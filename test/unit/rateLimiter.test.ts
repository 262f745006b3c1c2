import type { LimiterPlace } from '../../nodes/DingTalk/transport/rateLimiter';
import { AdaptiveRateLimiter, RateAdaptation } from '../../nodes/DingTalk/transport/rateLimiter';
import { ExecutionStoppedError } from '../../nodes/DingTalk/transport/wait';
import { ModelDingTalk, sendCalls, settle, simulate, VirtualClock } from './virtualTime';

/** A limiter on a virtual clock. */
function limiterAt(rate: number) {
	const clock = new VirtualClock();
	return { clock, limiter: new AdaptiveRateLimiter(rate, clock) };
}

/**
 * Asks for `count` starts at once; `startedAt[i]` is when call i was let start (relative to the
 * clock's time when asked), undefined while it waits.
 */
function askFor(limiter: AdaptiveRateLimiter, clock: VirtualClock, count: number, signal?: AbortSignal) {
	const asked = clock.now();
	const startedAt: Array<number | undefined> = new Array(count).fill(undefined);
	const places: LimiterPlace[] = [];
	const outcomes = Array.from({ length: count }, (_, index) =>
		limiter.acquire(signal).then((place) => {
			startedAt[index] = clock.now() - asked;
			places[index] = place;
		}),
	);
	/** Moves the clock to just before `at` (from when asked): call `index` still waits; at `at` it starts. */
	const startsExactlyAt = async (index: number, at: number) => {
		await clock.runUntil(asked + at - 1);
		expect(startedAt[index]).toBeUndefined();
		await clock.runUntil(asked + at);
		expect(startedAt[index]).toBe(at);
	};
	return { startedAt, places, outcomes, startsExactlyAt };
}

describe('AdaptiveRateLimiter: how fast calls may start', () => {
	it('the first calls start 1 / rate apart; calls waiting for places that come free, a quarter of 1 / rate apart', async () => {
		const { clock, limiter } = limiterAt(10);
		const { startedAt, places } = askFor(limiter, clock, 15);
		await clock.advance(1000);
		// from nothing held: paced over the second, so that other workers starting too see few refusals
		expect(startedAt.slice(0, 10)).toEqual([0, 100, 200, 300, 400, 500, 600, 700, 800, 900]);
		// half the places come free together a second after their answers
		places.slice(0, 5).forEach((place) => place.answered());
		await clock.advance(1200);
		expect(startedAt.slice(10)).toEqual([2000, 2025, 2050, 2075, 2100]);
	});

	it('the next call starts a second after an answer, not before (the window DingTalk counts in)', async () => {
		const { clock, limiter } = limiterAt(50);
		const { startedAt, places, startsExactlyAt } = askFor(limiter, clock, 51);
		await clock.advance(1000);
		expect(startedAt.filter((at) => at !== undefined)).toHaveLength(50);
		// every call answered at 1000 ms: DingTalk may have counted any of them as late as that
		for (const place of places) place.answered();
		await startsExactlyAt(50, 2000);
	});

	it('one answer frees one place: the call waiting starts a second after that answer', async () => {
		const { clock, limiter } = limiterAt(2);
		const { startedAt, places } = askFor(limiter, clock, 3);
		await clock.advance(600);
		expect(startedAt).toEqual([0, 500, undefined]);
		places[1].answered();
		await clock.advance(2000);
		expect(startedAt[2]).toBe(1600);
	});

	it('a call slower than 4 s keeps its place until a second after its answer (a 6 s stall)', async () => {
		const { clock, limiter } = limiterAt(1);
		const slow = await limiter.acquire(undefined, 30_000);
		const { startedAt, startsExactlyAt } = askFor(limiter, clock, 1);
		// DingTalk stalls: the first call is still unanswered at 6 s, and may yet be counted then
		await clock.advance(6000);
		expect(startedAt[0]).toBeUndefined();
		slow.answered();
		await startsExactlyAt(0, 7000);
	});

	it('a call never reported gives its place back at its own timeout plus the window', async () => {
		const { clock, limiter } = limiterAt(1);
		await limiter.acquire(undefined, 10_000);
		const { startsExactlyAt } = askFor(limiter, clock, 1);
		await startsExactlyAt(0, 11_000);
	});

	it('without a timeout given, a call never reported keeps its place for the longest Timeout (300 s) plus the window', async () => {
		const { clock, limiter } = limiterAt(1);
		await limiter.acquire();
		const { startsExactlyAt } = askFor(limiter, clock, 1);
		await startsExactlyAt(0, 301_000);
	});

	it('calls of one run each report their own answer: a late answer frees the slow call, not the oldest one', async () => {
		const { clock, limiter } = limiterAt(2);
		const { startedAt, places } = askFor(limiter, clock, 2);
		await clock.advance(600);
		// the second call answers at 600 ms, the first hangs (its timeout is the longest, 300 s)
		places[1].answered();
		const waiting = askFor(limiter, clock, 2);
		await clock.advance(5000);
		expect(startedAt).toEqual([0, 500]);
		// asked at 600 ms: the first starts a second after the answer, the second waits for the slow call
		expect(waiting.startedAt).toEqual([1000, undefined]);
	});

	it('below one call per second, the window is 1 / rate', async () => {
		const { clock, limiter } = limiterAt(0.5);
		const { places, startsExactlyAt } = askFor(limiter, clock, 2);
		await clock.advance(100);
		places[0].answered();
		await startsExactlyAt(1, 2100);
	});

	it.each([
		{ rate: 1.9, inTenSeconds: 19 },
		{ rate: 6.6, inTenSeconds: 66 },
		{ rate: 0.5, inTenSeconds: 5 },
	])('honours a fractional rate: $rate per second lets $inTenSeconds calls start in 10 s, and never more than the rate over its window', async ({ rate, inTenSeconds }) => {
		const { clock, limiter } = limiterAt(rate);
		const started: number[] = [];
		const asked = clock.now();
		// calls answered at once, asked for one after the other: only the limiter sets the pace
		const caller = async () => {
			while (clock.now() - asked < 10_000) {
				const place = await limiter.acquire();
				if (clock.now() - asked >= 10_000) return;
				started.push(clock.now() - asked);
				place.answered();
			}
		};
		const callers = Array.from({ length: 10 }, caller);
		await clock.runUntil(asked + 10_000);
		limiter.pauseFor(3600_000);
		expect(started.length).toBeGreaterThanOrEqual(inTenSeconds);
		// the places of the first window, then the rate
		expect(started.length).toBeLessThanOrEqual(rate * 10 + Math.ceil(rate));
		// the rate rounded up in any window of (rate rounded up) / rate seconds, so never more than a second's worth in a second
		const places = Math.ceil(rate);
		const windowMs = (places / rate) * 1000;
		for (const from of started) {
			expect(started.filter((at) => at >= from && at < from + windowMs).length).toBeLessThanOrEqual(places);
		}
		void callers;
	});

	it('lets calls start in the order they asked', async () => {
		const { clock, limiter } = limiterAt(3);
		const order: number[] = [];
		const places: LimiterPlace[] = [];
		const outcomes = [0, 1, 2, 3, 4, 5].map((index) =>
			limiter.acquire().then((place) => {
				order.push(index);
				places.push(place);
			}),
		);
		for (let answer = 0; answer < 6; answer++) {
			await clock.advance(50);
			places[answer]?.answered();
		}
		await clock.runAll();
		await Promise.all(outcomes);
		expect(order).toEqual([0, 1, 2, 3, 4, 5]);
	});

	it('works on real time with the default clock', async () => {
		const limiter = new AdaptiveRateLimiter(1000);
		const started = Date.now();
		await Promise.all([limiter.acquire(), limiter.acquire(), limiter.acquire()]);
		expect(Date.now() - started).toBeLessThan(500);
	});
});

describe('AdaptiveRateLimiter: pauses (DingTalk asked to wait)', () => {
	it('holds back calls already waiting: none starts inside the pause', async () => {
		const { clock, limiter } = limiterAt(10);
		const { startedAt, startsExactlyAt } = askFor(limiter, clock, 10);
		await settle();
		expect(startedAt[0]).toBe(0);
		// the first call came back {status: 1111, wait: 3}
		limiter.pauseFor(3000);
		await startsExactlyAt(1, 3000);
		await clock.advance(1000);
		expect(startedAt.slice(1)).toEqual([3000, 3100, 3200, 3300, 3400, 3500, 3600, 3700, 3800]);
	});

	it('holds back calls that ask later, and a shorter pause does not shorten a longer one', async () => {
		const { clock, limiter } = limiterAt(10);
		limiter.pauseFor(2000);
		limiter.pauseFor(500);
		await clock.advance(1000);
		await askFor(limiter, clock, 1).startsExactlyAt(0, 1000);
	});
});

describe('AdaptiveRateLimiter: a stopped execution', () => {
	it('ends a call waiting for a pause at once, and the others still start in turn', async () => {
		const { clock, limiter } = limiterAt(10);
		limiter.pauseFor(60_000);
		const stop = new AbortController();
		const stopped = limiter.acquire(stop.signal);
		const { startedAt } = askFor(limiter, clock, 2);
		await clock.advance(100);
		const before = clock.now();
		stop.abort();
		await expect(stopped).rejects.toBeInstanceOf(ExecutionStoppedError);
		expect(clock.now()).toBe(before);
		await clock.advance(60_000);
		expect(startedAt).toEqual([60_000, 60_100]);
	});

	it('listens once to the stop signal of an execution, however many of its calls wait or run, and lets go once all are answered', async () => {
		const { clock, limiter } = limiterAt(10);
		const stop = new AbortController();
		const added = jest.spyOn(stop.signal, 'addEventListener');
		const removed = jest.spyOn(stop.signal, 'removeEventListener');
		const { startedAt, places } = askFor(limiter, clock, 10, stop.signal);
		await clock.advance(1000);
		expect(startedAt.every((at) => at !== undefined)).toBe(true);
		places.slice(0, 9).forEach((place) => place.answered());
		expect(removed).not.toHaveBeenCalled();
		places[9].throttled();
		expect(added).toHaveBeenCalledTimes(1);
		expect(removed).toHaveBeenCalledTimes(1);
	});

	it('a running call of a stopped execution counts as given up at the stop: its place comes free a window later', async () => {
		const { clock, limiter } = limiterAt(1);
		const stop = new AbortController();
		await limiter.acquire(stop.signal, 30_000);
		const { startsExactlyAt } = askFor(limiter, clock, 1, new AbortController().signal);
		await clock.advance(500);
		stop.abort();
		await startsExactlyAt(0, 1500);
	});

	it('a call that threw, never reported, lets go of the stop signal once its place has come free', async () => {
		const { clock, limiter } = limiterAt(1);
		const stop = new AbortController();
		const removed = jest.spyOn(stop.signal, 'removeEventListener');
		await limiter.acquire(stop.signal, 5_000);
		await clock.advance(6_000);
		// the next call finds the place free and the call forgotten
		(await limiter.acquire()).answered();
		expect(removed).toHaveBeenCalledTimes(1);
	});

	it('ends the calls of a stopped execution waiting for a free place at once; the next execution gets its turn', async () => {
		// limiters are shared by the executions of one app
		const { clock, limiter } = limiterAt(1);
		const running = await limiter.acquire();
		const first = new AbortController();
		const firstCalls = [limiter.acquire(first.signal), limiter.acquire(first.signal)];
		const { startsExactlyAt } = askFor(limiter, clock, 1, new AbortController().signal);
		await clock.advance(10);
		first.abort();
		for (const call of firstCalls) await expect(call).rejects.toBeInstanceOf(ExecutionStoppedError);
		running.answered(); // at 10 ms
		await startsExactlyAt(0, 1010);
	});

	it('a stop after some of an execution\'s calls started still ends the rest at once, and lets go of the signal', async () => {
		const { clock, limiter } = limiterAt(10);
		const stop = new AbortController();
		const removed = jest.spyOn(stop.signal, 'removeEventListener');
		const { startedAt, outcomes } = askFor(limiter, clock, 5, stop.signal);
		await clock.advance(150);
		expect(startedAt).toEqual([0, 100, undefined, undefined, undefined]);
		expect(removed).not.toHaveBeenCalled();
		stop.abort();
		const settled = await Promise.allSettled(outcomes);
		expect(settled.map((outcome) => outcome.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'rejected', 'rejected']);
		// the listener went with the calls: another stop would find nothing to end
		const later = new AbortController();
		const laterRemoved = jest.spyOn(later.signal, 'removeEventListener');
		const { startedAt: laterStarted, places: laterPlaces } = askFor(limiter, clock, 3, later.signal);
		await clock.advance(1000);
		expect(laterStarted.every((at) => at !== undefined)).toBe(true);
		laterPlaces.forEach((place) => place.answered());
		expect(laterRemoved).toHaveBeenCalledWith('abort', expect.any(Function));
	});

	it('refuses at once when already stopped', async () => {
		const { clock, limiter } = limiterAt(10);
		const stop = new AbortController();
		stop.abort();
		await expect(limiter.acquire(stop.signal)).rejects.toBeInstanceOf(ExecutionStoppedError);
		// the refused call took no place
		const { startedAt } = askFor(limiter, clock, 10);
		await clock.advance(900);
		expect(startedAt.every((at) => at !== undefined)).toBe(true);
	});

	it('ends a wait on the real clock at once', async () => {
		const limiter = new AdaptiveRateLimiter(1);
		await limiter.acquire();
		const stop = new AbortController();
		const waiting = limiter.acquire(stop.signal);
		const started = Date.now();
		stop.abort();
		await expect(waiting).rejects.toBeInstanceOf(ExecutionStoppedError);
		expect(Date.now() - started).toBeLessThan(50);
	});
});

describe('RateAdaptation: a quota shared with other workers', () => {
	/** The rules on a virtual clock; `random` draws the quiet time (0.5: exactly 3 s). */
	function rulesAt(rate: number, random = () => 0.5) {
		const clock = new VirtualClock();
		const rules = new RateAdaptation(rate, clock, random);
		/** `count` calls started at `startedAt` and accepted now */
		const accept = (count: number, startedAt = clock.now()) => {
			for (let call = 0; call < count; call++) rules.onAccepted(startedAt);
		};
		/** the limiter asks whether a climb is due (it does while calls wait for a place) */
		const waitingAt = async (ms: number) => {
			await clock.advance(ms);
			rules.climbIfDue(clock.now());
			return rules.rate;
		};
		return { clock, rules, accept, waitingAt };
	}

	it('starts at the configured rate: a worker alone has the whole quota at once', () => {
		expect(rulesAt(50).rules.rate).toBe(50);
	});

	it('on a refusal the rate becomes the calls DingTalk accepted from this limiter in the last second', async () => {
		const { clock, rules, accept } = rulesAt(50);
		accept(10);
		await clock.advance(500);
		accept(12);
		await clock.advance(600);
		// the first 10 answers are older than a second: the share is the 12 since
		rules.onThrottled(clock.now());
		expect(rules.rate).toBe(12);
	});

	it('refusals of calls that started before the cut are the same overload and change nothing', async () => {
		const { clock, rules, accept } = rulesAt(50);
		const startedBefore = clock.now() - 10;
		accept(20);
		rules.onThrottled(clock.now());
		expect(rules.rate).toBe(20);
		// a second later only 5 were accepted: a late answer of the old overload still changes nothing
		await clock.advance(1000);
		accept(5);
		rules.onThrottled(startedBefore);
		expect(rules.rate).toBe(20);
		// a call started after the cut and refused is a new overload
		rules.onThrottled(clock.now() - 50);
		expect(rules.rate).toBe(5);
	});

	it('a limiter holding more than all the others together gives up a quarter of the difference', () => {
		const { clock, rules, accept } = rulesAt(50);
		// 34 of 50: the others hold 16, so this one gives up (34 - 16) / 4
		accept(34);
		rules.onThrottled(clock.now());
		expect(rules.rate).toBe(29.5);
	});

	it('never goes below half a call per second, nor above a configured rate under that', () => {
		const { clock, rules } = rulesAt(20);
		rules.onThrottled(clock.now());
		expect(rules.rate).toBe(0.5);
		const slow = new RateAdaptation(0.3, clock);
		slow.onThrottled(clock.now());
		expect(slow.rate).toBe(0.3);
	});

	it('after a refusal it stays put for 3 s, then probes: +1/50 of the rate (at least 1), then every 0.3 s twice the last step, each once a later call was accepted', async () => {
		const { clock, rules, accept, waitingAt } = rulesAt(100);
		accept(40);
		rules.onThrottled(clock.now());
		// a call started after the cut was accepted: the quota has room for this rate
		accept(1);
		expect(await waitingAt(2999)).toBe(40);
		expect(await waitingAt(1)).toBe(42);
		// not confirmed yet: no further step however long the wait
		expect(await waitingAt(1000)).toBe(42);
		// an answer of a call started before the climb says nothing of the new rate
		accept(1, clock.now() - 1010);
		expect(await waitingAt(0)).toBe(42);
		accept(1);
		// the step was due 0.3 s after the previous one: it climbs at once now
		expect(await waitingAt(0)).toBe(46);
		accept(1);
		expect(await waitingAt(299)).toBe(46);
		expect(await waitingAt(1)).toBe(54);
		for (let step = 0; step < 5; step++) {
			accept(1);
			await waitingAt(300);
		}
		expect(rules.rate).toBe(100);
		expect(rules.nextClimbAt).toBe(Infinity);
	});

	it('a call started since the last change must be accepted before it climbs: a limiter refused all along stays down', async () => {
		const { clock, rules, waitingAt } = rulesAt(10);
		rules.onThrottled(clock.now());
		expect(await waitingAt(10_000)).toBe(0.5);
		expect(rules.nextClimbAt).toBe(Infinity);
	});

	it('a probe that finds the quota full ends the climb, and the next probe waits 4 s; one that finds room brings back 3 s', async () => {
		const { clock, rules, accept, waitingAt } = rulesAt(10);
		accept(5);
		rules.onThrottled(clock.now());
		accept(1);
		expect(await waitingAt(3000)).toBe(6);
		// the probe's call is refused: back to what DingTalk accepts (4 in the last second), and a longer wait
		await clock.advance(500);
		accept(4);
		rules.onThrottled(clock.now());
		expect(rules.rate).toBe(4);
		accept(1);
		expect(await waitingAt(3999)).toBe(4);
		expect(await waitingAt(1)).toBe(5);
		// this probe finds room: 5, 7, then the configured 10
		accept(1);
		expect(await waitingAt(300)).toBe(7);
		accept(1);
		expect(await waitingAt(300)).toBe(10);
		// another worker arrives later: the quiet time after its refusal is 3 s again
		await clock.advance(2000);
		accept(5);
		rules.onThrottled(clock.now());
		accept(1);
		expect(await waitingAt(2999)).toBe(5);
		expect(await waitingAt(1)).toBe(6);
	});

	it('draws the quiet time within ±25 %, so that workers do not probe in step', async () => {
		for (const [random, quietMs] of [
			[0, 2250],
			[1, 3750],
		]) {
			const { clock, rules, accept, waitingAt } = rulesAt(10, () => random);
			rules.onThrottled(clock.now());
			accept(1);
			expect(await waitingAt(quietMs - 1)).toBe(0.5);
			expect(await waitingAt(1)).toBe(1.5);
		}
	});
});

describe('AdaptiveRateLimiter: following the shared quota', () => {
	it('a call refused for the rate gives its place back at once: DingTalk did not count it', async () => {
		const { clock, limiter } = limiterAt(2);
		const { places } = askFor(limiter, clock, 2);
		await clock.advance(600);
		// the first refusal cuts the rate to half a call per second: one place, held 2 s after an answer
		places[0].throttled();
		await clock.advance(100);
		// the second call, started before the cut, is refused too: the same overload
		places[1].throttled();
		const { startedAt } = askFor(limiter, clock, 1);
		await clock.advance(1000);
		// no place held: it starts a quarter of 1 / rate after the last start (500 + 500 ms), not 2 s after the refusal
		expect(startedAt).toEqual([300]);
		expect(limiter.rate).toBe(0.5);
	});

	it('a lower rate leaves fewer places: after a refusal with 10 calls accepted in the second, 10 start per second', async () => {
		const { clock, limiter } = limiterAt(20);
		const { places } = askFor(limiter, clock, 11);
		await clock.advance(1000);
		places.slice(0, 10).forEach((place) => place.answered());
		places[10].throttled();
		expect(limiter.rate).toBe(10);
		const { startedAt } = askFor(limiter, clock, 11);
		// a second after the answers the places come free, 10 of them
		await clock.advance(1999);
		expect(startedAt.filter((at) => at !== undefined)).toHaveLength(10);
	});

	it('climbs only while calls wait, and a due climb lets a waiting call start at once', async () => {
		const { clock, limiter } = limiterAt(4);
		const { places } = askFor(limiter, clock, 2);
		await clock.advance(300);
		places[0].answered();
		places[1].throttled();
		expect(limiter.rate).toBe(1);
		// nothing waits for 10 s: no climb meanwhile
		await clock.advance(10_000);
		expect(limiter.rate).toBe(1);
		const first = askFor(limiter, clock, 1);
		await clock.advance(10);
		expect(first.startedAt).toEqual([0]);
		// the one place is held for a second after the answer; the climb (due already) makes a second place
		first.places[0].answered();
		const next = askFor(limiter, clock, 1);
		await clock.advance(200);
		expect(limiter.rate).toBe(2);
		// a quarter of 1 / rate after the previous start, not a second after the answer
		expect(next.startedAt[0]).toBeLessThan(200);
	});
});

describe('AdaptiveRateLimiter: DingTalk never receives more than the quota in a second', () => {
	const cases = [
		{ second: 'rolling', countedAt: 1 },
		{ second: 'rolling', countedAt: 0.5 },
		{ second: 'rolling', countedAt: 0 },
		{ second: 'calendar', countedAt: 1 },
		{ second: 'calendar', countedAt: 0.5 },
		{ second: 'calendar', countedAt: 0 },
	] as const;

	it.each(cases)(
		'$second second, counted $countedAt of the way through a 20-120 ms round trip: no refusal, within 1.10 × the bound',
		async ({ second, countedAt }) => {
			const result = await simulate({ items: 1000, quota: 50, concurrency: 10, latencyMs: [20, 120], countedAt, second, seed: 5 });
			expect(result.refused).toBe(0);
			expect(result.mostInRollingSecond).toBeLessThanOrEqual(50);
			expect(result.mostInCalendarSecond).toBeLessThanOrEqual(50);
			expect(result.durationMs / result.boundMs).toBeLessThanOrEqual(1.1);
		},
	);

	it.each(cases)('$second second, counted $countedAt of the way through a 100-600 ms round trip: no refusal', async ({ second, countedAt }) => {
		const result = await simulate({ items: 300, quota: 20, concurrency: 20, latencyMs: [100, 600], countedAt, second, seed: 9 });
		expect(result.refused).toBe(0);
		expect(result.mostInRollingSecond).toBeLessThanOrEqual(20);
	});

	it.each(['rolling', 'calendar'] as const)(
		'two runs with a limiter each sharing one %s quota both finish, each call refused at most a few times',
		async (second) => {
			const clock = new VirtualClock();
			const dingTalk = new ModelDingTalk(50, second);
			const options = { items: 500, concurrency: 10, latencyMs: [20, 120] as [number, number], countedAt: 1 };
			const first = sendCalls(clock, dingTalk, new AdaptiveRateLimiter(50, clock), { ...options, seed: 1 });
			const secondRun = sendCalls(clock, dingTalk, new AdaptiveRateLimiter(50, clock), { ...options, seed: 2 });
			await clock.runAll();
			for (const run of await Promise.all([first, secondRun])) {
				// the node retries a refused call up to 10 times
				expect(run.mostRefusalsOfOneCall).toBeLessThanOrEqual(5);
			}
			expect(dingTalk.received.length).toBeGreaterThanOrEqual(1000);
		},
	);
});
