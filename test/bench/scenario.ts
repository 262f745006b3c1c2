/**
 * One benchmark run, in a process of its own so that its CPU time and peak memory are its own:
 * runs either our DingTalk node or n8n's HTTP Request node through n8n-core's workflow executor
 * against the sandbox, and prints one JSON line with what it measured.
 *
 * Started by test/bench/run.ts; not meant to be run by hand.
 */
import fs from 'fs';
import type { IDataObject, INodeType, INodeTypeDescription } from 'n8n-workflow';

import { DingTalk } from '../../nodes/DingTalk/DingTalk.node';
import { runNode } from '../harness';
import { CREDENTIAL_ID, credentialStoreFor, UPDATE_FROM_JSON } from '../support';
import { runScenario } from './common';
import { loadHttpRequestNode } from './httpRequestNode';

export interface ScenarioInput {
	node: 'dingTalk' | 'httpRequest';
	baseUrl: string;
	appKey: string;
	appSecret: string;
	contactIds: string[];
	ownerId: string;
	labelId: number;
	requestsPerSecond?: number;
	maxConcurrency?: number;
	/**
	 * DingTalk node: how the item's columns reach the fields. `columns` (default): each field an
	 * expression, as a user maps a sheet; `contactIdOnly`: only the contact id is an expression and
	 * the rest fixed values, so that n8n evaluates one expression per item, as for 3b's one body;
	 * `names`: as `columns`, but labels given by name (`labelNames`) and the owner by an employee's
	 * mobile number (one of `ownerMobiles`, in turn), resolved by the node.
	 */
	mapping?: 'columns' | 'contactIdOnly' | 'names';
	/** `names` mapping: the Labels cell of every row, e.g. "潜在客户, Region / 华东" */
	labelNames?: string;
	/** `names` mapping: employees' mobile numbers as a sheet holds them, e.g. "+86 139 0000 0001" */
	ownerMobiles?: string[];
	/** HTTP Request node: its Batching option (items per batch, ms between batches) */
	batching?: { batchSize: number; batchInterval: number };
	/** HTTP Request node: the token, fetched once by the runner (as a user would paste it) */
	accessToken?: string;
	/** where n8n's own HTTP Request node can be loaded from (the cached n8n install) */
	n8nNodesBase?: string;
}

export interface ScenarioOutput {
	/** when the node started running (ms since the epoch), to line up runs in parallel processes */
	startedAtMs: number;
	wallMs: number;
	cpuMs: number;
	maxRssMb: number;
	outputItems: number;
	errorItems: number;
	/** items the node reported as successful whose json carries a non-zero errcode */
	silentFailures: number;
	executionError?: string;
}

const UPDATE_BODY =
	'={{ JSON.stringify({ user_id: $json.id, name: $json.name, follower_user_id: $json.owner, label_ids: [Number($json.labels)] }) }}';

function parametersFor(input: ScenarioInput): IDataObject {
	if (input.node === 'dingTalk') {
		const fixedFields =
			input.mapping === 'contactIdOnly'
				? {
						name: 'Bench',
						followerUserId: { __rl: true, mode: 'id', value: input.ownerId },
						labelIds: [input.labelId],
					}
				: input.mapping === 'names'
					? { followerUserId: { __rl: true, mode: 'mobile', value: '={{ $json.ownerMobile }}' } }
					: {};
		return {
			...UPDATE_FROM_JSON,
			...fixedFields,
			options: {
				...(input.requestsPerSecond ? { requestsPerSecond: input.requestsPerSecond } : {}),
				...(input.maxConcurrency ? { maxConcurrency: input.maxConcurrency } : {}),
			},
		};
	}
	return {
		method: 'POST',
		url: `${input.baseUrl}/topapi/extcontact/update`,
		sendQuery: true,
		queryParameters: { parameters: [{ name: 'access_token', value: input.accessToken }] },
		sendBody: true,
		contentType: 'form-urlencoded',
		bodyParameters: { parameters: [{ name: 'contact', value: UPDATE_BODY }] },
		options: input.batching ? { batching: { batch: input.batching } } : {},
	};
}

async function main(): Promise<ScenarioOutput> {
	// the input is a file: 20,000 contact ids are too many for a command line
	const input = JSON.parse(fs.readFileSync(process.argv[2], 'utf8')) as ScenarioInput;
	const mobiles = input.ownerMobiles ?? [];
	const items = input.contactIds.map((id, index) =>
		input.mapping === 'names'
			? { json: { id, name: `Bench ${index}`, ownerMobile: mobiles[index % mobiles.length], labels: input.labelNames } }
			: { json: { id, name: `Bench ${index}`, owner: input.ownerId, labels: String(input.labelId) } },
	);
	const store = credentialStoreFor({ url: input.baseUrl, appKey: input.appKey, appSecret: input.appSecret });
	const nodeType: new () => INodeType =
		input.node === 'dingTalk' ? DingTalk : loadHttpRequestNode(input.n8nNodesBase as string);
	const description = new nodeType().description as INodeTypeDescription;
	const typeVersion = Array.isArray(description.version)
		? Math.max(...description.version)
		: (description.defaultVersion ?? description.version);

	const cpuBefore = process.cpuUsage();
	const startedAtMs = Date.now();
	const started = performance.now();
	const result = (await runNode({
		nodeType,
		typeVersion,
		parameters: parametersFor(input),
		items,
		credentials: store,
		credentialId: input.node === 'dingTalk' ? CREDENTIAL_ID : undefined,
		continueOnFail: true,
	})) as { items: Array<{ json: IDataObject }>; error?: Error };
	const wallMs = performance.now() - started;
	const cpu = process.cpuUsage(cpuBefore);

	const output: ScenarioOutput = {
		startedAtMs,
		wallMs,
		cpuMs: (cpu.user + cpu.system) / 1000,
		maxRssMb: process.resourceUsage().maxRSS / 1024,
		outputItems: result.items.length,
		errorItems: result.items.filter((item) => item.json.error !== undefined).length,
		silentFailures: result.items.filter(
			(item) => item.json.error === undefined && item.json.errcode !== undefined && item.json.errcode !== 0,
		).length,
		executionError: result.error?.message,
	};
	return output;
}

runScenario(main);
