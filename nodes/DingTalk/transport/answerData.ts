import type { IDataObject } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';

import type { DingTalkClient } from './client';
import { answerFields } from './messages';

/**
 * DingTalk answers a read with errcode 0 and the data in one field (`results` of a list, `result`
 * of a get). An answer that says errcode 0 without it is a failed call: taken as an empty list it
 * would read as "every contact removed", taken as an empty contact it would make Update's merge a
 * full replace.
 */
export function answerData<T>(
	client: DingTalkClient,
	path: string,
	answer: IDataObject,
	field: string,
	isData: (value: unknown) => value is T,
	itemIndex?: number,
): T {
	const data = answer[field];
	if (isData(data)) return data;
	throw new NodeApiError(client.node, answerFields(answer, true), {
		message: `DingTalk answered ${path} without its data ("${field}")`,
		description: `The answer said errcode 0 (success) but had no "${field}", so the call counts as failed and nothing is taken from it. Run it again; if this keeps happening, check the Base URL in the DingTalk API credential: something other than DingTalk may be answering.`,
		itemIndex,
	});
}

export const isList = (value: unknown): value is IDataObject[] => Array.isArray(value);

export const isRecord = (value: unknown): value is IDataObject =>
	typeof value === 'object' && value !== null && !Array.isArray(value);
