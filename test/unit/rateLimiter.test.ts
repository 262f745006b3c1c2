import { AdaptiveRateLimiter } from '../../nodes/DingTalk/transport/rateLimiter';

/** A clock the test moves by hand. */
function clock(start = 1_000_000) {
	let now = start;
	return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('AdaptiveRateLimiter', () => {
	it('a lone refusal lowers the rate by a quarter; refusals that keep coming halve it', () => {
		const time = clock();
		const limiter = new AdaptiveRateLimiter(20, time.now);
		limiter.onThrottled();
		expect(limiter.rate).toBe(15);

		// several answers of one overload arrive together: counted once
		time.advance(300);
		limiter.onThrottled();
		expect(limiter.rate).toBe(15);

		// quiet for longer than the contention window: still a lone refusal
		time.advance(10_000);
		limiter.onThrottled();
		expect(limiter.rate).toBe(11.25);

		// another one a second later: the quota is shared, halve
		time.advance(1_000);
		limiter.onThrottled();
		expect(limiter.rate).toBe(5.625);
	});

	it('climbs back by a twentieth of the configured rate per quiet second, up to it', () => {
		const time = clock();
		const limiter = new AdaptiveRateLimiter(20, time.now);
		limiter.onThrottled();
		limiter.onSuccess();
		expect(limiter.rate).toBe(15);
		for (let second = 1; second <= 10; second++) {
			time.advance(1_000);
			limiter.onSuccess();
		}
		expect(limiter.rate).toBe(20);
	});

	it('never goes below one call per second', () => {
		const time = clock();
		const limiter = new AdaptiveRateLimiter(2, time.now);
		for (let refusal = 0; refusal < 10; refusal++) {
			time.advance(1_000);
			limiter.onThrottled();
		}
		expect(limiter.rate).toBe(1);
	});
});
