import { wait } from './wait';

/**
 * Spaces out the start of DingTalk calls so that at most `requestsPerSecond` start in any second,
 * shared by every item of one node run (one limiter per DingTalk API, as DingTalk counts them).
 *
 * Two rules together: starts are spaced evenly, and no more than the rate start within any window
 * of a second plus a margin, so that a timer firing late cannot bunch calls into one second.
 *
 * It adapts like TCP's congestion control: when DingTalk answers "too many calls" (90018/90002),
 * the rate drops (at most once a second, since one overload shows up in several answers at once);
 * after a quiet second it climbs back by a twentieth of the configured rate per second. A lone
 * refusal after a quiet spell is usually the network bunching calls that left evenly spaced: the
 * rate drops by a quarter and the window's margin widens to absorb such bunching. Refusals that
 * keep coming mean someone else shares the quota (another execution, another n8n worker): the rate
 * halves each time, so that both settle under the quota instead of fighting.
 */
export class AdaptiveRateLimiter {
	private currentRate: number;
	private nextStartAt = 0;
	private pausedUntil = 0;
	private lastRateChangeAt = 0;
	/** scheduled start times of the last `maxRate` calls, as a ring (`startCount` is where it wraps) */
	private readonly recentStarts: number[];
	private startCount = 0;
	private lastThrottleAt = -Infinity;
	private windowMs = AdaptiveRateLimiter.WINDOW_MS;

	/** DingTalk counts calls per second; late timers and the network add a little jitter. */
	private static readonly WINDOW_MS = 1030;
	private static readonly WINDOW_STEP_MS = 50;
	private static readonly MAX_WINDOW_MS = 1500;
	/** a refusal within this long of the previous one means the quota is shared, not jitter */
	private static readonly CONTENTION_MS = 5000;
	private static readonly LONE_REFUSAL_DECREASE = 0.75;
	private static readonly CONTENDED_DECREASE = 0.5;

	constructor(
		private readonly maxRate: number,
		private readonly now: () => number = Date.now,
	) {
		this.currentRate = maxRate;
		this.recentStarts = new Array<number>(Math.max(1, Math.ceil(maxRate)));
	}

	get rate(): number {
		return this.currentRate;
	}

	/** Resolves when the caller may start its call. */
	async acquire(signal?: AbortSignal): Promise<void> {
		const now = this.now();
		let startAt = Math.max(now, this.nextStartAt, this.pausedUntil);
		const perWindow = Math.min(this.recentStarts.length, Math.max(1, Math.floor(this.currentRate)));
		if (this.startCount >= perWindow) {
			const nthBack = this.recentStarts[(this.startCount - perWindow) % this.recentStarts.length];
			startAt = Math.max(startAt, nthBack + this.windowMs);
		}
		this.recentStarts[this.startCount % this.recentStarts.length] = startAt;
		this.startCount++;
		this.nextStartAt = startAt + 1000 / this.currentRate;
		if (startAt > now) await wait(startAt - now, signal);
	}

	/** DingTalk said "too many calls": slow down. */
	onThrottled(): void {
		const now = this.now();
		const contended = now - this.lastThrottleAt < AdaptiveRateLimiter.CONTENTION_MS;
		this.lastThrottleAt = now;
		if (now - this.lastRateChangeAt < 1000 && this.currentRate < this.maxRate) return;
		const decrease = contended ? AdaptiveRateLimiter.CONTENDED_DECREASE : AdaptiveRateLimiter.LONE_REFUSAL_DECREASE;
		this.currentRate = Math.max(1, this.currentRate * decrease);
		if (!contended) {
			// a wider margin stays for the rest of the run: the network that bunched calls once will again
			this.windowMs = Math.min(AdaptiveRateLimiter.MAX_WINDOW_MS, this.windowMs + AdaptiveRateLimiter.WINDOW_STEP_MS);
		}
		this.lastRateChangeAt = now;
		// calls already scheduled at the old spacing are pushed back to the new one
		this.nextStartAt = Math.max(this.nextStartAt, now + 1000 / this.currentRate);
	}

	/** A call went through: creep back towards the configured rate. */
	onSuccess(): void {
		if (this.currentRate >= this.maxRate) return;
		const now = this.now();
		if (now - this.lastRateChangeAt < 1000) return;
		this.currentRate = Math.min(this.maxRate, this.currentRate + Math.max(1, this.maxRate / 20));
		this.lastRateChangeAt = now;
	}

	/** Nobody starts a call before `ms` from now (an IP ban asked us to wait). */
	pauseFor(ms: number): void {
		this.pausedUntil = Math.max(this.pausedUntil, this.now() + ms);
	}
}
