import type { IExecuteFunctions } from 'n8n-workflow';
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
	return parseValue(context, itemIndex, label, parse, value);
}

/** Parses a value already read (e.g. one field of a collection), with the same errors. */
export function parseValue<T>(
	context: IExecuteFunctions,
	itemIndex: number,
	label: string,
	parse: (value: unknown) => T,
	value: unknown,
): T {
	try {
		return parse(value);
	} catch (error) {
		throw invalidValue(context, itemIndex, label, error);
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
): Promise<T> {
	const outcome = await resolving.then(
		(value) => ({ value }),
		(error: Error) => ({ error }),
	);
	if (!('error' in outcome)) return outcome.value;
	throw outcome.error.name === 'InvalidValueError' ? invalidValue(context, itemIndex, label, outcome.error) : outcome.error;
}

function invalidValue(context: IExecuteFunctions, itemIndex: number, label: string, error: unknown): NodeOperationError {
	// parsers throw InvalidValueError, whose message completes the sentence
	return new NodeOperationError(context.getNode(), `Item ${itemIndex}: "${label}" ${(error as Error).message}`, {
		itemIndex,
		description: `Fix the value mapped into "${label}" for item ${itemIndex} (counting from 0). Nothing was sent to DingTalk for this item.`,
	});
}
