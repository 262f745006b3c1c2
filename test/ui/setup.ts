/**
 * What the browser tests and `npm run screenshots` run against: the same setup as `npm start`
 * (scripts/start.ts: real n8n with the packed package, the DingTalk sandbox, the "DingTalk sandbox"
 * credential and the example workflows) in a private user folder, on free ports, with the owner
 * account created through n8n's REST API; and Debian's Chromium driven by playwright-core.
 *
 * Everything started here is stopped by `stop()`, also on Ctrl-C, SIGTERM and failures.
 */
import { spawnSync } from 'child_process';
import type { ChildProcess } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { chromium } from 'playwright-core';

import { ROOT } from '../../scripts/n8n';
import { startSetup } from '../../scripts/start';
import type { Setup } from '../../scripts/start';

export const OWNER = {
	email: 'owner@example.com',
	firstName: 'Ada',
	lastName: 'Owner',
	password: 'Sandbox-Passw0rd',
};

export const ARTIFACTS = path.join(ROOT, 'test', 'ui', 'artifacts');

/** The flags that keep Chromium off the network (see the machine notes); playwright adds a fresh --user-data-dir. */
export const CHROMIUM_ARGS = [
	'--headless',
	'--no-sandbox',
	'--disable-gpu',
	'--disable-quic',
	'--no-first-run',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync',
	'--disable-dev-shm-usage',
];

/** A Chrome to drive: CHROME=<path>, or Debian's chromium, installed with apt when missing. */
export function findChromium(log: (line: string) => void): string {
	if (process.env.CHROME) {
		if (!fs.existsSync(process.env.CHROME)) throw new Error(`CHROME=${process.env.CHROME} does not exist`);
		return process.env.CHROME;
	}
	if (fs.existsSync(DEBIAN_CHROMIUM)) return DEBIAN_CHROMIUM;
	log("Chromium is missing: installing Debian's chromium and fonts-noto-cjk with apt (a minute or two)...");
	installChromium();
	if (!fs.existsSync(DEBIAN_CHROMIUM)) throw new Error(`apt installed chromium, but ${DEBIAN_CHROMIUM} is not there`);
	return DEBIAN_CHROMIUM;
}

const DEBIAN_CHROMIUM = '/usr/bin/chromium';

/** `apt-get update`, then `apt-get install -y chromium fonts-noto-cjk` (as root, or through sudo -n). */
export function installChromium(): void {
	const asRoot = process.getuid?.() === 0;
	const apt = (args: string[]) => {
		const result = spawnSync(asRoot ? 'apt-get' : 'sudo', asRoot ? args : ['-n', 'apt-get', ...args], {
			stdio: ['ignore', 'inherit', 'inherit'],
			env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
			timeout: 15 * 60 * 1000,
		});
		if (result.status !== 0) {
			throw new Error(
				`apt-get ${args.join(' ')} failed (${result.error?.message ?? `exit ${result.status}`}); install chromium yourself or set CHROME=<path>`,
			);
		}
	};
	apt(['update']);
	apt(['install', '-y', 'chromium', 'fonts-noto-cjk']);
}

export interface Environment {
	setup: Setup;
	url: string;
	browser: Browser;
	context: BrowserContext;
	page: Page;
	/** requests the browser tried to send anywhere but 127.0.0.1 (blocked) */
	blocked: string[];
	/** the n8n log file */
	n8nLog: string;
	stop: () => Promise<void>;
}

const sleep = (ms: number) => new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), ms).unref());

let stopCurrent: () => Promise<void> = async () => undefined;

/** Stops whatever startEnvironment started or is starting (for a watchdog). */
export async function stopEnvironment(): Promise<void> {
	await stopCurrent();
}

/** Waits at most `ms` for `child` to exit; true when it did. */
function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
	if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
	return new Promise((resolve) => {
		const timer = setTimeout(() => resolve(false), ms);
		child.once('exit', () => {
			clearTimeout(timer);
			resolve(true);
		});
	});
}

/** The process ids below `pid` (n8n starts its task runner as a child), read from /proc. */
function descendants(pid: number): number[] {
	const parents = new Map<number, number[]>();
	for (const entry of fs.readdirSync('/proc')) {
		if (!/^\d+$/.test(entry)) continue;
		try {
			const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
			const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
			parents.set(parent, [...(parents.get(parent) ?? []), Number(entry)]);
		} catch {
			// the process ended meanwhile
		}
	}
	const found: number[] = [];
	const walk = (id: number) => {
		for (const child of parents.get(id) ?? []) {
			found.push(child);
			walk(child);
		}
	};
	walk(pid);
	return found;
}

/** SIGTERM, a bounded wait, then SIGKILL for n8n and whatever it started. */
async function stopN8n(n8n: ChildProcess): Promise<void> {
	if (n8n.pid === undefined || n8n.exitCode !== null || n8n.signalCode !== null) return;
	const children = descendants(n8n.pid);
	n8n.kill('SIGTERM');
	if (!(await waitForExit(n8n, 20_000))) n8n.kill('SIGKILL');
	await waitForExit(n8n, 5_000);
	for (const pid of children) {
		try {
			process.kill(pid, 'SIGKILL');
		} catch {
			// already gone
		}
	}
}

async function rest(url: string, method: string, body: unknown): Promise<Response> {
	return await fetch(url, {
		method,
		headers: { 'Content-Type': 'application/json' },
		body: JSON.stringify(body),
		signal: AbortSignal.timeout(30_000),
	});
}

/**
 * Starts n8n with the sandbox (private user folder under the system's temporary folder), creates
 * the owner, starts Chromium and signs the page in. `prepareSandbox` may change the sandbox's data
 * before n8n starts (e.g. a second employee with the same name).
 */
export async function startEnvironment(options: {
	log: (line: string) => void;
	prepareSandbox?: (sandbox: NonNullable<Setup['sandbox']>) => void;
	viewport?: { width: number; height: number };
}): Promise<Environment> {
	const { log } = options;
	fs.mkdirSync(ARTIFACTS, { recursive: true });
	const executablePath = findChromium(log);
	const userFolder = fs.mkdtempSync(path.join(os.tmpdir(), 'dingtalk-ui-n8n-'));
	const n8nLog = path.join(ARTIFACTS, 'n8n.log');
	const logFd = fs.openSync(n8nLog, 'w');

	let starting: Promise<Setup> | undefined;
	let setup: Setup | undefined;
	let browser: Browser | undefined;
	let stopped = false;
	let stopping: Promise<void> | undefined;
	const stopOnce = async () => {
		await browser?.close().catch(() => undefined);
		// stopped while n8n was starting: wait (bounded) for what it started, then stop that
		if (!setup && starting) setup = await Promise.race([starting.catch(() => undefined), sleep(180_000)]);
		if (setup) {
			await stopN8n(setup.n8n);
			await setup.sandbox?.close();
		}
		fs.closeSync(logFd);
		fs.rmSync(userFolder, { recursive: true, force: true, maxRetries: 5 });
	};
	/** every caller waits until everything has stopped */
	const stop = () => {
		stopped = true;
		stopping ??= stopOnce();
		return stopping;
	};
	const onSignal = (signal: NodeJS.Signals) => {
		log(`${signal}: stopping n8n, the sandbox and the browser`);
		void stop().finally(() => process.exit(130));
	};
	process.once('SIGINT', onSignal);
	process.once('SIGTERM', onSignal);
	stopCurrent = stop;

	try {
		const started = Date.now();
		starting = startSetup({ userFolder, n8nPort: 0, sandboxPort: 0, n8nOutput: logFd, realTenant: '' });
		setup = await starting;
		if (stopped) throw new Error('stopped while n8n was starting');
		if (!setup.sandbox) throw new Error('the UI tests need the sandbox');
		log(`n8n ${setup.runner.install.version} ready at ${setup.url} in ${((Date.now() - started) / 1000).toFixed(0)} s (log: ${path.relative(ROOT, n8nLog)}); sandbox at ${setup.sandbox.url}`);
		options.prepareSandbox?.(setup.sandbox);

		const answer = await rest(`${setup.url}/rest/owner/setup`, 'POST', OWNER);
		if (!answer.ok) throw new Error(`creating the owner failed: HTTP ${answer.status} ${await answer.text()}`);

		browser = await chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
		if (stopped) {
			await browser.close();
			throw new Error('stopped while the browser was starting');
		}
		const context = await browser.newContext({
			viewport: options.viewport ?? { width: 1440, height: 900 },
			locale: 'en-US',
			timezoneId: 'UTC',
		});
		context.setDefaultTimeout(15_000);
		context.setDefaultNavigationTimeout(30_000);
		// the tests talk only to 127.0.0.1: anything else is refused and remembered
		const blocked: string[] = [];
		const own = new URL(setup.url).host;
		await context.route('**/*', (route) => {
			const url = new URL(route.request().url());
			if (url.host === own || url.protocol === 'data:' || url.protocol === 'blob:') return route.continue();
			blocked.push(route.request().url());
			return route.abort('blockedbyclient');
		});
		const page = await context.newPage();
		const login = await page.request.post(`${setup.url}/rest/login`, {
			data: { emailOrLdapLoginId: OWNER.email, password: OWNER.password },
		});
		if (!login.ok()) throw new Error(`signing in failed: HTTP ${login.status()} ${await login.text()}`);
		return { setup, url: setup.url, browser, context, page, blocked, n8nLog, stop };
	} catch (error) {
		await stop();
		throw error;
	}
}
