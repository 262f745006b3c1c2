import type {
	ICredentialDataDecryptedObject,
	IDataObject,
	IExecuteFunctions,
	IHttpRequestOptions,
	ILoadOptionsFunctions,
	IN8nHttpFullResponse,
	INode,
	IPollFunctions,
} from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import { AccessTokenKeeper } from './accessToken';
import type { Attempt } from './answer';
import { readAnswer } from './answer';
import type { AppSession } from './appSession';
import { appSessions } from './appSession';
import { checkedBaseUrl } from './baseUrl';
import { findNamedError, networkReason } from './errorDetails';
import { describeErrcode } from './errorCodes';
import { encodeForm } from './form';
import { exchange } from './http';
import { failureError, isPossiblyApplied } from './messages';
import type { AdaptiveRateLimiter } from './rateLimiter';
import { Redactor } from './redact';
import type { RepeatPolicy, RetryBudget } from './retryPolicy';
import { decide } from './retryPolicy';
import type { CredentialRejectedError, TokenRequestError } from './tokenRequest';
import { CREDENTIAL_TYPE, TOKEN_ONLY, tokenOf } from './tokenRequest';
import { throwIfStopped, wait } from './wait';

export { NOT_SAFE_TO_REPEAT, SAFE_TO_REPEAT } from './retryPolicy';
export type { RepeatPolicy } from './retryPolicy';

export type DingTalkContext = IExecuteFunctions | ILoadOptionsFunctions | IPollFunctions;

export interface ClientOptions {
	requestsPerSecond: number;
	maxRetries: number;
	maxBanWaitSeconds: number;
	timeoutSeconds: number;
}

/**
 * Rate-limit refusals and bans did nothing and come while the node slows down, so they have their
 * own allowance of retries: at least this many (none when Max Retries is 0).
 */
const MIN_REFUSAL_RETRIES = 10;

/** Failures of calls that were sent again after an attempt that may have reached DingTalk. */
const afterPossibleDelivery = new WeakSet<Error>();

/**
 * Whether the call that failed with `error` was sent more than once and an earlier attempt may have
 * reached DingTalk: its failure (say "not found" on a delete) may be the earlier attempt's doing.
 */
export function failedAfterPossibleDelivery(error: unknown): boolean {
	return error instanceof Error && afterPossibleDelivery.has(error);
}

/** What one run needs of its credential, read once. */
interface Connection {
	baseUrl: string;
	session: AppSession;
	tokens: AccessTokenKeeper;
	appSecret: unknown;
	/** the token saved in the credential when the run started */
	storedToken: string;
}

/**
 * Sends DingTalk calls for one run (an execution, a picker, a poll). Carries out the retry policy's
 * decisions; the token, the rate limit and bans are shared per app (appSession.ts).
 */
export class DingTalkClient {
	private connection?: Promise<Connection>;

	constructor(
		private readonly context: DingTalkContext,
		private readonly options: ClientOptions,
		/** the execution's cancel signal: no call starts after it fires, waits and calls end */
		private readonly stop?: AbortSignal,
	) {}

	/** The node the calls are made for, for errors about what an answer holds (answerData.ts). */
	get node(): INode {
		return this.context.getNode();
	}

	/**
	 * POSTs `params` to `path` (form encoded, as DingTalk documents) and returns DingTalk's answer
	 * once it says errcode 0. Throws a NodeApiError otherwise.
	 */
	async call(path: string, params: IDataObject, policy: RepeatPolicy, itemIndex?: number): Promise<IDataObject> {
		const connection = await this.connect(itemIndex);
		// held while the call waits, retries and runs, so that no later run gets a second limiter
		const release = connection.session.use();
		try {
			return await this.send(connection, path, params, policy, itemIndex);
		} finally {
			release();
		}
	}

	private async send(
		connection: Connection,
		path: string,
		params: IDataObject,
		policy: RepeatPolicy,
		itemIndex: number | undefined,
	): Promise<IDataObject> {
		const limiter = connection.session.limiter(path, this.options.requestsPerSecond);
		const body = encodeForm(params);
		const { maxRetries, maxBanWaitSeconds } = this.options;
		const allowance: Record<RetryBudget, number> = {
			refusal: maxRetries > 0 ? Math.max(MIN_REFUSAL_RETRIES, maxRetries) : 0,
			failure: maxRetries,
		};
		const spent: Record<RetryBudget, number> = { refusal: 0, failure: 0 };
		let tokenRenewed = false;
		let earlierMayHaveArrived = false;
		// every pass returns, throws, or spends a retry or the one token renewal
		for (;;) {
			const token = await this.tokenFor(connection, itemIndex);
			// without a token nothing was sent: the failed token request is the attempt's outcome
			const attempt = typeof token === 'string' ? await this.attempt(connection, limiter, path, body, token) : token;
			const decision = decide(attempt, { policy, failuresSoFar: spent.failure, maxBanWaitSeconds });
			const sent = typeof token === 'string';
			if (sent && (decision.action !== 'retry' || !decision.slowDown)) limiter.onSuccess(); // not refused for the rate: frees its place
			if (decision.action === 'succeed' && attempt.kind === 'answer') {
				return attempt.body;
			}
			if (decision.action === 'renewToken' && sent && !tokenRenewed) {
				tokenRenewed = true;
				connection.tokens.invalidate(token);
				continue;
			}
			if (decision.action === 'fail' && decision.retireToken && sent) connection.tokens.retireAfterPermissionError(token);
			if (decision.action === 'retry') {
				if (decision.slowDown) limiter.onThrottled();
				if (decision.pauseAppMs > 0) connection.session.pauseAll(decision.pauseAppMs);
				if (spent[decision.budget] < allowance[decision.budget]) {
					spent[decision.budget]++;
					earlierMayHaveArrived ||= isPossiblyApplied(attempt);
					await wait(decision.waitMs, this.stop);
					continue;
				}
			}
			const failure = this.failure(attempt, connection, path, itemIndex);
			if (earlierMayHaveArrived) afterPossibleDelivery.add(failure);
			throw failure;
		}
	}

	/** The app's session shared by every run of this process (for caches kept per app). */
	async appSession(): Promise<AppSession> {
		return (await this.connect(undefined)).session;
	}

	private failure(attempt: Attempt, connection: Connection, path: string, itemIndex: number | undefined): NodeApiError {
		return failureError(attempt, {
			node: this.context.getNode(),
			where: `${connection.baseUrl}${path}`,
			baseUrl: connection.baseUrl,
			itemIndex,
		});
	}

	/**
	 * The token for the next attempt, fetched first when there is none; waiting for it is bounded by
	 * the Timeout (the fetch goes on for later calls). A token request that failed is returned as the
	 * attempt's outcome (nothing else was sent); a refused key or secret is thrown.
	 */
	private async tokenFor(connection: Connection, itemIndex: number | undefined): Promise<string | Attempt> {
		const deadline = AbortSignal.timeout(this.options.timeoutSeconds * 1000);
		try {
			return await connection.tokens.token(deadline);
		} catch (error) {
			throwIfStopped(this.stop);
			const refusal = findNamedError<CredentialRejectedError>(error, 'CredentialRejectedError');
			if (refusal) {
				throw new NodeApiError(
					this.context.getNode(),
					{ errcode: refusal.errcode, errmsg: refusal.errmsg },
					{ message: refusal.message, description: describeErrcode(refusal.errcode).action, itemIndex },
				);
			}
			const tokenFailure = findNamedError<TokenRequestError>(error, 'TokenRequestError');
			if (tokenFailure) return { kind: 'tokenRequest', message: tokenFailure.message, retryable: tokenFailure.retryable };
			if (!deadline.aborted) throw new NodeOperationError(this.context.getNode(), error as Error, { itemIndex });
			// the wait ended, not the fetch: it goes on, and a retry waits for it again
			return { kind: 'tokenRequest', message: `Could not get an access token from ${connection.baseUrl}: ${networkReason('ETIMEDOUT')}`, retryable: true };
		}
	}

	/**
	 * Has n8n fetch a token into `credentials`: a request marked TOKEN_ONLY through n8n's
	 * authenticated helper runs the credential's preAuthentication, which n8n saves for later runs
	 * and other workers, and the credential's authenticate stops it there (TokenInHand).
	 */
	private async fetchToken(baseUrl: string, credentials: ICredentialDataDecryptedObject): Promise<void> {
		// should the marker ever be lost, this is what would go out: harmless, and nothing of an item
		const request = { method: 'GET', url: `${baseUrl}/gettoken`, [TOKEN_ONLY]: true } as IHttpRequestOptions;
		await this.context.helpers.httpRequestWithAuthentication
			.call(this.context, CREDENTIAL_TYPE, request, {
				credentialsDecrypted: { id: '', name: '', type: CREDENTIAL_TYPE, data: credentials },
			})
			.catch((error: unknown) => {
				if (!findNamedError(error, 'TokenInHand')) throw error;
			});
	}

	/** Reads the credential once per run and finds the app's shared session. */
	private async connect(itemIndex: number | undefined): Promise<Connection> {
		this.connection ??= (async () => {
			const credentials = await this.context.getCredentials<ICredentialDataDecryptedObject>(CREDENTIAL_TYPE);
			const baseUrl = checkedBaseUrl(credentials.baseUrl);
			const session = appSessions.sessionFor(baseUrl, credentials.appKey, credentials.appSecret);
			const fetchToken = async (into: ICredentialDataDecryptedObject) => await this.fetchToken(baseUrl, into);
			const tokens = new AccessTokenKeeper(session, { ...credentials }, fetchToken, this.stop);
			return { baseUrl, session, tokens, appSecret: credentials.appSecret, storedToken: tokenOf(credentials) };
		})();
		return await this.connection.catch((error: Error) => {
			if (error.name !== 'InvalidBaseUrlError') throw error;
			throw new NodeOperationError(this.context.getNode(), error.message, { itemIndex });
		});
	}

	/** One attempt with the token in hand. Returns every outcome; throws only for a stop. */
	private async attempt(
		connection: Connection,
		limiter: AdaptiveRateLimiter,
		path: string,
		body: string,
		token: string,
	): Promise<Attempt> {
		// the slot is taken once a token is in hand, so calls that waited for one do not bunch up
		await limiter.acquire(this.stop);
		const request: IHttpRequestOptions = {
			method: 'POST',
			url: `${connection.baseUrl}${path}`,
			headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
			body,
			encoding: 'stream',
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
			timeout: this.options.timeoutSeconds * 1000,
		};
		const outcome = await exchange(
			// the token goes where DingTalk reads it; n8n's plain helper keeps the call's own deadline
			async (abortSignal) =>
				(await this.context.helpers.httpRequest({ ...request, abortSignal, qs: { access_token: token } })) as IN8nHttpFullResponse,
			{ timeoutMs: this.options.timeoutSeconds * 1000, stop: this.stop },
		);
		if (outcome.kind !== 'response') return outcome;
		const redactor = new Redactor([connection.appSecret, connection.storedToken, token, ...connection.session.knownTokens()]);
		return readAnswer(outcome.status, outcome.headers, outcome.text, redactor);
	}
}
