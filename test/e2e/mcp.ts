/**
 * The DingTalk node as AI tools in real n8n, driven by an MCP client as Claude Desktop or Cursor
 * would, with no language model: the shipped example examples/mcp-server-dingtalk.json (an MCP
 * Server Trigger with four DingTalk tools) is published, its credentials pointing at the sandbox,
 * and the MCP client of @modelcontextprotocol/sdk lists the tools and calls them over Streamable
 * HTTP with the Bearer token. What DingTalk received is read from the sandbox's log.
 *
 * Run from test/e2e/run.ts for the newest tested n8n, or alone: E2E_ONLY=mcp npm run test:e2e.
 * n8n and the sandbox are stopped whatever happens; every wait is bounded.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import assert from 'assert';
import type { ChildProcess } from 'child_process';
import { randomBytes } from 'crypto';
import fs from 'fs';
import os from 'os';
import path from 'path';

import { createRunner, importCredentials, importWorkflows, n8nCommand, prepareUserFolder, ROOT, startN8n } from '../../scripts/n8n';
import type { N8nInstall } from '../../scripts/n8n';
import { stop, waitFor } from './trigger';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startSandbox, SEED } = require('../sandbox/server');

type Json = Record<string, unknown>;
type Check = (name: string, body: () => Promise<void> | void) => Promise<void>;

const EXAMPLE = 'examples/mcp-server-dingtalk.json';
const UPDATE = '/topapi/extcontact/update';
/** n8n answers its readiness check first; the published workflow's MCP endpoint a little later */
const ENDPOINT_TIMEOUT_MS = 60_000;

interface ToolResult {
	isError?: boolean;
	content: Array<{ type: string; text?: string }>;
}

/** An MCP client connected to the workflow's endpoint with the Bearer token. */
async function connect(url: string, token: string): Promise<Client> {
	const client = new Client({ name: 'dingtalk-e2e', version: '1.0.0' });
	await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
	return client;
}

export async function mcpSuite(install: N8nInstall, tarball: string, check: Check): Promise<void> {
	const sandbox = await startSandbox({ seed: 'default' });
	const userFolder = fs.mkdtempSync(path.join(os.tmpdir(), `n8n-e2e-mcp-${install.version}-`));
	const token = randomBytes(24).toString('hex');
	let n8n: ChildProcess | undefined;
	let client: Client | undefined;
	const printed: string[] = [];
	/** every tool answer's text, checked for secrets at the end */
	const answers: string[] = [];
	const call = async (name: string, args: Json): Promise<{ isError: boolean; text: string }> => {
		assert.ok(client, 'not connected');
		const result = (await client.callTool({ name, arguments: args })) as ToolResult;
		const text = result.content.map((part) => part.text ?? '').join('\n');
		answers.push(text);
		return { isError: result.isError === true, text };
	};
	try {
		const runner = await createRunner(install, userFolder);
		prepareUserFolder(userFolder, tarball);
		const example = JSON.parse(fs.readFileSync(path.join(ROOT, EXAMPLE), 'utf8')) as Json;
		const nodes = example.nodes as Json[];
		const trigger = nodes.find((node) => node.type === '@n8n/n8n-nodes-langchain.mcpTrigger') as Json;
		const dingTalkCredential = (nodes.find((node) => node.name === 'find_contacts')?.credentials as Json).dingTalkApi as Json;
		const bearerCredential = (trigger.credentials as Json).httpBearerAuth as Json;
		// the example's own credentials, filled in for the sandbox
		await importCredentials(runner, [
			{
				...dingTalkCredential,
				type: 'dingTalkApi',
				data: { baseUrl: sandbox.url, appKey: sandbox.appKey, appSecret: sandbox.appSecret, accessToken: '' },
			},
			{ ...bearerCredential, type: 'httpBearerAuth', data: { token } },
		]);
		await importWorkflows(runner, [example]);
		const url = `http://127.0.0.1:${runner.port}/mcp/${String((trigger.parameters as Json).path)}`;

		await check('MCP: the example is published and answers MCP clients with the Bearer token only', async () => {
			const published = await n8nCommand(runner, ['publish:workflow', `--id=${String(example.id)}`]);
			assert.equal(published.exitCode, 0, published.stdout + published.stderr);
			const logFile = path.join(userFolder, 'n8n.log');
			n8n = await startN8n({ ...runner, env: { ...runner.env, N8N_LOG_LEVEL: 'warn' } }, 120_000, { logFile });
			printed.push(logFile);
			client = await waitFor('the MCP endpoint', ENDPOINT_TIMEOUT_MS, async () => await connect(url, token).catch(() => undefined));
			const refused = await fetch(url, {
				method: 'POST',
				headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
				body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
			});
			assert.ok([401, 403].includes(refused.status), `without the token: HTTP ${refused.status}`);
		});

		await check('MCP: the four tools are listed with their arguments and descriptions', async () => {
			assert.ok(client, 'not connected');
			const { tools } = await client.listTools();
			const byName = new Map(tools.map((tool) => [tool.name, tool]));
			assert.deepEqual([...byName.keys()].sort(), ['create_or_update_contact', 'find_contacts', 'get_contact', 'update_contact']);
			const argumentsOf = (name: string) => Object.keys(byName.get(name)?.inputSchema.properties ?? {}).sort();
			const requiredOf = (name: string) => [...((byName.get(name)?.inputSchema.required as string[] | undefined) ?? [])].sort();
			assert.deepEqual(argumentsOf('find_contacts'), ['company', 'label_ids', 'limit', 'mobile', 'name', 'owner_user_id']);
			assert.deepEqual(requiredOf('find_contacts'), []);
			assert.deepEqual(argumentsOf('get_contact'), ['contact_id']);
			assert.deepEqual(requiredOf('get_contact'), ['contact_id']);
			assert.deepEqual(requiredOf('create_or_update_contact'), ['label_ids', 'mobile', 'name', 'owner_user_id']);
			assert.deepEqual(requiredOf('update_contact'), ['contact_id']);
			assert.match(String(byName.get('find_contacts')?.description), /by part of their name, their mobile number/);
			const nameArgument = (byName.get('find_contacts')?.inputSchema.properties as Json).name as Json;
			assert.match(String(nameArgument.description), /Part of the contact's name/);
		});

		const [c1] = SEED.contactIds as string[];
		const john = SEED.contactIds[1] as string;

		await check('MCP: find_contacts turns a name into the contact, reading the list once', async () => {
			const mark = sandbox.log.length;
			const result = await call('find_contacts', { name: 'john smith' });
			assert.ok(!result.isError, result.text);
			const found = JSON.parse(result.text) as Json[];
			assert.deepEqual(
				found.map((contact) => [contact.userid, contact.name, contact.company_name]),
				[[john, 'John Smith', 'Acme Corp']],
			);
			assert.equal(sandbox.log.slice(mark).filter((entry: Json) => entry.path === '/topapi/extcontact/list').length, 1);
			const byMobile = await call('find_contacts', { mobile: '+86 138-0013-8001' });
			assert.deepEqual((JSON.parse(byMobile.text) as Json[]).map((contact) => contact.userid), [c1]);
		});

		await check('MCP: update_contact changes the fields given and keeps the others', async () => {
			const mark = sandbox.log.length;
			const before = { ...sandbox.state.contacts.get(c1) } as Json;
			const result = await call('update_contact', { contact_id: c1, title: 'Head of Purchasing (MCP)' });
			assert.ok(!result.isError, result.text);
			assert.equal((JSON.parse(result.text) as Json[])[0].errcode, 0);
			const sent = sandbox.log.slice(mark).filter((entry: Json) => entry.path === UPDATE).map((entry: Json) => (entry.params as Json).contact as Json);
			assert.equal(sent.length, 1);
			assert.equal(sent[0].title, 'Head of Purchasing (MCP)');
			assert.deepEqual([sent[0].user_id, sent[0].name, sent[0].follower_user_id, sent[0].label_ids], [c1, before.name, before.follower_user_id, before.label_ids]);
			assert.equal(sandbox.state.contacts.get(c1).title, 'Head of Purchasing (MCP)');
			assert.equal(sandbox.state.contacts.get(c1).company_name, before.company_name);
		});

		await check('MCP: a refused argument comes back as a readable tool error, and nothing is sent', async () => {
			const mark = sandbox.log.length;
			const result = await call('update_contact', { contact_id: c1, label_ids: 'VIP' });
			assert.equal(result.isError, true, result.text);
			const text = result.text;
			// "VIP" is a label of two groups: refused with the choices, before anything is written
			assert.match(text, /"Labels" "VIP" names more than one label/);
			assert.match(text, /客户类型 \/ VIP/);
			assert.match(text, /Fix the tool argument "label_ids" \(the node's "Labels"\)\. Nothing was sent to DingTalk/);
			assert.deepEqual(
				sandbox.log
					.slice(mark)
					.map((entry: Json) => String(entry.path))
					.filter((path: string) => path.startsWith('/topapi') && path !== '/topapi/extcontact/listlabelgroups'),
				[],
			);
		});

		await check('MCP: create_or_update_contact creates a contact, then get_contact reads it back', async () => {
			const created = await call('create_or_update_contact', {
				name: 'MCP 新客户',
				mobile: '13612345678',
				owner_user_id: 'wangwu',
				label_ids: '101, 202',
				company: 'MCP Ltd',
			});
			assert.ok(!created.isError, created.text);
			const [answer] = JSON.parse(created.text) as Json[];
			assert.equal(answer.action, 'created');
			const read = await call('get_contact', { contact_id: String(answer.userid) });
			assert.ok(!read.isError, read.text);
			assert.deepEqual(
				(JSON.parse(read.text) as Json[]).map((contact) => [contact.name, contact.state_code, contact.mobile, contact.label_ids, contact.company_name]),
				[['MCP 新客户', '86', '13612345678', [101, 202], 'MCP Ltd']],
			);
			// the same number written as people do, labels by name, no company: an update that keeps the company
			const updated = await call('create_or_update_contact', {
				name: 'MCP 新客户',
				mobile: '+86 136 1234 5678',
				owner_user_id: 'wangwu',
				label_ids: '客户类型 / VIP, International',
			});
			assert.ok(!updated.isError, updated.text);
			assert.equal((JSON.parse(updated.text) as Json[])[0].action, 'updated');
			const after = sandbox.state.contacts.get(String(answer.userid));
			assert.deepEqual([after.label_ids, after.company_name], [[102, 203], 'MCP Ltd']);
		});

		await check('MCP: a DingTalk error is a tool error that says what to do', async () => {
			const result = await call('get_contact', { contact_id: 'no-such-contact' });
			assert.equal(result.isError, true, result.text);
			assert.match(result.text, /DingTalk error 60121: the user or external contact was not found/);
			assert.match(result.text, /Details: /);
		});

		await check('MCP: no app secret, access token or Bearer token in what the tools answered or n8n logged', async () => {
			const tokens = sandbox.log
				.filter((entry: Json) => entry.path === '/gettoken')
				.map((entry: Json) => (entry.response as Json)?.access_token)
				.filter(Boolean) as string[];
			assert.ok(tokens.length > 0, 'no token was issued');
			const seen = [...answers, ...printed.map((file) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : ''))].join('\n');
			for (const secret of [sandbox.appSecret, token, ...tokens]) assert.ok(!seen.includes(secret), 'a secret was seen');
		});
	} finally {
		await client?.close().catch(() => undefined);
		await stop(n8n);
		await sandbox.close();
		fs.rmSync(userFolder, { recursive: true, force: true });
	}
}
