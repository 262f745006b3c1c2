/**
 * The DingTalk Trigger's rows of `npm run bench`: a poll over 10,000 external contacts with 50 of
 * them changed (30 edited, 10 added, 10 removed) against the sandbox at DingTalk's quota of 20
 * calls per second per API, after the baseline poll that preceded it. Each poll is a child process
 * (test/bench/triggerScenario.ts); the static data goes from one to the next through a file.
 */
import fs from 'fs';
import os from 'os';
import path from 'path';
import type { IDataObject } from 'n8n-workflow';

import { median } from './common';
import type { TriggerScenarioInput, TriggerScenarioOutput } from './triggerScenario';

const LIST = '/topapi/extcontact/list';
const GET = '/topapi/extcontact/get';
const CONTACTS = 10_000;
const QUOTA = 20;
const CHANGES = { updated: 30, added: 10, removed: 10 };

interface SandboxLike {
	url: string;
	appKey: string;
	appSecret: string;
	state: { contacts: Map<string, IDataObject> };
	log: Array<{ path: string }>;
	reset(): void;
	resetLog(): void;
	set(knobs: IDataObject): void;
}

export type RunChild = (input: TriggerScenarioInput, script: string) => Promise<TriggerScenarioOutput>;

const ROWS = [
	{ id: 'trigger', suffix: '', title: '20 ms latency', knobs: { latencyMs: 20 } },
	{ id: 'trigger-jitter', suffix: 'j', title: 'latency varying from 20 to 120 ms', knobs: { latencyMs: [20, 120] } },
];

export const TRIGGER_TABLE_HEADER = [
	`| scenario | wall s | list calls | quota bound s (list calls ÷ ${QUOTA}/s) | ratio | other calls | items | CPU s | peak RSS MB | static data KB | bytes per contact |`,
	'|---|---|---|---|---|---|---|---|---|---|---|',
];

interface Measured extends TriggerScenarioOutput {
	listCalls: number;
	otherCalls: number;
	items: number;
}

/** 30 contacts edited, 10 removed, spread over the pages; 10 added at the end. */
function changeContacts(contacts: Map<string, IDataObject>): void {
	const ids = [...contacts.keys()];
	for (let i = 0; i < CHANGES.updated; i++) {
		const id = ids[7 + i * 331];
		contacts.set(id, { ...contacts.get(id), title: `Changed ${i}` });
	}
	for (let i = 0; i < CHANGES.removed; i++) contacts.delete(ids[150 + i * 977]);
	for (let i = 0; i < CHANGES.added; i++) {
		const userid = `bench-new-${i}`;
		contacts.set(userid, { userid, name: `New ${i}`, follower_user_id: 'manager4220', label_ids: [101], state_code: '86', mobile: `1390000${String(i).padStart(4, '0')}` });
	}
}

/** Runs the trigger rows; returns the table lines (without the header). */
export async function triggerRows(
	sandbox: SandboxLike,
	options: { runs: number; only?: string[]; runChild: RunChild },
): Promise<string[]> {
	const lines: string[] = [];
	for (const row of ROWS) {
		if (options.only && !options.only.includes(row.id)) continue;
		const baselines: Measured[] = [];
		const polls: Measured[] = [];
		for (let run = 0; run < options.runs; run++) {
			sandbox.reset();
			const contacts = sandbox.state.contacts;
			for (const id of [...contacts.keys()].slice(CONTACTS)) contacts.delete(id);
			sandbox.set({ qpsLimit: { [LIST]: QUOTA, [GET]: QUOTA }, ...row.knobs });
			const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'dingtalk-bench-trigger-'));
			const input: TriggerScenarioInput = {
				baseUrl: sandbox.url,
				appKey: sandbox.appKey,
				appSecret: sandbox.appSecret,
				staticDataFile: path.join(folder, 'static-data.json'),
			};
			try {
				const measure = async (): Promise<Measured> => {
					sandbox.resetLog();
					const output = await options.runChild(input, 'triggerScenario.ts');
					if (output.error) throw new Error(`${row.id}: the poll failed: ${output.error}`);
					return {
						...output,
						listCalls: sandbox.log.filter((entry) => entry.path === LIST).length,
						otherCalls: sandbox.log.filter((entry) => entry.path !== LIST && entry.path !== '/gettoken').length,
						items: Object.values(output.events).reduce((sum, count) => sum + count, 0),
					};
				};
				baselines.push(await measure());
				changeContacts(contacts);
				const poll = await measure();
				if (JSON.stringify(poll.events) !== JSON.stringify(CHANGES)) {
					throw new Error(`${row.id}: expected ${JSON.stringify(CHANGES)}, the poll emitted ${JSON.stringify(poll.events)}`);
				}
				polls.push(poll);
				process.stderr.write(
					`${row.id} run ${run + 1}: baseline ${(baselines[run].wallMs / 1000).toFixed(2)} s, poll ${(poll.wallMs / 1000).toFixed(2)} s, ${poll.listCalls} list calls, ${poll.otherCalls} other, CPU ${(poll.cpuMs / 1000).toFixed(2)} s\n`,
				);
			} finally {
				fs.rmSync(folder, { recursive: true, force: true });
			}
		}
		for (const [runs, title] of [
			[baselines, `5a${row.suffix}. DingTalk Trigger, baseline poll (first after activation), ${CONTACTS.toLocaleString('en')} contacts, ${row.title}, quota ${QUOTA}/s`],
			[polls, `5${row.suffix}. DingTalk Trigger, poll over ${CONTACTS.toLocaleString('en')} contacts with 50 changed (30 edited, 10 added, 10 removed), ${row.title}, quota ${QUOTA}/s`],
		] as const) {
			const m = (key: keyof Measured) => median(runs.map((run) => Number(run[key] ?? 0)));
			const wallS = m('wallMs') / 1000;
			const boundS = m('listCalls') / QUOTA;
			lines.push(
				`| ${title} | ${wallS.toFixed(2)} | ${m('listCalls')} | ${boundS.toFixed(2)} | ${(wallS / boundS).toFixed(3)} | ${m('otherCalls')} | ${m('items')} | ${(m('cpuMs') / 1000).toFixed(2)} | ${m('maxRssMb').toFixed(0)} | ${(m('staticDataBytes') / 1000).toFixed(0)} | ${(m('staticDataBytes') / CONTACTS).toFixed(1)} |`,
			);
		}
	}
	return lines;
}
