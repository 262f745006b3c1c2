import type { Attempt } from '../../nodes/DingTalk/transport/answer';
import type { Decision, RepeatPolicy } from '../../nodes/DingTalk/transport/retryPolicy';
import { backoff, decide, NOT_SAFE_TO_REPEAT, SAFE_TO_REPEAT } from '../../nodes/DingTalk/transport/retryPolicy';

/** The retry decision as a table: what came back → retry or not, which allowance, how long. */
const answer = (errcode: number): Attempt => ({ kind: 'answer', body: { errcode }, errcode });
const half = () => 0; // the jitter's lowest draw: back-off waits are exactly half their ceiling

const fail: Decision = { action: 'fail' };
/** A retry with nothing else to do (no slowing down, no pause of the app). */
const retry = (budget: 'refusal' | 'failure', waitMs: number, extra: Partial<Extract<Decision, { action: 'retry' }>> = {}): Decision => ({
	action: 'retry',
	budget,
	waitMs,
	slowDown: false,
	pauseAppMs: 0,
	...extra,
});

type Row = [string, Attempt, RepeatPolicy, Decision];

const table: Row[] = [
	['errcode 0', answer(0), SAFE_TO_REPEAT, { action: 'succeed' }],
	['busy (-1)', answer(-1), NOT_SAFE_TO_REPEAT, retry('failure', 250)],
	['90018 per-app quota', answer(90018), NOT_SAFE_TO_REPEAT, retry('refusal', 1000, { slowDown: true })],
	['90002 global quota', answer(90002), SAFE_TO_REPEAT, retry('refusal', 1000, { slowDown: true })],
	['88 read as 90018 (its sub_code)', { kind: 'answer', body: { errcode: 88, sub_code: '90018' }, errcode: 90018 }, SAFE_TO_REPEAT, retry('refusal', 1000, { slowDown: true })],
	['temporary ban errcode 90005', answer(90005), SAFE_TO_REPEAT, retry('failure', 250)],
	['token expired (42001)', answer(42001), NOT_SAFE_TO_REPEAT, { action: 'renewToken' }],
	['token invalid (40014)', answer(40014), SAFE_TO_REPEAT, { action: 'renewToken' }],
	['unknown contact (60121)', answer(60121), SAFE_TO_REPEAT, fail],
	['already exists (60200)', answer(60200), NOT_SAFE_TO_REPEAT, fail],
	['permission (60011): fails, and retires the token', answer(60011), SAFE_TO_REPEAT, { action: 'fail', retireToken: true }],
	['permission (43007): the same', answer(43007), SAFE_TO_REPEAT, { action: 'fail', retireToken: true }],
	['an errcode nobody documents', answer(123456), SAFE_TO_REPEAT, fail],
	['no valid errcode', { kind: 'noErrcode', body: {} }, SAFE_TO_REPEAT, fail],
	['ban within Max Ban Wait', { kind: 'ban', waitSeconds: 3, html: false }, NOT_SAFE_TO_REPEAT, retry('refusal', 3000, { pauseAppMs: 3000 })],
	['ban of exactly Max Ban Wait', { kind: 'ban', waitSeconds: 30, html: false }, NOT_SAFE_TO_REPEAT, retry('refusal', 30_000, { pauseAppMs: 30_000 })],
	['ban longer than Max Ban Wait', { kind: 'ban', waitSeconds: 31, html: false }, SAFE_TO_REPEAT, fail],
	['HTML ban page', { kind: 'ban', waitSeconds: 5, html: true }, SAFE_TO_REPEAT, retry('refusal', 5000, { pauseAppMs: 5000 })],
	['HTTP 429', { kind: 'httpStatus', status: 429, html: false }, NOT_SAFE_TO_REPEAT, retry('refusal', 1000, { slowDown: true })],
	['HTTP 429 with Retry-After', { kind: 'httpStatus', status: 429, retryAfterMs: 7000, html: false }, SAFE_TO_REPEAT, retry('refusal', 7000, { slowDown: true })],
	['HTTP 500, safe to repeat', { kind: 'httpStatus', status: 500, html: false }, SAFE_TO_REPEAT, retry('failure', 250)],
	['HTTP 503 with Retry-After, safe to repeat', { kind: 'httpStatus', status: 503, retryAfterMs: 9000, html: false }, SAFE_TO_REPEAT, retry('failure', 250)],
	['HTTP 500, a create', { kind: 'httpStatus', status: 500, html: false }, NOT_SAFE_TO_REPEAT, fail],
	['HTTP 499', { kind: 'httpStatus', status: 499, html: false }, SAFE_TO_REPEAT, fail],
	['HTTP 401', { kind: 'httpStatus', status: 401, html: true }, SAFE_TO_REPEAT, fail],
	['HTTP 403', { kind: 'httpStatus', status: 403, html: false }, SAFE_TO_REPEAT, fail],
	['HTTP 404', { kind: 'httpStatus', status: 404, html: true }, SAFE_TO_REPEAT, fail],
	['unreadable answer', { kind: 'unreadable', status: 200, snippet: 'hello' }, SAFE_TO_REPEAT, fail],
	['answer over 10 MB', { kind: 'tooLarge', limitBytes: 10 }, SAFE_TO_REPEAT, fail],
	['refused before sending', { kind: 'network', code: 'ECONNREFUSED', maybeDelivered: false }, NOT_SAFE_TO_REPEAT, retry('failure', 250)],
	['refused before sending, safe to repeat', { kind: 'network', code: 'ECONNREFUSED', maybeDelivered: false }, SAFE_TO_REPEAT, retry('failure', 250)],
	['timeout, safe to repeat', { kind: 'network', code: 'ETIMEDOUT', maybeDelivered: true }, SAFE_TO_REPEAT, retry('failure', 250)],
	['timeout, a create', { kind: 'network', code: 'ETIMEDOUT', maybeDelivered: true }, NOT_SAFE_TO_REPEAT, fail],
	['token request failed on the network', { kind: 'tokenRequest', message: 'x', retryable: true }, NOT_SAFE_TO_REPEAT, retry('failure', 250)],
	['token request answered with a page', { kind: 'tokenRequest', message: 'x', retryable: false }, SAFE_TO_REPEAT, fail],
];

describe('decide', () => {
	it.each(table)('%s', (_, attempt, policy, expected) => {
		expect(decide(attempt, { policy, failuresSoFar: 0, maxBanWaitSeconds: 30, random: half })).toEqual(expected);
	});

	it('Max Ban Wait 0 fails every ban', () => {
		const ban: Attempt = { kind: 'ban', waitSeconds: 1, html: false };
		expect(decide(ban, { policy: SAFE_TO_REPEAT, failuresSoFar: 0, maxBanWaitSeconds: 0 })).toEqual(fail);
	});

	it('a refusal waits at least a second, the back-off of a fresh failure when that is longer', () => {
		const decision = (random: () => number) => decide(answer(90018), { policy: SAFE_TO_REPEAT, failuresSoFar: 5, maxBanWaitSeconds: 30, random });
		expect(decision(() => 0.999999)).toMatchObject({ waitMs: 1000 });
		expect(decision(half)).toMatchObject({ waitMs: 1000 });
	});

	it('without a random source given, the jitter comes from Math.random', () => {
		const random = jest.spyOn(Math, 'random').mockReturnValue(0.5);
		expect(decide(answer(-1), { policy: SAFE_TO_REPEAT, failuresSoFar: 1, maxBanWaitSeconds: 30 })).toMatchObject({ waitMs: 750 });
		expect(backoff(0)).toBe(375);
		random.mockRestore();
	});

	it('back-off grows with the retries spent and is capped at 8 s', () => {
		const waits = [0, 1, 2, 3, 4, 10].map((failuresSoFar) => {
			const decision = decide(answer(-1), { policy: SAFE_TO_REPEAT, failuresSoFar, maxBanWaitSeconds: 30, random: () => 0.999999 });
			return decision.action === 'retry' ? decision.waitMs : -1;
		});
		expect(waits).toEqual([500, 1000, 2000, 4000, 8000, 8000]);
		expect(backoff(2, () => 0)).toBe(1000);
		expect(backoff(4, () => 0)).toBe(4000);
		expect(backoff(5, () => 0)).toBe(4000);
		expect(backoff(50, () => 0)).toBe(4000);
		expect(backoff(3, () => 0.5)).toBe(3000);
	});
});
