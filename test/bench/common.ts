/** What the benchmark's parent (run.ts, trigger.ts) and its child scenarios share. */

export const median = (values: number[]): number => {
	const sorted = [...values].sort((a, b) => a - b);
	const middle = Math.floor(sorted.length / 2);
	return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/**
 * Runs a child scenario: its result is printed as one JSON line on stdout (the parent reads the
 * last line), a failure on stderr with exit code 1.
 */
export function runScenario(measure: () => Promise<unknown>): void {
	measure().then(
		(output) => {
			process.stdout.write(`${JSON.stringify(output)}\n`);
			process.exit(0);
		},
		(error) => {
			process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
			process.exit(1);
		},
	);
}
