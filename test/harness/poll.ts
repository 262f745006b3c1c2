/**
 * Runs a polling trigger as n8n does, with n8n-core's own pieces:
 *
 * - mode 'trigger' (an active workflow's poll): n8n-core's PollTriggerExecutor with a PollContext,
 *   so what the node returns goes to `__emit` and what it throws to `__emitError`, as in n8n;
 * - mode 'manual' ("Fetch test event" in the editor): n8n-core's WorkflowExecute, which builds its
 *   own PollContext in manual mode; an error fails the execution.
 *
 * Static data: n8n keeps it in the workflow between polls and writes it to its database when a poll
 * emits. Here it goes through JSON between polls (as if written and read back after every poll), so
 * a test also sees whether the state survives the database. Pass the previous result's
 * `staticData` to the next poll.
 */
import { Container } from '@n8n/di';
import { randomUUID } from 'crypto';
import { ExecutionLifecycleHooks, PollContext, PollTriggerExecutor, WorkflowExecute } from 'n8n-core';
import type {
	IDataObject,
	INode,
	INodeExecutionData,
	INodeType,
	IWorkflowBase,
	WorkflowActivateMode,
} from 'n8n-workflow';
import { createRunExecutionData, Workflow } from 'n8n-workflow';

import type { TestCredentialsHelper } from './credentials';
import { additionalDataFor, logLines, nodeUnderTest, TestNodeTypes } from './index';

export interface PollNodeOptions {
	nodeType: new () => INodeType;
	parameters: IDataObject;
	credentials: TestCredentialsHelper;
	credentialId: string;
	/** 'trigger' (default): a poll of an active workflow; 'manual': "Fetch test event" */
	mode?: 'trigger' | 'manual';
	/** the workflow's static data as n8n saved it; omitted: a workflow that never polled */
	staticData?: IDataObject;
	/** how the workflow came to be active (trigger mode); 'activate' by default */
	activation?: WorkflowActivateMode;
	/** the trigger node's id; a saved workflow's node keeps its id from poll to poll */
	nodeId?: string;
}

export interface PollNodeResult {
	/** what the poll emitted (first output); empty when it emitted nothing */
	items: INodeExecutionData[];
	/** whether n8n would start an execution */
	emitted: boolean;
	/** the error n8n would report (`__emitError` in trigger mode, the failed execution in manual mode) */
	error?: Error & IDataObject;
	/** the static data after the poll, as n8n would save it; in manual mode, unchanged (n8n saves nothing) */
	staticData: IDataObject;
	/** whether the poll wrote to the static data at all */
	staticDataChanged: boolean;
	/** its size as n8n stores it: UTF-8 bytes of its JSON */
	staticDataBytes: number;
	logs: string[];
}

const WORKFLOW_ID = 'harnessPoll01';
const NODE_ID = 'harness-trigger-node';

function jsonCopy(value: IDataObject | undefined): IDataObject {
	return JSON.parse(JSON.stringify(value ?? {})) as IDataObject;
}

export async function pollNode(options: PollNodeOptions): Promise<PollNodeResult> {
	const instance = new options.nodeType();
	const credentialTypes = (instance.description.credentials ?? []).map((credential) => credential.name);
	const node: INode = { ...nodeUnderTest({ ...options, items: [] }, credentialTypes), id: options.nodeId ?? NODE_ID };
	const saved = jsonCopy(options.staticData);
	const workflowData = {
		id: WORKFLOW_ID,
		name: 'Harness poll',
		nodes: [node],
		connections: {},
		active: options.mode !== 'manual',
		settings: {},
	};
	const workflow = new Workflow({
		...workflowData,
		nodeTypes: new TestNodeTypes({ [node.type]: instance }),
		staticData: jsonCopy(saved),
	});
	const firstLog = logLines.length;
	const result =
		options.mode === 'manual'
			? await pollManually(workflow, workflowData, node, options.credentials)
			: await pollActive(workflow, node, options.credentials, options.activation ?? 'activate');
	const staticDataChanged = workflow.staticData.__dataChanged === true;
	const staticData = options.mode === 'manual' ? saved : jsonCopy(workflow.staticData);
	return {
		...result,
		staticData,
		staticDataChanged,
		staticDataBytes: Buffer.byteLength(JSON.stringify(staticData)),
		logs: logLines.slice(firstLog),
	};
}

/** A scheduled poll of an active workflow, through n8n-core's PollTriggerExecutor. */
async function pollActive(
	workflow: Workflow,
	node: INode,
	credentials: TestCredentialsHelper,
	activation: WorkflowActivateMode,
): Promise<Pick<PollNodeResult, 'items' | 'emitted' | 'error'>> {
	const outcome: Pick<PollNodeResult, 'items' | 'emitted' | 'error'> = { items: [], emitted: false };
	const context = new PollContext(
		workflow,
		node,
		additionalDataFor(credentials),
		'trigger',
		activation,
		(data) => {
			outcome.emitted = true;
			outcome.items = data[0] ?? [];
		},
		(error) => {
			outcome.error = error as Error & IDataObject;
		},
	);
	const poll = Container.get(PollTriggerExecutor).create(workflow, node, context, () => true);
	await poll(false);
	return outcome;
}

/** "Fetch test event": the workflow run in manual mode, the trigger as its start node. */
async function pollManually(
	workflow: Workflow,
	workflowData: Pick<IWorkflowBase, 'id' | 'name' | 'nodes' | 'connections' | 'active' | 'settings'>,
	node: INode,
	credentials: TestCredentialsHelper,
): Promise<Pick<PollNodeResult, 'items' | 'emitted' | 'error'>> {
	const executionId = randomUUID();
	const hooks = new ExecutionLifecycleHooks('manual', executionId, {
		...workflowData,
		createdAt: new Date(),
		updatedAt: new Date(),
	} as unknown as IWorkflowBase);
	const additionalData = additionalDataFor(credentials, hooks);
	additionalData.executionId = executionId;
	const runExecutionData = createRunExecutionData({
		executionData: { nodeExecutionStack: [{ node, data: { main: [[{ json: {} }]] }, source: null }] },
	});
	const run = await new WorkflowExecute(additionalData, 'manual', runExecutionData).processRunExecutionData(workflow);
	const taskData = run.data.resultData.runData[node.name]?.[0];
	const items = taskData?.data?.main?.[0] ?? [];
	return {
		items,
		emitted: items.length > 0,
		error: (run.data.resultData.error ?? taskData?.error) as (Error & IDataObject) | undefined,
	};
}
