import type { IDataObject } from 'n8n-workflow';

/** DingTalk's documented body: `key=value` pairs, objects and arrays as JSON strings. */
export function encodeForm(params: IDataObject): string {
	const form = new URLSearchParams();
	for (const [key, value] of Object.entries(params)) {
		if (value === undefined) continue;
		form.append(key, typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value));
	}
	return form.toString();
}
