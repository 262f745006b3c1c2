import type { IDataObject } from 'n8n-workflow';

/** The listed keys of DingTalk's answer that are present, in that order. */
export function pickAnswer(answer: IDataObject, keys: string[]): IDataObject {
	const picked: IDataObject = {};
	for (const key of keys) if (answer[key] !== undefined) picked[key] = answer[key];
	return picked;
}
