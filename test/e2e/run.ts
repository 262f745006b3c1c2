/**
 * `npm run test:e2e`: the packed package inside real n8n (`n8n execute`), against the sandbox.
 * For each n8n version in N8N_VERSIONS (default: scripts/n8n-versions.json): install n8n into .cache (reused),
 * install the tarball as a community package in a fresh user folder, import a credential and
 * workflows, run them, and check what n8n output and what the sandbox received.
 * Per version also the sheet examples' sandbox twins (./examples.ts) and the trigger (./trigger.ts);
 * E2E_ONLY=examples runs just those two. Then, with the newest tested n8n, the MCP example driven by
 * an MCP client (./mcp.ts; alone with E2E_ONLY=mcp), and webhook storms in one n8n and in queue mode
 * (./queue.ts).
 * Ends with the line "N passed, N failed" and exits non-zero when anything failed.
 */
import assert from 'assert';
import { execFileSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';

import {
	createRunner,
	DEFAULT_N8N_VERSION,
	executeWorkflow,
	importCredentials,
	importWorkflows,
	installN8n,
	nodeOutput,
	packPackage,
	prepareUserFolder,
	ROOT,
	tarballFiles,
	TESTED_N8N_VERSIONS,
} from '../../scripts/n8n';
import type { Execution, N8nRunner } from '../../scripts/n8n';
import { examplesSuite } from './examples';
import { mcpSuite } from './mcp';
import { queueChecks } from './queue';
import { triggerSuite } from './trigger';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startSandbox, SEED } = require('../sandbox/server');

type Json = Record<string, unknown>;

/**
 * E2E_ONLY=mcp: only the MCP checks (./mcp.ts), with the newest tested n8n; E2E_ONLY=examples: only
 * the sheet examples' twins (./examples.ts, ./trigger.ts) with each version of N8N_VERSIONS
 */
const ONLY = process.env.E2E_ONLY ?? '';
const VERSIONS = process.env.N8N_VERSIONS ? process.env.N8N_VERSIONS.split(/\s+/).filter(Boolean) : TESTED_N8N_VERSIONS;
/** the trigger's checks wait for n8n's minute-by-minute polls (about two minutes per version) */
const TRIGGER_VERSIONS = (process.env.N8N_TRIGGER_VERSIONS ?? VERSIONS.join(' ')).split(/\s+/).filter(Boolean);
const CREDENTIAL = { id: 'dtSandboxCred01', name: 'DingTalk sandbox' };
/** the same app, saved with a token two hours old: what the HTTP Request node meets after two hours */
const STALE_CREDENTIAL = { id: 'dtSandboxCred02', name: 'DingTalk sandbox, stale token' };
const UPDATE = '/topapi/extcontact/update';
const DINGTALK = 'n8n-nodes-dingtalk-contacts.dingTalk';

let passed = 0;
let failed = 0;

async function check(name: string, body: () => Promise<void> | void): Promise<void> {
	const started = Date.now();
	try {
		await body();
		passed++;
		console.log(`  ✓ ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
	} catch (error) {
		failed++;
		console.log(`  ✗ ${name}\n    ${String((error as Error).stack ?? error).split('\n').slice(0, 12).join('\n    ')}`);
	}
}

const locator = (value: string) => ({ __rl: true, mode: 'id', value });

/** Manual trigger → a Code node emitting `rows` → the given DingTalk nodes in a chain. */
function workflow(id: string, rows: Json[], steps: Array<{ name: string; parameters: Json; continueOnFail?: boolean }>) {
	const nodes: Json[] = [
		{ id: `${id}-t`, name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
		{
			id: `${id}-r`,
			name: 'Rows',
			type: 'n8n-nodes-base.code',
			typeVersion: 2,
			position: [200, 0],
			parameters: { jsCode: `return ${JSON.stringify(rows)}.map((json) => ({ json }));` },
		},
	];
	const connections: Json = { Start: { main: [[{ node: 'Rows', type: 'main', index: 0 }]] } };
	let previous = 'Rows';
	steps.forEach((step, index) => {
		nodes.push({
			id: `${id}-${index}`,
			name: step.name,
			type: DINGTALK,
			typeVersion: 1,
			position: [400 + index * 200, 0],
			parameters: step.parameters,
			credentials: { dingTalkApi: CREDENTIAL },
			...(step.continueOnFail ? { onError: 'continueRegularOutput' } : {}),
		});
		connections[previous] = { main: [[{ node: step.name, type: 'main', index: 0 }]] };
		previous = step.name;
	});
	return { id, name: `e2e ${id}`, active: false, nodes, connections, settings: { executionOrder: 'v1' }, pinData: {} };
}

const UPDATE_FROM_ROW: Json = {
	resource: 'externalContact',
	operation: 'update',
	contactId: locator('={{ $json.id }}'),
	name: '={{ $json.name }}',
	followerUserId: locator('={{ $json.owner }}'),
	labelIds: '={{ $json.labels }}',
	additionalFields: { companyName: '={{ $json.company }}' },
};

const [c1, c2, c3, c4, c5] = SEED.contactIds as string[];
const SHEET_ROWS: Json[] = [
	{ id: c1, name: '王小明', owner: 'manager4220', labels: '101, 201', company: '阿里巴巴集团' },
	{ id: c2, name: 'John Smith', owner: 'emily.chen', labels: '[102,203]', company: 'Acme Corp' },
	{ id: c3, name: '陈静 (Chen Jing)', owner: 'lisi01', labels: '103', company: '' },
	{ id: c4, name: 'María García', owner: 'david.wang', labels: '203,302,203', company: 'Globex' },
	{ id: c5, name: '刘洋', owner: 'zhaoliu', labels: ' 101 ,202, ', company: '字节跳动' },
];

function workflowsFor(sandboxUrl: string): Json[] {
	return [
		workflow('dtE2eBulk000001', SHEET_ROWS, [{ name: 'Update', parameters: UPDATE_FROM_ROW }]),
		workflow(
			'dtE2eBadRow0001',
			[SHEET_ROWS[0], { ...SHEET_ROWS[1], labels: 'VIP' }, SHEET_ROWS[2]],
			[{ name: 'Update', parameters: UPDATE_FROM_ROW, continueOnFail: true }],
		),
		workflow('dtE2eError00001', [{ ...SHEET_ROWS[0], id: 'no-such-contact' }], [
			{ name: 'Update', parameters: UPDATE_FROM_ROW },
		]),
		workflow(
			'dtE2eRoundTrip1',
			[{ name: 'E2E 往返', owner: 'wangwu', labels: '101', stateCode: '86', mobile: '13512345678' }],
			[
				{
					name: 'Create',
					parameters: {
						resource: 'externalContact',
						operation: 'create',
						name: '={{ $json.name }}',
						followerUserId: locator('={{ $json.owner }}'),
						labelIds: '={{ $json.labels }}',
						stateCode: '={{ $json.stateCode }}',
						mobile: '={{ $json.mobile }}',
						additionalFields: { companyName: 'Round Trip Ltd' },
					},
				},
				{ name: 'Get', parameters: { resource: 'externalContact', operation: 'get', contactId: locator('={{ $json.userid }}') } },
				{
					name: 'Update merge',
					parameters: {
						resource: 'externalContact',
						operation: 'update',
						updateMode: 'merge',
						contactId: locator("={{ $('Create').item.json.userid }}"),
						additionalFields: { title: 'Merged in n8n' },
					},
				},
				{
					name: 'Get again',
					parameters: { resource: 'externalContact', operation: 'get', contactId: locator("={{ $('Create').item.json.userid }}") },
				},
				{
					name: 'Delete',
					parameters: { resource: 'externalContact', operation: 'delete', contactId: locator("={{ $('Create').item.json.userid }}") },
				},
			],
		),
		workflow('dtE2eLabels0001', [{}], [{ name: 'Labels', parameters: { resource: 'label', operation: 'getAll' } }]),
		workflow(
			'dtE2eUpsertOrd1',
			[
				...[0, 1, 2, 3].map((index) => ({ name: `Refused ${index}`, owner: 'nobody-here', labels: '101', mobile: '13600000001' })),
				{ name: 'The valid one', owner: 'wangwu', labels: '101', mobile: '13600000001' },
			],
			[{ name: 'Upsert', parameters: UPSERT_FROM_ROW, continueOnFail: true }],
		),
		workflow('dtE2eOneRow0001', [SHEET_ROWS[0]], [{ name: 'Update', parameters: UPDATE_FROM_ROW, continueOnFail: true }]),
		httpRequestWorkflow(sandboxUrl),
	];
}

const UPSERT_FROM_ROW: Json = {
	resource: 'externalContact',
	operation: 'upsert',
	name: '={{ $json.name }}',
	followerUserId: locator('={{ $json.owner }}'),
	labelIds: '={{ $json.labels }}',
	stateCode: '86',
	mobile: '={{ $json.mobile }}',
};

/** n8n's own HTTP Request node calling DingTalk with the stale credential. */
function httpRequestWorkflow(sandboxUrl: string): Json {
	return {
		id: 'dtE2eHttpNode01',
		name: 'e2e HTTP Request node with the DingTalk credential',
		active: false,
		nodes: [
			{ id: 'h-t', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
			{
				id: 'h-r',
				name: 'HTTP Request',
				type: 'n8n-nodes-base.httpRequest',
				typeVersion: 4.2,
				position: [200, 0],
				parameters: {
					method: 'POST',
					url: `${sandboxUrl}/topapi/extcontact/list`,
					authentication: 'predefinedCredentialType',
					nodeCredentialType: 'dingTalkApi',
					sendBody: true,
					contentType: 'form-urlencoded',
					bodyParameters: { parameters: [{ name: 'offset', value: '0' }, { name: 'size', value: '2' }] },
					options: {},
				},
				credentials: { dingTalkApi: STALE_CREDENTIAL },
			},
		],
		connections: { Start: { main: [[{ node: 'HTTP Request', type: 'main', index: 0 }]] } },
		settings: { executionOrder: 'v1' },
		pinData: {},
	};
}

async function run(runner: N8nRunner, id: string, outputs: string[]): Promise<Execution> {
	const execution = await executeWorkflow(runner, id);
	outputs.push(execution.stdout, execution.stderr);
	return execution;
}

async function suite(version: string, tarball: string): Promise<void> {
	console.log(`\nn8n ${version}`);
	const started = Date.now();
	const install = installN8n(version);
	console.log(`  (n8n ready in ${((Date.now() - started) / 1000).toFixed(0)} s)`);
	const sandbox = await startSandbox({ seed: 'default' });
	const userFolder = fs.mkdtempSync(path.join(os.tmpdir(), `n8n-e2e-${version}-`));
	const runner = await createRunner(install, userFolder);
	const outputs: string[] = [];
	try {
		prepareUserFolder(userFolder, tarball);
		await importCredentials(runner, [
			{
				...CREDENTIAL,
				type: 'dingTalkApi',
				data: { baseUrl: sandbox.url, appKey: sandbox.appKey, appSecret: sandbox.appSecret, accessToken: '' },
			},
			{
				...STALE_CREDENTIAL,
				type: 'dingTalkApi',
				data: {
					baseUrl: sandbox.url,
					appKey: sandbox.appKey,
					appSecret: sandbox.appSecret,
					accessToken: 'a-token-that-expired-two-hours-ago',
					accessTokenExpiresAt: Date.now() - 60_000,
				},
			},
		]);
		const example = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples/csv-to-dingtalk.json'), 'utf8')) as Json;
		await importWorkflows(runner, [...workflowsFor(sandbox.url), example]);

		await check('spreadsheet rows (strings, "1, 2" lists, unicode) are updated in bulk', async () => {
			sandbox.resetLog();
			const execution = await run(runner, 'dtE2eBulk000001', outputs);
			assert.equal(execution.exitCode, 0, execution.stderr || execution.stdout.slice(-2000));
			const items = nodeOutput(execution, 'Update');
			assert.equal(items.length, 5);
			for (const item of items) assert.equal(item.errcode, 0);
			const sent = sandbox.log.filter((entry: Json) => entry.path === UPDATE).map((entry: Json) => (entry.params as Json).contact);
			assert.deepEqual(
				sent.map((contact: Json) => [contact.user_id, contact.name, contact.label_ids]).sort(),
				[
					[c1, '王小明', [101, 201]],
					[c2, 'John Smith', [102, 203]],
					[c3, '陈静 (Chen Jing)', [103]],
					[c4, 'María García', [203, 302]],
					[c5, '刘洋', [101, 202]],
				].sort(),
			);
			assert.equal(sent.find((contact: Json) => contact.user_id === c3).company_name, undefined);
			assert.equal(sandbox.state.contacts.get(c1).company_name, '阿里巴巴集团');
		});

		await check('a second execution reuses the stored token: no gettoken call', async () => {
			sandbox.resetLog();
			const execution = await run(runner, 'dtE2eBulk000001', outputs);
			assert.equal(execution.exitCode, 0);
			assert.equal(sandbox.log.filter((entry: Json) => entry.path === '/gettoken').length, 0);
			assert.equal(sandbox.log.filter((entry: Json) => entry.path === UPDATE).length, 5);
		});

		await check('a row with bad input under Continue On Fail: an error item, nothing sent for it', async () => {
			sandbox.resetLog();
			const execution = await run(runner, 'dtE2eBadRow0001', outputs);
			assert.equal(execution.exitCode, 0, execution.stdout.slice(-2000));
			const items = nodeOutput(execution, 'Update');
			assert.equal(items.length, 3);
			assert.equal(items[0].errcode, 0);
			// "VIP" is a label in two groups: refused with the choices, before anything is sent
			assert.deepEqual(items[1], {
				error: 'Item 1: "Labels" "VIP" names more than one label (in different label groups): write one of "客户类型 / VIP", "来源 Source / VIP", or its ID',
			});
			assert.equal(items[2].errcode, 0);
			assert.equal(sandbox.log.filter((entry: Json) => entry.path === UPDATE).length, 2);
		});

		await check('a DingTalk error fails the execution with "DingTalk error CODE: meaning"', async () => {
			const execution = await run(runner, 'dtE2eError00001', outputs);
			assert.notEqual(execution.exitCode, 0);
			assert.match(`${execution.stdout}\n${execution.stderr}`, /DingTalk error 60121: the user or external contact was not found/);
		});

		await check('round trip: create → get → update (merge) → get → delete', async () => {
			sandbox.resetLog();
			const execution = await run(runner, 'dtE2eRoundTrip1', outputs);
			assert.equal(execution.exitCode, 0, execution.stdout.slice(-2000));
			const [created] = nodeOutput(execution, 'Create');
			assert.equal(created.errcode, 0);
			const userid = String(created.userid);
			assert.deepEqual(
				nodeOutput(execution, 'Get').map((contact) => [contact.userid, contact.name, contact.company_name]),
				[[userid, 'E2E 往返', 'Round Trip Ltd']],
			);
			const [again] = nodeOutput(execution, 'Get again');
			assert.equal(again.title, 'Merged in n8n');
			assert.equal(again.company_name, 'Round Trip Ltd');
			assert.deepEqual(nodeOutput(execution, 'Delete')[0].deleted, true);
			assert.equal(sandbox.state.contacts.has(userid), false);
			assert.deepEqual(
				sandbox.log.map((entry: Json) => entry.path).filter((p: string) => p.startsWith('/topapi')),
				[
					'/topapi/extcontact/create',
					'/topapi/extcontact/get',
					'/topapi/extcontact/get',
					UPDATE,
					'/topapi/extcontact/get',
					'/topapi/extcontact/delete',
				],
			);
		});

		await check('labels: one item per label with #RRGGBB colours', async () => {
			const execution = await run(runner, 'dtE2eLabels0001', outputs);
			assert.equal(execution.exitCode, 0);
			const labels = nodeOutput(execution, 'Labels');
			assert.equal(labels.length, (SEED.labelIds as number[]).length);
			assert.deepEqual(labels[0], { labelId: 101, labelName: '潜在客户', groupName: '客户类型', groupColor: '#17C295' });
		});

		await check('the CSV example workflow runs as shipped (create or update)', async () => {
			const execution = await run(runner, 'dtExampleCsv01', outputs);
			assert.equal(execution.exitCode, 0, execution.stdout.slice(-2000));
			const items = nodeOutput(execution, 'Create or update in DingTalk');
			assert.deepEqual(
				items.map((item) => item.action),
				['updated', 'created', 'created'],
			);
		});

		await check('create or update: rows of one mobile in input order, a valid row after refused ones is created', async () => {
			const execution = await run(runner, 'dtE2eUpsertOrd1', outputs);
			assert.equal(execution.exitCode, 0, execution.stdout.slice(-2000));
			const items = nodeOutput(execution, 'Upsert');
			assert.deepEqual(
				items.map((item) => item.action ?? item.errcode),
				[60121, 60121, 60121, 60121, 'created'],
			);
			const created = [...sandbox.state.contacts.values()].find((contact: Json) => contact.mobile === '13600000001');
			assert.equal((created as Json | undefined)?.name, 'The valid one');
		});

		await check("an answer without a valid errcode is an error item, never errcode 0", async () => {
			sandbox.script(UPDATE, [{ errcode: '', errmsg: 'odd answer' }]);
			const execution = await run(runner, 'dtE2eOneRow0001', outputs);
			assert.equal(execution.exitCode, 0, execution.stdout.slice(-2000));
			const [item] = nodeOutput(execution, 'Update');
			assert.equal(item.error, "DingTalk's answer had no valid errcode");
			assert.equal(item.errmsg, 'odd answer');
			assert.equal(item.errcode, undefined);
		});

		await check('errmsg that quotes the request (token in its URL) comes out redacted', async () => {
			sandbox.set({ echoSecrets: true });
			try {
				const execution = await run(runner, 'dtE2eError00001', outputs);
				assert.notEqual(execution.exitCode, 0);
				assert.match(`${execution.stdout}\n${execution.stderr}`, /access_token=\*\*\*/);
			} finally {
				sandbox.set({ echoSecrets: false });
			}
		});

		await check("the credential in n8n's HTTP Request node renews a token past its expiry", async () => {
			sandbox.resetLog();
			const execution = await run(runner, 'dtE2eHttpNode01', outputs);
			assert.equal(execution.exitCode, 0, execution.stdout.slice(-2000));
			// what DingTalk saw: one token request, then the list call with that new token, answered with errcode 0
			const tokenCalls = sandbox.log.filter((entry: Json) => entry.path === '/gettoken');
			assert.equal(tokenCalls.length, 1);
			const issued = (tokenCalls[0].response as Json).access_token;
			const listCalls = sandbox.log.filter((entry: Json) => entry.path === '/topapi/extcontact/list');
			assert.equal(listCalls.length, 1);
			assert.equal((listCalls[0].query as Json).access_token, issued);
			assert.equal((listCalls[0].response as Json).errcode, 0);
			// and what n8n output, when its printed execution could be read
			const [answer] = nodeOutput(execution, 'HTTP Request');
			if (execution.data) assert.equal(answer?.errcode, 0, execution.stdout.slice(-2000));
		});

		await check('no app secret or access token in anything n8n printed', () => {
			const tokens = sandbox.log
				.filter((entry: Json) => entry.path === '/gettoken')
				.map((entry: Json) => (entry.response as Json)?.access_token)
				.filter(Boolean) as string[];
			const printed = outputs.join('\n');
			assert.ok(!printed.includes(sandbox.appSecret), 'the app secret was printed');
			for (const token of tokens) assert.ok(!printed.includes(token), 'an access token was printed');
		});
	} finally {
		await sandbox.close();
		fs.rmSync(userFolder, { recursive: true, force: true });
	}
}

async function main(): Promise<void> {
	console.log('building and packing the package');
	execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
	const tarball = packPackage();
	if (ONLY === 'mcp') {
		console.log(`\nn8n ${DEFAULT_N8N_VERSION}, MCP Server Trigger with the DingTalk tools (E2E_ONLY=mcp)`);
		await mcpSuite(installN8n(DEFAULT_N8N_VERSION), tarball, check);
		return finish(tarball);
	}
	if (ONLY === 'examples') {
		for (const version of VERSIONS) await exampleSuites(version, tarball);
		return finish(tarball);
	}
	if (ONLY) throw new Error(`E2E_ONLY=${ONLY}: only "mcp" or "examples" can be run alone`);
	await check('the packed tarball holds only dist/, README, LICENSE and package.json, and every file the n8n section names', () => {
		const files = tarballFiles(tarball);
		const outside = files.filter((file) => !file.startsWith('dist/') && !['README.md', 'LICENSE', 'package.json'].includes(file));
		assert.deepEqual(outside, []);
		const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
		for (const file of [...manifest.n8n.credentials, ...manifest.n8n.nodes]) assert.ok(files.includes(file), `${file} is missing`);
		for (const icon of ['dist/nodes/DingTalk/dingtalk.svg', 'dist/nodes/DingTalk/dingtalk.dark.svg', 'dist/credentials/dingtalk.svg']) {
			assert.ok(files.includes(icon), `${icon} is missing`);
		}
	});
	await check("n8n's verification (@n8n/scan-community-package) passes on the tarball and the sources", () => {
		execFileSync(process.execPath, [path.join(ROOT, 'scripts/scan-package.mjs'), tarball], { cwd: ROOT, stdio: 'pipe' });
	});
	for (const version of VERSIONS) {
		await suite(version, tarball);
		await exampleSuites(version, tarball);
	}
	console.log(`\nn8n ${DEFAULT_N8N_VERSION}, MCP Server Trigger with the DingTalk tools`);
	await mcpSuite(installN8n(DEFAULT_N8N_VERSION), tarball, check);
	await queueChecks(VERSIONS, tarball, check);
	finish(tarball);
}

/** The sheet examples' sandbox twins: both directions and their round trip, then the trigger's path. */
async function exampleSuites(version: string, tarball: string): Promise<void> {
	console.log(`\nn8n ${version}, the sheet examples' sandbox twins`);
	await examplesSuite(installN8n(version), tarball, check);
	if (!TRIGGER_VERSIONS.includes(version)) return;
	console.log(`\nn8n ${version}, DingTalk Trigger (waits for n8n's polls at the start of each minute)`);
	await triggerSuite(installN8n(version), tarball, check);
}

function finish(tarball: string): void {
	fs.rmSync(path.dirname(tarball), { recursive: true, force: true });
	console.log(`\n${passed} passed, ${failed} failed`);
	process.exit(failed === 0 ? 0 : 1);
}

main().catch((error) => {
	console.error(error);
	console.log(`\n${passed} passed, ${failed + 1} failed`);
	process.exit(1);
});
