/**
 * One key at a time, in input order: work queued for a key starts once the work queued before it
 * for the same key has ended (succeeded or failed); work for other keys does not wait. The order is
 * the order of the calls to `run`, so callers queue before their first `await` (the router starts
 * items in input order).
 */
export class OneAtATimePerKey {
	/** the end of the last work queued for each key */
	private readonly lastOf = new Map<string, Promise<unknown>>();

	async run<T>(key: string, work: () => Promise<T>): Promise<T> {
		const turn = (this.lastOf.get(key) ?? Promise.resolve()).then(work);
		this.lastOf.set(key, turn.catch(() => undefined));
		return await turn;
	}
}
