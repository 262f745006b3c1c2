/**
 * `npm run bench:storm`: a webhook storm in real n8n. STORM_CALLS (300) webhook calls at once, each
 * updating its own DingTalk contact, against the sandbox with a quota of 20 calls per second and
 * 30 ms latency, in one n8n process and in queue mode (Redis, PostgreSQL, one main and two
 * `n8n worker --concurrency=10`), with this package's node and, in the same run, n8n's HTTP
 * Request node sending the same update. Prints a Markdown table of medians.
 *
 * Every row prepares its own n8n (and, in queue mode, its own Redis and PostgreSQL); every run
 * starts the n8n processes, sends the storm, and stops them, so that each run's CPU time and peak
 * memory are its own. Nothing is left running: processes are stopped on failure and on Ctrl-C.
 * Only 127.0.0.1 is used.
 *
 * The queue-tight rows lower the quota (4 calls per second, 100 calls) so that the quota, not n8n's
 * own speed, sets the pace: there the workers' limiters meet DingTalk's refusals.
 *
 * n8n itself may be slower than the quota (it is on a 2-core machine): each row is compared with n8n
 * alone (Webhook → No Operation) in the same mode, measured in the same run (its row is run too when
 * BENCH_ONLY leaves it out). The goal per DingTalk row: wall ≤ 1.05 × max(quota bound, n8n alone),
 * no refusal, nothing lost.
 *
 * From the sandbox's log it also prints when DingTalk received the first call (n8n's start), the
 * floor no limiter that keeps the quota can beat from there (each later window of `quota` calls
 * costs a second plus the latency: a call may be counted as late as its answer), and the busiest
 * second at the QPS limit, rolling and calendar (the promise: never above the quota). The progress
 * lines on stderr add the calls received in each second of the span.
 *
 * Options (environment): BENCH_RUNS (runs per row, default 3), STORM_CALLS (default 300),
 * BENCH_ONLY (comma list of row ids), N8N_VERSION (default 2.41.1).
 */
import { execFileSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';

import { DEFAULT_N8N_VERSION, installN8n, packPackage, ROOT } from '../../scripts/n8n';
import { installDebianPackages, serviceFolder, startPostgres, startRedis } from '../../scripts/services';
import type { StormNode } from '../storm';
import { credentialFor, fetchToken, fireStorm, prepareCluster, settle, stormBodies, stormWorkflows, tallyStorm, UPDATE } from '../storm';
import { median } from './common';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startSandbox, SEED } = require('../sandbox/server');

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const CALLS = Number(process.env.STORM_CALLS ?? 300);
const ONLY = process.env.BENCH_ONLY?.split(',');
const VERSION = process.env.N8N_VERSION ?? DEFAULT_N8N_VERSION;
const QUOTA = 20;
const LATENCY_MS = 30;

interface Row {
	id: string;
	title: string;
	node: StormNode;
	/** 0: one n8n process; N: queue mode with N workers */
	workers: number;
	/** the DingTalk node's Requests per Second (each worker has its own limiter) */
	requestsPerSecond: number;
	/** more settings for the n8n processes */
	env?: Record<string, string>;
	/** DingTalk's quota (calls per second), the number of webhook calls and the latency, when not QUOTA, CALLS and LATENCY_MS */
	quota?: number;
	calls?: number;
	latencyMs?: number | [number, number];
	/**
	 * targets checked and printed after the table: `ratio` against the quota bound, `overFloor`
	 * against max(quota bound, n8n alone in the same mode and run), `refusedShare` of the calls
	 */
	targets?: { ratio?: number; overFloor?: number; refusedShare?: number };
}

/** The storm's goal: at most 5 % over the slower of the quota bound and n8n itself, no refusal. */
const STORM_TARGETS = { overFloor: 1.05, refusedShare: 0 };

/** n8n's own limit on executions running at once in one process (the rest wait their turn) */
const CONCURRENCY_LIMIT = { N8N_CONCURRENCY_PRODUCTION_LIMIT: '20' };

const TIGHT = { quota: 4, calls: 100 };

const ROWS: Row[] = [
	{
		id: 'one',
		title: 'DingTalk node, one n8n, Requests per Second 20',
		node: 'dingTalk',
		workers: 0,
		requestsPerSecond: 20,
		targets: STORM_TARGETS,
	},
	{
		id: 'one-cap',
		title: 'DingTalk node, one n8n, as above with N8N_CONCURRENCY_PRODUCTION_LIMIT=20',
		node: 'dingTalk',
		workers: 0,
		requestsPerSecond: 20,
		env: CONCURRENCY_LIMIT,
		targets: STORM_TARGETS,
	},
	{
		id: 'one-jitter',
		title: 'DingTalk node, one n8n, Requests per Second 20, latency varying from 20 to 120 ms',
		node: 'dingTalk',
		workers: 0,
		requestsPerSecond: 20,
		latencyMs: [20, 120],
		targets: STORM_TARGETS,
	},
	{ id: 'one-http', title: 'HTTP Request node, one n8n, same storm', node: 'httpRequest', workers: 0, requestsPerSecond: 20 },
	{ id: 'one-noop', title: 'n8n alone (Webhook → No Operation, no DingTalk call), one n8n', node: 'noOp', workers: 0, requestsPerSecond: 20 },
	{
		id: 'queue',
		title: 'DingTalk node, queue mode, 2 workers, Requests per Second 10 (quota ÷ workers)',
		node: 'dingTalk',
		workers: 2,
		requestsPerSecond: 10,
		targets: STORM_TARGETS,
	},
	{
		id: 'queue-20',
		title: 'DingTalk node, queue mode, 2 workers, Requests per Second 20 (each worker the whole quota)',
		node: 'dingTalk',
		workers: 2,
		requestsPerSecond: 20,
		targets: STORM_TARGETS,
	},
	{ id: 'queue-http', title: 'HTTP Request node, queue mode, 2 workers, same storm', node: 'httpRequest', workers: 2, requestsPerSecond: 20 },
	{ id: 'queue-noop', title: 'n8n alone (Webhook → No Operation), queue mode, 2 workers', node: 'noOp', workers: 2, requestsPerSecond: 20 },
	// a quota low enough that it, not n8n, sets the pace in queue mode on this machine
	{
		id: 'queue-tight',
		title: `DingTalk node, queue mode, 2 workers, ${TIGHT.calls} calls, quota ${TIGHT.quota}/s, Requests per Second ${TIGHT.quota / 2} (quota ÷ workers)`,
		node: 'dingTalk',
		workers: 2,
		requestsPerSecond: TIGHT.quota / 2,
		...TIGHT,
	},
	{
		id: 'queue-tight-full',
		title: `DingTalk node, queue mode, 2 workers, ${TIGHT.calls} calls, quota ${TIGHT.quota}/s, Requests per Second ${TIGHT.quota} (each worker the whole quota)`,
		node: 'dingTalk',
		workers: 2,
		requestsPerSecond: TIGHT.quota,
		...TIGHT,
	},
];

interface Measured {
	wallMs: number;
	/** from the first webhook call sent to the first update DingTalk received: n8n starting the executions */
	firstCallAfterMs: number;
	/** from the first webhook call sent to the first answer: n8n's first execution, start to end */
	firstAnswerAfterMs: number;
	/** the most updates that met DingTalk's limit in any 1,000 ms and in one calendar second */
	busiestRolling: number;
	busiestCalendar: number;
	/** from the first to the last update DingTalk received */
	spanMs: number;
	calls: number;
	refused: number;
	lost: number;
	duplicated: number;
	tokenCalls: number;
	/** webhook calls not answered 200 */
	failedAnswers: number;
	/** webhook calls answered 200 with DingTalk's errcode ≠ 0 inside: failures reported as successes */
	silentFailures: number;
	cpuMs: number;
	peakRssMb: number;
}

// ---- CPU time and peak memory of the n8n processes (Linux /proc) ---------------------------------

const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

function readProc(pid: number, file: string): string {
	try {
		return fs.readFileSync(`/proc/${pid}/${file}`, 'utf8');
	} catch {
		return '';
	}
}

/** `pids` and every process below them (n8n starts task runners). */
function withDescendants(pids: number[]): number[] {
	const parentOf = new Map<number, number>();
	for (const entry of fs.readdirSync('/proc')) {
		if (!/^\d+$/.test(entry)) continue;
		const stat = readProc(Number(entry), 'stat');
		const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
		if (fields.length > 1) parentOf.set(Number(entry), Number(fields[1]));
	}
	const found = new Set(pids);
	for (let grew = true; grew; ) {
		grew = false;
		for (const [pid, parent] of parentOf) {
			if (found.has(parent) && !found.has(pid)) {
				found.add(pid);
				grew = true;
			}
		}
	}
	return [...found];
}

/** user + system CPU time of each process, in ms */
function cpuTimes(pids: number[]): Map<number, number> {
	const times = new Map<number, number>();
	for (const pid of pids) {
		const stat = readProc(pid, 'stat');
		const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
		// fields from the state on: utime and stime are the 12th and 13th
		if (fields.length > 12) times.set(pid, ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND);
	}
	return times;
}

/** the sum of each process's peak resident memory (VmHWM), in MB */
function peakRssMb(pids: number[]): number {
	let kb = 0;
	for (const pid of pids) kb += Number(/VmHWM:\s+(\d+)/.exec(readProc(pid, 'status'))?.[1] ?? 0);
	return kb / 1024;
}

// ---- the rows ----------------------------------------------------------------------------------

/** n8n alone's row in the same mode (one process, or queue mode with the same workers) as `row` */
function aloneRowFor(row: Row): Row | undefined {
	return ROWS.find((candidate) => candidate.node === 'noOp' && candidate.workers === row.workers && (candidate.calls ?? CALLS) === (row.calls ?? CALLS));
}

/** The rows BENCH_ONLY picks, each preceded by n8n alone in its mode when that is not picked too. */
function rowsToRun(): Row[] {
	const picked = ROWS.filter((row) => !ONLY || ONLY.includes(row.id));
	const withAlone = new Set<Row>(picked);
	for (const row of picked) {
		const alone = row.node === 'noOp' ? undefined : aloneRowFor(row);
		if (alone) withAlone.add(alone);
	}
	// n8n alone first in each mode, so that it is measured before the rows compared with it
	return [...withAlone].sort((a, b) => Number(b.node === 'noOp') - Number(a.node === 'noOp'));
}

type Sandbox = Awaited<ReturnType<typeof startSandbox>>;

async function measureRow(row: Row, sandbox: Sandbox, tarball: string, ids: string[]): Promise<Measured[]> {
	const quota = row.quota ?? QUOTA;
	const install = installN8n(VERSION);
	const services: Array<{ stop(): Promise<void> }> = [];
	const folders: Array<() => void> = [];
	try {
		let queue = {};
		if (row.workers > 0) {
			installDebianPackages();
			const redisFolder = serviceFolder('storm-redis');
			const postgresFolder = serviceFolder('storm-postgres');
			folders.push(redisFolder.remove, postgresFolder.remove);
			const redis = await startRedis(redisFolder.folder);
			services.push(redis);
			const postgres = await startPostgres(postgresFolder.folder);
			services.push(postgres);
			queue = { redis, postgres };
		}
		const prepared = await prepareCluster({
			install,
			tarball,
			workers: row.workers,
			concurrency: 10,
			...queue,
			env: row.env,
			credentials: [credentialFor(sandbox)],
			workflows: stormWorkflows(sandbox.url, await fetchToken(sandbox), row.requestsPerSecond),
		});
		folders.push(prepared.remove);
		const runs: Measured[] = [];
		for (let run = 0; run < RUNS; run++) {
			const cluster = await prepared.start();
			try {
				sandbox.set({ qpsLimit: { [UPDATE]: quota }, latencyMs: row.latencyMs ?? LATENCY_MS });
				// let the processes settle after starting before the storm begins
				await new Promise((resolve) => setTimeout(resolve, 2000));
				sandbox.resetLog();
				const pids = withDescendants(cluster.processes.map((process) => process.pid));
				const cpuBefore = cpuTimes(pids);
				const outcome = await fireStorm(cluster.url, row.node, stormBodies(ids, SEED.userIds[0], SEED.labelIds[0]));
				await settle(sandbox);
				const cpuAfter = cpuTimes(withDescendants(pids));
				let cpuMs = 0;
				for (const [pid, after] of cpuAfter) cpuMs += after - (cpuBefore.get(pid) ?? 0);
				const tally = tallyStorm(sandbox, ids);
				const measured: Measured = {
					wallMs: outcome.wallMs,
					firstCallAfterMs: tally.firstCallAt - outcome.startedAt,
					firstAnswerAfterMs: Math.min(...outcome.answeredAt) - outcome.startedAt,
					busiestRolling: tally.busiestSecond.rolling,
					busiestCalendar: tally.busiestSecond.calendar,
					spanMs: tally.lastCallAt - tally.firstCallAt,
					calls: tally.calls,
					refused: tally.refused,
					lost: tally.lost,
					duplicated: tally.duplicated,
					tokenCalls: tally.tokenCalls,
					failedAnswers: ids.length - (outcome.statuses[200] ?? 0),
					silentFailures: outcome.silentFailures,
					cpuMs,
					peakRssMb: peakRssMb([...cpuAfter.keys()]),
				};
				runs.push(measured);
				const dingTalkPart =
					row.node === 'noOp'
						? ''
						: `DingTalk span ${(measured.spanMs / 1000).toFixed(2)} s from ${(measured.firstCallAfterMs / 1000).toFixed(2)} s, ` +
							`last answer ${((Math.max(...outcome.answeredAt) - tally.lastCallAt) / 1000).toFixed(2)} s after DingTalk's last call, ` +
							`${measured.calls} calls, ${measured.refused} answered 90018, ${measured.lost} lost, ${measured.duplicated} duplicated, ${measured.tokenCalls} token calls, ` +
							`busiest second ${measured.busiestRolling} (rolling) / ${measured.busiestCalendar} (calendar), ` +
							`per second ${Array.from(tally.perSecond, (count) => count ?? 0).join(' ')}, `;
				process.stderr.write(
					`${row.id} run ${run + 1}: ${(measured.wallMs / 1000).toFixed(2)} s, first answer after ${(measured.firstAnswerAfterMs / 1000).toFixed(2)} s, ${dingTalkPart}` +
						`answers ${JSON.stringify(outcome.statuses)}, CPU ${(measured.cpuMs / 1000).toFixed(2)} s, peak RSS ${measured.peakRssMb.toFixed(0)} MB\n`,
				);
			} finally {
				await cluster.stop();
			}
		}
		return runs;
	} finally {
		for (const service of services.reverse()) await service.stop();
		for (const remove of folders.reverse()) remove();
	}
}

async function main(): Promise<void> {
	console.log(`Storm benchmark: ${CALLS} webhook calls at once, quota ${QUOTA}/s, ${LATENCY_MS} ms latency, n8n ${VERSION}`);
	console.log(`${os.cpus().length} cores, load average ${os.loadavg().map((load) => load.toFixed(1)).join(' ')} at the start, medians of ${RUNS} runs\n`);
	execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
	const tarball = packPackage();
	const sandbox = await startSandbox({ seed: { extraContacts: CALLS } });
	const ids = ([...sandbox.state.contacts.keys()] as string[]).slice(-CALLS);
	const table: string[] = [];
	const verdicts: string[] = [];
	/** n8n alone's median wall time (s) per row id, from this run */
	const aloneWallS = new Map<string, number>();
	try {
		for (const row of rowsToRun()) {
			const calls = row.calls ?? CALLS;
			const runs = await measureRow(row, sandbox, tarball, ids.slice(0, calls));
			const m = (key: keyof Measured) => median(runs.map((run) => run[key]));
			const wallS = m('wallMs') / 1000;
			const boundS = calls / (row.quota ?? QUOTA);
			const ratio = wallS / boundS;
			// no limiter that holds DingTalk to the quota can do better once the first call is out: each
			// window of `quota` calls must be counted a second after the one before, and the answer that
			// shows it was counted takes (at least) the latency to come back
			const latency = row.latencyMs ?? LATENCY_MS;
			const shortestLatencyS = (Array.isArray(latency) ? latency[0] : latency) / 1000;
			const floorFromFirstCallS = m('firstCallAfterMs') / 1000 + (Math.ceil(calls / (row.quota ?? QUOTA)) - 1) * (1 + shortestLatencyS);
			if (row.node === 'noOp') aloneWallS.set(row.id, wallS);
			const alone = row.node === 'noOp' ? undefined : aloneWallS.get(aloneRowFor(row)?.id ?? '');
			const floorS = Math.max(boundS, alone ?? 0);
			const overFloor = alone === undefined ? undefined : wallS / floorS;
			// n8n alone calls no DingTalk: its DingTalk columns are empty
			const dingTalk = (text: string) => (row.node === 'noOp' ? '-' : text);
			table.push(
				`| ${row.title} | ${wallS.toFixed(2)} | ${boundS} | ${ratio.toFixed(2)} | ${(m('firstAnswerAfterMs') / 1000).toFixed(2)} | ${alone === undefined ? '-' : alone.toFixed(2)} | ${overFloor === undefined ? '-' : overFloor.toFixed(3)} | ${dingTalk((m('firstCallAfterMs') / 1000).toFixed(2))} | ${dingTalk(floorFromFirstCallS.toFixed(2))} | ${dingTalk((m('spanMs') / 1000).toFixed(2))} | ${dingTalk(`${m('busiestRolling')} / ${m('busiestCalendar')}`)} | ${dingTalk(String(m('calls')))} | ${dingTalk(String(m('refused')))} | ${dingTalk(String(m('lost')))} | ${dingTalk(String(m('duplicated')))} | ${dingTalk(String(m('silentFailures')))} | ${m('failedAnswers')} | ${dingTalk(String(m('tokenCalls')))} | ${(m('cpuMs') / 1000).toFixed(2)} | ${m('peakRssMb').toFixed(0)} |`,
			);
			if (row.targets) {
				const { ratio: ratioTarget, overFloor: floorTarget, refusedShare } = row.targets;
				const misses: string[] = [];
				if (ratioTarget !== undefined && ratio > ratioTarget) misses.push(`ratio ${ratio.toFixed(2)} > ${ratioTarget}`);
				if (floorTarget !== undefined && overFloor !== undefined && overFloor > floorTarget) {
					misses.push(`${overFloor.toFixed(3)} × max(quota bound, n8n alone) > ${floorTarget}`);
				}
				if (refusedShare !== undefined && m('refused') > calls * refusedShare) misses.push(`${m('refused')} refused > ${refusedShare * 100}% of ${calls}`);
				if (m('lost') > 0 || m('duplicated') > 0) misses.push(`${m('lost')} lost, ${m('duplicated')} duplicated`);
				verdicts.push(`${row.id}: ${misses.length ? `MISSED (${misses.join('; ')})` : 'targets met'}`);
			}
		}
	} finally {
		await sandbox.close();
		fs.rmSync(path.dirname(tarball), { recursive: true, force: true });
	}
	console.log(
		'| storm | wall s | quota bound s | ratio | first webhook answered after s | n8n alone s (same run) | wall ÷ max(bound, n8n alone) | first DingTalk call after s | floor from that call s | DingTalk span s | busiest second at the QPS limit, rolling / calendar | calls | 90018s | lost | duplicated | "successful" answers with errcode ≠ 0 | webhook calls not answered 200 | token calls | CPU s | peak RSS MB |',
	);
	console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
	for (const line of table) console.log(line);
	console.log(`\n${verdicts.join('\n')}`);
	console.log(`load average ${os.loadavg().map((load) => load.toFixed(1)).join(' ')} at the end`);
}

main().then(
	() => process.exit(0),
	(error) => {
		console.error(error);
		process.exit(1);
	},
);
