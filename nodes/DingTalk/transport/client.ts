import type {
	ICredentialDataDecryptedObject,
	IDataObject,
	IExecuteFunctions,
	IHttpRequestOptions,
	ILoadOptionsFunctions,
	IN8nHttpFullResponse,
	IPollFunctions,
} from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import { AccessTokenKeeper } from './accessToken';
import type { Attempt } from './answer';
import { readAnswer } from './answer';
import type { AppSession } from './appSession';
import { appSessions } from './appSession';
import { checkedBaseUrl } from './baseUrl';
import { findNamedError } from './errorDetails';
import { describeErrcode } from './errorCodes';
import { encodeForm } from './form';
import { exchange } from './http';
import { failureError } from './messages';
import type { LimitedCall } from './rateLimiter';
import { Redactor } from './redact';
import type { RepeatPolicy, RetryBudget } from './retryPolicy';
import { decide } from './retryPolicy';
import type { CredentialRejectedError, TokenRequestError } from './tokenRequest';
import { CREDENTIAL_TYPE, tokenOf } from './tokenRequest';
import { wait } from './wait';

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

	/**
	 * POSTs `params` to `path` (form encoded, as DingTalk documents) and returns DingTalk's answer
	 * once it says errcode 0. Throws a NodeApiError otherwise.
	 */
	async call(path: string, params: IDataObject, policy: RepeatPolicy, itemIndex?: number): Promise<IDataObject> {
		const connection = await this.connect(itemIndex);
		const limiter = connection.session.limiter(path, this.options.requestsPerSecond).forCall(this.options.timeoutSeconds * 1000);
		const body = encodeForm(params);
		const { maxRetries, maxBanWaitSeconds } = this.options;
		const allowance: Record<RetryBudget, number> = {
			refusal: maxRetries > 0 ? Math.max(MIN_REFUSAL_RETRIES, maxRetries) : 0,
			failure: maxRetries,
		};
		const spent: Record<RetryBudget, number> = { refusal: 0, failure: 0 };
		let tokenRenewed = false;
		// every pass returns, throws, or spends a retry or the one token renewal
		for (;;) {
			const { result: attempt, token } = await connection.tokens.withToken(
				async (credentials, tokenToSend) => await this.attempt(connection, limiter, path, body, credentials, tokenToSend, itemIndex),
			);
			const decision = decide(attempt, { policy, failuresSoFar: spent.failure, maxBanWaitSeconds });
			if (decision.action !== 'retry' || !decision.slowDown) limiter.onSuccess(); // not refused for the rate: frees its place
			if (decision.action === 'succeed' && attempt.kind === 'answer') {
				return attempt.body;
			}
			if (decision.action === 'renewToken' && !tokenRenewed) {
				tokenRenewed = true;
				connection.tokens.invalidate(token);
				continue;
			}
			if (decision.action === 'retry') {
				if (decision.slowDown) limiter.onThrottled();
				if (decision.pauseAppMs > 0) connection.session.pauseAll(decision.pauseAppMs);
				if (spent[decision.budget] < allowance[decision.budget]) {
					spent[decision.budget]++;
					await wait(decision.waitMs, this.stop);
					continue;
				}
			}
			throw failureError(attempt, {
				node: this.context.getNode(),
				where: `${connection.baseUrl}${path}`,
				baseUrl: connection.baseUrl,
				itemIndex,
			});
		}
	}

	/** Reads the credential once per run and finds the app's shared session. */
	private async connect(itemIndex: number | undefined): Promise<Connection> {
		this.connection ??= (async () => {
			const credentials = await this.context.getCredentials<ICredentialDataDecryptedObject>(CREDENTIAL_TYPE);
			const baseUrl = checkedBaseUrl(credentials.baseUrl);
			const session = appSessions.sessionFor(baseUrl, credentials.appKey, credentials.appSecret);
			return { baseUrl, session, tokens: new AccessTokenKeeper(session, { ...credentials }, this.stop), appSecret: credentials.appSecret, storedToken: tokenOf(credentials) };
		})();
		return await this.connection.catch((error: Error) => {
			if (error.name !== 'InvalidBaseUrlError') throw error;
			throw new NodeOperationError(this.context.getNode(), error.message, { itemIndex });
		});
	}

	/** One attempt, once the token is chosen. Returns every outcome; throws only for a stop or a refused key. */
	private async attempt(
		connection: Connection,
		limiter: LimitedCall,
		path: string,
		body: string,
		credentials: ICredentialDataDecryptedObject,
		token: string,
		itemIndex: number | undefined,
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
		let refusal: CredentialRejectedError | undefined;
		let tokenFailure: TokenRequestError | undefined;
		const outcome = await exchange(
			async (abortSignal) => {
				const sending = token
					? // the token in hand goes where DingTalk reads it, sparing n8n the credential's authenticate
						this.context.helpers.httpRequest({ ...request, abortSignal, qs: { access_token: token } })
					: // no token: n8n runs the credential's preAuthentication, which fetches and saves one
						this.context.helpers.httpRequestWithAuthentication.call(
							this.context,
							CREDENTIAL_TYPE,
							{ ...request, abortSignal },
							{ credentialsDecrypted: { id: '', name: '', type: CREDENTIAL_TYPE, data: credentials } },
						);
				return (await sending.catch((error: unknown) => {
					refusal = findNamedError<CredentialRejectedError>(error, 'CredentialRejectedError');
					tokenFailure = findNamedError<TokenRequestError>(error, 'TokenRequestError');
					throw error;
				})) as IN8nHttpFullResponse;
			},
			{ timeoutMs: this.options.timeoutSeconds * 1000, stop: this.stop },
		);
		if (refusal) {
			throw new NodeApiError(
				this.context.getNode(),
				{ errcode: refusal.errcode, errmsg: refusal.errmsg },
				{ message: refusal.message, description: describeErrcode(refusal.errcode).action, itemIndex },
			);
		}
		if (tokenFailure) return { kind: 'tokenRequest', message: tokenFailure.message, retryable: tokenFailure.retryable };
		if (outcome.kind !== 'response') return outcome;
		const redactor = new Redactor([
			connection.appSecret,
			connection.storedToken,
			token,
			tokenOf(credentials),
			...connection.session.knownTokens(),
		]);
		return readAnswer(outcome.status, outcome.headers, outcome.text, redactor);
	}
}
