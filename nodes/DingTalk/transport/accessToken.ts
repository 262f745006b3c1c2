import type { ICredentialDataDecryptedObject } from 'n8n-workflow';

import type { AppSession } from './appSession';
import { untilAborted } from './http';
import { isTokenFresh, tokenOf } from './tokenRequest';
import { throwIfStopped } from './wait';

/**
 * Chooses the access token for each call of one run, and gets a new one when there is none.
 *
 * The token lives in the credential's hidden, expirable `accessToken`: n8n runs the credential's
 * preAuthentication when it is empty and saves what it returns, so later runs (and other workers)
 * reuse it. n8n renews it by itself only after HTTP 401, which DingTalk never sends; so when a call
 * reports the token bad, or it is past its expiry, the keeper hands n8n the credential with an empty
 * token and n8n fetches and saves a new one.
 *
 * One fetch at a time per app (see AppSession): the other calls, of this run or of other
 * executions, wait for it and then use the token it brought.
 */
export class AccessTokenKeeper {
	/** a rejection of the app key or secret: every later call of the run fails with it */
	private credentialError?: Error;

	constructor(
		private readonly session: AppSession,
		/** this run's credential data; the newest token is written back into it */
		private readonly credentials: ICredentialDataDecryptedObject,
		private readonly stop?: AbortSignal,
	) {}

	/** The token to send now, or '' when one must be fetched. */
	private current(): string {
		const { session } = this;
		if (session.token && isTokenFresh({ accessToken: session.token, accessTokenExpiresAt: session.tokenExpiresAt })) {
			return session.token;
		}
		const stored = tokenOf(this.credentials);
		return stored && !session.isRetired(stored) && isTokenFresh(this.credentials) ? stored : '';
	}

	/**
	 * Runs `send` with credential data holding the token to use ('' for "fetch one on the way"), and
	 * returns the token it used, so that a token error can retire exactly that one.
	 */
	async withToken<T>(
		send: (credentials: ICredentialDataDecryptedObject, token: string) => Promise<T>,
	): Promise<{ result: T; token: string }> {
		// each pass sends, or waits for a fetch that another call started; fetches end (they time out)
		for (let pass = 0; pass < 100; pass++) {
			throwIfStopped(this.stop);
			if (this.credentialError) throw this.credentialError;
			if (this.session.fetching) {
				await (this.stop ? untilAborted(this.session.fetching, this.stop).catch(() => undefined) : this.session.fetching);
				continue;
			}
			const token = this.current();
			if (token) return { result: await send({ ...this.credentials, accessToken: token }, token), token };
			return await this.sendFetchingToken(send);
		}
		throw new Error('Could not obtain a DingTalk access token');
	}

	/** The token `token` was refused by DingTalk: never use it again. */
	invalidate(token: string): void {
		this.session.retire(token);
	}

	private async sendFetchingToken<T>(
		send: (credentials: ICredentialDataDecryptedObject, token: string) => Promise<T>,
	): Promise<{ result: T; token: string }> {
		let fetched!: () => void;
		this.session.fetching = new Promise<void>((resolve) => (fetched = resolve));
		// n8n's preAuthentication writes the new token into this object before the call goes out
		const credentials: ICredentialDataDecryptedObject = { ...this.credentials, accessToken: '', accessTokenExpiresAt: '' };
		const outcome = await send(credentials, '').then(
			(result) => ({ ok: true as const, result }),
			(error: Error) => ({ ok: false as const, error }),
		);
		this.session.fetching = undefined;
		fetched();
		if (outcome.ok) return { result: outcome.result, token: this.adopt(credentials) };
		// `send` reports passing trouble as a result, and throws what retrying cannot mend, such as
		// DingTalk refusing the app key or secret: later calls of the run fail with it at once
		if (!tokenOf(credentials) && !this.stop?.aborted) this.credentialError = outcome.error;
		throw outcome.error;
	}

	private adopt(credentials: ICredentialDataDecryptedObject): string {
		const token = tokenOf(credentials);
		if (token) {
			this.session.token = token;
			this.session.tokenExpiresAt = Number(credentials.accessTokenExpiresAt) || '';
			this.credentials.accessToken = token;
			this.credentials.accessTokenExpiresAt = credentials.accessTokenExpiresAt;
		}
		return token;
	}
}
