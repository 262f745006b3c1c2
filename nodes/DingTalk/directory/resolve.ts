import { InvalidValueError, isMobileEntry, MAX_IDS_PER_LIST, parseEmployeeMobile } from '../helpers/values';
import type { Directory } from './directory';

/**
 * Turning the names people keep (labels, departments, employees' mobile numbers) into the ids
 * DingTalk expects. Every function throws InvalidValueError, whose message completes a sentence
 * that starts with the field's name (helpers/parameters.ts adds the item and the field).
 */

/** One thing a name may stand for: its id, its own name and its full name ("Group / Label", a path). */
interface Named<Id> {
	id: Id;
	name: string;
	fullName: string;
}

/** Case, full-width forms and spacing around "/" do not tell names apart. */
const normalise = (text: string) => text.normalize('NFKC').trim().replace(/\s*\/\s*/g, ' / ').replace(/\s+/g, ' ').toLowerCase();

const quoted = (texts: string[]) => texts.map((text) => `"${text}"`).join(', ');

/** How many known names an "unknown name" message shows. */
const KNOWN_NAMES_SHOWN = 8;

/** Some known full names, those that share a part with `text` first. */
function someKnown<Id>(candidates: Array<Named<Id>>, text: string): string {
	const wanted = normalise(text);
	const related = (candidate: Named<Id>) => {
		const name = normalise(candidate.name);
		return name.includes(wanted) || wanted.includes(name) ? 0 : 1;
	};
	const shown = [...candidates].sort((a, b) => related(a) - related(b)).slice(0, KNOWN_NAMES_SHOWN);
	const more = candidates.length > shown.length ? ` and ${candidates.length - shown.length} more` : '';
	return `${quoted(shown.map((candidate) => candidate.fullName))}${more}`;
}

/**
 * The one candidate a text names: by full name first ("Group / Label", "Sales / East"), else by
 * name. `unknown` is the start of the message when nothing matches, `kind` what the things are.
 */
function findOne<Id>(candidates: Array<Named<Id>>, text: string, kind: { one: string; group: string }): Named<Id> | undefined {
	const wanted = normalise(text);
	const byFullName = candidates.filter((candidate) => normalise(candidate.fullName) === wanted);
	if (byFullName.length === 1) return byFullName[0];
	const matches = byFullName.length > 1 ? byFullName : candidates.filter((candidate) => normalise(candidate.name) === wanted);
	if (matches.length > 1) {
		throw new InvalidValueError(
			`"${text}" names more than one ${kind.one} (${kind.group}): write one of ${quoted(matches.map((match) => match.fullName))}, or its ID`,
		);
	}
	return matches[0];
}

async function resolveIds<Id>(
	entries: Array<Id | string>,
	isId: (entry: Id | string) => entry is Id,
	load: (again: boolean) => Promise<{ candidates: Array<Named<Id>>; canLoadAgain: boolean }>,
	kind: { one: string; group: string; where: string },
): Promise<Id[]> {
	const ids: Id[] = [];
	const names = entries.filter((entry): entry is string => !isId(entry));
	let loaded = names.length > 0 ? await load(false) : undefined;
	for (const entry of entries) {
		if (isId(entry)) {
			ids.push(entry);
			continue;
		}
		let found = findOne(loaded!.candidates, entry, kind);
		if (!found && loaded!.canLoadAgain) {
			// the list was another run's: the name may be new since
			loaded = await load(true);
			found = findOne(loaded.candidates, entry, kind);
		}
		if (!found) {
			throw new InvalidValueError(
				`has no ${kind.one} named "${entry}"; known ${kind.one}s include ${someKnown(loaded!.candidates, entry)}. Pick from the list in the node, or give the ${kind.one}'s ID${kind.where}`,
			);
		}
		ids.push(found.id);
	}
	const unique = [...new Set(ids)];
	if (unique.length > MAX_IDS_PER_LIST) {
		throw new InvalidValueError(`has ${unique.length} entries; DingTalk accepts at most ${MAX_IDS_PER_LIST}`);
	}
	return unique;
}

const isNumber = (entry: number | string): entry is number => typeof entry === 'number';

/** Label ids from ids, names and "Group / Label" (see parseIdsOrNames). */
export async function resolveLabelIds(directory: Directory, entries: Array<number | string>, itemIndex?: number): Promise<number[]> {
	return await resolveIds(
		entries,
		isNumber,
		async (again) => {
			const { labels, fresh } = await directory.labels(itemIndex, again);
			return {
				candidates: labels.map((label) => ({ id: label.id, name: label.name, fullName: `${label.groupName} / ${label.name}` })),
				canLoadAgain: !fresh,
			};
		},
		{ one: 'label', group: 'in different label groups', where: ' (Label → Get Many lists them all)' },
	);
}

/** Department ids from ids, names and paths ("Sales / East"). */
export async function resolveDepartmentIds(directory: Directory, entries: Array<number | string>, itemIndex?: number): Promise<number[]> {
	return await resolveIds(
		entries,
		isNumber,
		async () => ({
			candidates: (await directory.departments(itemIndex)).map((department) => ({
				id: department.id,
				name: department.name,
				fullName: department.path,
			})),
			canLoadAgain: false,
		}),
		{ one: 'department', group: 'in different places', where: '' },
	);
}

/** An employee's user id from their mobile number (any way people write it). */
export async function resolveUserIdByMobile(directory: Directory, mobile: unknown, itemIndex?: number): Promise<string> {
	const number = parseEmployeeMobile(mobile);
	const userId = await directory.userIdByMobile(number, itemIndex);
	if (userId === undefined) {
		throw new InvalidValueError(
			`"${String(mobile).trim()}": no employee of the organisation has this mobile number (DingTalk looked up ${number}; employees who left are not found either)`,
		);
	}
	return userId;
}

/** User ids, where entries written as "+86 …" mobile numbers are looked up (see isMobileEntry). */
export async function resolveUserIds(directory: Directory, entries: string[], itemIndex?: number): Promise<string[]> {
	const ids: string[] = [];
	for (const entry of entries) {
		ids.push(isMobileEntry(entry) ? await resolveUserIdByMobile(directory, entry, itemIndex) : entry);
	}
	return [...new Set(ids)];
}
