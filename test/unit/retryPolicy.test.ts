import type { Attempt } from '../../nodes/DingTalk/transport/answer';
import type { Decision, RepeatPolicy } from '../../nodes/DingTalk/transport/retryPolicy';
import { backoff, decide, NOT_SAFE_TO_REPEAT, SAFE_TO_REPEAT } from '../../nodes/DingTalk/transport/retryPolicy';

/** The retry decision as a table: what came back → retry or not, which allowance, how long. */
const answer = (errcode: number): Attempt => ({ kind: 'answer', body: { errcode }, errcode });
const half = () => 0; // the jitter's lowest draw: back-off waits are exactly half their ceiling

type Row = [string, Attempt, RepeatPolicy, Partial<Extract<Decision, { action: 'retry' }>> | Decision['action']];

const table: Row[] = [
	['errcode 0', answer(0), SAFE_TO_REPEAT, 'succeed'],
	['busy (-1)', answer(-1), NOT_SAFE_TO_REPEAT, { budget: 'failure', waitMs: 250, slowDown: false }],
	['90018 per-app quota', answer(90018), NOT_SAFE_TO_REPEAT, { budget: 'refusal', waitMs: 1000, slowDown: true }],
	['90002 global quota', answer(90002), SAFE_TO_REPEAT, { budget: 'refusal', waitMs: 1000, slowDown: true }],
	['temporary ban errcode 90005', answer(90005), SAFE_TO_REPEAT, { budget: 'failure', slowDown: false }],
	['token expired (42001)', answer(42001), NOT_SAFE_TO_REPEAT, 'renewToken'],
	['token invalid (40014)', answer(40014), SAFE_TO_REPEAT, 'renewToken'],
	['unknown contact (60121)', answer(60121), SAFE_TO_REPEAT, 'fail'],
	['already exists (60200)', answer(60200), NOT_SAFE_TO_REPEAT, 'fail'],
	['permission (60011)', answer(60011), SAFE_TO_REPEAT, 'fail'],
	['an errcode nobody documents', answer(123456), SAFE_TO_REPEAT, 'fail'],
	['no valid errcode', { kind: 'noErrcode', body: {} }, SAFE_TO_REPEAT, 'fail'],
	['ban within Max Ban Wait', { kind: 'ban', waitSeconds: 3, html: false }, NOT_SAFE_TO_REPEAT, { budget: 'refusal', waitMs: 3000, pauseAppMs: 3000 }],
	['ban longer than Max Ban Wait', { kind: 'ban', waitSeconds: 31, html: false }, SAFE_TO_REPEAT, 'fail'],
	['HTML ban page', { kind: 'ban', waitSeconds: 5, html: true }, SAFE_TO_REPEAT, { budget: 'refusal', waitMs: 5000, pauseAppMs: 5000 }],
	['HTTP 429', { kind: 'httpStatus', status: 429, html: false }, NOT_SAFE_TO_REPEAT, { budget: 'refusal', waitMs: 1000, slowDown: true }],
	['HTTP 429 with Retry-After', { kind: 'httpStatus', status: 429, retryAfterMs: 7000, html: false }, SAFE_TO_REPEAT, { budget: 'refusal', waitMs: 7000 }],
	['HTTP 500, safe to repeat', { kind: 'httpStatus', status: 500, html: false }, SAFE_TO_REPEAT, { budget: 'failure', waitMs: 250 }],
	['HTTP 500, a create', { kind: 'httpStatus', status: 500, html: false }, NOT_SAFE_TO_REPEAT, 'fail'],
	['HTTP 401', { kind: 'httpStatus', status: 401, html: true }, SAFE_TO_REPEAT, 'fail'],
	['HTTP 403', { kind: 'httpStatus', status: 403, html: false }, SAFE_TO_REPEAT, 'fail'],
	['HTTP 404', { kind: 'httpStatus', status: 404, html: true }, SAFE_TO_REPEAT, 'fail'],
	['unreadable answer', { kind: 'unreadable', status: 200, snippet: 'hello' }, SAFE_TO_REPEAT, 'fail'],
	['answer over 10 MB', { kind: 'tooLarge', limitBytes: 10 }, SAFE_TO_REPEAT, 'fail'],
	['refused before sending', { kind: 'network', code: 'ECONNREFUSED', maybeDelivered: false }, NOT_SAFE_TO_REPEAT, { budget: 'failure' }],
	['timeout, safe to repeat', { kind: 'network', code: 'ETIMEDOUT', maybeDelivered: true }, SAFE_TO_REPEAT, { budget: 'failure' }],
	['timeout, a create', { kind: 'network', code: 'ETIMEDOUT', maybeDelivered: true }, NOT_SAFE_TO_REPEAT, 'fail'],
	['token request failed on the network', { kind: 'tokenRequest', message: 'x', retryable: true }, NOT_SAFE_TO_REPEAT, { budget: 'failure' }],
	['token request answered with a page', { kind: 'tokenRequest', message: 'x', retryable: false }, SAFE_TO_REPEAT, 'fail'],
];

describe('decide', () => {
	it.each(table)('%s', (_, attempt, policy, expected) => {
		const decision = decide(attempt, { policy, failuresSoFar: 0, maxBanWaitSeconds: 30, random: half });
		if (typeof expected === 'string') {
			expect(decision).toEqual({ action: expected });
		} else {
			expect(decision).toMatchObject({ action: 'retry', ...expected });
		}
	});

	it('back-off grows with the retries spent and is capped at 8 s', () => {
		const waits = [0, 1, 2, 3, 4, 10].map((failuresSoFar) => {
			const decision = decide(answer(-1), { policy: SAFE_TO_REPEAT, failuresSoFar, maxBanWaitSeconds: 30, random: () => 0.999999 });
			return decision.action === 'retry' ? decision.waitMs : -1;
		});
		expect(waits).toEqual([500, 1000, 2000, 4000, 8000, 8000]);
		expect(backoff(2, () => 0)).toBe(1000);
	});
});
