import { ExecutionStoppedError, wait } from './wait';

/** Time as the limiter sees it; tests inject a fake one. */
export interface RateLimiterClock {
	now(): number;
	/** resolves after `ms`; rejects (ExecutionStoppedError) as soon as `signal` fires */
	wait(ms: number, signal?: AbortSignal): Promise<void>;
}

const SYSTEM_CLOCK: RateLimiterClock = { now: () => Date.now(), wait };

interface Waiter {
	resolve: () => void;
	reject: (error: Error) => void;
	signal?: AbortSignal;
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
 * Callers report answers with onSuccess() and onThrottled(), which do not say which call answered:
 * each answer frees the oldest call still unanswered, so a place is never counted free sooner than
 * the call holding it could have been answered. A call never reported (the network failed, the
 * execution stopped) keeps its place as if answered `ASSUMED_ANSWER_MS` after it started.
 *
 * Starts are also spaced by a quarter of 1 / rate, so that waiting calls trickle out rather than
 * leave all at once; below one call per second the window is 1 / rate instead of a second.
 *
 * The rate adapts like TCP's congestion control, for a quota shared with others (another execution,
 * another n8n worker): when DingTalk answers "too many calls" (90018/90002/429) the rate drops, at
 * most once a second since one overload shows up in several answers at once, by a quarter for a lone
 * refusal and by half when refusals keep coming; after a second without refusals it climbs back by a
 * twentieth of the configured rate, and so on each second.
 *
 * pauseFor() (DingTalk asked to wait) holds back every call, including ones already waiting; a
 * stopped execution's waiting calls end at once.
 */
export class AdaptiveRateLimiter {
	private currentRate: number;
	private pausedUntil = -Infinity;
	private lastStartAt = -Infinity;
	private lastDecreaseAt = -Infinity;
	private lastClimbAt = -Infinity;
	private lastThrottleAt = -Infinity;
	/** start times of calls not answered yet, oldest first (older than the assumed answer time included) */
	private readonly unanswered: number[] = [];
	/** when each answered call gives back its place (its answer plus the window), in order */
	private readonly placeFreeAt: number[] = [];
	private readonly waiters: Waiter[] = [];
	/** one listener per execution's stop signal, however many of its calls wait */
	private readonly stopListeners = new Map<AbortSignal, () => void>();
	private granting = false;
	/** cuts short the sleep of the loop that lets waiting calls start */
	private wakeUp?: AbortController;

	/** DingTalk's second. A call holds its place this long after its answer. */
	private static readonly WINDOW_MS = 1000;
	/** a call never reported holds its place as if answered this long after it started */
	private static readonly ASSUMED_ANSWER_MS = 3000;
	/** unanswered calls older than this are forgotten (the caller gave up on them long ago) */
	private static readonly FORGET_UNANSWERED_MS = 120_000;
	/** starts are at least this fraction of 1 / rate apart (more costs throughput under jitter) */
	private static readonly SPACING = 0.25;
	/** a refusal within this long of the previous one means the quota is shared */
	private static readonly CONTENTION_MS = 5000;
	private static readonly LONE_REFUSAL_DECREASE = 0.75;
	private static readonly CONTENDED_DECREASE = 0.5;

	constructor(
		private readonly maxRate: number,
		private readonly clock: RateLimiterClock = SYSTEM_CLOCK,
	) {
		this.currentRate = maxRate;
	}

	get rate(): number {
		return this.currentRate;
	}

	/**
	 * Resolves when the caller may start its call, in the order callers asked. Rejects with
	 * ExecutionStoppedError as soon as `signal` fires.
	 */
	acquire(signal?: AbortSignal): Promise<void> {
		return new Promise<void>((resolve, reject) => {
			if (signal?.aborted) {
				reject(new ExecutionStoppedError());
				return;
			}
			const waiter: Waiter = { resolve, reject, signal };
			this.waiters.push(waiter);
			void this.grant();
			// a call that may start at once (above) needs no listener
			if (signal && !this.stopListeners.has(signal) && this.waiters.includes(waiter)) {
				const onStop = () => this.stopped(signal);
				this.stopListeners.set(signal, onStop);
				signal.addEventListener('abort', onStop, { once: true });
			}
		});
	}

	/** DingTalk refused a call for the rate (90018/90002/429): the call is answered, and the rate drops. */
	onThrottled(): void {
		const now = this.clock.now();
		this.answered(now);
		const contended = now - this.lastThrottleAt < AdaptiveRateLimiter.CONTENTION_MS;
		this.lastThrottleAt = now;
		if (now - this.lastDecreaseAt < 1000) return;
		const decrease = contended ? AdaptiveRateLimiter.CONTENDED_DECREASE : AdaptiveRateLimiter.LONE_REFUSAL_DECREASE;
		this.currentRate = Math.max(Math.min(1, this.maxRate), this.currentRate * decrease);
		this.lastDecreaseAt = now;
	}

	/**
	 * DingTalk answered and did not refuse the call for the rate (errors other than 90018/90002/429
	 * included: every answer gives its call's place back a second later). The rate creeps back towards
	 * the configured one.
	 */
	onSuccess(): void {
		const now = this.clock.now();
		this.answered(now);
		if (this.currentRate >= this.maxRate) return;
		if (now - this.lastThrottleAt < 1000 || now - this.lastClimbAt < 1000) return;
		this.currentRate = Math.min(this.maxRate, this.currentRate + Math.max(1, this.maxRate / 20));
		this.lastClimbAt = now;
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
		this.unanswered.push(now);
		this.lastStartAt = now;
		if (waiter.signal && !this.waiters.some((other) => other.signal === waiter.signal)) {
			this.stopListening(waiter.signal);
		}
		waiter.resolve();
	}

	/** An execution was stopped: its waiting calls end at once, the others keep their turn. */
	private stopped(signal: AbortSignal): void {
		this.stopListeners.delete(signal);
		const ended = this.waiters.filter((waiter) => waiter.signal === signal);
		this.waiters.splice(0, this.waiters.length, ...this.waiters.filter((waiter) => waiter.signal !== signal));
		for (const waiter of ended) waiter.reject(new ExecutionStoppedError());
		this.wake();
	}

	private stopListening(signal: AbortSignal): void {
		const onStop = this.stopListeners.get(signal);
		if (onStop) signal.removeEventListener('abort', onStop);
		this.stopListeners.delete(signal);
	}

	private failWaiters(error: Error): void {
		for (const signal of [...this.stopListeners.keys()]) this.stopListening(signal);
		for (const waiter of this.waiters.splice(0)) waiter.reject(error);
	}

	private wake(): void {
		this.wakeUp?.abort();
	}

	/** An answer came back: the oldest unanswered call gives back its place a window from now. */
	private answered(now: number): void {
		this.forgetPast(now);
		this.unanswered.shift();
		this.placeFreeAt.push(now + this.windowMs());
		this.wake();
	}

	/**
	 * A second, or longer below one call per second: `perWindow()` calls per `windowMs()` is
	 * never more than the rate.
	 */
	private windowMs(): number {
		const second = AdaptiveRateLimiter.WINDOW_MS;
		return this.currentRate >= 1 ? second : second / this.currentRate;
	}

	private perWindow(): number {
		return Math.max(1, Math.floor(this.currentRate));
	}

	/** How long an unanswered call holds its place after it started. */
	private unansweredHoldMs(): number {
		return AdaptiveRateLimiter.ASSUMED_ANSWER_MS + this.windowMs();
	}

	private forgetPast(now: number): void {
		while (this.placeFreeAt.length > 0 && this.placeFreeAt[0] <= now) this.placeFreeAt.shift();
		const forgetBefore = now - AdaptiveRateLimiter.FORGET_UNANSWERED_MS;
		while (this.unanswered.length > 0 && this.unanswered[0] < forgetBefore) this.unanswered.shift();
	}

	/** The earliest moment from `now` on when the next call may start. */
	private earliestStart(now: number): number {
		this.forgetPast(now);
		const spacing = (AdaptiveRateLimiter.SPACING * AdaptiveRateLimiter.WINDOW_MS) / this.currentRate;
		const notBefore = Math.max(now, this.pausedUntil, this.lastStartAt + spacing);

		// places still held: answered calls, then unanswered ones until their assumed answer plus the window
		const hold = this.unansweredHoldMs();
		const firstHeld = firstAfter(this.unanswered, now - hold);
		const held = this.placeFreeAt.length + this.unanswered.length - firstHeld;
		const mustFree = held - this.perWindow() + 1;
		if (mustFree <= 0) return notBefore;

		// the moment the `mustFree`-th place comes free: walk both ordered lists together
		let answered = 0;
		let unanswered = firstHeld;
		let freeAt = now;
		for (let freed = 0; freed < mustFree; freed++) {
			const nextAnswered = answered < this.placeFreeAt.length ? this.placeFreeAt[answered] : Infinity;
			const nextUnanswered = unanswered < this.unanswered.length ? this.unanswered[unanswered] + hold : Infinity;
			if (nextAnswered <= nextUnanswered) {
				freeAt = nextAnswered;
				answered++;
			} else {
				freeAt = nextUnanswered;
				unanswered++;
			}
		}
		return Math.max(notBefore, freeAt);
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
