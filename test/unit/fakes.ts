/**
 * In-memory stand-ins for the unit tests: a scripted DingTalk, and an n8n node context that sends
 * the node's HTTP calls to it the way n8n does (the credential's preAuthentication fills an empty
 * token, authenticate adds it to the query string). No sockets and no real waits: tests that
 * retry or wait use jest's fake timers and `settle`.
 */
import type {
	ICredentialDataDecryptedObject,
	IDataObject,
	IExecuteFunctions,
	IHttpRequestOptions,
	ILoadOptionsFunctions,
	IN8nHttpFullResponse,
	INode,
	IPollFunctions,
} from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';

import { DingTalkApi } from '../../credentials/DingTalkApi.credentials';

export const NODE: INode = {
	id: 'node-under-test',
	name: 'DingTalk',
	type: 'dingTalk',
	typeVersion: 1,
	position: [0, 0],
	parameters: {},
};

export const BASE_URL = 'https://dingtalk.invalid';
export const APP_SECRET = 'the-app-secret-0123456789';

/** What the fake DingTalk does with one request. */
export type Reply =
	/** HTTP 200 with this JSON body */
	| { json: IDataObject }
	/** any status and raw body */
	| { status: number; text?: string; headers?: IDataObject }
	/** the request fails on the network with this error code */
	| { networkError: string }
	/** no answer until the request is aborted */
	| { hang: true };

export const answer = (json: IDataObject): Reply => ({ json });
export const ok = (fields: IDataObject = {}): Reply => ({ json: { errcode: 0, errmsg: 'ok', ...fields } });
export const errcode = (code: number | string, fields: IDataObject = {}): Reply => ({
	json: { errcode: code, errmsg: `errmsg of ${code}`, ...fields },
});

export interface SentRequest {
	method: string;
	path: string;
	query: IDataObject;
	/** the form body, each value JSON-parsed where it is JSON */
	params: IDataObject;
	/** the fake time the request was sent at */
	at: number;
	/** how the node asked n8n to send it */
	options: IHttpRequestOptions;
}

function parseForm(body: unknown): IDataObject {
	if (typeof body !== 'string') return {};
	const params: IDataObject = {};
	for (const [key, value] of new URLSearchParams(body)) {
		try {
			params[key] = JSON.parse(value) as IDataObject;
		} catch {
			params[key] = value;
		}
	}
	return params;
}

/** A DingTalk that answers from per-path scripts, then from per-path handlers. */
export class FakeDingTalk {
	readonly requests: SentRequest[] = [];
	private readonly scripts = new Map<string, Reply[]>();
	private readonly handlers = new Map<string, (request: SentRequest) => Reply>();
	private tokenCount = 0;
	private requestCount = 0;

	constructor() {
		this.on('/gettoken', () => ok({ access_token: `token-${++this.tokenCount}`, expires_in: 7200 }));
	}

	/** The next answers of a path, in order; after them its handler answers. */
	script(path: string, ...replies: Reply[]): this {
		this.scripts.set(path, [...(this.scripts.get(path) ?? []), ...replies]);
		return this;
	}

	/** How a path answers when nothing is scripted. */
	on(path: string, handler: (request: SentRequest) => Reply): this {
		this.handlers.set(path, handler);
		return this;
	}

	calls(path: string): SentRequest[] {
		return this.requests.filter((request) => request.path === path);
	}

	async handle(options: IHttpRequestOptions): Promise<IN8nHttpFullResponse> {
		const url = new URL(options.url);
		const request: SentRequest = {
			method: options.method ?? 'GET',
			path: url.pathname,
			query: { ...Object.fromEntries(url.searchParams), ...((options.qs as IDataObject | undefined) ?? {}) },
			params: parseForm(options.body),
			at: Date.now(),
			options,
		};
		this.requests.push(request);
		const reply =
			this.scripts.get(request.path)?.shift() ??
			this.handlers.get(request.path)?.(request) ??
			ok({ request_id: `req-${++this.requestCount}` });
		if ('hang' in reply) {
			return await new Promise((_, reject) => {
				const signal = options.abortSignal;
				signal?.addEventListener?.('abort', () => reject(Object.assign(new Error('canceled'), { code: 'ERR_CANCELED' })));
			});
		}
		if ('networkError' in reply) {
			// as axios words it: the message quotes the URL, whose query holds the token
			throw Object.assign(new Error(`connect ${reply.networkError} ${options.url}?${new URLSearchParams(request.query as Record<string, string>).toString()}`), {
				code: reply.networkError,
			});
		}
		if ('json' in reply) return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(reply.json) };
		return { statusCode: reply.status, headers: reply.headers ?? {}, body: reply.text ?? '' };
	}
}

export interface FakeRunOptions {
	dingTalk: FakeDingTalk;
	/** the credential as saved; the fake keeps tokens that preAuthentication fetched in it */
	credential?: IDataObject;
	/** node parameters: a value, or a function of the item index for values that differ per item */
	parameters?: IDataObject;
	items?: IDataObject[];
	continueOnFail?: boolean;
	stop?: AbortSignal;
	/** as n8n 2.8's NodeApiError does: the error it wraps is not kept as its cause, only its message */
	dropsErrorCauses?: boolean;
}

export type FakeContext = IExecuteFunctions & ILoadOptionsFunctions & { credential: IDataObject };

export const defaultCredential = (): IDataObject => ({
	baseUrl: BASE_URL,
	appKey: 'the-app-key',
	appSecret: APP_SECRET,
	accessToken: '',
});

/**
 * A node context for one run. getCredentials returns a copy of the saved credential each time, as
 * n8n decrypts it anew; httpRequestWithAuthentication runs the credential like n8n-core does.
 */
export function fakeContext(options: FakeRunOptions): FakeContext {
	const credentialType = new DingTalkApi();
	const credential = options.credential ?? defaultCredential();
	const parameters = options.parameters ?? {};
	const httpRequest = async (request: IHttpRequestOptions) => await options.dingTalk.handle(request);
	const context = {
		credential,
		getNode: () => NODE,
		getInputData: () => (options.items ?? [{}]).map((json) => ({ json })),
		continueOnFail: () => options.continueOnFail ?? false,
		getExecutionCancelSignal: () => options.stop,
		getCredentials: async () => ({ ...credential }) as ICredentialDataDecryptedObject,
		getNodeParameter: (name: string, itemIndex: number, fallback?: unknown, extra?: { extractValue?: boolean }) => {
			const given = parameters[name];
			let value = typeof given === 'function' ? (given as (index: number) => unknown)(itemIndex) : given;
			if (value === undefined) value = fallback;
			if (extra?.extractValue && value && typeof value === 'object' && '__rl' in value) value = (value as IDataObject).value;
			return value;
		},
		helpers: {
			httpRequest,
			async httpRequestWithAuthentication(
				_type: string,
				request: IHttpRequestOptions,
				additional?: { credentialsDecrypted?: { data?: ICredentialDataDecryptedObject } },
			) {
				const data = additional?.credentialsDecrypted?.data ?? ({ ...credential } as ICredentialDataDecryptedObject);
				try {
					if (!data.accessToken) {
						const fields = await credentialType.preAuthentication.call({ helpers: { httpRequest } } as never, data);
						Object.assign(data, fields);
						Object.assign(credential, fields);
					}
					const authenticated = await credentialType.authenticate(data, request);
					return await options.dingTalk.handle(authenticated);
				} catch (error) {
					const wrapped = new NodeApiError(NODE, error as never);
					if (options.dropsErrorCauses) wrapped.cause = undefined;
					throw wrapped;
				}
			},
		},
	};
	return context as unknown as FakeContext;
}

/**
 * Awaits `promise` while moving jest's fake clock from timer to timer. Fails when the promise
 * neither settles nor has a timer left to wait for (it would hang).
 */
export async function settle<T>(promise: Promise<T>, maxSteps = 5000): Promise<T> {
	let done = false;
	const watched = promise.finally(() => {
		done = true;
	});
	watched.catch(() => undefined);
	for (let step = 0; !done && step < maxSteps; step++) {
		if (jest.getTimerCount() > 0) await jest.advanceTimersToNextTimerAsync();
		else await new Promise((resolve) => setImmediate(resolve));
	}
	if (!done) throw new Error('the promise did not settle');
	return await watched;
}

/** Fake timers that leave setImmediate real, so that `settle` can let real I/O through. */
export function useFakeClock(start = Date.UTC(2026, 0, 1)): void {
	jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'], now: start });
}

/** What `run` throws, or undefined when it returns. */
export function thrown(run: () => unknown): (Error & IDataObject) | undefined {
	try {
		run();
	} catch (error) {
		return error as Error & IDataObject;
	}
	return undefined;
}

/** The error a promise rejects with (fails the test when it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<Error & IDataObject> {
	try {
		await promise;
	} catch (error) {
		return error as Error & IDataObject;
	}
	throw new Error('expected a rejection, got a result');
}

export interface FakePollOptions extends FakeRunOptions {
	/** the workflow's static data, kept by the caller between polls */
	staticData: IDataObject;
	/** 'trigger' (an active workflow's poll, the default) or 'manual' ("Fetch test event") */
	mode?: 'trigger' | 'manual';
	/** n8n's time budget for a poll; omitted: n8n gives none (n8n 2.8 has no such function) */
	budgetMs?: number | (() => number);
	/** the id of the workflow the trigger is in ('workflow-under-test' unless given) */
	workflowId?: string;
}

/** A poll context: parameters are read without an item index, as n8n's PollContext reads them. */
export function fakePollContext(options: FakePollOptions): IPollFunctions {
	const base = fakeContext(options);
	const { budgetMs } = options;
	return {
		...base,
		getNodeParameter: (name: string, fallback?: unknown) => base.getNodeParameter(name, 0, fallback),
		getMode: () => options.mode ?? 'trigger',
		getWorkflow: () => ({ id: options.workflowId ?? 'workflow-under-test', name: 'Workflow under test', active: true }),
		getWorkflowStaticData: () => options.staticData,
		...(budgetMs === undefined ? {} : { getPollBudgetMs: typeof budgetMs === 'function' ? budgetMs : () => budgetMs }),
	} as unknown as IPollFunctions;
}
