import type { ICredentialDataDecryptedObject } from 'n8n-workflow';

import type { AppSession, TokenFetch } from './appSession';
import { findNamedError } from './errorDetails';
import { untilAborted } from './http';
import { isTokenFresh, tokenOf, usableToken } from './tokenRequest';
import { throwIfStopped } from './wait';

/**
 * Gets a token into `credentials` (a copy with an empty token) through n8n, which runs the
 * credential's preAuthentication and saves the token for later runs and other workers. Sends
 * nothing but /gettoken.
 */
export type FetchToken = (credentials: ICredentialDataDecryptedObject) => Promise<void>;

/**
 * Chooses the access token for each call of one run, and gets a new one when there is none.
 *
 * The token lives in the credential's hidden, expirable `accessToken`, with `accessTokenFor`
 * naming the settings that fetched it: n8n runs the credential's preAuthentication when the token
 * is empty and saves what it returns, so later runs (and other workers) reuse it. n8n renews it by
 * itself only after HTTP 401, which DingTalk never sends; so when a call reports the token bad, or
 * it is past its expiry or was fetched with other settings, the keeper has n8n fetch a new one.
 *
 * Getting the token is its own step, before the call: the call then goes out with its own deadline,
 * and the calls that waited for the token (of this run or of other executions of the app, see
 * AppSession) go out as soon as it is in hand. One fetch at a time per app.
 */
export class AccessTokenKeeper {
	/** a rejection of the app key or secret: every later call of the run fails with it */
	private credentialError?: Error;
	/** a token has been retired for a permission error in this run (it is done once a run) */
	private retiredForPermission = false;
	/** a later token refused for a permission in this run: retired for the next runs, still used by this one */
	private keptForThisRun = '';

	constructor(
		private readonly session: AppSession,
		/** this run's credential data; the newest token is written back into it */
		private readonly credentials: ICredentialDataDecryptedObject,
		private readonly fetchToken: FetchToken,
		private readonly stop?: AbortSignal,
	) {}

	/** The token to send now, or '' when one must be fetched. */
	private current(): string {
		const { session } = this;
		if (this.keptForThisRun) return this.keptForThisRun;
		if (session.token && isTokenFresh({ accessToken: session.token, accessTokenExpiresAt: session.tokenExpiresAt })) {
			return session.token;
		}
		const stored = usableToken(this.credentials);
		return stored && !session.isRetired(stored) ? stored : '';
	}

	/**
	 * The token to send, fetched first when there is none. Waiting for it ends when `deadline` or the
	 * execution's stop fires (the fetch itself goes on, for the calls after). Throws what the fetch
	 * threw (CredentialRejectedError, TokenRequestError), ExecutionStoppedError, or an abort.
	 */
	async token(deadline: AbortSignal): Promise<string> {
		const until = this.stop ? AbortSignal.any([deadline, this.stop]) : deadline;
		// each pass returns, throws, or waits for a fetch; fetches end (they time out)
		for (let pass = 0; pass < 100; pass++) {
			throwIfStopped(this.stop);
			if (this.credentialError) throw this.credentialError;
			const token = this.current();
			if (token) return token;
			this.session.fetching ??= this.fetch();
			const fetched = await untilAborted(this.session.fetching, until);
			if (fetched.error) throw this.noteFailure(fetched.error);
		}
		throw new Error('Could not obtain a DingTalk access token');
	}

	/** The token `token` was refused by DingTalk: never use it again. */
	invalidate(token: string): void {
		if (this.keptForThisRun === token) this.keptForThisRun = '';
		this.session.retire(token);
	}

	/**
	 * DingTalk said the app lacks a permission. A token fetched before the permission was granted
	 * keeps failing, so the token is retired and the next call fetches a new one. Once a run: a token
	 * fetched after that and refused too (the permission is still missing) is retired for the next
	 * runs but kept by this one, so that a permission that is really missing costs one /gettoken a
	 * run, not one per item, and a run after the grant still starts with a new token.
	 */
	retireAfterPermissionError(token: string): void {
		this.session.retire(token);
		if (this.retiredForPermission) this.keptForThisRun = token;
		this.retiredForPermission = true;
	}

	/** DingTalk refusing the key or secret: later calls of the run fail with it at once. */
	private noteFailure(error: Error): Error {
		this.credentialError ??= findNamedError(error, 'CredentialRejectedError');
		return error;
	}

	/** One fetch for the app; its outcome is shared by every call waiting for it. */
	private async fetch(): Promise<TokenFetch> {
		const { session } = this;
		const credentials: ICredentialDataDecryptedObject = {
			...this.credentials,
			accessToken: '',
			accessTokenExpiresAt: '',
			accessTokenFor: '',
		};
		try {
			await this.fetchToken(credentials);
			const token = tokenOf(credentials);
			if (!token) return { error: new Error('n8n did not hand over a DingTalk access token') };
			session.token = token;
			session.tokenExpiresAt = Number(credentials.accessTokenExpiresAt) || '';
			Object.assign(this.credentials, {
				accessToken: token,
				accessTokenExpiresAt: credentials.accessTokenExpiresAt,
				accessTokenFor: credentials.accessTokenFor,
			});
			return {};
		} catch (error) {
			return { error: this.noteFailure(error as Error) };
		} finally {
			session.fetching = undefined;
		}
	}
}
