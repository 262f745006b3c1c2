/**
 * What the e2e suites that run the sandbox examples start from: the sandbox with its sample
 * organisation, and a fresh n8n user folder with the packed package and the credential those
 * examples name ("DingTalk sandbox", id dtSandboxCred01) pointing at the sandbox.
 */
import fs from 'fs';
import os from 'os';
import path from 'path';

import { createRunner, importCredentials, prepareUserFolder } from '../../scripts/n8n';
import type { N8nInstall, N8nRunner } from '../../scripts/n8n';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startSandbox } = require('../sandbox/server');

export interface SandboxN8n {
	// the sandbox is plain JavaScript to TypeScript here (required, as in the suites)
	// eslint-disable-next-line @typescript-eslint/no-explicit-any
	sandbox: any;
	runner: N8nRunner;
	/** stops the sandbox and removes the user folder */
	close(): Promise<void>;
}

export async function openSandboxN8n(install: N8nInstall, tarball: string, label: string): Promise<SandboxN8n> {
	const sandbox = await startSandbox({ seed: 'default' });
	const userFolder = fs.mkdtempSync(path.join(os.tmpdir(), `n8n-e2e-${label}-${install.version}-`));
	const close = async () => {
		await sandbox.close();
		fs.rmSync(userFolder, { recursive: true, force: true });
	};
	try {
		const runner = await createRunner(install, userFolder);
		prepareUserFolder(userFolder, tarball);
		await importCredentials(runner, [
			{
				id: 'dtSandboxCred01',
				name: 'DingTalk sandbox',
				type: 'dingTalkApi',
				data: { baseUrl: sandbox.url, appKey: sandbox.appKey, appSecret: sandbox.appSecret, accessToken: '' },
			},
		]);
		return { sandbox, runner, close };
	} catch (error) {
		await close();
		throw error;
	}
}
