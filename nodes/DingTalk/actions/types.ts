import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import type { DingTalkClient } from '../transport/client';

/** What every item of one node run shares. */
export interface RunContext {
	client: DingTalkClient;
	/**
	 * Per-run state, created on first use and shared by every item of the run (keyed by purpose):
	 * for work that must happen once per run, not once per item.
	 */
	shared<T>(key: string, create: () => T): T;
}

/** One operation of one resource: its parameters, and what it does for one input item. */
export interface Operation {
	description: INodeProperties[];
	/** Returns the json of the output item(s) for this input item; the router pairs them. */
	execute(this: IExecuteFunctions, itemIndex: number, run: RunContext): Promise<IDataObject | IDataObject[]>;
}
