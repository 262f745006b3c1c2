import type { ICredentialDataDecryptedObject } from 'n8n-workflow';

export const CREDENTIAL_TYPE = 'dingTalkApi';

/**
 * Keeps the access token for one node run.
 *
 * The token lives in the credential's hidden, expirable `accessToken` property: n8n calls the
 * credential's preAuthentication when it is empty and saves the result, so later runs (and n8n's
 * HTTP Request node) reuse it. n8n refreshes it by itself only after an HTTP 401, which DingTalk
 * never sends, so this keeper does it: when a call reports the token bad, it hands n8n a copy of the
 * credential with an empty token, and n8n fetches and saves a new one.
 *
 * Only one call at a time goes out without a token; the others wait for it, so a run of thousands of
 * items asks DingTalk for a token once, and a refresh happens once however many calls saw it fail.
 */
export class AccessTokenKeeper {
	private credentials?: Promise<ICredentialDataDecryptedObject>;
	private fetching?: Promise<void>;
	/** a rejection of the app key/secret: every later call fails with it instead of asking again */
	private credentialError?: Error;

	constructor(private readonly loadCredentials: () => Promise<ICredentialDataDecryptedObject>) {}

	/**
	 * Runs `send` with the credential data to hand to n8n, and returns the token it used (so that a
	 * token error can invalidate exactly that token).
	 */
	async withCredentials<T>(
		send: (credentials: ICredentialDataDecryptedObject) => Promise<T>,
	): Promise<{ result: T; token: string }> {
		// each pass either sends or waits for a fetch that another call started; both end
		for (let pass = 0; pass < 1000; pass++) {
			if (this.credentialError) throw this.credentialError;
			if (this.fetching) {
				await this.fetching;
				continue;
			}
			this.credentials ??= this.loadCredentials();
			const credentials = await this.credentials;
			if (this.fetching) continue;
			if (tokenOf(credentials)) {
				const token = tokenOf(credentials);
				return { result: await send(credentials), token };
			}
			return await this.sendFetchingToken(credentials, send);
		}
		throw new Error('Could not obtain a DingTalk access token');
	}

	/** Forget `token` if it is still the current one, so that the next call fetches a new token. */
	invalidate(token: string): void {
		const stale = this.credentials;
		if (!stale) return;
		this.credentials = stale.then((credentials) =>
			tokenOf(credentials) === token ? { ...credentials, accessToken: '' } : credentials,
		);
	}

	private async sendFetchingToken<T>(
		credentials: ICredentialDataDecryptedObject,
		send: (credentials: ICredentialDataDecryptedObject) => Promise<T>,
	): Promise<{ result: T; token: string }> {
		let fetched!: () => void;
		this.fetching = new Promise<void>((resolve) => (fetched = resolve));
		// n8n's preAuthentication writes the new token into `credentials` before sending
		const outcome = await send(credentials).then(
			(result) => ({ ok: true as const, result }),
			(error: unknown) => ({ ok: false as const, error }),
		);
		this.fetching = undefined;
		fetched();
		if (outcome.ok) return { result: outcome.result, token: tokenOf(credentials) };
		// `send` reports passing trouble as a result and throws only what retrying cannot mend,
		// such as DingTalk refusing the app key or secret: later calls fail with it straight away
		if (!tokenOf(credentials)) this.credentialError = outcome.error as Error;
		throw outcome.error;
	}
}

export function tokenOf(credentials: ICredentialDataDecryptedObject): string {
	return typeof credentials.accessToken === 'string' ? credentials.accessToken : '';
}

/** Thrown by the credential when DingTalk refuses the app key or secret. */
export class CredentialRejectedError extends Error {
	constructor(
		message: string,
		readonly errcode: number,
		readonly errmsg: string,
	) {
		super(message);
		this.name = 'CredentialRejectedError';
	}
}

/** Recognised by name: n8n wraps the credential's error, and may load the class twice. */
export function findCredentialRejection(error: unknown): CredentialRejectedError | undefined {
	for (let candidate = error, depth = 0; candidate && depth < 3; depth++) {
		if ((candidate as Error).name === 'CredentialRejectedError') return candidate as CredentialRejectedError;
		candidate = (candidate as { cause?: unknown }).cause;
	}
	return undefined;
}
