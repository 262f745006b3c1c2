/**
 * The shipped example workflows: the sandbox twins the e2e tests run (test/e2e/examples.ts,
 * trigger.ts) hold the same DingTalk, filter and row-mapping nodes as the Google Sheets examples
 * they stand for, so what the e2e tests show holds for the Google Sheets ones; and no example drops
 * a failed row on the floor.
 */
import fs from 'fs';
import path from 'path';

type Json = Record<string, unknown>;
interface WorkflowNode {
	name: string;
	type: string;
	typeVersion: number;
	parameters: Json;
	onError?: string;
}
interface Workflow {
	nodes: WorkflowNode[];
	connections: Record<string, { main?: Array<Array<{ node: string }>> }>;
}

const EXAMPLES = path.resolve(__dirname, '../../examples');
const read = (file: string) => JSON.parse(fs.readFileSync(path.join(EXAMPLES, file), 'utf8')) as Workflow;
const files = fs.readdirSync(EXAMPLES).filter((file) => file.endsWith('.json'));

/** nodes the twin replaces: Google Sheets reads and writes, the canvas's notes, and where the rows come from */
const STAND_INS = new Set([
	'n8n-nodes-base.googleSheets',
	'n8n-nodes-base.googleSheetsTrigger',
	'n8n-nodes-base.stickyNote',
	'n8n-nodes-base.manualTrigger',
	'n8n-nodes-base.code',
]);
const comparable = (workflow: Workflow) => workflow.nodes.filter((node) => !STAND_INS.has(node.type));
/** what a node does; not where it sits, its notes or which credential it uses */
const essentials = ({ name, type, typeVersion, parameters, onError }: WorkflowNode) => ({ name, type, typeVersion, parameters, onError });

describe.each([
	['google-sheets-to-dingtalk.json', 'sheet-rows-to-dingtalk-sandbox.json'],
	['dingtalk-to-google-sheets.json', 'dingtalk-to-sheet-rows-sandbox.json'],
])('%s and its sandbox twin %s', (example, twin) => {
	test('have the same DingTalk, filter and row-mapping nodes, with the same parameters', () => {
		const expected = comparable(read(example)).map(essentials);
		expect(expected.length).toBeGreaterThan(1);
		expect(comparable(read(twin)).map(essentials)).toEqual(expected);
	});

	test('connect those nodes alike', () => {
		const links = (workflow: Workflow) => {
			const kept = new Set(comparable(workflow).map((node) => node.name));
			return Object.entries(workflow.connections)
				.filter(([from]) => kept.has(from))
				.flatMap(([from, { main = [] }]) =>
					main.flatMap((targets, output) => targets.filter((target) => kept.has(target.node)).map((target) => `${from}[${output}] → ${target.node}`)),
				)
				.sort();
		};
		expect(links(read(twin))).toEqual(links(read(example)));
	});
});

describe.each(files)('%s', (file) => {
	test('every connection names a node of the workflow', () => {
		const workflow = read(file);
		const names = new Set(workflow.nodes.map((node) => node.name));
		for (const [from, outputs] of Object.entries(workflow.connections)) {
			expect(names).toContain(from);
			for (const target of Object.values(outputs).flat(2) as Array<{ node: string }>) expect(names).toContain(target.node);
		}
	});

	test('a DingTalk node that continues on error sends failed rows somewhere', () => {
		const workflow = read(file);
		for (const node of workflow.nodes.filter((candidate) => candidate.type === 'n8n-nodes-dingtalk-contacts.dingTalk')) {
			if (node.onError === 'continueErrorOutput') {
				expect(workflow.connections[node.name]?.main?.[1]?.length ?? 0).toBeGreaterThan(0);
			} else {
				// a failure stops the workflow (and shows), or is passed on to a node that reads it
				expect(node.onError === undefined || node.onError === 'stopWorkflow' || (workflow.connections[node.name]?.main?.[0]?.length ?? 0) > 0).toBe(
					true,
				);
			}
		}
	});
});
