/**
 * `npm run bench`: how fast and how safely the node pushes many rows into DingTalk, compared in the
 * same run with n8n's HTTP Request node doing the same calls. Prints a Markdown table of medians.
 *
 * The sandbox runs in this process; every measured run is a child process (test/bench/scenario.ts)
 * so its CPU time and peak memory are its own. Only 127.0.0.1 is used.
 *
 * Options (environment): BENCH_RUNS (runs per row, default 3), N8N_NODES_BASE (n8n-nodes-base of a
 * cached n8n, default .cache/n8n-<the first of scripts/n8n-versions.json>/node_modules/n8n-nodes-base; rows needing it are skipped
 * when it is missing), BENCH_ONLY (comma list of scenario ids; the DingTalk Trigger rows are
 * "trigger" and "trigger-jitter", in test/bench/trigger.ts). Rows 5a/5b ("resolve-ids",
 * "resolve-names": labels by name and owners by mobile against ids) have a table of calls per kind.
 *
 * Workers sharing one quota (each process its own limiter, as n8n's queue-mode workers): at the full
 * quota each, BENCH_ONLY=quota-ours-shared,quota-ours-shared-3,quota-ours-busy-idle,quota-ours-shared-uneven;
 * with the quota split by hand, for comparison, quota-ours-split,quota-ours-split-busy-idle.
 */
import { execFile } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import type { IDataObject } from 'n8n-workflow';

import { DEFAULT_N8N_VERSION } from '../../scripts/n8n';
import { median } from './common';
import type { ScenarioInput, ScenarioOutput } from './scenario';
import { TRIGGER_TABLE_HEADER, triggerRows } from './trigger';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startSandbox, SEED, busiestSecondAtLimit } = require('../sandbox/server');

const ROOT = path.resolve(__dirname, '../..');
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const N8N_NODES_BASE =
	process.env.N8N_NODES_BASE ?? path.join(ROOT, `.cache/n8n-${DEFAULT_N8N_VERSION}/node_modules/n8n-nodes-base`);
const ONLY = process.env.BENCH_ONLY?.split(',');
const UPDATE = '/topapi/extcontact/update';
const CHILD_TIMEOUT_MS = 10 * 60 * 1000;

interface Row {
	id: string;
	title: string;
	items: number;
	knobs: IDataObject;
	input: Partial<ScenarioInput>;
	/** items ÷ QPS limit: the fastest any client may finish */
	quotaBoundS?: number;
	/**
	 * executions at once, each in its own process (as on n8n workers), sharing the items: how many
	 * items each one gets (an idle worker gets none and sends nothing)
	 */
	shares?: number[];
	/** printed in the table of calls per kind (names resolved against ids) instead of the main one */
	callsPerKind?: boolean;
}

/**
 * A row where processes, each with its own limiter (as n8n workers), share the quota of row 1:
 * `shares` items each, Requests per Second the full quota (50) unless split by hand.
 */
function sharedQuotaRow(id: string, title: string, shares: number[], requestsPerSecond = 50): Row {
	return {
		id,
		title,
		items: 1000,
		knobs: { latencyMs: 20, qpsLimit: { [UPDATE]: 50 } },
		input: { node: 'dingTalk', requestsPerSecond },
		quotaBoundS: 20,
		shares,
	};
}

const LABEL_GROUPS = '/topapi/extcontact/listlabelgroups';
const BY_MOBILE = '/topapi/v2/user/getbymobile';
/** distinct owners of the rows given by mobile number: the sandbox's generated employees 1 to 100 */
const OWNER_MOBILES = Array.from({ length: 100 }, (_, index) => `+86 139 ${String(index + 1).padStart(8, '0').replace(/^(\d{4})/, '$1 ')}`);

const ROWS: Row[] = [
	{
		id: 'quota-ours',
		title: '1. DingTalk node, 1,000 items, 20 ms latency, QPS limit 50 (Requests per Second 50)',
		items: 1000,
		knobs: { latencyMs: 20, qpsLimit: { [UPDATE]: 50 } },
		input: { node: 'dingTalk', requestsPerSecond: 50 },
		quotaBoundS: 20,
	},
	{
		id: 'quota-ours-jitter',
		title: '1j. DingTalk node, as 1 but latency varying from 20 to 120 ms, as over the internet',
		items: 1000,
		knobs: { latencyMs: [20, 120], qpsLimit: { [UPDATE]: 50 } },
		input: { node: 'dingTalk', requestsPerSecond: 50 },
		quotaBoundS: 20,
	},
	{
		id: 'quota-ours-jitter-calendar',
		title: '1jc. DingTalk node, as 1j but DingTalk counting calendar seconds',
		items: 1000,
		knobs: { latencyMs: [20, 120], qpsLimit: { [UPDATE]: 50 }, qpsWindow: 'calendar' },
		input: { node: 'dingTalk', requestsPerSecond: 50 },
		quotaBoundS: 20,
	},
	sharedQuotaRow(
		'quota-ours-shared',
		'1s. DingTalk node, two executions at once sharing the quota of 1 (500 items each, Requests per Second 50 each, separate processes as on two n8n workers)',
		[500, 500],
	),
	sharedQuotaRow('quota-ours-shared-3', '1s3. DingTalk node, as 1s with three processes (333-334 items each, Requests per Second 50 each)', [334, 333, 333]),
	sharedQuotaRow(
		'quota-ours-busy-idle',
		'1si. DingTalk node, one process busy with all 1,000 items beside an idle one (Requests per Second 50 each)',
		[1000, 0],
	),
	sharedQuotaRow(
		'quota-ours-shared-uneven',
		'1su. DingTalk node, as 1s with 800 and 200 items: the busy process has the quota to itself once the other is done',
		[800, 200],
	),
	// the quota split by hand (Requests per Second = quota ÷ workers), for comparison
	sharedQuotaRow('quota-ours-split', '1h. DingTalk node, as 1s with the quota split by hand: Requests per Second 25 each', [500, 500], 25),
	sharedQuotaRow(
		'quota-ours-split-busy-idle',
		'1hi. DingTalk node, as 1si with the quota split by hand: Requests per Second 25 each',
		[1000, 0],
		25,
	),
	{
		id: 'quota-http',
		title: '2a. HTTP Request node, defaults, same job',
		items: 1000,
		knobs: { latencyMs: 20, qpsLimit: { [UPDATE]: 50 } },
		input: { node: 'httpRequest' },
		quotaBoundS: 20,
	},
	{
		id: 'quota-http-batched',
		title: '2b. HTTP Request node, Batching 50 items / 1,000 ms, same job',
		items: 1000,
		knobs: { latencyMs: 20, qpsLimit: { [UPDATE]: 50 } },
		input: { node: 'httpRequest', batching: { batchSize: 50, batchInterval: 1000 } },
		quotaBoundS: 20,
	},
	{
		id: 'quota-http-batched-jitter',
		title: '2c. HTTP Request node, Batching 50 items / 1,000 ms, latency varying as in 1j',
		items: 1000,
		knobs: { latencyMs: [20, 120], qpsLimit: { [UPDATE]: 50 } },
		input: { node: 'httpRequest', batching: { batchSize: 50, batchInterval: 1000 } },
		quotaBoundS: 20,
	},
	{
		id: 'overhead-ours',
		title: '3a. DingTalk node, 5,000 items, no latency, no limit',
		items: 5000,
		knobs: {},
		input: { node: 'dingTalk', requestsPerSecond: 10000, maxConcurrency: 20 },
	},
	{
		id: 'overhead-ours-one-expression',
		title: '3c. DingTalk node, 5,000 items, no latency, no limit, one expression per item like 3b',
		items: 5000,
		knobs: {},
		input: { node: 'dingTalk', requestsPerSecond: 10000, maxConcurrency: 20, mapping: 'contactIdOnly' },
	},
	{
		id: 'overhead-http',
		title: '3b. HTTP Request node, 5,000 items, no latency, no limit',
		items: 5000,
		knobs: {},
		input: { node: 'httpRequest' },
	},
	{
		id: 'resolve-ids',
		title: '5a. DingTalk node, 1,000 rows with label and owner IDs, 20 ms latency, QPS limit 50 (as 1)',
		items: 1000,
		knobs: { latencyMs: 20, qpsLimit: { [UPDATE]: 50 } },
		input: { node: 'dingTalk', requestsPerSecond: 50 },
		quotaBoundS: 20,
		callsPerKind: true,
	},
	{
		id: 'resolve-names',
		title: `5b. as 5a, labels by name ("潜在客户, Region / 华东") and owners by mobile ("+86 139 0000 0001", ${OWNER_MOBILES.length} distinct)`,
		items: 1000,
		knobs: { latencyMs: 20, qpsLimit: { [UPDATE]: 50 } },
		input: { node: 'dingTalk', requestsPerSecond: 50, mapping: 'names', labelNames: '潜在客户, Region / 华东', ownerMobiles: OWNER_MOBILES },
		quotaBoundS: 20,
		callsPerKind: true,
	},
	...[5000, 10000, 20000].map((items) => ({
		id: `memory-${items}`,
		title: `4. DingTalk node, ${items.toLocaleString('en')} items, memory`,
		items,
		knobs: {},
		input: { node: 'dingTalk' as const, requestsPerSecond: 10000, maxConcurrency: 20 },
	})),
];

interface Measured extends ScenarioOutput {
	calls: number;
	throttled: number;
	applied: number;
	lost: number;
	duplicated: number;
	tokenCalls: number;
	labelListCalls: number;
	mobileLookups: number;
	/** calls to any other path */
	otherCalls: number;
	/** the most updates at the QPS limit in any 1,000 ms and in one calendar second, refused ones included */
	busiestRolling: number;
	busiestCalendar: number;
}

/** busiestSecondAtLimit's answer in Measured's terms */
function busiestAt(updates: Array<{ qpsCheckedAt?: number }>): Pick<Measured, 'busiestRolling' | 'busiestCalendar'> {
	const { rolling, calendar } = busiestSecondAtLimit(updates) as { rolling: number; calendar: number };
	return { busiestRolling: rolling, busiestCalendar: calendar };
}

/**
 * Runs one child per share at once, each on its share of the contact ids (a share of 0 is an idle
 * worker: no child), and sums up what they measured; the wall time runs from the first one's start
 * to the last one's end.
 */
async function runChildren(input: ScenarioInput, shares: number[]): Promise<ScenarioOutput> {
	const firstIds = shares.map((_, index) => shares.slice(0, index).reduce((total, share) => total + share, 0));
	const outputs = await Promise.all(
		shares
			.map((share, index) => ({ share, from: firstIds[index] }))
			.filter(({ share }) => share > 0)
			.map(({ share, from }) => runChild({ ...input, contactIds: input.contactIds.slice(from, from + share) })),
	);
	const sum = (key: 'cpuMs' | 'outputItems' | 'errorItems' | 'silentFailures') =>
		outputs.reduce((total, output) => total + output[key], 0);
	const startedAtMs = Math.min(...outputs.map((output) => output.startedAtMs));
	const errors = outputs.map((output) => output.executionError).filter(Boolean);
	return {
		startedAtMs,
		wallMs: Math.max(...outputs.map((output) => output.startedAtMs + output.wallMs)) - startedAtMs,
		cpuMs: sum('cpuMs'),
		maxRssMb: Math.max(...outputs.map((output) => output.maxRssMb)),
		outputItems: sum('outputItems'),
		errorItems: sum('errorItems'),
		silentFailures: sum('silentFailures'),
		executionError: errors.length > 0 ? errors.join('; ') : undefined,
	};
}

/** Runs one scenario script (scenario.ts by default) in a child process, its input in a file. */
function runChild<Input, Output = ScenarioOutput>(input: Input, script = 'scenario.ts'): Promise<Output> {
	const inputFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dingtalk-bench-')), 'input.json');
	fs.writeFileSync(inputFile, JSON.stringify(input));
	return new Promise((resolve, reject) => {
		execFile(
			process.execPath,
			['--max-old-space-size=8192', '-r', path.join(ROOT, 'scripts/register-ts.js'), path.join(__dirname, script), inputFile],
			{ cwd: ROOT, timeout: CHILD_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 },
			(error, stdout, stderr) => {
				fs.rmSync(path.dirname(inputFile), { recursive: true, force: true });
				const line = stdout.trim().split('\n').pop() ?? '';
				if (error || !line.startsWith('{')) {
					reject(new Error(`scenario failed: ${error?.message ?? ''}\n${stderr.slice(-2000)}`));
					return;
				}
				resolve(JSON.parse(line) as Output);
			},
		);
	});
}

async function fetchToken(sandbox: { url: string; appKey: string; appSecret: string }): Promise<string> {
	const url = `${sandbox.url}/gettoken?appkey=${encodeURIComponent(sandbox.appKey)}&appsecret=${encodeURIComponent(sandbox.appSecret)}`;
	const answer = (await (await fetch(url)).json()) as IDataObject;
	return String(answer.access_token);
}

async function main(): Promise<void> {
	const maxItems = Math.max(...ROWS.map((row) => row.items));
	const sandbox = await startSandbox({ seed: { extraContacts: maxItems, extraUsers: OWNER_MOBILES.length } });
	const contactIds = [...(sandbox.state.contacts as Map<string, unknown>).keys()] as string[];
	const haveHttpNode = fs.existsSync(path.join(N8N_NODES_BASE, 'dist/nodes/HttpRequest/HttpRequest.node.js'));
	const table: string[] = [];
	const perKindTable: string[] = [];
	console.log(`Benchmark on ${os.cpus().length} cores, Node ${process.version}, medians of ${RUNS} runs\n`);

	for (const row of ROWS) {
		if (ONLY && !ONLY.includes(row.id)) continue;
		if (row.input.node === 'httpRequest' && !haveHttpNode) {
			console.log(`skipped ${row.id}: n8n's HTTP Request node not found at ${N8N_NODES_BASE} (run npm run n8n:install)`);
			continue;
		}
		const runs: Measured[] = [];
		for (let run = 0; run < RUNS; run++) {
			sandbox.reset();
			sandbox.set({ latencyMs: 0, qpsLimit: 0, ...row.knobs });
			const accessToken = row.input.node === 'httpRequest' ? await fetchToken(sandbox) : undefined;
			sandbox.resetLog();
			const ids = contactIds.slice(0, row.items);
			const output = await runChildren({
				...(row.input as ScenarioInput),
				baseUrl: sandbox.url,
				appKey: sandbox.appKey,
				appSecret: sandbox.appSecret,
				contactIds: ids,
				ownerId: SEED.userIds[0],
				labelId: SEED.labelIds[0],
				accessToken,
				n8nNodesBase: N8N_NODES_BASE,
			}, row.shares ?? [row.items]);
			const log = sandbox.log as Array<{ path: string; applied: boolean; response: IDataObject; params: IDataObject; qpsCheckedAt?: number }>;
			const updates = log.filter((entry) => entry.path === UPDATE);
			const appliedPerContact = new Map<string, number>();
			for (const entry of updates) {
				if (!entry.applied) continue;
				const id = String((entry.params.contact as IDataObject).user_id);
				appliedPerContact.set(id, (appliedPerContact.get(id) ?? 0) + 1);
			}
			const measured: Measured = {
				...output,
				calls: updates.length,
				throttled: updates.filter((entry) => entry.response?.errcode === 90018).length,
				...busiestAt(updates),
				applied: appliedPerContact.size,
				lost: ids.filter((id) => !appliedPerContact.has(id)).length,
				duplicated: [...appliedPerContact.values()].filter((count) => count > 1).length,
				tokenCalls: log.filter((entry) => entry.path === '/gettoken').length + (accessToken ? 1 : 0),
				labelListCalls: log.filter((entry) => entry.path === LABEL_GROUPS).length,
				mobileLookups: log.filter((entry) => entry.path === BY_MOBILE).length,
				otherCalls: log.filter((entry) => ![UPDATE, LABEL_GROUPS, BY_MOBILE, '/gettoken'].includes(entry.path)).length,
			};
			runs.push(measured);
			process.stderr.write(
				`${row.id} run ${run + 1}: ${(output.wallMs / 1000).toFixed(2)} s, ${measured.calls} calls, ${measured.throttled} answered 90018, busiest second at the limit ${measured.busiestRolling} / ${measured.busiestCalendar}, CPU ${(output.cpuMs / 1000).toFixed(2)} s\n`,
			);
		}
		const m = (key: keyof Measured) => median(runs.map((run) => Number(run[key] ?? 0)));
		const wallS = m('wallMs') / 1000;
		const ratio = row.quotaBoundS ? `${(wallS / row.quotaBoundS).toFixed(3)}` : '-';
		if (row.callsPerKind) {
			perKindTable.push(
				`| ${row.title} | ${wallS.toFixed(2)} | ${row.quotaBoundS ?? '-'} | ${ratio} | ${m('calls')} | ${m('labelListCalls')} | ${m('mobileLookups')} | ${m('tokenCalls')} | ${m('otherCalls')} | ${m('throttled')} | ${m('applied')} | ${m('errorItems')} | ${(m('cpuMs') / 1000).toFixed(2)} |`,
			);
			continue;
		}
		table.push(
			`| ${row.title} | ${wallS.toFixed(2)} | ${row.quotaBoundS ?? '-'} | ${ratio} | ${(row.items / wallS).toFixed(0)} | ${m('calls')} | ${m('throttled')} | ${row.knobs?.qpsLimit ? `${m('busiestRolling')} / ${m('busiestCalendar')}` : '-'} | ${m('applied')} | ${m('lost')} | ${m('duplicated')} | ${m('errorItems')} | ${m('silentFailures')} | ${m('tokenCalls')} | ${(m('cpuMs') / 1000).toFixed(2)} | ${((m('cpuMs') * 1000) / row.items).toFixed(0)} | ${m('maxRssMb').toFixed(0)} |`,
		);
	}
	const triggerTable = await triggerRows(sandbox, { runs: RUNS, only: ONLY, runChild });
	await sandbox.close();
	if (table.length > 0) {
		console.log(
			'| scenario | wall s | quota bound s | ratio | items/s | calls | 90018s | busiest second at the QPS limit, rolling / calendar | applied | lost | duplicated | failed items | "successful" items with errcode ≠ 0 | token calls | CPU s | CPU µs/item | peak RSS MB |',
		);
		console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
		for (const line of table) console.log(line);
	}
	if (perKindTable.length > 0) {
		console.log(
			[
				'',
				'| names resolved against ids | wall s | quota bound s | ratio | update calls | label group lists | mobile look-ups | token calls | other calls | 90018s | applied | failed items | CPU s |',
				'|---|---|---|---|---|---|---|---|---|---|---|---|---|',
				...perKindTable,
			].join('\n'),
		);
	}
	if (triggerTable.length > 0) console.log(['', ...TRIGGER_TABLE_HEADER, ...triggerTable].join('\n'));
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});
