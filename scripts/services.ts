/**
 * Redis and PostgreSQL for n8n's queue mode, from Debian's packages, each run privately for one
 * test or benchmark: its own folder under the temp folder, its own free port on 127.0.0.1, no
 * system service involved. Used by the queue-mode end-to-end check (test/e2e/queue.ts) and the
 * storm benchmark (test/bench/storm.ts).
 *
 * - installDebianPackages(): installs `redis-server` and `postgresql` when missing (as root:
 *   `apt-get update` once, then `apt-get install -y …`) and prints what it installs.
 * - startRedis(), startPostgres(): start one server and resolve once it answers.
 * - Every process started through this file (and any other passed to track()) is stopped by its
 *   stop(), and also when this process exits or gets Ctrl-C / SIGTERM, so a failing test leaves
 *   nothing running.
 */
import { execFileSync, spawn } from 'child_process';
import type { ChildProcess, SpawnOptions } from 'child_process';
import fs from 'fs';
import net from 'net';
import os from 'os';
import path from 'path';

import { freePort } from './n8n';

// ---- stopping what we started -------------------------------------------------------------------

interface Tracked {
	child: ChildProcess;
	/** the signal that makes it shut down cleanly */
	signal: NodeJS.Signals;
	/** kill the whole process group (the child was spawned detached, with children of its own) */
	group: boolean;
}

const tracked = new Set<Tracked>();
let handlersInstalled = false;

function isRunning(child: ChildProcess): boolean {
	return child.exitCode === null && child.signalCode === null;
}

function signal(entry: Tracked, name: NodeJS.Signals): void {
	if (!isRunning(entry.child) || entry.child.pid === undefined) return;
	try {
		if (entry.group) process.kill(-entry.child.pid, name);
		else entry.child.kill(name);
	} catch {
		// already gone
	}
}

/**
 * This process's direct children that nothing tracks (n8n CLI commands run with execFile, say):
 * on the way out they are asked to stop too.
 */
function untrackedChildren(): number[] {
	const known = new Set([...tracked].map((entry) => entry.child.pid));
	const children: number[] = [];
	for (const entry of fs.readdirSync('/proc')) {
		if (!/^\d+$/.test(entry) || known.has(Number(entry))) continue;
		try {
			const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
			if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === process.pid) children.push(Number(entry));
		} catch {
			// gone meanwhile
		}
	}
	return children;
}

/** Folders of the services, removed when the run is interrupted. */
const folders = new Set<string>();

function installHandlers(): void {
	if (handlersInstalled) return;
	handlersInstalled = true;
	// last resort, synchronous: ask every process still running to shut down
	process.on('exit', () => {
		for (const entry of tracked) signal(entry, entry.signal);
		for (const pid of untrackedChildren()) {
			try {
				process.kill(pid, 'SIGKILL');
			} catch {
				// gone
			}
		}
	});
	for (const name of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
		process.once(name, () => {
			console.error(`\n${name}: stopping ${tracked.size} process(es) this run started`);
			void stopAll()
				.then(() => folders.forEach((folder) => fs.rmSync(folder, { recursive: true, force: true })))
				.finally(() => process.exit(128 + (os.constants.signals[name] ?? 1)));
		});
	}
}

/**
 * Remembers a child process so that it is stopped however this process ends. Returns its stop():
 * `signal`, then SIGKILL if it is still running after `graceMs`; resolves once it has exited.
 */
export function track(child: ChildProcess, options: { signal?: NodeJS.Signals; group?: boolean; graceMs?: number } = {}): () => Promise<void> {
	installHandlers();
	const entry: Tracked = { child, signal: options.signal ?? 'SIGTERM', group: options.group ?? false };
	tracked.add(entry);
	child.once('exit', () => {
		// a group leader's children may outlive it: make sure they go too
		if (entry.group && child.pid !== undefined) {
			try {
				process.kill(-child.pid, 'SIGKILL');
			} catch {
				// none left
			}
		}
		tracked.delete(entry);
	});
	return async () => {
		if (!isRunning(child)) return;
		const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
		signal(entry, entry.signal);
		if (await within(exited, options.graceMs ?? 20_000)) return;
		signal(entry, 'SIGKILL');
		await within(exited, 5_000);
	};
}

/** Stops every tracked process, and kills any other child (used on signals; tests stop their own in `finally`). */
export async function stopAll(): Promise<void> {
	for (const pid of untrackedChildren()) {
		try {
			process.kill(pid, 'SIGKILL');
		} catch {
			// gone
		}
	}
	await Promise.all(
		[...tracked].map(async (entry) => {
			const exited = new Promise<void>((resolve) => entry.child.once('exit', () => resolve()));
			signal(entry, entry.signal);
			if (!(await within(exited, 15_000))) signal(entry, 'SIGKILL');
		}),
	);
}

/** Whether `promise` settled within `ms`. */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
	let timer: NodeJS.Timeout | undefined;
	const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
	const settled = promise.then(
		() => true,
		() => true,
	);
	const result = await Promise.race([settled, timeout]);
	clearTimeout(timer);
	return result;
}

/** Polls `probe` every 200 ms until it returns true; throws after `timeoutMs` or if `child` exits. */
export async function waitUntil(what: string, probe: () => Promise<boolean>, timeoutMs: number, child?: ChildProcess): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		if (child && !isRunning(child)) throw new Error(`${what}: the process exited (code ${child.exitCode ?? child.signalCode})`);
		if (await probe().catch(() => false)) return;
		await new Promise((resolve) => setTimeout(resolve, 200));
	}
	throw new Error(`${what}: not ready within ${timeoutMs / 1000} s`);
}

// ---- Debian packages -------------------------------------------------------------------------------

const POSTGRES_ROOT = '/usr/lib/postgresql';

/** The bin folder of the newest PostgreSQL installed from Debian's packages, if any. */
function postgresBin(): string | undefined {
	if (!fs.existsSync(POSTGRES_ROOT)) return undefined;
	const versions = fs
		.readdirSync(POSTGRES_ROOT)
		.filter((version) => fs.existsSync(path.join(POSTGRES_ROOT, version, 'bin', 'postgres')))
		.sort((a, b) => Number(b) - Number(a));
	return versions.length ? path.join(POSTGRES_ROOT, versions[0], 'bin') : undefined;
}

function onPath(command: string): string | undefined {
	for (const folder of (process.env.PATH ?? '').split(':').concat(['/usr/bin', '/usr/sbin'])) {
		const file = path.join(folder, command);
		if (folder && fs.existsSync(file)) return file;
	}
	return undefined;
}

let aptUpdated = false;

/**
 * Installs Redis and PostgreSQL from Debian's packages when they are missing. Needs root (CI and
 * these machines run as root); otherwise it says what to install.
 */
export function installDebianPackages(): void {
	const missing = [...(onPath('redis-server') ? [] : ['redis-server']), ...(postgresBin() ? [] : ['postgresql'])];
	if (missing.length === 0) return;
	if (process.getuid?.() !== 0) {
		throw new Error(`n8n's queue mode needs ${missing.join(' and ')}: install with \`sudo apt-get install -y ${missing.join(' ')}\``);
	}
	const started = Date.now();
	const run = (args: string[]) =>
		execFileSync('apt-get', args, {
			env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
			stdio: ['ignore', 'pipe', 'pipe'],
			timeout: 15 * 60 * 1000,
			maxBuffer: 64 * 1024 * 1024,
		});
	try {
		if (!aptUpdated) {
			console.log('  installing Debian packages: apt-get update');
			run(['update']);
			aptUpdated = true;
		}
		console.log(`  installing Debian packages: apt-get install -y ${missing.join(' ')}`);
		run(['install', '-y', '--no-install-recommends', ...missing]);
	} catch (error) {
		const failure = error as Error & { stdout?: Buffer; stderr?: Buffer };
		throw new Error(`apt-get failed: ${failure.message}\n${String(failure.stdout ?? '').slice(-2000)}\n${String(failure.stderr ?? '').slice(-2000)}`);
	}
	const stillMissing = [...(onPath('redis-server') ? [] : ['redis-server']), ...(postgresBin() ? [] : ['postgresql'])];
	if (stillMissing.length) throw new Error(`apt-get ran, but ${stillMissing.join(' and ')} is still missing`);
	console.log(`  installed ${missing.join(' ')} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

// ---- the servers -----------------------------------------------------------------------------------

export interface Service {
	port: number;
	/** the process, for its CPU time and memory */
	pid: number;
	stop(): Promise<void>;
}

function logTo(file: string): SpawnOptions['stdio'] {
	const fd = fs.openSync(file, 'a');
	return ['ignore', fd, fd];
}

/** Redis on 127.0.0.1, in memory only (no snapshots, no append-only file). */
export async function startRedis(folder: string): Promise<Service> {
	const port = await freePort();
	const binary = onPath('redis-server');
	if (!binary) throw new Error('redis-server is not installed (installDebianPackages() installs it)');
	const child = spawn(
		binary,
		['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', folder, '--daemonize', 'no'],
		{ stdio: logTo(path.join(folder, 'redis.log')) },
	);
	const stop = track(child);
	try {
		await waitUntil('Redis', () => redisPing(port), 30_000, child);
	} catch (error) {
		await stop();
		throw error;
	}
	return { port, pid: child.pid!, stop };
}

function redisPing(port: number): Promise<boolean> {
	return new Promise((resolve) => {
		const socket = net.connect(port, '127.0.0.1');
		const done = (ok: boolean) => {
			socket.destroy();
			resolve(ok);
		};
		socket.setTimeout(1000, () => done(false));
		socket.once('error', () => done(false));
		socket.once('connect', () => socket.write('PING\r\n'));
		socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
	});
}

export interface Postgres extends Service {
	host: string;
	user: string;
	database: string;
}

/**
 * A private PostgreSQL cluster: initdb into `folder`/data (trust authentication, user n8n), the
 * server on 127.0.0.1 with its socket in the same folder, and a database n8n. PostgreSQL refuses
 * to run as root, so as root it runs as Debian's `postgres` user. A throwaway cluster: fsync off.
 */
export async function startPostgres(folder: string): Promise<Postgres> {
	const bin = postgresBin();
	if (!bin) throw new Error('PostgreSQL is not installed (installDebianPackages() installs it)');
	const port = await freePort();
	const data = path.join(folder, 'data');
	const user = 'n8n';
	const database = 'n8n';
	const asPostgres: { uid?: number; gid?: number } = {};
	if (process.getuid?.() === 0) {
		asPostgres.uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
		asPostgres.gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
		fs.chownSync(folder, asPostgres.uid, asPostgres.gid);
	}
	const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C', LC_ALL: 'C' };
	execFileSync(path.join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', user, '-E', 'UTF8', '--locale=C', '--no-sync'], {
		...asPostgres,
		env,
		cwd: folder,
		stdio: ['ignore', 'pipe', 'pipe'],
		timeout: 120_000,
	});
	const logFile = path.join(folder, 'postgres.log');
	fs.writeFileSync(logFile, '');
	if (asPostgres.uid !== undefined) fs.chownSync(logFile, asPostgres.uid, asPostgres.gid!);
	const child = spawn(
		path.join(bin, 'postgres'),
		['-D', data, '-p', String(port), '-k', folder, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'max_connections=200'],
		{ ...asPostgres, env, cwd: folder, stdio: logTo(logFile) },
	);
	// SIGINT is PostgreSQL's "fast" shutdown: sessions are ended, the server exits at once
	const stop = track(child, { signal: 'SIGINT' });
	try {
		const ready = () => {
			try {
				execFileSync(path.join(bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port), '-U', user, '-d', 'postgres'], { stdio: 'ignore', timeout: 5000 });
				return Promise.resolve(true);
			} catch {
				return Promise.resolve(false);
			}
		};
		await waitUntil('PostgreSQL', ready, 60_000, child);
		execFileSync(path.join(bin, 'createdb'), ['-h', '127.0.0.1', '-p', String(port), '-U', user, database], { env, stdio: 'pipe', timeout: 30_000 });
	} catch (error) {
		await stop();
		throw new Error(`${(error as Error).message}\n${fs.readFileSync(logFile, 'utf8').slice(-2000)}`);
	}
	return { port, pid: child.pid!, host: '127.0.0.1', user, database, stop };
}

/** A folder for one service's files, removed by the returned function. */
export function serviceFolder(prefix: string): { folder: string; remove: () => void } {
	installHandlers();
	const folder = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
	fs.chmodSync(folder, 0o755);
	folders.add(folder);
	return {
		folder,
		remove: () => {
			fs.rmSync(folder, { recursive: true, force: true });
			folders.delete(folder);
		},
	};
}
