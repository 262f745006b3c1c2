/**
 * Virtual time for the rate limiter's tests: a clock whose waits end only when the test moves time
 * on, and a model of many calls through one limiter to a DingTalk that counts its second either
 * rolling or by calendar second, with latency that varies from call to call.
 */
import type { RateLimiterClock } from '../../nodes/DingTalk/transport/rateLimiter';
import { AdaptiveRateLimiter } from '../../nodes/DingTalk/transport/rateLimiter';
import { ExecutionStoppedError } from '../../nodes/DingTalk/transport/wait';

interface Timer {
	at: number;
	order: number;
	resolve: () => void;
}

/** Lets every promise reaction that is ready run. */
export const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A clock that stands still until `advance` or `runUntil` moves it, firing waits in time order. */
export class VirtualClock implements RateLimiterClock {
	private time: number;
	private timers: Timer[] = [];
	private order = 0;

	constructor(start = 1_000_000) {
		this.time = start;
	}

	now = (): number => this.time;

	wait = (ms: number, signal?: AbortSignal): Promise<void> =>
		new Promise<void>((resolve, reject) => {
			if (signal?.aborted) {
				reject(new ExecutionStoppedError());
				return;
			}
			const timer: Timer = { at: this.time + Math.max(0, ms), order: this.order++, resolve };
			this.timers.push(timer);
			signal?.addEventListener(
				'abort',
				() => {
					this.timers = this.timers.filter((candidate) => candidate !== timer);
					reject(new ExecutionStoppedError());
				},
				{ once: true },
			);
		});

	/** Moves time on by `ms`, firing every wait that ends on the way. */
	async advance(ms: number): Promise<void> {
		await this.runUntil(this.time + ms);
	}

	async runUntil(time: number): Promise<void> {
		for (;;) {
			await settle();
			const next = this.nextTimer();
			if (!next || next.at > time) break;
			this.fire(next);
		}
		this.time = Math.max(this.time, time);
		await settle();
	}

	/** Fires waits in time order until none is left (or `limit` ms passed: a guard against loops). */
	async runAll(limit = 24 * 3600 * 1000): Promise<void> {
		const end = this.time + limit;
		for (;;) {
			await settle();
			const next = this.nextTimer();
			if (!next) return;
			if (next.at > end) throw new Error('virtual time ran past its limit');
			this.fire(next);
		}
	}

	private nextTimer(): Timer | undefined {
		let next: Timer | undefined;
		for (const timer of this.timers) {
			if (!next || timer.at < next.at || (timer.at === next.at && timer.order < next.order)) next = timer;
		}
		return next;
	}

	private fire(timer: Timer): void {
		this.timers = this.timers.filter((candidate) => candidate !== timer);
		this.time = Math.max(this.time, timer.at);
		timer.resolve();
	}
}

/** A small seeded random generator (mulberry32), so that runs repeat exactly. */
export function seededRandom(seed: number): () => number {
	let state = seed >>> 0;
	return () => {
		state = (state + 0x6d2b79f5) >>> 0;
		let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
		mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
		return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
	};
}

/** DingTalk as the limiter's tests model it: a quota per second, counted rolling or by calendar second. */
export class ModelDingTalk {
	/** when each call arrived, refused ones included */
	readonly received: number[] = [];
	private readonly accepted: number[] = [];

	constructor(
		private readonly quota: number,
		private readonly second: 'rolling' | 'calendar',
	) {}

	/** A call arrives at `at`: whether DingTalk takes it (refused calls do not count). */
	accepts(at: number): boolean {
		this.received.push(at);
		const counted =
			this.second === 'rolling'
				? this.accepted.filter((time) => at - time < 1000).length
				: this.accepted.filter((time) => Math.floor(time / 1000) === Math.floor(at / 1000)).length;
		if (counted >= this.quota) return false;
		this.accepted.push(at);
		return true;
	}

	/** The most calls received in any rolling second (refused ones included). */
	mostInRollingSecond(): number {
		const times = [...this.received].sort((a, b) => a - b);
		let most = 0;
		let first = 0;
		for (let last = 0; last < times.length; last++) {
			while (times[last] - times[first] >= 1000) first++;
			most = Math.max(most, last - first + 1);
		}
		return most;
	}

	/** The most calls received in any calendar second (refused ones included). */
	mostInCalendarSecond(): number {
		const perSecond = new Map<number, number>();
		for (const time of this.received) {
			const second = Math.floor(time / 1000);
			perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
		}
		return Math.max(0, ...perSecond.values());
	}
}

export interface CallsOptions {
	items: number;
	/** calls in flight at most, like the node's Max Concurrency */
	concurrency: number;
	/** round trip of one call, ms: [lowest, highest], drawn evenly */
	latencyMs: [number, number];
	/** where in the round trip DingTalk counts the call: 0 on sending, 1 just before answering */
	countedAt: number;
	seed?: number;
}

/**
 * Sends `items` calls through `limiter` as the node does (acquire, call, report the answer, wait a
 * second and retry on a refusal). Resolves, once the test has run the clock, with the refusals and
 * when the last call was answered.
 */
export async function sendCalls(
	clock: VirtualClock,
	dingTalk: ModelDingTalk,
	limiter: AdaptiveRateLimiter,
	options: CallsOptions,
): Promise<{ refused: number; mostRefusalsOfOneCall: number; finishedAt: number }> {
	const random = seededRandom(options.seed ?? 1);
	let refused = 0;
	let mostRefusalsOfOneCall = 0;
	let next = 0;
	const worker = async () => {
		while (next < options.items) {
			next++;
			for (let refusals = 0; ; refusals++) {
				const place = await limiter.acquire();
				const [low, high] = options.latencyMs;
				const latency = low + random() * (high - low);
				await clock.wait(latency * options.countedAt);
				const accepted = dingTalk.accepts(clock.now());
				await clock.wait(latency * (1 - options.countedAt));
				if (accepted) {
					place.answered();
					break;
				}
				refused++;
				mostRefusalsOfOneCall = Math.max(mostRefusalsOfOneCall, refusals + 1);
				place.throttled();
				await clock.wait(1000);
			}
		}
	};
	await Promise.all(Array.from({ length: options.concurrency }, worker));
	return { refused, mostRefusalsOfOneCall, finishedAt: clock.now() };
}

export interface SimulationResult {
	/** from the first call's start to the last call's answer */
	durationMs: number;
	/** items ÷ quota: the fastest DingTalk allows */
	boundMs: number;
	refused: number;
	mostInRollingSecond: number;
	mostInCalendarSecond: number;
}

/** One run of `items` calls at `quota` per second, from a fresh limiter, to a fresh DingTalk. */
export async function simulate(
	options: CallsOptions & { quota: number; second: 'rolling' | 'calendar' },
): Promise<SimulationResult> {
	const clock = new VirtualClock();
	const dingTalk = new ModelDingTalk(options.quota, options.second);
	const started = clock.now();
	const run = sendCalls(clock, dingTalk, new AdaptiveRateLimiter(options.quota, clock), options);
	await clock.runAll();
	const { refused, finishedAt } = await run;
	return {
		durationMs: finishedAt - started,
		boundMs: (options.items / options.quota) * 1000,
		refused,
		mostInRollingSecond: dingTalk.mostInRollingSecond(),
		mostInCalendarSecond: dingTalk.mostInCalendarSecond(),
	};
}
