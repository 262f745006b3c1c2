/** Reading errors that n8n and axios wrap in each other. Dependency-free. */

/** The first error code such as ECONNREFUSED along the error's causes (never its message). */
export function errorCode(error: unknown): string | undefined {
	for (let candidate = error, depth = 0; candidate && depth < 4; depth++) {
		const code = (candidate as { code?: unknown }).code;
		if (typeof code === 'string' && /^[A-Z_]+$/.test(code)) return code;
		candidate = (candidate as { cause?: unknown }).cause;
	}
	return undefined;
}

/**
 * The package's own errors that cross n8n's helpers (token requests), by message: some n8n releases
 * (2.8) wrap an error without keeping it as the wrapper's cause, and only its message survives.
 * A few recent ones are enough: the wrapper is read right after the error was thrown.
 */
const rememberedByMessage = new Map<string, Error>();
const REMEMBERED_ERRORS = 32;

/** Keeps `error` findable by findNamedError even through a wrapper that drops it. */
export function rememberError(error: Error): void {
	rememberedByMessage.delete(error.message);
	rememberedByMessage.set(error.message, error);
	if (rememberedByMessage.size > REMEMBERED_ERRORS) rememberedByMessage.delete(rememberedByMessage.keys().next().value as string);
}

/** Finds an error by name along the causes (n8n wraps errors, and may load our classes twice). */
export function findNamedError<T extends Error>(error: unknown, name: string): T | undefined {
	for (let candidate = error, depth = 0; candidate && depth < 4; depth++) {
		if ((candidate as Error).name === name) return candidate as T;
		candidate = (candidate as { cause?: unknown }).cause;
	}
	const message = (error as Error | undefined)?.message;
	const remembered = typeof message === 'string' ? rememberedByMessage.get(message) : undefined;
	return remembered?.name === name ? (remembered as T) : undefined;
}

/**
 * What a network error code means, in words. Messages never quote the code itself: n8n replaces a
 * message that contains one (ECONNREFUSED …) with a generic text of its own.
 */
export function networkReason(code: string | undefined): string {
	switch (code) {
		case 'ECONNREFUSED':
			return 'the connection was refused';
		case 'ENOTFOUND':
		case 'EAI_AGAIN':
			return 'the server name was not found; check the Base URL in the DingTalk API credential';
		case 'ECONNABORTED':
		case 'ETIMEDOUT':
			return 'it did not answer in time';
		case 'ECONNRESET':
		case 'EPIPE':
			return 'the connection broke off';
		case 'EHOSTUNREACH':
		case 'ENETUNREACH':
			return 'the network cannot reach it';
		default:
			return code && /CERT|SSL|TLS/.test(code) ? 'its TLS certificate was not accepted' : 'the network failed';
	}
}
