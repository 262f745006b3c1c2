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
 * are refused.) A call DingTalk refused for the rate was not counted (DingTalk counts the calls it
 * takes): its place is free at once, or this worker would leave one of its places unused for a
 * second, another worker would take it, and the retry would be refused in turn.
 *
 * acquire() hands each call its place, and the call reports its own answer on it. A call slow to
 * answer keeps its place however long it takes; one never reported (the execution stopped, an error
 * was thrown) keeps it until its own timeout plus the window.
 *
 * A rate that is not a whole number gets the places rounded up, each held a little longer than a
 * second (6.6 per second: 7 places, each held 7 / 6.6 s after its answer); below one call per second
 * that is one place held 1 / rate. Starts are also spaced by a quarter of 1 / rate, so that waiting
 * calls trickle out rather than leave all at once; the calls of a burst from nothing held (the first
 * ones) are spaced by a whole 1 / rate, so that limiters of other workers starting at the same time
 * learn of each other from a few refusals rather than a second's worth.
 *
 * The rate follows DingTalk's answers (RateAdaptation), for a quota shared with other workers.
 *
 * pauseFor() (DingTalk asked to wait) holds back every call, including ones already waiting; a
 * stopped execution's waiting calls end at once, and its running calls count as given up then.
 */
export class AdaptiveRateLimiter {
	private readonly adaptation: RateAdaptation;
	private pausedUntil = -Infinity;
	private lastStartAt = -Infinity;
	/** starts left that are spaced by a whole 1 / rate */
	private pacedStarts = 0;
	/**
	 * When each place in use comes free, in ascending order: an answered call's answer plus the
	 * window, an unanswered call's timeout plus the window.
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
		random: () => number = Math.random,
	) {
		this.adaptation = new RateAdaptation(maxRate, clock, random);
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
		// a burst from no place held (the first calls, or after a pause in the work) is paced
		if (this.freeAt.length === 0) this.pacedStarts = this.perWindow() - 1;
		else if (this.pacedStarts > 0) this.pacedStarts--;
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
			// DingTalk did not count a call it refused for the rate: its place is free at once
			until = this.clock.now() + (outcome === 'throttled' ? 0 : this.windowMs());
			insertSorted(this.freeAt, until);
			if (outcome === 'throttled') this.adaptation.onThrottled(now);
			if (outcome === 'answered') this.adaptation.onAccepted(now);
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
		this.adaptation.climbIfDue(now);
		// a cut of the rate shortens the paced burst too
		this.pacedStarts = Math.min(this.pacedStarts, this.perWindow() - 1);
		const spacing = ((this.pacedStarts > 0 ? 1 : AdaptiveRateLimiter.SPACING) * AdaptiveRateLimiter.WINDOW_MS) / this.rate;
		const notBefore = Math.max(now, this.pausedUntil, this.lastStartAt + spacing);
		const mustFree = this.freeAt.length - this.perWindow() + 1;
		if (mustFree <= 0) return notBefore;
		// a climb of the rate may free a place sooner
		return Math.max(notBefore, Math.min(this.freeAt[mustFree - 1], this.adaptation.nextClimbAt));
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
 * How the rate follows DingTalk's answers when others share the quota: other executions, and above
 * all other n8n workers, each with its own limiter set to the whole quota. No counter can be shared
 * between workers; DingTalk's answers, "accepted" or "too many calls", and time are all there is.
 *
 * - A refusal means DingTalk's second is full. The calls of this limiter that DingTalk accepted in
 *   the last second are then its share of the quota as things stand: the rate becomes that, so that
 *   all limiters together fill the quota without overfilling it. A limiter that holds more than all
 *   the others together (there is at least one other, so it holds more than half; the configured
 *   rate is taken for the quota) also gives up a quarter of the difference, so that shares even out. The rate never goes below half a call per
 *   second. One overload shows up in several answers: refusals of calls that started before the cut
 *   are part of it and change nothing.
 * - After a refusal the rate stays put for a quiet time, then probes for room left by a worker that
 *   went idle: it climbs by a fiftieth of the configured rate (at least one call), then again every
 *   0.3 s by twice the last step, each step once a call started after the previous one was accepted,
 *   up to the configured rate. A refusal ends the climb. The quiet time is 3 s, 4 s after a probe
 *   that failed, drawn at random within ±25 % so that workers do not probe in step.
 * - It starts at the configured rate: a worker alone has the whole quota at once.
 *
 * Each probe that finds the quota full costs one refused call (retried by the node), so this trades a
 * few refusals for finding room within seconds; test/bench/run.ts compares designs (rows 1s*).
 */
export class RateAdaptation {
	private currentRate: number;
	/** answers of this limiter's accepted calls in the last second, oldest first */
	private readonly acceptedAt: number[] = [];
	/** when the rate was last cut: refusals of calls started before belong to that overload */
	private lastCutAt = -Infinity;
	/** when the rate last changed (a cut or a climb) */
	private lastChangeAt = -Infinity;
	/** a call started since the last change was accepted */
	private confirmed = true;
	/** the last change was a step up that has not reached the configured rate */
	private probing = false;
	/** probes in a row that found the quota full */
	private failedProbes = 0;
	private step: number;
	private nextStepAt = -Infinity;

	private static readonly WINDOW_MS = 1000;
	private static readonly MIN_RATE = 0.5;
	/** the share of what it holds above all others together that a limiter gives up on a refusal */
	private static readonly YIELD = 0.25;
	private static readonly FIRST_STEP = 1 / 50;
	private static readonly STEP_MS = 300;
	private static readonly QUIET_MS = 3000;
	private static readonly LONGEST_QUIET_MS = 4000;
	/** the quiet time is drawn within ±a quarter of itself */
	private static readonly QUIET_JITTER = 0.25;

	constructor(
		private readonly maxRate: number,
		private readonly clock: Pick<RateLimiterClock, 'now'>,
		private readonly random: () => number = Math.random,
	) {
		this.currentRate = maxRate;
		this.step = this.firstStep();
	}

	get rate(): number {
		return this.currentRate;
	}

	/** When the rate may climb next (Infinity: not before something else happens). */
	get nextClimbAt(): number {
		return this.currentRate >= this.maxRate || !this.confirmed ? Infinity : this.nextStepAt;
	}

	/** DingTalk refused a call that started at `startedAt` for the rate (90018/90002/429). */
	onThrottled(startedAt: number): void {
		const now = this.clock.now();
		if (startedAt < this.lastCutAt) return;
		if (this.probing && startedAt >= this.lastChangeAt) this.failedProbes++;
		this.probing = false;
		const accepted = this.acceptedInLastWindow(now);
		const others = this.maxRate - accepted;
		const excess = Math.max(0, accepted - others);
		const share = accepted - RateAdaptation.YIELD * excess;
		this.currentRate = Math.max(Math.min(RateAdaptation.MIN_RATE, this.maxRate), Math.min(this.currentRate, share));
		this.lastCutAt = now;
		this.changed(now);
		this.step = this.firstStep();
		const quiet = Math.min(RateAdaptation.LONGEST_QUIET_MS, RateAdaptation.QUIET_MS * 2 ** this.failedProbes);
		this.nextStepAt = now + quiet * (1 + RateAdaptation.QUIET_JITTER * (2 * this.random() - 1));
	}

	/** DingTalk answered a call that started at `startedAt` and did not refuse it for the rate. */
	onAccepted(startedAt: number): void {
		this.acceptedAt.push(this.clock.now());
		if (startedAt < this.lastChangeAt) return;
		this.confirmed = true;
		if (this.probing) this.failedProbes = 0;
	}

	/** Calls are waiting for a place: the rate climbs if a step is due. */
	climbIfDue(now: number): void {
		if (now < this.nextClimbAt) return;
		this.currentRate = Math.min(this.maxRate, this.currentRate + this.step);
		this.step *= 2;
		this.changed(now);
		this.probing = this.currentRate < this.maxRate;
		this.nextStepAt = now + RateAdaptation.STEP_MS;
	}

	private changed(now: number): void {
		this.lastChangeAt = now;
		this.confirmed = false;
	}

	private firstStep(): number {
		return Math.max(1, this.maxRate * RateAdaptation.FIRST_STEP);
	}

	private acceptedInLastWindow(now: number): number {
		const old = firstAfter(this.acceptedAt, now - RateAdaptation.WINDOW_MS);
		if (old > 0) this.acceptedAt.splice(0, old);
		return this.acceptedAt.length;
	}
}
