import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import * as externalContact from './actions/externalContact';
import * as label from './actions/label';
import { router } from './actions/router';
import { runOptionsDescription } from './actions/runOptions';
import { loadOptions } from './methods/loadOptions';
import { listSearch } from './methods/listSearch';

export class DingTalk implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'DingTalk',
		name: 'dingTalk',
		icon: { light: 'file:dingtalk.svg', dark: 'file:dingtalk.dark.svg' },
		group: ['output'],
		version: 1,
		subtitle: '={{ $parameter["operation"] + ": " + $parameter["resource"] }}',
		description: 'Manage external contacts (customers and partners) in the DingTalk company directory',
		defaults: { name: 'DingTalk' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'dingTalkApi', required: true }],
		properties: [
			{
				displayName: 'Resource',
				name: 'resource',
				type: 'options',
				noDataExpression: true,
				options: [
					{ name: 'External Contact', value: 'externalContact' },
					{ name: 'Label', value: 'label' },
				],
				default: 'externalContact',
			},
			...externalContact.description,
			...label.description,
			runOptionsDescription,
		],
	};

	methods = { loadOptions, listSearch };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}
}
