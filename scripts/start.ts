/**
 * `npm start`: try the node in real n8n without a DingTalk tenant.
 *
 * Builds and packs the package, starts the DingTalk sandbox on 127.0.0.1:8787 with sample data,
 * prepares a private n8n user folder (.n8n-start/, SQLite) with the package installed, a credential
 * and the example workflows, and starts n8n at http://localhost:5678 with n8n's own outbound calls
 * switched off. Ctrl-C stops both.
 *
 * To use a real tenant instead of the sandbox, set DINGTALK_BASE_URL (e.g. https://oapi.dingtalk.com),
 * DINGTALK_APP_KEY and DINGTALK_APP_SECRET. Other settings: N8N_PORT (5678), SANDBOX_PORT (8787),
 * N8N_VERSION (the first of scripts/n8n-versions.json).
 */
import { execFileSync } from 'child_process';
import type { ChildProcess } from 'child_process';
import fs from 'fs';
import path from 'path';

import { createRunner, DEFAULT_N8N_VERSION, importCredentials, importWorkflows, installN8n, packPackage, prepareUserFolder, ROOT, startN8n } from './n8n';
import type { N8nRunner } from './n8n';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startSandbox } = require('../test/sandbox/server');

const USER_FOLDER = path.join(ROOT, '.n8n-start');
const N8N_PORT = Number(process.env.N8N_PORT ?? 5678);
const SANDBOX_PORT = Number(process.env.SANDBOX_PORT ?? 8787);
export interface SetupOptions {
	/** n8n's private user folder (default .n8n-start/) */
	userFolder?: string;
	/** n8n's port (default N8N_PORT or 5678); 0 picks a free one */
	n8nPort?: number;
	/** the sandbox's port (default SANDBOX_PORT or 8787); 0 picks a free one */
	sandboxPort?: number;
	/** where n8n's own output goes (default: this process's stdout and stderr) */
	n8nOutput?: 'inherit' | number;
	/** a real tenant's base URL instead of the sandbox (default DINGTALK_BASE_URL); '' forces the sandbox */
	realTenant?: string;
}

export interface Setup {
	n8n: ChildProcess;
	runner: N8nRunner;
	/** the editor's address, e.g. http://127.0.0.1:5678 */
	url: string;
	sandbox?: { url: string; appKey: string; appSecret: string; close: () => Promise<void> };
}

/**
 * What `npm start` starts: the package built and installed into a private n8n, the sandbox (or a
 * real tenant), the credential and the example workflows imported, and n8n running. The browser
 * tests (test/ui/) start the same thing.
 */
export async function startSetup(options: SetupOptions = {}): Promise<Setup> {
	const userFolder = options.userFolder ?? USER_FOLDER;
	const n8nPort = options.n8nPort ?? N8N_PORT;
	const sandboxPort = options.sandboxPort ?? SANDBOX_PORT;
	const realTenant = options.realTenant ?? process.env.DINGTALK_BASE_URL;
	console.log('Building and packing the package...');
	execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
	const tarball = packPackage();

	let sandbox: Setup['sandbox'];
	let credentialData: Record<string, string>;
	if (realTenant) {
		const appKey = process.env.DINGTALK_APP_KEY;
		const appSecret = process.env.DINGTALK_APP_SECRET;
		if (!appKey || !appSecret) throw new Error('With DINGTALK_BASE_URL, set DINGTALK_APP_KEY and DINGTALK_APP_SECRET too.');
		credentialData = { baseUrl: realTenant, appKey, appSecret, accessToken: '' };
	} else {
		sandbox = await startSandbox({ seed: 'default', port: sandboxPort, latencyMs: [30, 120], qpsLimit: 20 });
		credentialData = { baseUrl: sandbox!.url, appKey: sandbox!.appKey, appSecret: sandbox!.appSecret, accessToken: '' };
	}

	try {
		const version = process.env.N8N_VERSION ?? DEFAULT_N8N_VERSION;
		console.log(`Preparing n8n ${version} (the first run installs it into .cache/, a few minutes)...`);
		const install = installN8n(version);
		fs.mkdirSync(userFolder, { recursive: true });
		prepareUserFolder(userFolder, tarball);
		fs.rmSync(path.dirname(tarball), { recursive: true, force: true });
		const runner = await createRunner(install, userFolder, n8nPort);
		runner.env.N8N_LOG_LEVEL = 'info';
		await importCredentials(runner, [
			{ id: 'dtSandboxCred01', name: realTenant ? 'DingTalk' : 'DingTalk sandbox', type: 'dingTalkApi', data: credentialData },
		]);
		const examples = fs
			.readdirSync(path.join(ROOT, 'examples'))
			.filter((file) => file.endsWith('.json'))
			.map((file) => JSON.parse(fs.readFileSync(path.join(ROOT, 'examples', file), 'utf8')));
		await importWorkflows(runner, examples);

		const n8n: ChildProcess = await startN8n(runner, undefined, {
			logFd: typeof options.n8nOutput === 'number' ? options.n8nOutput : undefined,
		});
		return { n8n, runner, url: `http://127.0.0.1:${runner.port}`, sandbox };
	} catch (error) {
		await sandbox?.close();
		throw error;
	}
}

async function main(): Promise<void> {
	const { n8n, sandbox, runner } = await startSetup();
	console.log(`
n8n is running at http://localhost:${runner.port} with the DingTalk node installed.
${sandbox ? `The DingTalk sandbox answers at ${sandbox.url} (5 external contacts, 12 employees, 8 departments, 8 labels).` : `The credential points at ${process.env.DINGTALK_BASE_URL}.`}

Try it:
  1. Open http://localhost:${runner.port} and create the owner account (it stays in .n8n-start/).
  2. Open the workflow "CSV → DingTalk external contacts (sandbox)" and click "Execute workflow":
     three CSV rows are created or updated in DingTalk.
  3. Add a DingTalk node yourself: the pickers list the sandbox's contacts, employees, labels
     and departments.
  4. Open "DingTalk external contacts → sheet rows (sandbox)" and publish it: the DingTalk Trigger
     takes note of the contacts, and after you change one (step 2 does), the next poll, at the
     start of a minute, runs the workflow with the change.

Press Ctrl-C to stop n8n and the sandbox.`);

	let stopping = false;
	const stop = async () => {
		if (stopping) return;
		stopping = true;
		n8n.kill('SIGTERM');
		await sandbox?.close();
	};
	process.on('SIGINT', () => void stop());
	process.on('SIGTERM', () => void stop());
	n8n.on('exit', async (code) => {
		await stop();
		process.exit(code ?? 0);
	});
}

if (require.main === module) {
	main().catch((error) => {
		console.error((error as Error).message);
		process.exit(1);
	});
}
