/**
 * Running this package inside a real n8n, headless: install n8n into .cache (scripts/install-n8n.sh),
 * pack the package, install the tarball into a private n8n user folder as a community package,
 * import credentials and workflows, execute them, or start the editor. Used by the end-to-end test
 * (test/e2e/run.ts) and by `npm start` (scripts/start.ts).
 */
import { execFile, execFileSync, spawn } from 'child_process';
import type { ChildProcess } from 'child_process';
import fs from 'fs';
import net from 'net';
import os from 'os';
import path from 'path';

import n8nVersions from './n8n-versions.json';

export const ROOT = path.resolve(__dirname, '..');
export const PACKAGE_NAME = 'n8n-nodes-dingtalk-contacts';

/** The n8n releases the package is tested with (scripts/n8n-versions.json), newest first. */
export const TESTED_N8N_VERSIONS: string[] = n8nVersions.tested;
/** The release npm start, the browser tests, the storms and the benchmark use. */
export const DEFAULT_N8N_VERSION = TESTED_N8N_VERSIONS[0];

export interface N8nInstall {
	version: string;
	node: string;
	n8n: string;
}

/** Installs (or finds in .cache) n8n `version` and the Node it needs. */
export function installN8n(version: string): N8nInstall {
	const output = execFileSync('bash', [path.join(ROOT, 'scripts/install-n8n.sh'), version], {
		cwd: ROOT,
		encoding: 'utf8',
		stdio: ['ignore', 'pipe', 'inherit'],
		timeout: 30 * 60 * 1000,
	});
	const match = /NODE=(\S+) N8N=(\S+)/.exec(output);
	if (!match) throw new Error(`install-n8n.sh printed no paths: ${output}`);
	return { version, node: match[1], n8n: match[2] };
}

/** `npm pack` of the built package into a temporary folder; returns the tarball's path. */
export function packPackage(): string {
	const destination = fs.mkdtempSync(path.join(os.tmpdir(), 'dingtalk-pack-'));
	const output = execFileSync('npm', ['pack', '--pack-destination', destination, '--json', '--loglevel=error'], {
		cwd: ROOT,
		encoding: 'utf8',
	});
	const [{ filename }] = JSON.parse(output) as Array<{ filename: string }>;
	return path.join(destination, filename);
}

/** The files of a packed tarball, as `npm pack` lists them. */
export function tarballFiles(tarball: string): string[] {
	return execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' })
		.split('\n')
		.filter(Boolean)
		.map((file) => file.replace(/^package\//, ''));
}

/**
 * A fresh user folder with the package installed where n8n looks for community packages:
 * `<folder>/.n8n/nodes/node_modules/<package>` (the package has no dependencies to install).
 */
export function prepareUserFolder(folder: string, tarball: string): void {
	const nodesDir = path.join(folder, '.n8n', 'nodes');
	const packageDir = path.join(nodesDir, 'node_modules', PACKAGE_NAME);
	fs.rmSync(packageDir, { recursive: true, force: true });
	fs.mkdirSync(packageDir, { recursive: true });
	execFileSync('tar', ['-xzf', tarball, '--strip-components=1', '-C', packageDir]);
	const version = JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8')).version as string;
	fs.writeFileSync(
		path.join(nodesDir, 'package.json'),
		JSON.stringify({ name: 'installed-nodes', private: true, dependencies: { [PACKAGE_NAME]: version } }, null, 2),
	);
}

export async function freePort(): Promise<number> {
	return await new Promise((resolve, reject) => {
		const server = net.createServer();
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const { port } = server.address() as net.AddressInfo;
			server.close(() => resolve(port));
		});
	});
}

/** The environment of every n8n call: private folder, SQLite, and n8n's own outbound calls off. */
export function n8nEnvironment(userFolder: string, ports: { n8n: number; broker: number }): NodeJS.ProcessEnv {
	const keep = ['PATH', 'HOME', 'LANG', 'TMPDIR', 'SSL_CERT_FILE', 'NODE_EXTRA_CA_CERTS'];
	const base = Object.fromEntries(keep.filter((key) => process.env[key]).map((key) => [key, process.env[key]]));
	return {
		...base,
		N8N_USER_FOLDER: userFolder,
		N8N_ENCRYPTION_KEY: 'dingtalk-contacts-local-development-key',
		DB_TYPE: 'sqlite',
		N8N_PORT: String(ports.n8n),
		N8N_LISTEN_ADDRESS: '127.0.0.1',
		N8N_RUNNERS_BROKER_PORT: String(ports.broker),
		N8N_DIAGNOSTICS_ENABLED: 'false',
		N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
		N8N_TEMPLATES_ENABLED: 'false',
		N8N_PERSONALIZATION_ENABLED: 'false',
		N8N_DYNAMIC_BANNERS_ENABLED: 'false',
		N8N_LICENSE_AUTO_RENEW_ENABLED: 'false',
		N8N_COMMUNITY_PACKAGES_ENABLED: 'true',
		N8N_REINSTALL_MISSING_PACKAGES: 'false',
		N8N_SECURE_COOKIE: 'false',
		N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'false',
		// info: `n8n execute` prints the execution's JSON through the logger
		N8N_LOG_LEVEL: 'info',
		NODE_ENV: 'production',
	};
}

export interface N8nRunner {
	install: N8nInstall;
	userFolder: string;
	env: NodeJS.ProcessEnv;
	port: number;
}

/** How to run n8n with a private user folder; `port` is n8n's own (a free one when not given). */
export async function createRunner(install: N8nInstall, userFolder: string, port?: number): Promise<N8nRunner> {
	port ||= await freePort();
	const env = n8nEnvironment(userFolder, { n8n: port, broker: await freePort() });
	// the MCP registry module (newer n8n) fetches from the internet; older n8n refuses unknown names
	const modules = path.join(path.dirname(path.dirname(install.n8n)), 'dist', 'modules');
	if (fs.existsSync(path.join(modules, 'mcp-registry'))) env.N8N_DISABLED_MODULES = 'mcp-registry';
	return { install, userFolder, env, port };
}

export interface CommandResult {
	exitCode: number;
	stdout: string;
	stderr: string;
}

/** Runs one n8n CLI command to its end (bounded by `timeoutMs`). */
export function n8nCommand(runner: N8nRunner, args: string[], timeoutMs = 5 * 60 * 1000): Promise<CommandResult> {
	return new Promise((resolve) => {
		execFile(
			runner.install.node,
			[runner.install.n8n, ...args],
			{ env: runner.env, cwd: runner.userFolder, timeout: timeoutMs, maxBuffer: 256 * 1024 * 1024 },
			(error, stdout, stderr) => {
				const exitCode = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
				resolve({ exitCode, stdout, stderr });
			},
		);
	});
}

async function importFile(runner: N8nRunner, command: string, data: unknown): Promise<void> {
	const file = path.join(runner.userFolder, `${command.replace(':', '-')}-${Date.now()}.json`);
	fs.writeFileSync(file, JSON.stringify(data, null, 2));
	const result = await n8nCommand(runner, [command, `--input=${file}`]);
	fs.rmSync(file, { force: true });
	if (result.exitCode !== 0) throw new Error(`n8n ${command} failed:\n${result.stdout}\n${result.stderr}`);
}

export async function importCredentials(runner: N8nRunner, credentials: unknown[]): Promise<void> {
	await importFile(runner, 'import:credentials', credentials);
}

export async function importWorkflows(runner: N8nRunner, workflows: unknown[]): Promise<void> {
	await importFile(runner, 'import:workflow', workflows);
}

export interface Execution extends CommandResult {
	/** the execution's JSON, printed after the log lines: from the first line that is exactly `{` to the last that is `}` */
	data?: {
		data?: {
			resultData?: {
				runData?: Record<string, Array<{ data?: { main?: Array<Array<{ json: Record<string, unknown> }>> }; error?: { message?: string } }>>;
				error?: { message?: string };
			};
		};
	};
}

export async function executeWorkflow(runner: N8nRunner, workflowId: string): Promise<Execution> {
	const result = await n8nCommand(runner, ['execute', `--id=${workflowId}`, '--rawOutput']);
	const lines = result.stdout.split('\n');
	const start = lines.findIndex((line) => line === '{');
	// up to its closing line: n8n may log more after it (the task runner registering, for one)
	const end = lines.lastIndexOf('}');
	let data: Execution['data'];
	if (start !== -1 && end > start) {
		try {
			data = JSON.parse(lines.slice(start, end + 1).join('\n'));
		} catch {
			data = undefined;
		}
	}
	return { ...result, data };
}

/** The output items of one node of an execution (its first output, first run). */
export function nodeOutput(execution: Execution, nodeName: string): Array<Record<string, unknown>> {
	const runs = execution.data?.data?.resultData?.runData?.[nodeName] ?? [];
	return (runs[0]?.data?.main?.[0] ?? []).map((item) => item.json);
}

export interface StartOptions {
	/** the n8n command and its flags: `['worker', '--concurrency=5']` (default `['start']`) */
	args?: string[];
	/** polled until it answers 2xx (default: the main process's /healthz/readiness) */
	readyUrl?: string;
	/** where its output goes (default: this process's own): a file to append to … */
	logFile?: string;
	/** … or a file descriptor the caller keeps open */
	logFd?: number;
	/** in a process group of its own, so that its task runners can be stopped with it */
	detached?: boolean;
	/** called with the process as soon as it is spawned, before it is ready */
	onSpawn?: (child: ChildProcess) => void;
}

/** `n8n start` (or `options.args`); resolves once it answers its readiness URL (bounded). */
export async function startN8n(runner: N8nRunner, timeoutMs = 120_000, options: StartOptions = {}): Promise<ChildProcess> {
	const opened = options.logFile ? fs.openSync(options.logFile, 'a') : undefined;
	const output = opened ?? options.logFd ?? 'inherit';
	const child = spawn(runner.install.node, [runner.install.n8n, ...(options.args ?? ['start'])], {
		env: runner.env,
		cwd: runner.userFolder,
		stdio: ['ignore', output, output],
		detached: options.detached ?? false,
	});
	if (opened !== undefined) fs.closeSync(opened);
	options.onSpawn?.(child);
	const readyUrl = options.readyUrl ?? `http://127.0.0.1:${runner.port}/healthz/readiness`;
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		if (child.exitCode !== null) throw new Error(`n8n exited with code ${child.exitCode}`);
		try {
			const response = await fetch(readyUrl);
			if (response.ok) return child;
		} catch {
			// not listening yet
		}
		await new Promise((resolve) => setTimeout(resolve, 500));
	}
	if (options.detached && child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
	else child.kill('SIGTERM');
	throw new Error(`n8n did not become ready within ${timeoutMs / 1000} s`);
}

/**
 * n8n's queue mode for this runner: executions go through Redis to `n8n worker` processes, and
 * n8n's data lives in PostgreSQL (SQLite fails with SQLITE_BUSY under load in queue mode).
 */
export function useQueueMode(
	runner: N8nRunner,
	redis: { port: number },
	postgres: { host: string; port: number; user: string; database: string },
): void {
	Object.assign(runner.env, {
		EXECUTIONS_MODE: 'queue',
		QUEUE_BULL_REDIS_HOST: '127.0.0.1',
		QUEUE_BULL_REDIS_PORT: String(redis.port),
		DB_TYPE: 'postgresdb',
		DB_POSTGRESDB_HOST: postgres.host,
		DB_POSTGRESDB_PORT: String(postgres.port),
		DB_POSTGRESDB_USER: postgres.user,
		DB_POSTGRESDB_DATABASE: postgres.database,
	});
}
