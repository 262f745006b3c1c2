import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import type { ClientOptions } from '../transport/client';

export interface RunOptions extends ClientOptions {
	maxConcurrency: number;
}

/** Options of the whole run (they apply to every item, so they are read once, from item 0). */
export const runOptionsDescription: INodeProperties = {
	displayName: 'Options',
	name: 'options',
	type: 'collection',
	placeholder: 'Add Option',
	default: {},
	options: [
		{
			displayName: 'Max Ban Wait (Seconds)',
			name: 'maxBanWaitSeconds',
			type: 'number',
			typeOptions: { minValue: 0, maxValue: 600 },
			default: 30,
			description:
				'When DingTalk temporarily blocks this server for too many calls and asks it to wait, wait up to this long and retry; a longer ban fails the item with an explanation',
		},
		{
			displayName: 'Max Concurrency',
			name: 'maxConcurrency',
			type: 'number',
			typeOptions: { minValue: 1, maxValue: 100 },
			// at DingTalk's usual 100-300 ms per call, 10 calls in flight reach 20 calls per second
			default: 10,
			description: 'How many calls to DingTalk may be waiting for an answer at the same time',
		},
		{
			displayName: 'Max Retries',
			name: 'maxRetries',
			type: 'number',
			typeOptions: { minValue: 0, maxValue: 10 },
			default: 3,
			description:
				'How often to retry a call that DingTalk refused because it was busy (-1) or over its rate limit (90018, 90002), or that failed on the network. Waits grow between retries. Creating a contact is never retried once it may have reached DingTalk.',
		},
		{
			displayName: 'Requests per Second',
			name: 'requestsPerSecond',
			type: 'number',
			typeOptions: { minValue: 0.1, maxValue: 1000, numberPrecision: 1 },
			default: 20,
			description:
				"The most calls per second this node starts. DingTalk's standard edition allows 20 per second per app and API; the node slows down by itself when DingTalk says the limit is reached.",
		},
		{
			displayName: 'Timeout (Seconds)',
			name: 'timeoutSeconds',
			type: 'number',
			typeOptions: { minValue: 1, maxValue: 300 },
			default: 30,
			description: 'How long one call to DingTalk may take in all, its answer included',
		},
	],
};

/** The defaults, as the options above show them (the one place they are written). */
export const DEFAULT_RUN_OPTIONS: RunOptions = Object.fromEntries(
	(runOptionsDescription.options as INodeProperties[]).map((option) => [option.name, option.default as number]),
) as unknown as RunOptions;

export function readRunOptions(context: IExecuteFunctions): RunOptions {
	const given = context.getNodeParameter('options', 0, {}) as Partial<RunOptions>;
	const positive = (value: unknown, fallback: number) =>
		typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : fallback;
	return {
		requestsPerSecond: positive(given.requestsPerSecond, DEFAULT_RUN_OPTIONS.requestsPerSecond),
		maxConcurrency: Math.floor(positive(given.maxConcurrency, DEFAULT_RUN_OPTIONS.maxConcurrency)),
		maxRetries:
			typeof given.maxRetries === 'number' && given.maxRetries >= 0
				? Math.floor(given.maxRetries)
				: DEFAULT_RUN_OPTIONS.maxRetries,
		maxBanWaitSeconds:
			typeof given.maxBanWaitSeconds === 'number' && given.maxBanWaitSeconds >= 0
				? given.maxBanWaitSeconds
				: DEFAULT_RUN_OPTIONS.maxBanWaitSeconds,
		timeoutSeconds: positive(given.timeoutSeconds, DEFAULT_RUN_OPTIONS.timeoutSeconds),
	};
}
