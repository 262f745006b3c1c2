/**
 * Runs `work(0) … work(count - 1)` with at most `concurrency` running at once, in index order of
 * start. When a call throws, or `stop` fires, no new ones start; the ones running are let finish,
 * then the error with the lowest index is thrown (so the failure reported does not depend on timing).
 */
export async function forEachConcurrently(
	count: number,
	concurrency: number,
	stop: AbortSignal | undefined,
	work: (index: number) => Promise<void>,
): Promise<void> {
	let next = 0;
	const failures: Array<{ index: number; error: unknown }> = [];
	const worker = async (): Promise<void> => {
		while (next < count && failures.length === 0 && !stop?.aborted) {
			const index = next++;
			try {
				await work(index);
			} catch (error) {
				failures.push({ index, error });
			}
		}
	};
	const workers = Math.max(1, Math.min(concurrency, count));
	await Promise.all(Array.from({ length: workers }, worker));
	if (failures.length > 0) throw failures.sort((a, b) => a.index - b.index)[0].error;
}
