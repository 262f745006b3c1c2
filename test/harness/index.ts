/**
 * Runs nodes through n8n-core's real workflow executor (WorkflowExecute): expressions, paired
 * items and "On Error → Continue" behave exactly as in n8n. Also calls a node's load-options and
 * list-search methods, and a credential's test, with n8n-core's own contexts.
 */
import { Logger as N8nLogger } from '@n8n/backend-common';
import { Container } from '@n8n/di';
import { randomUUID } from 'crypto';
import { ExecutionLifecycleHooks, LoadOptionsContext, WorkflowExecute } from 'n8n-core';
import type {
	ICredentialDataDecryptedObject,
	ICredentialType,
	IDataObject,
	IHttpRequestOptions,
	INode,
	INodeExecutionData,
	INodeListSearchResult,
	INodePropertyOptions,
	INodeType,
	INodeTypes,
	IVersionedNodeType,
	IWorkflowExecuteAdditionalData,
	Logger,
} from 'n8n-workflow';
import { createRunExecutionData, LoggerProxy, NodeHelpers, Workflow } from 'n8n-workflow';

import { TestCredentialsHelper } from './credentials';

export { TestCredentialsHelper } from './credentials';

export function createCredentialStore(credentialTypes: Array<new () => ICredentialType>): TestCredentialsHelper {
	return new TestCredentialsHelper(credentialTypes);
}

// ---- logging: quiet, but kept so tests can check that no secret is ever logged ----------------

export const logLines: string[] = [];
const record =
	(level: string) =>
	(message: string, meta?: object): void => {
		logLines.push(`${level} ${message}${meta ? ` ${safeJson(meta)}` : ''}`);
	};
const capturingLogger = {
	error: record('error'),
	warn: record('warn'),
	info: record('info'),
	debug: record('debug'),
	scoped: () => capturingLogger,
} as unknown as Logger;
LoggerProxy.init(capturingLogger);
// n8n-core's ErrorReporter and others take their logger from the DI container
Container.set(N8nLogger, capturingLogger as unknown as N8nLogger);

function safeJson(value: unknown): string {
	try {
		return JSON.stringify(value);
	} catch {
		return String(value);
	}
}

// ---- node types ------------------------------------------------------------------------------

const SOURCE_TYPE = 'harness.source';
const SOURCE_NAME = 'Source';
const NODE_NAME = 'Node under test';

/** A start node that emits the test's items. */
function sourceNodeType(items: INodeExecutionData[]): INodeType {
	return {
		description: {
			displayName: 'Source',
			name: 'source',
			group: ['input'],
			version: 1,
			description: 'Emits the items of a test',
			defaults: { name: SOURCE_NAME },
			inputs: ['main'],
			outputs: ['main'],
			properties: [],
		},
		async execute() {
			return [items.map((item) => ({ json: structuredClone(item.json) }))];
		},
	} as INodeType;
}

export class TestNodeTypes implements INodeTypes {
	constructor(private readonly types: Record<string, INodeType | IVersionedNodeType>) {}

	getByName(name: string): INodeType | IVersionedNodeType {
		return this.types[name];
	}

	getByNameAndVersion(name: string, version?: number): INodeType {
		return NodeHelpers.getVersionedNodeType(this.types[name], version);
	}

	getKnownTypes(): IDataObject {
		return {};
	}
}

export function additionalDataFor(credentials: TestCredentialsHelper | undefined, hooks?: ExecutionLifecycleHooks) {
	const unavailable = async () => {
		throw new Error('not available in the test harness');
	};
	return {
		credentialsHelper: credentials ?? createCredentialStore([]),
		hooks,
		executeWorkflow: unavailable,
		getRunExecutionData: async () => undefined,
		getRuntimeCredential: async () => undefined,
		startRunnerTask: unavailable,
		logAiEvent: () => undefined,
		currentNodeExecutionIndex: 0,
		variables: {},
		restApiUrl: 'http://127.0.0.1:5678/rest',
		instanceBaseUrl: 'http://127.0.0.1:5678',
		formBaseUrl: 'http://127.0.0.1:5678/form',
		formWaitingBaseUrl: 'http://127.0.0.1:5678/form-waiting',
		formTestBaseUrl: 'http://127.0.0.1:5678/form-test',
		webhookBaseUrl: 'http://127.0.0.1:5678/webhook',
		webhookWaitingBaseUrl: 'http://127.0.0.1:5678/webhook-waiting',
		webhookTestBaseUrl: 'http://127.0.0.1:5678/webhook-test',
		mcpBaseUrl: 'http://127.0.0.1:5678/mcp',
		mcpTestBaseUrl: 'http://127.0.0.1:5678/mcp-test',
	} as unknown as IWorkflowExecuteAdditionalData;
}

export interface RunNodeOptions {
	nodeType: new () => INodeType | IVersionedNodeType;
	/** defaults to the node's highest version */
	typeVersion?: number;
	/** the type name in the workflow; defaults to this package's `<package>.<node name>` */
	typeName?: string;
	parameters: IDataObject;
	items: INodeExecutionData[];
	credentials?: TestCredentialsHelper;
	credentialId?: string;
	continueOnFail?: boolean;
	/** "On Error: Continue (using error output)": failed items leave by a second output */
	errorOutput?: boolean;
	/** stops the execution this long after it started, as the editor's Stop button does */
	stopAfterMs?: number;
}

export interface RunNodeResult {
	/** the node's first output */
	items: INodeExecutionData[];
	/** with errorOutput: the items of its error output */
	errorItems?: INodeExecutionData[];
	/** the error that stopped the workflow, if any */
	error?: Error & IDataObject;
	/** log lines written during the run */
	logs: string[];
	/** with stopAfterMs: how long after the stop the run ended */
	msFromStopToEnd?: number;
}

function describe(nodeType: INodeType | IVersionedNodeType) {
	const description = nodeType.description as unknown as IDataObject;
	const version = (description.defaultVersion ?? description.version) as number | number[];
	return { name: String(description.name), version: Array.isArray(version) ? Math.max(...version) : version };
}

export function nodeUnderTest(options: RunNodeOptions, credentialTypeNames: string[]): INode {
	const instance = new options.nodeType();
	const { name, version } = describe(instance);
	return {
		id: randomUUID(),
		name: NODE_NAME,
		type: options.typeName ?? `n8n-nodes-dingtalk-contacts.${name}`,
		typeVersion: options.typeVersion ?? version,
		position: [200, 0],
		parameters: options.parameters as INode['parameters'],
		credentials: options.credentialId
			? Object.fromEntries(
					credentialTypeNames.map((type) => [
						type,
						{ id: options.credentialId!, name: options.credentials!.get(options.credentialId!).name },
					]),
				)
			: undefined,
		onError: options.errorOutput ? 'continueErrorOutput' : options.continueOnFail ? 'continueRegularOutput' : 'stopWorkflow',
	};
}

/** Runs Source → node under test through WorkflowExecute and returns what the node put out. */
export async function runNode(options: RunNodeOptions): Promise<RunNodeResult> {
	const instance = new options.nodeType();
	const credentialTypeNames = (instance.description as unknown as IDataObject).credentials
		? ((instance.description as unknown as IDataObject).credentials as Array<{ name: string }>).map((credential) => credential.name)
		: options.credentialId
			? [options.credentials!.get(options.credentialId).type]
			: [];
	const node = nodeUnderTest(options, credentialTypeNames);
	const source: INode = {
		id: randomUUID(),
		name: SOURCE_NAME,
		type: SOURCE_TYPE,
		typeVersion: 1,
		position: [0, 0],
		parameters: {},
	};
	const nodeTypes = new TestNodeTypes({ [SOURCE_TYPE]: sourceNodeType(options.items), [node.type]: instance });
	const connections = { [SOURCE_NAME]: { main: [[{ node: NODE_NAME, type: 'main' as const, index: 0 }]] } };
	const workflow = new Workflow({
		id: 'harness',
		name: 'Harness',
		nodes: [source, node],
		connections,
		active: false,
		nodeTypes,
		settings: {},
	});

	const executionId = randomUUID();
	const hooks = new ExecutionLifecycleHooks('manual', executionId, {
		id: 'harness',
		name: 'Harness',
		nodes: [source, node],
		connections,
		active: false,
		settings: {},
		createdAt: new Date(),
		updatedAt: new Date(),
	} as never);
	const additionalData = additionalDataFor(options.credentials, hooks);
	additionalData.executionId = executionId;

	const runExecutionData = createRunExecutionData({
		executionData: {
			nodeExecutionStack: [{ node: source, data: { main: [[{ json: {} }]] }, source: null }],
		},
	});
	const firstLog = logLines.length;
	const execution = new WorkflowExecute(additionalData, 'manual', runExecutionData).processRunExecutionData(workflow);
	let stoppedAt: number | undefined;
	const stopTimer =
		options.stopAfterMs === undefined
			? undefined
			: setTimeout(() => {
					stoppedAt = Date.now();
					execution.cancel();
				}, options.stopAfterMs);
	const run = await execution;
	clearTimeout(stopTimer);
	const taskData = run.data.resultData.runData[NODE_NAME]?.[0];
	return {
		items: taskData?.data?.main?.[0] ?? [],
		errorItems: options.errorOutput ? (taskData?.data?.main?.[1] ?? []) : undefined,
		error: (run.data.resultData.error ?? taskData?.error) as (Error & IDataObject) | undefined,
		logs: logLines.slice(firstLog),
		msFromStopToEnd: stoppedAt === undefined ? undefined : Date.now() - stoppedAt,
	};
}

interface MethodOptions {
	nodeType: new () => INodeType;
	method: string;
	parameters: IDataObject;
	credentials: TestCredentialsHelper;
	credentialId: string;
}

function loadOptionsContext(options: MethodOptions): LoadOptionsContext {
	const instance = new options.nodeType();
	const credentialTypes = (instance.description.credentials ?? []).map((credential) => credential.name);
	const node = nodeUnderTest({ ...options, items: [] }, credentialTypes);
	const workflow = new Workflow({
		id: 'harness',
		nodes: [node],
		connections: {},
		active: false,
		nodeTypes: new TestNodeTypes({ [node.type]: instance }),
	});
	const additionalData = additionalDataFor(options.credentials);
	additionalData.currentNodeParameters = options.parameters as INode['parameters'];
	return new LoadOptionsContext(workflow, node, additionalData, 'parameters');
}

/** Calls `methods.loadOptions[method]` as the editor does. */
export async function loadOptions(options: MethodOptions): Promise<INodePropertyOptions[]> {
	const method = new options.nodeType().methods?.loadOptions?.[options.method];
	if (!method) throw new Error(`no loadOptions method ${options.method}`);
	return await method.call(loadOptionsContext(options));
}

/** Calls `methods.listSearch[method]` as the editor does. */
export async function listSearch(
	options: MethodOptions & { filter?: string; paginationToken?: string },
): Promise<INodeListSearchResult> {
	const method = new options.nodeType().methods?.listSearch?.[options.method];
	if (!method) throw new Error(`no listSearch method ${options.method}`);
	return await method.call(loadOptionsContext(options), options.filter, options.paginationToken);
}

/**
 * A credential test as n8n's server runs one: preAuthentication (as for a test, whatever the
 * stored token), then the type's test request with the credential's authentication applied; a
 * thrown error or a failing rule makes the test fail.
 */
export async function testCredential(
	credentialType: new () => ICredentialType,
	data: ICredentialDataDecryptedObject,
): Promise<{ status: 'OK' | 'Error'; message: string }> {
	const store = createCredentialStore([credentialType]);
	const type = new credentialType();
	const credentials = structuredClone(data);
	store.add({ id: 'test', name: 'Credential under test', type: type.name, data });
	const context = loadOptionsContext({
		nodeType: class {
			description = {
				displayName: 'Test',
				name: 'noOp',
				group: [],
				version: 1,
				description: '',
				defaults: {},
				inputs: [],
				outputs: [],
				properties: [],
				credentials: [{ name: type.name }],
			};
		} as unknown as new () => INodeType,
		method: '',
		parameters: {},
		credentials: store,
		credentialId: 'test',
	} as MethodOptions & { credentials: TestCredentialsHelper });
	try {
		const refreshed = await store.runPreAuthentication({ helpers: context.helpers }, credentials, type.name);
		Object.assign(credentials, refreshed ?? {});
		const test = type.test;
		if (!test) return { status: 'OK', message: 'no test defined' };
		const request = structuredClone(test.request) as IHttpRequestOptions;
		for (const key of ['baseURL', 'url'] as const) {
			if (typeof request[key] === 'string') request[key] = String(evaluateCredentialExpression(request[key] as string, credentials));
		}
		const authenticated = await store.authenticate(credentials, type.name, request);
		const response = (await context.helpers.httpRequest({ ...authenticated, json: true })) as IDataObject;
		for (const rule of test.rules ?? []) {
			if (rule.type === 'responseSuccessBody' && response?.[rule.properties.key] === rule.properties.value) {
				return { status: 'Error', message: rule.properties.message };
			}
		}
		return { status: 'OK', message: 'Connection tested successfully' };
	} catch (error) {
		return { status: 'Error', message: (error as Error).message };
	}
}

/** `={{$credentials.baseUrl.replace(...)}}`-style expressions of a credential test request. */
function evaluateCredentialExpression(value: string, credentials: ICredentialDataDecryptedObject): unknown {
	if (!value.startsWith('=')) return value;
	const workflow = new Workflow({ nodes: [], connections: {}, active: false, nodeTypes: new TestNodeTypes({}) });
	return workflow.expression.getSimpleParameterValue(
		{ id: 't', name: 't', type: 't', typeVersion: 1, position: [0, 0], parameters: {} },
		value,
		'internal',
		{ $credentials: credentials },
		undefined,
		'',
	);
}
