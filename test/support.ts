/**
 * What the node tests share: a sandbox per test file, a credential store like n8n's, and a one-call
 * way to run the DingTalk node through n8n-core's workflow executor.
 */
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import { DingTalkApi } from '../credentials/DingTalkApi.credentials';
import { DingTalk } from '../nodes/DingTalk/DingTalk.node';
import { DingTalkTrigger } from '../nodes/DingTalk/DingTalkTrigger.node';
import { appSessions } from '../nodes/DingTalk/transport/appSession';
import { createCredentialStore, runNode } from './harness';
import type { PollNodeResult } from './harness/poll';
import { pollNode } from './harness/poll';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startSandbox, SEED } = require('./sandbox/server');

export { SEED };

export interface Sandbox {
	url: string;
	appKey: string;
	appSecret: string;
	log: SandboxLogEntry[];
	state: { contacts: Map<string, IDataObject> } & IDataObject;
	knobs: IDataObject;
	set(knobs: IDataObject): void;
	script(path: string, answers: IDataObject[]): void;
	failFor(match: { path?: string; userId?: string }, answer: IDataObject): void;
	stats(): IDataObject;
	reset(): void;
	resetLog(): void;
	close(): Promise<void>;
}

export interface SandboxLogEntry {
	seq: number;
	/** when the request arrived (ms since 1970) */
	time: number;
	/** how long the sandbox took to answer */
	latencyMs: number;
	method: string;
	path: string;
	query: IDataObject;
	contentType?: string;
	encoding: 'form' | 'json' | 'none';
	params: IDataObject;
	status: number;
	response: unknown;
	applied: boolean;
	/** applied, but the connection was cut instead of answering (`{ answerLost: true }`) */
	answerLost: boolean;
}

export const CREDENTIAL_ID = 'dingtalk-credential-1';

export async function startDingTalk(options: IDataObject = {}): Promise<Sandbox> {
	return (await startSandbox({ seed: 'default', ...options })) as Sandbox;
}

/**
 * One sandbox for a test file, reset (seed data, knobs, log) before each test, with a fresh
 * credential store (no token yet) per test. Read `env.sandbox` and `env.store` inside tests.
 */
export function useSandbox(options: IDataObject = {}): { sandbox: Sandbox; store: CredentialStore } {
	const env = {} as { sandbox: Sandbox; store: CredentialStore };
	beforeAll(async () => {
		env.sandbox = await startDingTalk(options);
	});
	afterAll(async () => await env.sandbox.close());
	beforeEach(() => {
		// each test starts as a fresh n8n process would: no app's token, limiter or ban carried over
		appSessions.clear();
		env.sandbox.reset();
		env.sandbox.resetLog();
		env.store = credentialStoreFor(env.sandbox);
	});
	return env;
}

export function credentialStoreFor(
	sandbox: Pick<Sandbox, 'url' | 'appKey' | 'appSecret'>,
	overrides: IDataObject = {},
	id = CREDENTIAL_ID,
) {
	const store = createCredentialStore([DingTalkApi]);
	store.add({
		id,
		name: 'DingTalk sandbox',
		type: 'dingTalkApi',
		data: { baseUrl: sandbox.url, appKey: sandbox.appKey, appSecret: sandbox.appSecret, accessToken: '', ...overrides },
	});
	return store;
}

export type CredentialStore = ReturnType<typeof credentialStoreFor>;

export interface RunResult {
	items: INodeExecutionData[];
	error?: Error & IDataObject;
	logs: string[];
	msFromStopToEnd?: number;
}

export async function runDingTalk(args: {
	store: CredentialStore;
	parameters: IDataObject;
	items?: IDataObject[];
	continueOnFail?: boolean;
	stopAfterMs?: number;
}): Promise<RunResult> {
	return (await runNode({
		nodeType: DingTalk,
		parameters: args.parameters,
		items: (args.items ?? [{}]).map((json) => ({ json })),
		credentials: args.store,
		credentialId: CREDENTIAL_ID,
		continueOnFail: args.continueOnFail ?? false,
		stopAfterMs: args.stopAfterMs,
	})) as RunResult;
}

/** The calls the sandbox received on one path (the token calls are on '/gettoken'). */
export function callsTo(sandbox: Sandbox, path: string): SandboxLogEntry[] {
	return sandbox.log.filter((entry) => entry.path === path);
}

/** The `contact` objects DingTalk received on a path, in arrival order. */
export function contactsSentTo(sandbox: Sandbox, path: string): IDataObject[] {
	return callsTo(sandbox, path).map((entry) => entry.params.contact as IDataObject);
}

/** Whether the call logged as `later` reached the sandbox only after `earlier` was answered. */
export function sentAfterAnswer(earlier: Pick<SandboxLogEntry, 'time' | 'latencyMs'>, later: Pick<SandboxLogEntry, 'time'>): boolean {
	return later.time >= earlier.time + earlier.latencyMs;
}

/**
 * One call through the node (one page of Get Many), so that the credential holds the app's token:
 * in a test of how items wait for each other, no item then waits for a token another item fetches.
 */
export async function fetchTokenFirst(store: CredentialStore): Promise<void> {
	await runDingTalk({ store, parameters: { resource: 'externalContact', operation: 'getAll', limit: 1 } });
}

/** A default Update item mapping: every field from the item's json through expressions. */
export const UPDATE_FROM_JSON: IDataObject = {
	resource: 'externalContact',
	operation: 'update',
	contactId: { __rl: true, mode: 'id', value: '={{ $json.id }}' },
	name: '={{ $json.name }}',
	followerUserId: { __rl: true, mode: 'id', value: '={{ $json.owner }}' },
	labelIds: '={{ $json.labels }}',
	additionalFields: {},
};

/**
 * Reads a contact back through the node (External Contact → Get), as a person would check what a
 * run did; under Continue On Fail, so a contact that is gone comes back as an error item.
 */
export async function readBackThroughNode(store: CredentialStore, userId: string): Promise<IDataObject> {
	const result = await runDingTalk({
		store,
		parameters: { resource: 'externalContact', operation: 'get', contactId: { __rl: true, mode: 'id', value: userId } },
		continueOnFail: true,
	});
	return result.items[0].json;
}

/** A DingTalk Trigger polled as n8n polls it, keeping its static data from poll to poll. */
export function triggerPoller(env: { sandbox: Sandbox; store: CredentialStore }, parameters: IDataObject = {}) {
	let staticData: IDataObject | undefined;
	return {
		get staticData() {
			return staticData;
		},
		/** `other`: another credential store (another app), another trigger node */
		async poll(
			mode: 'trigger' | 'manual' = 'trigger',
			overrides: IDataObject = {},
			other: { store?: CredentialStore; nodeId?: string } = {},
		): Promise<PollNodeResult> {
			const result = await pollNode({
				nodeType: DingTalkTrigger,
				parameters: { ...parameters, ...overrides },
				credentials: other.store ?? env.store,
				credentialId: CREDENTIAL_ID,
				mode,
				staticData,
				nodeId: other.nodeId,
			});
			staticData = result.staticData;
			return result;
		},
	};
}
