/**
 * The credential's Base URL: read, trimmed and checked in one place, for the node and the
 * credential alike. Dependency-free, so the credential can import it.
 */

export const DEFAULT_BASE_URL = 'https://oapi.dingtalk.com';

export class InvalidBaseUrlError extends Error {
	constructor(detail: string) {
		super(
			`The Base URL in the DingTalk API credential ${detail}. Use ${DEFAULT_BASE_URL}, or https://oapi.dingtalk.io for international tenants.`,
		);
		this.name = 'InvalidBaseUrlError';
	}
}

/** The Base URL without trailing slashes; empty means DingTalk's default. Linear in the length. */
export function normalizeBaseUrl(baseUrl: unknown): string {
	const text = typeof baseUrl === 'string' ? baseUrl.trim() : '';
	let end = text.length;
	while (end > 0 && text.charCodeAt(end - 1) === 0x2f /* / */) end--;
	return end === 0 ? DEFAULT_BASE_URL : text.slice(0, end);
}

/** The normalized Base URL, or InvalidBaseUrlError saying what is wrong with it. */
export function checkedBaseUrl(baseUrl: unknown): string {
	if (baseUrl !== undefined && baseUrl !== null && typeof baseUrl !== 'string') {
		throw new InvalidBaseUrlError('is not text');
	}
	const normalized = normalizeBaseUrl(baseUrl);
	const url = parseUrl(normalized);
	if (!url) throw new InvalidBaseUrlError(`"${preview(normalized)}" is not a web address`);
	if (url.protocol !== 'https:' && url.protocol !== 'http:') {
		throw new InvalidBaseUrlError(`must start with https:// (or http://), not ${preview(url.protocol)}`);
	}
	if (url.search !== '' || normalized.includes('?')) throw new InvalidBaseUrlError('must not have a query string (?…)');
	if (url.hash !== '' || normalized.includes('#')) throw new InvalidBaseUrlError('must not have a fragment (#…)');
	if (url.username !== '' || url.password !== '') throw new InvalidBaseUrlError('must not contain a user name or password');
	return normalized;
}

function parseUrl(text: string): URL | undefined {
	try {
		return new URL(text);
	} catch {
		return undefined;
	}
}

function preview(text: string): string {
	return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
