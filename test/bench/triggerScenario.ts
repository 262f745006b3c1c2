/**
 * One poll of the DingTalk Trigger, in a process of its own so that its CPU time and peak memory
 * are its own: runs the trigger's poll through n8n-core's poll machinery (test/harness/poll.ts)
 * against the sandbox, with the static data the previous poll left, and prints one JSON line.
 *
 * Started by test/bench/trigger.ts; not meant to be run by hand.
 */
import fs from 'fs';

import { DingTalkTrigger } from '../../nodes/DingTalk/DingTalkTrigger.node';
import { pollNode } from '../harness/poll';
import { CREDENTIAL_ID, credentialStoreFor } from '../support';
import { runScenario } from './common';

export interface TriggerScenarioInput {
	baseUrl: string;
	appKey: string;
	appSecret: string;
	/** the static data of the previous poll (read), and where to write this poll's */
	staticDataFile: string;
	requestsPerSecond?: number;
}

export interface TriggerScenarioOutput {
	wallMs: number;
	cpuMs: number;
	maxRssMb: number;
	/** items per event */
	events: Record<string, number>;
	staticDataBytes: number;
	error?: string;
}

async function main(): Promise<TriggerScenarioOutput> {
	const input = JSON.parse(fs.readFileSync(process.argv[2], 'utf8')) as TriggerScenarioInput;
	const staticData = fs.existsSync(input.staticDataFile) ? JSON.parse(fs.readFileSync(input.staticDataFile, 'utf8')) : undefined;
	const store = credentialStoreFor({ url: input.baseUrl, appKey: input.appKey, appSecret: input.appSecret });

	const cpuBefore = process.cpuUsage();
	const started = performance.now();
	const result = await pollNode({
		nodeType: DingTalkTrigger,
		parameters: { options: input.requestsPerSecond ? { requestsPerSecond: input.requestsPerSecond } : {} },
		credentials: store,
		credentialId: CREDENTIAL_ID,
		staticData,
	});
	const wallMs = performance.now() - started;
	const cpu = process.cpuUsage(cpuBefore);

	fs.writeFileSync(input.staticDataFile, JSON.stringify(result.staticData));
	const events: Record<string, number> = {};
	for (const item of result.items) events[String(item.json.event)] = (events[String(item.json.event)] ?? 0) + 1;
	const output: TriggerScenarioOutput = {
		wallMs,
		cpuMs: (cpu.user + cpu.system) / 1000,
		maxRssMb: process.resourceUsage().maxRSS / 1024,
		events,
		staticDataBytes: result.staticDataBytes,
		error: result.error?.message,
	};
	return output;
}

runScenario(main);
