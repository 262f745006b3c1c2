import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

const RESOURCE_LOCATORS = new Set(['contactId', 'followerUserId']);

/**
 * Reads one parameter of one item and parses it; a value that does not parse becomes an error
 * naming the item and the field, thrown before anything is sent for that item.
 * Resource locators (`contactId`, `followerUserId`) are read as the id they hold.
 */
export function readParameter<T>(
	context: IExecuteFunctions,
	itemIndex: number,
	name: string,
	label: string,
	parse: (value: unknown) => T,
	fallback?: unknown,
): T {
	const extractValue = RESOURCE_LOCATORS.has(name);
	const value: unknown = context.getNodeParameter(name, itemIndex, fallback, { extractValue });
	return parseValue(context, itemIndex, label, parse, value, name);
}

/**
 * The AI tool argument a parameter takes its value from (`$fromAI('key', …)` in the parameter at
 * `path`, e.g. "filters.mobile"), so that an agent is told which of its arguments to fix.
 */
function toolArgumentOf(context: IExecuteFunctions, path: string): string | undefined {
	let raw: unknown = context.getNode().parameters;
	for (const key of path.split('.')) raw = typeof raw === 'object' && raw !== null ? (raw as IDataObject)[key] : undefined;
	if (typeof raw === 'object' && raw !== null) raw = (raw as IDataObject).value; // a resource locator
	return typeof raw === 'string' ? /\$fromAI\(\s*(['"`])([\w-]+)\1/.exec(raw)?.[2] : undefined;
}

/**
 * Parses a value already read (e.g. one field of a collection), with the same errors. `path` is
 * where the parameter sits ("filters.mobile"), to name the AI tool argument it came from.
 */
export function parseValue<T>(
	context: IExecuteFunctions,
	itemIndex: number,
	label: string,
	parse: (value: unknown) => T,
	value: unknown,
	path?: string,
): T {
	try {
		return parse(value);
	} catch (error) {
		throw invalidValue(context, itemIndex, label, error, path);
	}
}

/**
 * Waits for a value that needs DingTalk's lists (a label name, an owner's mobile number …); a value
 * they refuse becomes the same error as a value that does not parse. Failed calls pass unchanged.
 */
export async function resolveValue<T>(
	context: IExecuteFunctions,
	itemIndex: number,
	label: string,
	resolving: Promise<T>,
	path?: string,
): Promise<T> {
	const outcome = await resolving.then(
		(value) => ({ value }),
		(error: Error) => ({ error }),
	);
	if (!('error' in outcome)) return outcome.value;
	throw outcome.error.name === 'InvalidValueError' ? invalidValue(context, itemIndex, label, outcome.error, path) : outcome.error;
}

function invalidValue(
	context: IExecuteFunctions,
	itemIndex: number,
	label: string,
	error: unknown,
	path?: string,
): NodeOperationError {
	const argument = path === undefined ? undefined : toolArgumentOf(context, path);
	const fix = argument
		? `Fix the tool argument "${argument}" (the node's "${label}").`
		: `Fix the value mapped into "${label}" for item ${itemIndex} (counting from 0).`;
	// parsers throw InvalidValueError, whose message completes the sentence
	return new NodeOperationError(context.getNode(), `Item ${itemIndex}: "${label}" ${(error as Error).message}`, {
		itemIndex,
		description: `${fix} Nothing was sent to DingTalk for this item.`,
	});
}
