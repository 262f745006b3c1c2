import { createHash } from 'crypto';

import { AdaptiveRateLimiter } from './rateLimiter';

/**
 * What every execution in this n8n process shares for one DingTalk app: DingTalk counts its quota
 * per app and API, bans per app or server, and hands out one token per app, however many
 * executions (webhook calls, overlapping schedules, pickers) use it at once.
 *
 * An app is its Base URL, App Key and App Secret (a credential with a wrong secret never gets a
 * token, so it shares nothing with the right one). Sessions idle for IDLE_MS are dropped; a
 * session with a call under way is never idle.
 */
/** How a token fetch ended: the token is in the session, or `error` says why not. */
export interface TokenFetch {
	error?: Error;
}

export class AppSession {
	/** one limiter per API (path) and configured rate */
	private readonly limiters = new Map<string, AdaptiveRateLimiter>();
	/** the newest token this process fetched or used successfully for the app */
	token = '';
	/** when that token is due for renewal (ms since 1970), or '' when unknown */
	tokenExpiresAt: number | '' = '';
	/** tokens DingTalk rejected; kept (a few) so they are not used again and are redacted */
	private readonly retired: string[] = [];
	/** a token fetch under way: other calls wait for it instead of fetching too */
	fetching?: Promise<TokenFetch>;
	/** when a run last started or a call last ended (ms since 1970) */
	lastUsedAt: number;
	/** calls of the app under way: a session in use is never swept, however long they take */
	private callsUnderWay = 0;
	/** until when DingTalk asked this app to wait (ms since 1970) */
	private pausedUntil = 0;

	constructor(
		now: number,
		private readonly clock: () => number = () => Date.now(),
	) {
		this.lastUsedAt = now;
	}

	get inUse(): boolean {
		return this.callsUnderWay > 0;
	}

	/** Holds the session for one call; the function returned lets it go (once). */
	use(): () => void {
		this.callsUnderWay++;
		let released = false;
		return () => {
			if (released) return;
			released = true;
			this.callsUnderWay--;
			this.lastUsedAt = this.clock();
		};
	}

	limiter(path: string, requestsPerSecond: number): AdaptiveRateLimiter {
		const key = `${path} ${requestsPerSecond}`;
		let limiter = this.limiters.get(key);
		if (!limiter) {
			limiter = new AdaptiveRateLimiter(requestsPerSecond);
			// an API first used during a ban waits for it too
			const pauseLeft = this.pausedUntil - Date.now();
			if (pauseLeft > 0) limiter.pauseFor(pauseLeft);
			this.limiters.set(key, limiter);
		}
		return limiter;
	}

	/** DingTalk asked this app to wait: every API of it pauses. */
	pauseAll(ms: number): void {
		this.pausedUntil = Math.max(this.pausedUntil, Date.now() + ms);
		for (const limiter of this.limiters.values()) limiter.pauseFor(ms);
	}

	isRetired(token: string): boolean {
		return this.retired.includes(token);
	}

	retire(token: string): void {
		if (!token) return;
		if (this.token === token) {
			this.token = '';
			this.tokenExpiresAt = '';
		}
		if (!this.retired.includes(token)) this.retired.push(token);
		if (this.retired.length > MAX_RETIRED_TOKENS) this.retired.shift();
	}

	/** Every token of the app this process knows: none may appear in what the node puts out. */
	knownTokens(): string[] {
		return [this.token, ...this.retired];
	}
}

const MAX_RETIRED_TOKENS = 8;
export const IDLE_MS = 10 * 60 * 1000;

export class AppSessions {
	private readonly sessions = new Map<string, AppSession>();

	constructor(private readonly now: () => number = () => Date.now()) {}

	/** The session of an app, created when new; also drops sessions idle for too long. */
	sessionFor(baseUrl: string, appKey: unknown, appSecret: unknown): AppSession {
		const now = this.now();
		this.sweep(now);
		const secretHash = createHash('sha256').update(String(appSecret ?? '')).digest('hex').slice(0, 16);
		const key = `${baseUrl}\n${String(appKey ?? '')}\n${secretHash}`;
		let session = this.sessions.get(key);
		if (!session) {
			session = new AppSession(now, this.now);
			this.sessions.set(key, session);
		}
		session.lastUsedAt = now;
		return session;
	}

	/** Drops sessions unused for IDLE_MS; never one with a call or a token fetch under way. */
	sweep(now = this.now()): void {
		for (const [key, session] of this.sessions) {
			if (now - session.lastUsedAt > IDLE_MS && !session.inUse && !session.fetching) this.sessions.delete(key);
		}
	}

	get size(): number {
		return this.sessions.size;
	}

	/** Forgets every app (tests start each case from nothing). */
	clear(): void {
		this.sessions.clear();
	}
}

/** The process-wide sessions: n8n loads the node once per process. */
export const appSessions = new AppSessions();
