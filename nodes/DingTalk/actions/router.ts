import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import { forEachConcurrently } from '../helpers/concurrency';
import { DingTalkClient } from '../transport/client';
import * as externalContact from './externalContact';
import * as label from './label';
import { readRunOptions } from './runOptions';
import type { Operation, RunContext } from './types';

const resources: Record<string, Record<string, Operation>> = {
	externalContact: externalContact.operations,
	label: label.operations,
};

/**
 * Runs the chosen operation for every input item, several at a time under one rate limit, and
 * returns the output in input order, each item paired to the input it came from.
 */
export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const resource = this.getNodeParameter('resource', 0) as string;
	const operationName = this.getNodeParameter('operation', 0) as string;
	const operation = resources[resource]?.[operationName];
	if (!operation) {
		throw new NodeOperationError(this.getNode(), `The operation "${operationName}" of "${resource}" is not supported`);
	}

	const options = readRunOptions(this);
	// fires when the user stops the execution: no call starts after it, waits and calls end
	const stop = this.getExecutionCancelSignal?.();
	const sharedState = new Map<string, unknown>();
	const run: RunContext = {
		client: new DingTalkClient(this, options, stop),
		shared: <T>(key: string, create: () => T) => {
			if (!sharedState.has(key)) sharedState.set(key, create());
			return sharedState.get(key) as T;
		},
	};

	const outputPerItem: INodeExecutionData[][] = new Array(items.length);
	const continueOnFail = this.continueOnFail();
	const errorOutput = this.getNode().onError === 'continueErrorOutput';
	await forEachConcurrently(items.length, options.maxConcurrency, stop, async (itemIndex) => {
		try {
			const result = await operation.execute.call(this, itemIndex, run);
			outputPerItem[itemIndex] = (Array.isArray(result) ? result : [result]).map((json) => ({
				json,
				pairedItem: { item: itemIndex },
			}));
		} catch (error) {
			if (stop?.aborted) throw new NodeOperationError(this.getNode(), 'The execution was stopped', { itemIndex });
			const nodeError =
				error instanceof NodeApiError || error instanceof NodeOperationError
					? error
					: new NodeOperationError(this.getNode(), error as Error, { itemIndex });
			if (!continueOnFail) throw nodeError;
			outputPerItem[itemIndex] = [{ json: errorJson(nodeError, errorOutput), pairedItem: { item: itemIndex } }];
		}
	});
	if (stop?.aborted) throw new NodeOperationError(this.getNode(), 'The execution was stopped');
	return [outputPerItem.flat()];
}

/**
 * The item that stands for a failed input under "Continue On Fail": the message, and DingTalk's
 * errcode, errmsg and request_id when it answered. With the error output ("Continue (using error
 * output)") the item may hold only `error` and `message` (n8n 2.8 routes nothing else there; later
 * n8n also `details`), and n8n adds the input item's fields to it: `message` then says what to do,
 * with DingTalk's own words and its request_id.
 */
function errorJson(error: NodeApiError | NodeOperationError, errorOutput: boolean): IDataObject {
	const json: IDataObject = { error: error.message };
	const response = (error.errorResponse ?? {}) as IDataObject;
	if (errorOutput) {
		const requestId = response.request_id ? ` (request_id ${String(response.request_id)})` : '';
		if (error.description || requestId) json.message = `${error.description ?? ''}${requestId}`.trim();
		return json;
	}
	for (const key of ['errcode', 'errmsg', 'request_id']) {
		if (response[key] !== undefined && response[key] !== null) json[key] = response[key];
	}
	return json;
}
