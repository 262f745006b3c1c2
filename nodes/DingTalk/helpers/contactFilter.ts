import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import type { RunContext } from '../actions/types';
import { directoryOf } from '../directory/directory';
import { resolveLabelIds, resolveUserIdByMobile } from '../directory/resolve';
import { parseOptionalId } from './contact';
import { parseValue, resolveValue } from './parameters';
import { comparableMobile, parseIdsOrNames, parseMobileToFind, parseText } from './values';

/**
 * Get Many's filters. DingTalk's list has no search, so the node reads it page by page and keeps
 * the contacts that match every filter given (transport/listing.ts listAllPages).
 */
export interface ContactFilter {
	/** folded (see `fold`) */
	nameContains?: string;
	/** folded */
	companyContains?: string;
	/** comparable digits (values.ts comparableMobile) */
	mobile?: string;
	/** any of these labels */
	labelIds?: number[];
	/** follower_user_id */
	ownerId?: string;
}

/** Text as compared: Unicode-normalised (full-width letters and digits as ASCII), lower case, single spaces. */
const fold = (value: unknown) =>
	String(value ?? '')
		.normalize('NFKC')
		.toLowerCase()
		.replace(/\s+/g, ' ')
		.trim();

/** The parameter value of a resource locator ({ __rl, mode, value }) or of a plain string. */
const locatorValue = (value: unknown) => (typeof value === 'object' && value !== null ? (value as IDataObject).value : value);

/**
 * Reads the item's `filters` collection; an empty filter is no filter. Label names and an owner's
 * mobile number are resolved through the run's directory, as everywhere else. A value that does not
 * parse or names nothing is an error naming the item and the filter, before the list is read.
 */
export async function readContactFilter(context: IExecuteFunctions, itemIndex: number, run: RunContext): Promise<ContactFilter> {
	const given = context.getNodeParameter('filters', itemIndex, {}) as IDataObject;
	const parse = <T>(name: string, label: string, parser: (value: unknown) => T, value: unknown) =>
		parseValue(context, itemIndex, `Filters: ${label}`, parser, value, `filters.${name}`);
	const filter: ContactFilter = {};
	const name = fold(parse('nameContains', 'Name Contains', parseText, given.nameContains));
	if (name) filter.nameContains = name;
	const company = fold(parse('companyContains', 'Company Contains', parseText, given.companyContains));
	if (company) filter.companyContains = company;
	const mobile = parse('mobile', 'Mobile', parseMobileToFind, given.mobile);
	if (mobile) filter.mobile = mobile;
	const resolve = async <T>(name: string, label: string, resolving: Promise<T>) =>
		await resolveValue(context, itemIndex, `Filters: ${label}`, resolving, `filters.${name}`);
	const labels = parse('labelIds', 'Labels', parseIdsOrNames, given.labelIds);
	if (labels.length > 0) filter.labelIds = await resolve('labelIds', 'Labels', resolveLabelIds(directoryOf(run), labels, itemIndex));
	const byMobile = (given.followerUserId as IDataObject | undefined)?.mode === 'mobile';
	const owner = parse('followerUserId', 'Owner', byMobile ? parseText : parseOptionalId, locatorValue(given.followerUserId));
	if (owner && byMobile) filter.ownerId = await resolve('followerUserId', 'Owner', resolveUserIdByMobile(directoryOf(run), owner, itemIndex));
	else if (owner) filter.ownerId = owner;
	return filter;
}

/** Whether a contact as DingTalk lists it matches every filter given. */
export function matchesContactFilter(contact: IDataObject, filter: ContactFilter): boolean {
	if (filter.nameContains !== undefined && !fold(contact.name).includes(filter.nameContains)) return false;
	if (filter.companyContains !== undefined && !fold(contact.company_name).includes(filter.companyContains)) return false;
	if (filter.mobile !== undefined) {
		const numbers = [comparableMobile(contact.mobile), comparableMobile(`${String(contact.state_code ?? '')}${String(contact.mobile ?? '')}`)];
		if (!numbers.includes(filter.mobile)) return false;
	}
	if (filter.ownerId !== undefined && String(contact.follower_user_id ?? '') !== filter.ownerId) return false;
	if (filter.labelIds !== undefined) {
		const labels = Array.isArray(contact.label_ids) ? contact.label_ids.map(Number) : [];
		if (!filter.labelIds.some((id) => labels.includes(id))) return false;
	}
	return true;
}
