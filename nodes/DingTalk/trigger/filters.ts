import type { IDataObject, INodeExecutionData, IPollFunctions } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import type { Directory } from '../directory/directory';
import { withNames } from '../directory/names';
import { resolveLabelIds, resolveUserIdByMobile } from '../directory/resolve';
import { parseIdsOrNames } from '../helpers/values';

/** The trigger's filters, as ids (names and mobile numbers resolved). */
export interface Filters {
	followerUserId?: string;
	labelIds?: number[];
}

const LABELS = 'Labels';
const OWNER = 'Owner (Follower User ID)';

/**
 * The filters of the trigger's parameters, label names and an owner's mobile number resolved
 * through the directory (once per poll). A value that names nothing fails the poll, naming the field.
 */
export async function readFilters(context: IPollFunctions, directory: Directory): Promise<Filters> {
	const given = context.getNodeParameter('filters', {}) as IDataObject;
	const refuse = (label: string, error: unknown, description: string) => {
		if (error instanceof NodeApiError || error instanceof NodeOperationError) return error;
		return new NodeOperationError(context.getNode(), `"${label}" ${(error as Error).message}`, { description });
	};
	const filters: Filters = {};

	const owner = given.followerUserId as { value?: unknown; mode?: unknown } | string | undefined;
	const ownerValue = String((typeof owner === 'object' ? owner?.value : owner) ?? '').trim();
	if (ownerValue && typeof owner === 'object' && owner?.mode === 'mobile') {
		try {
			filters.followerUserId = await resolveUserIdByMobile(directory, ownerValue);
		} catch (error) {
			throw refuse(OWNER, error, "Give the owner's mobile number as DingTalk has it, or pick the owner from the list.");
		}
	} else if (ownerValue) {
		filters.followerUserId = ownerValue;
	}

	try {
		const labelIds = await resolveLabelIds(directory, parseIdsOrNames(given.labelIds));
		if (labelIds.length > 0) filters.labelIds = labelIds;
	} catch (error) {
		throw refuse(LABELS, error, 'Pick labels from the list, or give label names or IDs such as "VIP, 201".');
	}
	return filters;
}

/**
 * With "Include Names": each added or updated contact gets its label, owner, user and department
 * names (directory/names.ts); removed contacts are left as last seen.
 */
export async function addNamesToItems(directory: Directory, items: INodeExecutionData[]): Promise<void> {
	for (const item of items) {
		if (item.json.event === 'removed') continue;
		item.json.contact = await withNames(directory, item.json.contact as IDataObject);
	}
}
