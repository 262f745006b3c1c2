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
 * output)") DingTalk's fields go under `details`: n8n sends an item there only when its json holds
 * nothing but error, message and details, and then adds the input item's fields to it.
 */
function errorJson(error: NodeApiError | NodeOperationError, errorOutput: boolean): IDataObject {
	const answer: IDataObject = {};
	const response = (error.errorResponse ?? {}) as IDataObject;
	for (const key of ['errcode', 'errmsg', 'request_id']) {
		if (response[key] !== undefined && response[key] !== null) answer[key] = response[key];
	}
	if (!errorOutput) return { error: error.message, ...answer };
	return Object.keys(answer).length > 0 ? { error: error.message, details: answer } : { error: error.message };
}
