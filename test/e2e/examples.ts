/**
 * The two sheet examples' sandbox twins in real n8n (`n8n execute`), against the sandbox:
 * examples/sheet-rows-to-dingtalk-sandbox.json (twin of google-sheets-to-dingtalk.json) and the
 * export path of examples/dingtalk-to-sheet-rows-sandbox.json (twin of dingtalk-to-google-sheets.json;
 * its trigger path runs in ./trigger.ts). Both use one sheet layout, so the rows the second writes
 * must come back through the first unchanged: the round trip at the end.
 *
 * Run from test/e2e/run.ts for each version, or alone: E2E_ONLY=examples npm run test:e2e (with
 * the trigger's checks of the same twin).
 */
import assert from 'assert';
import fs from 'fs';
import path from 'path';

import { executeWorkflow, importWorkflows, ROOT } from '../../scripts/n8n';
import type { Execution, N8nInstall } from '../../scripts/n8n';
import { openSandboxN8n } from './sandboxN8n';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { SEED } = require('../sandbox/server');

type Json = Record<string, unknown>;
type Check = (name: string, body: () => Promise<void> | void) => Promise<void>;

const SHEET_TO_DINGTALK = 'examples/sheet-rows-to-dingtalk-sandbox.json';
const DINGTALK_TO_SHEET = 'examples/dingtalk-to-sheet-rows-sandbox.json';
const UPSERT_NODE = 'Create or update in DingTalk';
const ROW_NODE = 'Contact to sheet row';
const ROUND_TRIP_ID = 'dtE2eSheetRound1';
const CREATE = '/topapi/extcontact/create';
const UPDATE = '/topapi/extcontact/update';
const BY_MOBILE = '/topapi/v2/user/getbymobile';

const readExample = (file: string) => JSON.parse(fs.readFileSync(path.join(ROOT, file), 'utf8')) as Json;

/** One output of a node (0: its items, 1: its error output when it has one). */
function outputOf(execution: Execution, node: string, output: number): Json[] {
	assert.ok(execution.data, `n8n printed no execution: ${execution.stdout.slice(-2000)}`);
	const runs = execution.data?.data?.resultData?.runData?.[node] ?? [];
	return (runs[0]?.data?.main?.[output] ?? []).map((item) => item.json);
}

/** The Sheets → DingTalk twin with other sheet rows in its Code node. */
function withRows(example: Json, id: string, rows: Json[]): Json {
	const nodes = (example.nodes as Json[]).map((node) =>
		node.name === 'Sheet rows' ? { ...node, parameters: { jsCode: `return ${JSON.stringify(rows)}.map((json) => ({ json }));` } } : node,
	);
	return { ...example, id, name: `${String(example.name)} (round trip)`, nodes };
}

/** A row as the sheet keeps it, without the time it was written. */
const withoutTime = (row: Json) => Object.fromEntries(Object.entries(row).filter(([column]) => column !== 'Last Change'));

export async function examplesSuite(install: N8nInstall, tarball: string, check: Check): Promise<void> {
	const { sandbox, runner, close } = await openSandboxN8n(install, tarball, 'examples');
	try {
		const sheetToDingTalk = readExample(SHEET_TO_DINGTALK);
		const dingTalkToSheet = readExample(DINGTALK_TO_SHEET);
		await importWorkflows(runner, [sheetToDingTalk, dingTalkToSheet]);
		const contacts = sandbox.state.contacts as Map<string, Json>;
		const [c1, c2] = SEED.contactIds as string[];
		const sentFor = (mobile: string) =>
			sandbox.log.filter(
				(entry: Json) => [CREATE, UPDATE].includes(String(entry.path)) && JSON.stringify(entry.params).includes(mobile),
			);

		/** the twin's run with the rows it ships */
		let sheetRun: Execution | undefined;
		await check('sheet rows → DingTalk twin: names, "Group / Label", owner by mobile, "+86 …" mobiles; merge keeps the rest', async () => {
			const before = { ...contacts.get(c1) } as Json;
			sandbox.resetLog();
			sheetRun = await executeWorkflow(runner, String(sheetToDingTalk.id));
			assert.equal(sheetRun.exitCode, 0, sheetRun.stdout.slice(-3000));
			const done = outputOf(sheetRun, UPSERT_NODE, 0);
			assert.deepEqual(
				done.map((item) => item.action),
				['updated', 'created'],
			);
			// the existing contact: labels by name and by "Group / Label", owner by mobile; what the row leaves empty is kept
			assert.deepEqual(contacts.get(c1), {
				...before,
				label_ids: [104, 202],
				follower_user_id: 'lisi01',
				title: '采购总监',
			});
			const created = contacts.get(String(done[1].userid)) as Json;
			assert.deepEqual(
				[created.name, created.state_code, created.mobile, created.label_ids, created.follower_user_id, created.company_name, created.title, created.remark],
				['韩梅梅', '86', '13700001234', [102, 201], 'wangwu', 'E2E Ltd', 'Buyer', 'From the sheet'],
			);
			// each employee's mobile looked up once, however many rows name it
			const lookedUp = sandbox.log.filter((entry: Json) => entry.path === BY_MOBILE).map((entry: Json) => (entry.params as Json).mobile);
			assert.equal(new Set(lookedUp).size, lookedUp.length, `looked up twice: ${JSON.stringify(lookedUp)}`);
		});

		await check('sheet rows → DingTalk twin: refused rows leave by the error output into "Failed row", nothing sent for them', () => {
			assert.ok(sheetRun, 'the twin did not run');
			const failed = outputOf(sheetRun, UPSERT_NODE, 1);
			assert.deepEqual(
				failed.map((item) => [item.Mobile, item.Name]),
				[
					['+86 137 0000 5678', '李雷'],
					['+44 7700 900123', 'Lucy King'],
					['+86 137 0000 9999', '魏华'],
				],
			);
			assert.match(String(failed[0].error), /Label/);
			assert.match(String(failed[0].error), /VIP/);
			assert.match(String(failed[1].error), /Owner/);
			assert.match(String(failed[1].error), /\+86 139 9999 9999/);
			assert.match(String(failed[2].error), /DingTalk error 40035/);
			assert.match(String(failed[2].message), /DingTalk said: .*999/);
			// the rows for the sheet "Failed rows": every refused row, with its reason (and DingTalk's own words)
			const rows = outputOf(sheetRun, 'Failed row', 0);
			assert.deepEqual(
				rows.map((row) => [row.Mobile, row.Name, String(row.Error).slice(0, String(failed[rows.indexOf(row)].error).length)]),
				failed.map((item) => [item.Mobile, item.Name, item.error]),
			);
			assert.equal(rows[2].Error, `${String(failed[2].error)} ${String(failed[2].message)}`);
			for (const row of rows) assert.ok(String(row['Failed At']).length > 0);
			// an ambiguous label and an unknown owner: nothing sent; label 999 was DingTalk's own refusal
			assert.deepEqual(sentFor('13700005678'), []);
			assert.deepEqual(sentFor('7700900123'), []);
			assert.equal(sentFor('13700009999').length, 1);
			// the row marked removed in DingTalk is skipped
			assert.equal(contacts.get(c2)?.title, 'Head of Procurement');
			assert.ok(!sandbox.log.some((entry: Json) => JSON.stringify(entry.params ?? {}).includes(c2)));
		});

		let exported: Json[] = [];
		await check('DingTalk → sheet rows twin: the export writes every contact in the shared layout', async () => {
			const execution = await executeWorkflow(runner, String(dingTalkToSheet.id));
			assert.equal(execution.exitCode, 0, execution.stdout.slice(-3000));
			exported = outputOf(execution, ROW_NODE, 0);
			assert.equal(exported.length, contacts.size);
			const row = exported.find((candidate) => candidate['DingTalk ID'] === c1);
			assert.deepEqual(withoutTime(row ?? {}), {
				Mobile: '+86 13800138001',
				Name: '王小明',
				Company: '阿里巴巴',
				Title: '采购总监',
				Labels: '客户类型 / Partner, Region / 华南',
				'Owner Mobile': '',
				Owner: '李四',
				Remark: '',
				'DingTalk ID': c1,
				Status: 'exported',
			});
			assert.match(String(row?.['Last Change']), /^\d{4}-\d\d-\d\dT/);
		});

		await check('round trip: the exported rows, read back by sheet rows → DingTalk, change no contact', async () => {
			assert.ok(exported.length > 0, 'nothing was exported');
			const before = JSON.parse(JSON.stringify([...contacts.entries()]));
			await importWorkflows(runner, [withRows(sheetToDingTalk, ROUND_TRIP_ID, exported)]);
			sandbox.resetLog();
			const execution = await executeWorkflow(runner, ROUND_TRIP_ID);
			assert.equal(execution.exitCode, 0, execution.stdout.slice(-3000));
			assert.deepEqual(outputOf(execution, UPSERT_NODE, 1), []);
			assert.deepEqual(
				outputOf(execution, UPSERT_NODE, 0).map((item) => item.action),
				exported.map(() => 'updated'),
			);
			assert.deepEqual(JSON.parse(JSON.stringify([...contacts.entries()])), before);
			assert.equal(sandbox.log.filter((entry: Json) => entry.path === CREATE).length, 0);
			// and exported again, the sheet would read the same
			const again = await executeWorkflow(runner, String(dingTalkToSheet.id));
			assert.equal(again.exitCode, 0, again.stdout.slice(-3000));
			assert.deepEqual(outputOf(again, ROW_NODE, 0).map(withoutTime), exported.map(withoutTime));
		});
	} finally {
		await close();
	}
}
