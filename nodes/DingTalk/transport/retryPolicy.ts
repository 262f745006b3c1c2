import type { Attempt } from './answer';
import { describeErrcode } from './errorCodes';

/**
 * Whether a call may be sent again when it may already have reached DingTalk (a timeout, a
 * connection broken after sending, a 5xx from a gateway). Calls DingTalk refused outright (busy,
 * rate limit, bad token, ban) are always safe to send again.
 */
export interface RepeatPolicy {
	repeatAfterPossibleDelivery: boolean;
}

/** Reads, updates and deletes: sending them twice leaves DingTalk as sending them once. */
export const SAFE_TO_REPEAT: RepeatPolicy = { repeatAfterPossibleDelivery: true };
/** Creates: a second delivery would make a second contact. */
export const NOT_SAFE_TO_REPEAT: RepeatPolicy = { repeatAfterPossibleDelivery: false };

/**
 * Which allowance a retry spends. Refusals (rate limit, ban) did nothing and come while the node
 * slows down, so they have their own, larger allowance; everything else spends Max Retries.
 */
export type RetryBudget = 'refusal' | 'failure';

export type Decision =
	| { action: 'succeed' }
	/** the token is bad: fetch a new one, then repeat (once per call) */
	| { action: 'renewToken' }
	| {
			action: 'retry';
			budget: RetryBudget;
			waitMs: number;
			/** DingTalk said "too many calls": the limiter slows down */
			slowDown: boolean;
			/** DingTalk asked this app to wait: no call of the app starts before then */
			pauseAppMs: number;
	  }
	/** `retireToken`: the token may be why (a permission granted after it was fetched) */
	| { action: 'fail'; retireToken?: boolean };

export interface DecisionInputs {
	policy: RepeatPolicy;
	/** retries already spent from Max Retries (the back-off grows with it) */
	failuresSoFar: number;
	maxBanWaitSeconds: number;
	random?: () => number;
}

const BACKOFF_BASE_MS = 500;
const BACKOFF_CAP_MS = 8000;
/** DingTalk's advice on 90018 is to wait about a second. */
const REFUSAL_WAIT_MS = 1000;

/** Exponential back-off with jitter: half to all of base × 2^n, capped. */
export function backoff(retryNumber: number, random: () => number = Math.random): number {
	const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.min(retryNumber, 10));
	return Math.round(ceiling * (0.5 + random() * 0.5));
}

const retry = (budget: RetryBudget, waitMs: number, extra: { slowDown?: boolean; pauseAppMs?: number } = {}): Decision => ({
	action: 'retry',
	budget,
	waitMs,
	slowDown: extra.slowDown ?? false,
	pauseAppMs: extra.pauseAppMs ?? 0,
});

/** What to do about one attempt's outcome. Pure: the client carries it out. */
export function decide(attempt: Attempt, inputs: DecisionInputs): Decision {
	const random = inputs.random ?? Math.random;
	const failureWait = () => backoff(inputs.failuresSoFar, random);
	const refusalWait = () => Math.max(REFUSAL_WAIT_MS, backoff(0, random));
	switch (attempt.kind) {
		case 'answer': {
			if (attempt.errcode === 0) return { action: 'succeed' };
			const { handling, retiresToken } = describeErrcode(attempt.errcode);
			if (handling === 'refreshToken') return { action: 'renewToken' };
			if (handling === 'throttle') return retry('refusal', refusalWait(), { slowDown: true });
			if (handling === 'retry') return retry('failure', failureWait());
			return retiresToken ? { action: 'fail', retireToken: true } : { action: 'fail' };
		}
		case 'ban': {
			if (attempt.waitSeconds > inputs.maxBanWaitSeconds) return { action: 'fail' };
			const waitMs = attempt.waitSeconds * 1000;
			return retry('refusal', waitMs, { pauseAppMs: waitMs });
		}
		case 'httpStatus':
			if (attempt.status === 429) return retry('refusal', attempt.retryAfterMs ?? refusalWait(), { slowDown: true });
			// a 5xx may come from a gateway after DingTalk did the work
			if (attempt.status >= 500 && inputs.policy.repeatAfterPossibleDelivery) return retry('failure', failureWait());
			return { action: 'fail' };
		case 'network':
			if (!attempt.maybeDelivered || inputs.policy.repeatAfterPossibleDelivery) return retry('failure', failureWait());
			return { action: 'fail' };
		case 'tokenRequest':
			return attempt.retryable ? retry('failure', failureWait()) : { action: 'fail' };
		case 'noErrcode':
		case 'unreadable':
		case 'tooLarge':
			return { action: 'fail' };
	}
}
