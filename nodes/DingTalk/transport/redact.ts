/**
 * Keeps secrets out of everything that leaves the node or the credential: DingTalk may echo the
 * request (its URL holds the access token; /gettoken's holds the app secret) in errmsg or sub_msg,
 * and a gateway may quote it in an error page. Dependency-free, so the credential can use it.
 */

export const REDACTED = '***';

/** Shorter values are not treated as secrets: replacing them would garble ordinary text. */
const MIN_SECRET_LENGTH = 6;

/** The forms a secret takes when quoted: as is, URL-encoded, JSON-escaped. */
function spellings(secret: string): string[] {
	const forms = new Set([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)]);
	// longest first, so that a longer spelling is not cut by a shorter one inside it
	return [...forms].sort((a, b) => b.length - a.length);
}

export class Redactor {
	private readonly forms: string[];

	constructor(secrets: Iterable<unknown>) {
		const usable = [...secrets].filter(
			(secret): secret is string => typeof secret === 'string' && secret.length >= MIN_SECRET_LENGTH,
		);
		this.forms = [...new Set(usable.flatMap(spellings))].sort((a, b) => b.length - a.length);
	}

	/** `text` with every secret replaced by ***. */
	text(text: string): string {
		let result = text;
		for (const form of this.forms) if (result.includes(form)) result = result.split(form).join(REDACTED);
		return result;
	}

	/** A copy of a parsed answer with every string redacted (walked without recursion). */
	value<T>(value: T): T {
		if (this.forms.length === 0) return value;
		if (typeof value === 'string') return this.text(value) as T;
		if (typeof value !== 'object' || value === null) return value;
		const root = (Array.isArray(value) ? [...value] : { ...value }) as Record<string, unknown>;
		const pending: Array<Record<string, unknown>> = [root];
		for (let holder = pending.pop(); holder; holder = pending.pop()) {
			for (const key of Object.keys(holder)) {
				const entry = holder[key];
				if (typeof entry === 'string') {
					holder[key] = this.text(entry);
				} else if (typeof entry === 'object' && entry !== null) {
					const copy = (Array.isArray(entry) ? [...entry] : { ...entry }) as Record<string, unknown>;
					holder[key] = copy;
					pending.push(copy);
				}
			}
		}
		return root as T;
	}
}
