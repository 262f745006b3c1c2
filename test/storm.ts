/**
 * A webhook storm in real n8n: many webhook calls at once, each updating one DingTalk external
 * contact (its id in the call's body), in one n8n process or in queue mode (main + `n8n worker`
 * processes, Redis, PostgreSQL). Shared by the end-to-end checks (test/e2e/queue.ts) and the storm
 * benchmark (test/bench/storm.ts).
 *
 * The webhooks answer when the last node has finished ("Respond: When Last Node Finishes"), so a
 * caller learns whether its update went through, and the storm is over when the last call is
 * answered. What DingTalk received is read from the sandbox's request log: lost = a call whose
 * update never applied, duplicated = an update applied more than once for one call.
 */
import { randomUUID } from 'crypto';
import type { ChildProcess } from 'child_process';
import fs from 'fs';
import path from 'path';

import {
	createRunner,
	importCredentials,
	importWorkflows,
	n8nCommand,
	prepareUserFolder,
	startN8n,
	useQueueMode,
} from '../scripts/n8n';
import type { N8nInstall, N8nRunner } from '../scripts/n8n';
import type { Postgres, Service } from '../scripts/services';
import { serviceFolder, track } from '../scripts/services';
import { busiestSecondAtLimit } from './sandbox/server';

type Json = Record<string, unknown>;

export const UPDATE = '/topapi/extcontact/update';
export const CREDENTIAL = { id: 'dtStormCred0001', name: 'DingTalk sandbox (storm)' };
const DINGTALK = 'n8n-nodes-dingtalk-contacts.dingTalk';

/**
 * The two ways to push the update, this package's node or n8n's HTTP Request node, and n8n alone
 * (Webhook → No Operation: what n8n itself costs per webhook call, DingTalk not called).
 */
export type StormNode = 'dingTalk' | 'httpRequest' | 'noOp';
export const WEBHOOK_PATH: Record<StormNode, string> = { dingTalk: 'storm-dingtalk', httpRequest: 'storm-http-request', noOp: 'storm-no-op' };
const WORKFLOW_ID: Record<StormNode, string> = { dingTalk: 'dtStormDingTalk', httpRequest: 'dtStormHttpNode', noOp: 'dtStormNoOp0001' };
const TITLE: Record<StormNode, string> = { dingTalk: 'DingTalk Update', httpRequest: 'HTTP Request node', noOp: 'No Operation' };

export interface SandboxLike {
	url: string;
	appKey: string;
	appSecret: string;
	log: Array<{ path: string; time: number; applied: boolean; response: unknown; params: Json; qpsCheckedAt?: number }>;
}

function webhookNode(node: StormNode): Json {
	return {
		id: `${node}-webhook`,
		name: 'Webhook',
		type: 'n8n-nodes-base.webhook',
		typeVersion: 2,
		position: [0, 0],
		webhookId: randomUUID(),
		parameters: { httpMethod: 'POST', path: WEBHOOK_PATH[node], responseMode: 'lastNode', options: {} },
	};
}

function stormWorkflow(node: StormNode, second: Json): Json {
	return {
		id: WORKFLOW_ID[node],
		name: `Storm: webhook → ${TITLE[node]}`,
		active: false,
		nodes: [webhookNode(node), { position: [220, 0], ...second }],
		connections: { Webhook: { main: [[{ node: String(second.name), type: 'main', index: 0 }]] } },
		settings: { executionOrder: 'v1' },
		pinData: {},
	};
}

/**
 * The storm's workflows: Webhook → DingTalk Update (Requests per Second as given), and Webhook →
 * HTTP Request node sending the same update with `accessToken` pasted in (the token fetched once,
 * as a user would do; the HTTP Request node cannot renew it).
 */
export function stormWorkflows(sandboxUrl: string, accessToken: string, requestsPerSecond: number): Json[] {
	const locator = (value: string) => ({ __rl: true, mode: 'id', value });
	return [
		stormWorkflow('dingTalk', {
			id: 'dingTalk-update',
			name: 'Update',
			type: DINGTALK,
			typeVersion: 1,
			parameters: {
				resource: 'externalContact',
				operation: 'update',
				contactId: locator('={{ $json.body.id }}'),
				name: '={{ $json.body.name }}',
				followerUserId: locator('={{ $json.body.owner }}'),
				labelIds: '={{ $json.body.labels }}',
				additionalFields: {},
				options: { requestsPerSecond },
			},
			credentials: { dingTalkApi: CREDENTIAL },
		}),
		stormWorkflow('httpRequest', {
			id: 'httpRequest-update',
			name: 'HTTP Request',
			type: 'n8n-nodes-base.httpRequest',
			typeVersion: 4.2,
			parameters: {
				method: 'POST',
				url: `${sandboxUrl}${UPDATE}`,
				sendQuery: true,
				queryParameters: { parameters: [{ name: 'access_token', value: accessToken }] },
				sendBody: true,
				contentType: 'form-urlencoded',
				bodyParameters: {
					parameters: [
						{
							name: 'contact',
							value:
								'={{ JSON.stringify({ user_id: $json.body.id, name: $json.body.name, follower_user_id: $json.body.owner, label_ids: [Number($json.body.labels)] }) }}',
						},
					],
				},
				options: {},
			},
		}),
		stormWorkflow('noOp', { id: 'noOp-node', name: 'No Operation', type: 'n8n-nodes-base.noOp', typeVersion: 1, parameters: {} }),
	];
}

export function credentialFor(sandbox: SandboxLike): Json {
	return {
		...CREDENTIAL,
		type: 'dingTalkApi',
		data: { baseUrl: sandbox.url, appKey: sandbox.appKey, appSecret: sandbox.appSecret, accessToken: '' },
	};
}

export async function fetchToken(sandbox: SandboxLike): Promise<string> {
	const url = `${sandbox.url}/gettoken?appkey=${encodeURIComponent(sandbox.appKey)}&appsecret=${encodeURIComponent(sandbox.appSecret)}`;
	const answer = (await (await fetch(url)).json()) as Json;
	return String(answer.access_token);
}

// ---- n8n: one process, or main + workers --------------------------------------------------------

export interface ClusterOptions {
	install: N8nInstall;
	tarball: string;
	/** 0: one n8n process (SQLite); N: queue mode with N `n8n worker` processes */
	workers: number;
	/** each worker's --concurrency */
	concurrency?: number;
	/** queue mode only */
	redis?: Service;
	postgres?: Postgres;
	credentials: Json[];
	workflows: Json[];
	/** more settings for every n8n process */
	env?: Record<string, string>;
}

interface Member {
	name: string;
	runner: N8nRunner;
	args: string[];
	readyUrl: string;
	logFile: string;
}

/** n8n's user folders, data imported and the workflows published; start() runs the processes. */
export interface PreparedCluster {
	url: string;
	members: Member[];
	start(): Promise<RunningCluster>;
	remove(): void;
}

export interface RunningCluster {
	url: string;
	processes: Array<{ name: string; pid: number; logFile: string }>;
	stop(): Promise<void>;
}

export async function prepareCluster(options: ClusterOptions): Promise<PreparedCluster> {
	const folders: Array<() => void> = [];
	const members: Member[] = [];
	const queue = options.workers > 0;
	if (queue && (!options.redis || !options.postgres)) throw new Error('queue mode needs Redis and PostgreSQL');
	for (let index = 0; index <= options.workers; index++) {
		const name = index === 0 ? 'main' : `worker ${index}`;
		const { folder, remove } = serviceFolder(`n8n-storm-${index === 0 ? 'main' : `worker${index}`}`);
		folders.push(remove);
		prepareUserFolder(folder, options.tarball);
		const runner = await createRunner(options.install, folder);
		if (queue) useQueueMode(runner, options.redis!, options.postgres!);
		Object.assign(runner.env, options.env);
		const worker = index > 0;
		if (worker) {
			Object.assign(runner.env, {
				QUEUE_HEALTH_CHECK_ACTIVE: 'true',
				QUEUE_HEALTH_CHECK_PORT: String(runner.port),
				N8N_WORKER_SERVER_ADDRESS: '127.0.0.1',
			});
		}
		members.push({
			name,
			runner,
			args: worker ? ['worker', `--concurrency=${options.concurrency ?? 10}`] : ['start'],
			readyUrl: `http://127.0.0.1:${runner.port}/healthz/readiness`,
			logFile: path.join(folder, 'n8n.log'),
		});
	}
	const remove = () => folders.forEach((removeFolder) => removeFolder());
	try {
		const main = members[0].runner;
		await importCredentials(main, options.credentials);
		await importWorkflows(main, options.workflows);
		for (const workflow of options.workflows) {
			const result = await n8nCommand(main, ['publish:workflow', `--id=${String(workflow.id)}`]);
			if (result.exitCode !== 0) throw new Error(`n8n publish:workflow failed:\n${result.stdout}\n${result.stderr}`);
		}
	} catch (error) {
		remove();
		throw error;
	}
	const url = `http://127.0.0.1:${members[0].runner.port}`;
	return { url, members, start: async () => await startMembers(url, members), remove };
}

async function startMembers(url: string, members: Member[]): Promise<RunningCluster> {
	const started: Array<{ name: string; child: ChildProcess; logFile: string; stop: () => Promise<void> }> = [];
	const stop = async () => {
		// workers first, so that none is left holding a job of a main that went away
		for (const member of [...started].reverse()) await member.stop();
	};
	try {
		// the main first: it runs the database migrations the workers expect
		for (const member of members) {
			await startN8n(member.runner, 180_000, {
				args: member.args,
				readyUrl: member.readyUrl,
				logFile: member.logFile,
				detached: true,
				// tracked from the start, so that it is stopped even if it never gets ready
				onSpawn: (child) => started.push({ name: member.name, child, logFile: member.logFile, stop: track(child, { group: true }) }),
			});
		}
		await waitForWebhook(url, WEBHOOK_PATH.dingTalk, 60_000);
	} catch (error) {
		await stop();
		const logs = members.map((member) => `--- ${member.name}\n${readTail(member.logFile)}`).join('\n');
		throw new Error(`${(error as Error).message}\n${logs}`);
	}
	return {
		url,
		processes: started.map((member) => ({ name: member.name, pid: member.child.pid!, logFile: member.logFile })),
		stop,
	};
}

function readTail(file: string, chars = 3000): string {
	return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').slice(-chars) : '';
}

/**
 * A published webhook is registered a little after n8n is ready. Asking with GET, which the
 * webhook does not accept, tells whether it is registered without running the workflow.
 */
async function waitForWebhook(url: string, webhookPath: string, timeoutMs: number): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		const answer = await fetch(`${url}/webhook/${webhookPath}`).then(
			async (response) => await response.text(),
			() => '',
		);
		if (/not registered for GET|POST request/i.test(answer)) return;
		await new Promise((resolve) => setTimeout(resolve, 500));
	}
	throw new Error(`the webhook ${webhookPath} was not registered within ${timeoutMs / 1000} s`);
}

// ---- the storm ---------------------------------------------------------------------------------

export interface StormBody {
	id: string;
	name: string;
	owner: string;
	labels: string;
}

export interface StormOutcome {
	/** when the first call was sent (ms since 1970, to compare with the sandbox's log) */
	startedAt: number;
	wallMs: number;
	/** HTTP status → how many webhook calls were answered with it (0: no answer) */
	statuses: Record<string, number>;
	/** webhook calls answered 200 whose answer (DingTalk's, passed on) has an errcode other than 0 */
	silentFailures: number;
	/** when each webhook call was answered (ms since 1970), in the order the answers came */
	answeredAt: number[];
}

/** Sends every body to the webhook at once; resolves when each is answered (or after `timeoutMs`). */
export async function fireStorm(url: string, node: StormNode, bodies: StormBody[], timeoutMs = 180_000): Promise<StormOutcome> {
	const statuses: Record<string, number> = {};
	let silentFailures = 0;
	const answeredAt: number[] = [];
	const startedAt = Date.now();
	const started = performance.now();
	await Promise.all(
		bodies.map(async (body) => {
			let status = 0;
			try {
				const response = await fetch(`${url}/webhook/${WEBHOOK_PATH[node]}`, {
					method: 'POST',
					headers: { 'Content-Type': 'application/json' },
					body: JSON.stringify(body),
					signal: AbortSignal.timeout(timeoutMs),
				});
				status = response.status;
				const answer = (await response.json().catch(() => ({}))) as Json;
				if (status === 200 && answer.errcode !== undefined && answer.errcode !== 0) silentFailures++;
			} catch {
				status = 0;
			}
			statuses[status] = (statuses[status] ?? 0) + 1;
			answeredAt.push(Date.now());
		}),
	);
	return { startedAt, wallMs: performance.now() - started, statuses, silentFailures, answeredAt };
}

export interface StormTally {
	calls: number;
	/** when the first and the last update reached DingTalk (ms since 1970) */
	firstCallAt: number;
	lastCallAt: number;
	refused: number;
	lost: number;
	duplicated: number;
	tokenCalls: number;
	/**
	 * the most updates that met DingTalk's QPS limit within one second (refused ones included):
	 * in any 1,000 ms, and in one calendar second
	 */
	busiestSecond: { rolling: number; calendar: number };
	/** updates received in each second from the first one on */
	perSecond: number[];
}

/** What DingTalk (the sandbox) saw of a storm on the contacts `ids`, from its request log. */
export function tallyStorm(sandbox: SandboxLike, ids: string[]): StormTally {
	const updates = sandbox.log.filter((entry) => entry.path === UPDATE);
	const applied = new Map<string, number>();
	for (const entry of updates) {
		if (!entry.applied) continue;
		const id = String((entry.params.contact as Json).user_id);
		applied.set(id, (applied.get(id) ?? 0) + 1);
	}
	return {
		calls: updates.length,
		firstCallAt: updates[0]?.time ?? 0,
		lastCallAt: updates[updates.length - 1]?.time ?? 0,
		refused: updates.filter((entry) => (entry.response as Json | undefined)?.errcode === 90018).length,
		lost: ids.filter((id) => !applied.has(id)).length,
		duplicated: [...applied.values()].filter((times) => times > 1).length,
		tokenCalls: sandbox.log.filter((entry) => entry.path === '/gettoken').length,
		perSecond: updates.reduce<number[]>((counts, entry) => {
			const second = Math.floor((entry.time - updates[0].time) / 1000);
			counts[second] = (counts[second] ?? 0) + 1;
			return counts;
		}, []),
		busiestSecond: busiestSecondAtLimit(updates),
	};
}

/** Waits until DingTalk has had no update for `quietMs` (bounded), so that late retries are counted. */
export async function settle(sandbox: SandboxLike, quietMs = 1500, timeoutMs = 30_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	let count = -1;
	while (Date.now() < deadline) {
		const now = sandbox.log.length;
		if (now === count) return;
		count = now;
		await new Promise((resolve) => setTimeout(resolve, quietMs));
	}
}

/** The webhook bodies: one per contact, each a different contact. */
export function stormBodies(contactIds: string[], owner: string, label: number): StormBody[] {
	return contactIds.map((id, index) => ({ id, name: `Storm ${index}`, owner, labels: String(label) }));
}

/** How many executions each worker's log says it ran ("Worker started execution …"). */
export function executionsPerWorker(cluster: RunningCluster): Record<string, number> {
	const counts: Record<string, number> = {};
	for (const process of cluster.processes.filter((member) => member.name.startsWith('worker'))) {
		counts[process.name] = (readTail(process.logFile, 50 * 1024 * 1024).match(/Worker started execution/g) ?? []).length;
	}
	return counts;
}
