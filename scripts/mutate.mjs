// npm run mutate: runs Stryker (stryker.config.mjs), then reads its JSON report and prints the
// mutation score per folder, the mutants that survived, and as its last line
// "mutation score: NN.NN%" (all of nodes/ and credentials/). Exits non-zero when Stryker fails or
// a target is missed: 85% on transport/ and helpers/, 75% overall.
//
//   node scripts/mutate.mjs [--report-only] [stryker options…]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const REPORT = path.join(root, 'reports/mutation/mutation.json');
const TARGETS = [
	['nodes/DingTalk/transport', 85],
	['nodes/DingTalk/helpers', 85],
	['(all)', 75],
];
/** The folders the score is shown for, in this order. */
const FOLDERS = [
	'nodes/DingTalk/transport',
	'nodes/DingTalk/helpers',
	'nodes/DingTalk/actions',
	'nodes/DingTalk/methods',
	'nodes/DingTalk/trigger',
	'nodes/DingTalk (the node files)',
	'credentials',
];

const args = process.argv.slice(2);
const reportOnly = args[0] === '--report-only';
const started = Date.now();
let strykerFailed = false;
if (!reportOnly) {
	fs.rmSync(REPORT, { force: true });
	const stryker = path.join(root, 'node_modules/@stryker-mutator/core/bin/stryker.js');
	const run = spawnSync(process.execPath, [stryker, 'run', ...args], { cwd: root, stdio: 'inherit' });
	strykerFailed = run.status !== 0;
}
if (!fs.existsSync(REPORT)) {
	console.error(`No report at ${path.relative(root, REPORT)}: Stryker did not finish.`);
	process.exit(1);
}

const report = JSON.parse(fs.readFileSync(REPORT, 'utf8'));
const DETECTED = new Set(['Killed', 'Timeout']);
const UNDETECTED = new Set(['Survived', 'NoCoverage']);

function folderOf(file) {
	if (file.startsWith('credentials/')) return 'credentials';
	const match = /^nodes\/DingTalk\/(transport|helpers|actions|methods|trigger)\//.exec(file);
	return match ? `nodes/DingTalk/${match[1]}` : 'nodes/DingTalk (the node files)';
}

const tally = new Map();
const count = (key, status) => {
	const entry = tally.get(key) ?? { detected: 0, undetected: 0, other: 0 };
	if (DETECTED.has(status)) entry.detected++;
	else if (UNDETECTED.has(status)) entry.undetected++;
	else entry.other++;
	tally.set(key, entry);
};
const survivors = [];
for (const [file, { mutants }] of Object.entries(report.files)) {
	const relative = path.relative(root, path.resolve(root, file)).split(path.sep).join('/');
	for (const mutant of mutants) {
		count(folderOf(relative), mutant.status);
		count('(all)', mutant.status);
		if (UNDETECTED.has(mutant.status)) {
			const { line, column } = mutant.location.start;
			survivors.push(`  ${relative}:${line}:${column} ${mutant.mutatorName}${mutant.status === 'NoCoverage' ? ' (no test covers it)' : ''}: ${String(mutant.replacement ?? '').replace(/\s+/g, ' ').slice(0, 80)}`);
		}
	}
}

const score = (key) => {
	const entry = tally.get(key);
	if (!entry || entry.detected + entry.undetected === 0) return undefined;
	return (100 * entry.detected) / (entry.detected + entry.undetected);
};
const format = (value) => (value === undefined ? 'n/a' : `${value.toFixed(2)}%`);

console.log(`\nSurvivors (${survivors.length}):`);
for (const line of survivors) console.log(line);
console.log('\nMutation score per folder (killed or timed out / all that compile; ignored and compile errors left out):');
for (const folder of FOLDERS) {
	const entry = tally.get(folder);
	if (!entry) continue;
	console.log(`  ${folder.padEnd(36)} ${format(score(folder)).padStart(8)}  (${entry.detected} of ${entry.detected + entry.undetected})`);
}
if (!reportOnly) console.log(`Run time: ${((Date.now() - started) / 60_000).toFixed(1)} minutes`);

const missed = TARGETS.filter(([key, target]) => (score(key) ?? 0) < target);
for (const [key, target] of missed) console.log(`Target missed: ${key} is at ${format(score(key))}, below ${target}%`);
console.log(`mutation score: ${format(score('(all)'))}`);
process.exitCode = strykerFailed || missed.length > 0 ? 1 : 0;
