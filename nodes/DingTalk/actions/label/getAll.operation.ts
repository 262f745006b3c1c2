import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import { listLabels } from '../../directory/lists';
import type { RunContext } from '../types';

/** Get Many labels has no parameters. */
export const description: INodeProperties[] = [];

/** DingTalk gives colours as signed 32-bit ARGB integers; people want #RRGGBB. */
export function argbToHex(color: number): string {
	return `#${((color >>> 0) & 0xffffff).toString(16).padStart(6, '0').toUpperCase()}`;
}

/** One item per label, across all label groups (listlabelgroups, 100 groups a page). */
export async function execute(this: IExecuteFunctions, itemIndex: number, run: RunContext): Promise<IDataObject[]> {
	const labels = await listLabels(run.client, itemIndex);
	return labels.map((label) => ({
		labelId: label.id,
		labelName: label.name,
		groupName: label.groupName,
		groupColor: argbToHex(label.groupColor),
	}));
}
