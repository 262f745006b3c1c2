import { ExecutionStoppedError, wait } from './wait';

/** Time as the limiter sees it; tests inject a fake one. */
export interface RateLimiterClock {
	now(): number;
	/** resolves after `ms`; rejects (ExecutionStoppedError) as soon as `signal` fires */
	wait(ms: number, signal?: AbortSignal): Promise<void>;
}

const SYSTEM_CLOCK: RateLimiterClock = { now: () => Date.now(), wait };

/** One started call's place in the limiter. Report its answer once; a place never reported expires. */
export interface LimiterPlace {
	/** DingTalk answered and did not refuse the call for the rate (other errors included) */
	answered(): void;
	/** DingTalk refused the call for the rate (90018/90002/429) */
	throttled(): void;
}

/**
 * One DingTalk call and its retries, as the client sees the limiter: each attempt takes a place
 * with acquire(), and onSuccess() / onThrottled() report that attempt's answer.
 */
export interface LimitedCall {
	acquire(signal?: AbortSignal): Promise<void>;
	onSuccess(): void;
	onThrottled(): void;
}

interface StoppableCall {
	signal: AbortSignal;
	/** the execution was stopped: the call was given up now */
	stopped: () => void;
	/** when its place comes free */
	heldUntil: () => number;
}

interface Waiter {
	resolve: (place: LimiterPlace) => void;
	reject: (error: Error) => void;
	signal?: AbortSignal;
	/** how long the call may take at most: an unanswered call holds its place that long, plus the window */
	timeoutMs: number;
}

/**
 * Lets DingTalk calls start so that DingTalk never receives more than `rate` of them in any one
 * second, however it counts the second (rolling, or the calendar second its throttling guide
 * suggests) and however long each call spends on the network.
 *
 * When exactly a call reaches DingTalk is unknown, but it lies between the moment it starts and the
 * moment its answer is back. So each call holds one of `rate` places from its start until a second
 * after its answer, and a call starts only when a place is free. Any calls DingTalk could count in
 * one second then held places at the same time, so there are never more of them than places. The
 * price is one round trip per place and second: at 100 ms per call, 20 places carry 20 calls every
 * 1.1 s. (Calls merely started evenly spaced reach DingTalk bunched over a real network, and some
 * are refused.)
 *
 * acquire() hands each call its place, and the call reports its own answer on it. A call slow to
 * answer keeps its place however long it takes; one never reported (the execution stopped, an error
 * was thrown) keeps it until its own timeout plus the window.
 *
 * A rate that is not a whole number gets the places rounded up, each held a little longer than a
 * second (6.6 per second: 7 places, each held 7 / 6.6 s after its answer); below one call per second
 * that is one place held 1 / rate. Starts are also spaced by a quarter of 1 / rate, so that waiting
 * calls trickle out rather than leave all at once.
 *
 * The rate adapts to DingTalk's refusals (RateAdaptation), for a quota shared with others.
 *
 * pauseFor() (DingTalk asked to wait) holds back every call, including ones already waiting; a
 * stopped execution's waiting calls end at once, and its running calls count as given up then.
 */
export class AdaptiveRateLimiter {
	private readonly adaptation: RateAdaptation;
	private pausedUntil = -Infinity;
	private lastStartAt = -Infinity;
	/**
	 * When each place in use comes free, in ascending order: an answered call's answer plus the
	 * window, an unanswered call's assumed answer plus the window.
	 */
	private readonly freeAt: number[] = [];
	private readonly waiters: Waiter[] = [];
	/** started calls of executions that may be stopped, not reported yet */
	private readonly stoppableCalls = new Set<StoppableCall>();
	/**
	 * One listener per execution's stop signal, however many of its calls wait or run, let go when
	 * none is left.
	 */
	private readonly executions = new Map<AbortSignal, { onStop: () => void; calls: number }>();
	private granting = false;
	/** cuts short the sleep of the loop that lets waiting calls start */
	private wakeUp?: AbortController;

	/** DingTalk's second. A call holds its place this long after its answer. */
	private static readonly WINDOW_MS = 1000;
	/** the node's longest Timeout: a call whose own is not given may take this long */
	private static readonly LONGEST_TIMEOUT_MS = 300_000;
	/** starts are at least this fraction of 1 / rate apart (more costs throughput under jitter) */
	private static readonly SPACING = 0.25;

	constructor(
		maxRate: number,
		private readonly clock: RateLimiterClock = SYSTEM_CLOCK,
	) {
		this.adaptation = new RateAdaptation(maxRate, clock);
	}

	get rate(): number {
		return this.adaptation.rate;
	}

	/**
	 * Resolves with the call's place when the caller may start its call, in the order callers asked.
	 * Rejects with ExecutionStoppedError as soon as `signal` fires. `timeoutMs`: how long the call
	 * may take at most (its Timeout).
	 */
	acquire(signal?: AbortSignal, timeoutMs = AdaptiveRateLimiter.LONGEST_TIMEOUT_MS): Promise<LimiterPlace> {
		return new Promise<LimiterPlace>((resolve, reject) => {
			if (signal?.aborted) {
				reject(new ExecutionStoppedError());
				return;
			}
			if (signal) this.join(signal);
			this.waiters.push({ resolve, reject, signal, timeoutMs });
			void this.grant();
		});
	}

	/** The limiter as one call and its retries use it: each answer reported frees that attempt's place. */
	forCall(timeoutMs: number): LimitedCall {
		let place: LimiterPlace | undefined;
		const report = (how: 'answered' | 'throttled') => {
			place?.[how]();
			place = undefined;
		};
		return {
			acquire: async (signal) => {
				place = await this.acquire(signal, timeoutMs);
			},
			onSuccess: () => report('answered'),
			onThrottled: () => report('throttled'),
		};
	}

	/** No call starts before `ms` from now (DingTalk banned the IP and asked to wait). */
	pauseFor(ms: number): void {
		this.pausedUntil = Math.max(this.pausedUntil, this.clock.now() + ms);
	}

	/** Lets waiting calls start, one at a time, each as soon as it may; one loop at a time. */
	private async grant(): Promise<void> {
		if (this.granting) return;
		this.granting = true;
		try {
			while (this.waiters.length > 0) {
				const now = this.clock.now();
				const startAt = this.earliestStart(now);
				if (startAt <= now) {
					this.start(this.waiters.shift() as Waiter, now);
					continue;
				}
				// an answer or a stop may let a call start sooner: those cut the sleep short
				const wakeUp = new AbortController();
				this.wakeUp = wakeUp;
				try {
					await this.clock.wait(startAt - now, wakeUp.signal);
				} catch (error) {
					if (!wakeUp.signal.aborted) this.failWaiters(error as Error);
				} finally {
					this.wakeUp = undefined;
				}
			}
		} finally {
			this.granting = false;
		}
	}

	private start(waiter: Waiter, now: number): void {
		this.lastStartAt = now;
		waiter.resolve(this.takePlace(now, waiter.timeoutMs, waiter.signal));
	}

	/**
	 * A place held from `now` until a window after the call's answer, reported once. A call never
	 * reported (an error was thrown) may have been answered as late as its timeout; one whose
	 * execution was stopped was given up when the stop came, as one that timed out.
	 */
	private takePlace(now: number, timeoutMs: number, signal: AbortSignal | undefined): LimiterPlace {
		let until = now + timeoutMs + this.windowMs();
		insertSorted(this.freeAt, until);
		let reported = false;
		const report = (outcome: 'answered' | 'throttled' | 'stopped') => {
			if (reported) return;
			reported = true;
			if (stoppable) {
				this.stoppableCalls.delete(stoppable);
				if (outcome !== 'stopped') this.leave(stoppable.signal);
			}
			removeSorted(this.freeAt, until);
			until = this.clock.now() + this.windowMs();
			insertSorted(this.freeAt, until);
			if (outcome === 'throttled') this.adaptation.onThrottled();
			if (outcome === 'answered') this.adaptation.onSuccess();
			this.wake();
		};
		const stoppable: StoppableCall | undefined = signal && { signal, stopped: () => report('stopped'), heldUntil: () => until };
		if (stoppable) this.stoppableCalls.add(stoppable);
		return { answered: () => report('answered'), throttled: () => report('throttled') };
	}

	/** Started calls that threw, never reported, are forgotten once their place has come free. */
	private forgetExpiredCalls(now: number): void {
		for (const call of this.stoppableCalls) {
			if (call.heldUntil() > now) continue;
			this.stoppableCalls.delete(call);
			this.leave(call.signal);
		}
	}

	/** A call of the execution that `signal` stops waits or runs: listen to the stop, once. */
	private join(signal: AbortSignal): void {
		const execution = this.executions.get(signal);
		if (execution) {
			execution.calls++;
			return;
		}
		const onStop = () => this.stopped(signal);
		this.executions.set(signal, { onStop, calls: 1 });
		signal.addEventListener('abort', onStop, { once: true });
	}

	/** A call of that execution was reported (or failed): let go of the stop once none is left. */
	private leave(signal: AbortSignal): void {
		const execution = this.executions.get(signal);
		if (!execution || --execution.calls > 0) return;
		signal.removeEventListener('abort', execution.onStop);
		this.executions.delete(signal);
	}

	/**
	 * An execution was stopped: its waiting calls end at once, the others keep their turn; its
	 * running calls were given up now, as timed-out ones: their places come free a window from now.
	 */
	private stopped(signal: AbortSignal): void {
		this.executions.delete(signal);
		const ended = this.waiters.filter((waiter) => waiter.signal === signal);
		this.waiters.splice(0, this.waiters.length, ...this.waiters.filter((waiter) => waiter.signal !== signal));
		for (const waiter of ended) waiter.reject(new ExecutionStoppedError());
		for (const call of [...this.stoppableCalls]) if (call.signal === signal) call.stopped();
		this.wake();
	}

	private failWaiters(error: Error): void {
		for (const waiter of this.waiters.splice(0)) {
			if (waiter.signal) this.leave(waiter.signal);
			waiter.reject(error);
		}
	}

	private wake(): void {
		this.wakeUp?.abort();
	}

	/**
	 * How long a call holds its place after its answer: a second, or a little longer for a rate that
	 * is not a whole number (6.6 per second: 7 places, each held 7 / 6.6 s), so that `perWindow()`
	 * calls per `windowMs()` is exactly the rate.
	 */
	private windowMs(): number {
		return (AdaptiveRateLimiter.WINDOW_MS * this.perWindow()) / this.rate;
	}

	private perWindow(): number {
		return Math.ceil(this.rate);
	}

	/** The earliest moment from `now` on when the next call may start. */
	private earliestStart(now: number): number {
		// places whose time is up are free
		const stillHeld = firstAfter(this.freeAt, now);
		if (stillHeld > 0) this.freeAt.splice(0, stillHeld);
		if (this.stoppableCalls.size > this.freeAt.length) this.forgetExpiredCalls(now);
		const spacing = (AdaptiveRateLimiter.SPACING * AdaptiveRateLimiter.WINDOW_MS) / this.rate;
		const notBefore = Math.max(now, this.pausedUntil, this.lastStartAt + spacing);
		const mustFree = this.freeAt.length - this.perWindow() + 1;
		if (mustFree <= 0) return notBefore;
		return Math.max(notBefore, this.freeAt[mustFree - 1]);
	}
}

/** The index of the first value above `limit` in ascending `values`. */
function firstAfter(values: number[], limit: number): number {
	let low = 0;
	let high = values.length;
	while (low < high) {
		const middle = (low + high) >>> 1;
		if (values[middle] > limit) high = middle;
		else low = middle + 1;
	}
	return low;
}

function insertSorted(values: number[], value: number): void {
	values.splice(firstAfter(values, value), 0, value);
}

/** Removes one `value` from ascending `values`, if it is there (a place already come free is not). */
function removeSorted(values: number[], value: number): void {
	const index = firstAfter(values, value) - 1;
	if (index >= 0 && values[index] === value) values.splice(index, 1);
}

/**
 * How the limiter's rate follows DingTalk's refusals, like TCP's congestion control, for a quota
 * shared with others (another execution, another n8n worker): when DingTalk answers "too many calls"
 * the rate drops, at most once a second since one overload shows up in several answers at once, by a
 * quarter for a lone refusal and by half when refusals keep coming; after a second without refusals
 * it climbs back by a twentieth of the configured rate, and so on each second.
 */
export class RateAdaptation {
	private currentRate: number;
	private lastDecreaseAt = -Infinity;
	private lastClimbAt = -Infinity;
	private lastThrottleAt = -Infinity;

	/** a refusal within this long of the previous one means the quota is shared */
	private static readonly CONTENTION_MS = 5000;
	private static readonly LONE_REFUSAL_DECREASE = 0.75;
	private static readonly CONTENDED_DECREASE = 0.5;

	constructor(
		private readonly maxRate: number,
		private readonly clock: Pick<RateLimiterClock, 'now'>,
	) {
		this.currentRate = maxRate;
	}

	get rate(): number {
		return this.currentRate;
	}

	/** DingTalk refused a call for the rate (90018/90002/429): the rate drops. */
	onThrottled(): void {
		const now = this.clock.now();
		const contended = now - this.lastThrottleAt < RateAdaptation.CONTENTION_MS;
		this.lastThrottleAt = now;
		if (now - this.lastDecreaseAt < 1000) return;
		const decrease = contended ? RateAdaptation.CONTENDED_DECREASE : RateAdaptation.LONE_REFUSAL_DECREASE;
		this.currentRate = Math.max(Math.min(1, this.maxRate), this.currentRate * decrease);
		this.lastDecreaseAt = now;
	}

	/** DingTalk answered without refusing the call for the rate: the rate creeps back towards the configured one. */
	onSuccess(): void {
		const now = this.clock.now();
		if (this.currentRate >= this.maxRate) return;
		if (now - this.lastThrottleAt < 1000 || now - this.lastClimbAt < 1000) return;
		this.currentRate = Math.min(this.maxRate, this.currentRate + Math.max(1, this.maxRate / 20));
		this.lastClimbAt = now;
	}
}
