/**
 * The DingTalk Trigger in real n8n (`npm run test:e2e` runs it after the other checks of each
 * version): the shipped sandbox example workflow is published (`n8n publish:workflow`), n8n is
 * started, contacts change in the sandbox after the baseline poll, and the execution n8n records
 * for the next poll is read back through n8n's REST API.
 *
 * n8n polls at the start of each minute and refuses intervals under a minute, so this takes one to
 * two minutes per version: the poll at activation takes the baseline, one scheduled poll the change.
 * Every wait is bounded; n8n and the sandbox are stopped whatever happens.
 */
import assert from 'assert';
import type { ChildProcess } from 'child_process';
import fs from 'fs';
import { createRequire } from 'module';
import path from 'path';

import { importWorkflows, n8nCommand, ROOT, startN8n } from '../../scripts/n8n';
import type { N8nInstall } from '../../scripts/n8n';
import { openSandboxN8n } from './sandboxN8n';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { SEED } = require('../sandbox/server');

type Json = Record<string, unknown>;
type Check = (name: string, body: () => Promise<void> | void) => Promise<void>;

const WORKFLOW_ID = 'dtExampleTrigger01';
const TRIGGER = 'External contact changed';
const LIST = '/topapi/extcontact/list';
const OWNER = { email: 'e2e@example.com', firstName: 'E2E', lastName: 'Owner', password: 'E2e-password-1' };
/** n8n starts, activates the workflow and takes the baseline within this long */
const BASELINE_TIMEOUT_MS = 120_000;
/** the next scheduled poll is at most a minute away; a poll that came before the change costs one more */
const EXECUTION_TIMEOUT_MS = 150_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		const value = await probe();
		if (value !== undefined) return value;
		await sleep(1000);
	}
	throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
}

/** n8n's REST API as the editor uses it: owner set up, signed in with a cookie. */
class RestClient {
	private cookie = '';

	constructor(private readonly base: string) {}

	async request(method: string, route: string, body?: Json): Promise<Json> {
		const response = await fetch(`${this.base}/rest${route}`, {
			method,
			headers: { 'Content-Type': 'application/json', ...(this.cookie ? { Cookie: this.cookie } : {}) },
			body: body ? JSON.stringify(body) : undefined,
		});
		const setCookie = response.headers.get('set-cookie');
		if (setCookie) this.cookie = setCookie.split(';')[0];
		const text = await response.text();
		if (!response.ok) throw new Error(`${method} /rest${route}: HTTP ${response.status} ${text.slice(0, 300)}`);
		return (text ? JSON.parse(text) : {}) as Json;
	}

	async signIn(): Promise<void> {
		await this.request('POST', '/owner/setup', OWNER);
		await this.request('POST', '/login', { emailOrLdapLoginId: OWNER.email, password: OWNER.password });
	}

	async executionIds(workflowId: string): Promise<string[]> {
		const filter = encodeURIComponent(JSON.stringify({ workflowId }));
		const answer = (await this.request('GET', `/executions?filter=${filter}`)).data as Json;
		return ((answer.results as Json[] | undefined) ?? []).map((execution) => String(execution.id));
	}

	/** An execution's run data; n8n stores and serves it in the `flatted` format. */
	async runData(id: string, flatted: { parse: (text: string) => unknown }): Promise<{ status: string; runData: Json }> {
		const execution = (await this.request('GET', `/executions/${id}`)).data as Json;
		const data = (typeof execution.data === 'string' ? flatted.parse(execution.data) : execution.data) as Json;
		return { status: String(execution.status), runData: ((data.resultData as Json).runData ?? {}) as Json };
	}
}

function outputOf(runData: Json, node: string): Json[] {
	const runs = (runData[node] as Array<{ data?: { main?: Array<Array<{ json: Json }>> } }> | undefined) ?? [];
	return (runs[0]?.data?.main ?? []).flat().map((item) => item.json);
}

export async function stop(child: ChildProcess | undefined): Promise<void> {
	if (!child || child.exitCode !== null || child.signalCode !== null) return;
	const exited = new Promise((resolve) => child.once('exit', resolve));
	child.kill('SIGTERM');
	await Promise.race([exited, sleep(20_000)]);
	if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

export async function triggerSuite(install: N8nInstall, tarball: string, check: Check): Promise<void> {
	const { sandbox, runner, close } = await openSandboxN8n(install, tarball, 'trigger');
	let n8n: ChildProcess | undefined;
	try {
		const example = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples/dingtalk-to-sheet-rows-sandbox.json'), 'utf8'));
		await importWorkflows(runner, [example]);
		const flatted = createRequire(install.n8n)('flatted') as { parse: (text: string) => unknown };

		await check('trigger: the sandbox example is published and its first poll takes a baseline', async () => {
			const published = await n8nCommand(runner, ['publish:workflow', `--id=${WORKFLOW_ID}`]);
			assert.equal(published.exitCode, 0, published.stdout + published.stderr);
			sandbox.resetLog();
			// n8n's own log lines would bury the test's: only its warnings and errors
			n8n = await startN8n({ ...runner, env: { ...runner.env, N8N_LOG_LEVEL: 'warn' } });
			// the poll at activation reads the list once (five contacts: one page)
			await waitFor('the baseline poll', BASELINE_TIMEOUT_MS, () =>
				sandbox.log.some((entry: Json) => entry.path === LIST && entry.status === 200) ? true : undefined,
			);
		});

		const [c1, c2, c3] = SEED.contactIds as string[];
		await check('trigger: an added, an edited and a removed contact make one execution with one item each', async () => {
			assert.ok(n8n, 'n8n did not start');
			const rest = new RestClient(`http://127.0.0.1:${runner.port}`);
			await rest.signIn();
			const contacts = sandbox.state.contacts as Map<string, Json>;
			contacts.set('e2e-new-contact', {
				userid: 'e2e-new-contact',
				name: '韩梅梅',
				follower_user_id: 'lisi01',
				label_ids: [102],
				state_code: '86',
				mobile: '13611112222',
				company_name: 'E2E Ltd',
			});
			contacts.set(c1, { ...contacts.get(c1), title: '采购总监' });
			const removedName = contacts.get(c3)?.name;
			contacts.delete(c3);

			const [id] = await waitFor('an execution of the trigger workflow', EXECUTION_TIMEOUT_MS, async () => {
				const ids = await rest.executionIds(WORKFLOW_ID);
				return ids.length > 0 ? ids : undefined;
			});
			const execution = await waitFor('the execution to finish', 30_000, async () => {
				const read = await rest.runData(id, flatted);
				return ['success', 'error', 'crashed'].includes(read.status) ? read : undefined;
			});
			assert.equal(execution.status, 'success');
			const items = outputOf(execution.runData, TRIGGER);
			assert.deepEqual(
				items.map((item) => [item.event, item.userid, item.changedFields]),
				[
					['updated', c1, ['title']],
					['added', 'e2e-new-contact', []],
					['removed', c3, []],
				],
			);
			assert.deepEqual(items[2].contact, { userid: c3, name: removedName });
			// Include Names: the rows carry label and owner names, in the sheet layout
			const rows = outputOf(execution.runData, 'Contact to sheet row');
			assert.deepEqual(
				rows.map((row) => [row['DingTalk ID'], row.Status, row.Mobile, row.Company, row.Labels, row.Owner, row['Owner Mobile']]),
				[
					[c1, 'updated', '+86 13800138001', '阿里巴巴', '客户类型 / 潜在客户, Region / 华东', '张三', ''],
					['e2e-new-contact', 'added', '+86 13611112222', 'E2E Ltd', '客户类型 / VIP', '李四', ''],
				],
			);
			assert.deepEqual(
				outputOf(execution.runData, 'Row to mark removed').map((row) => [row['DingTalk ID'], row.Status]),
				[[c3, 'removed']],
			);
			// only this one poll emitted: c2 was never reported
			assert.ok(!JSON.stringify(items).includes(c2));
			assert.deepEqual(await rest.executionIds(WORKFLOW_ID), [id]);
		});
	} finally {
		await stop(n8n);
		await close();
	}
}
