/**
 * `npm run test:ui`: the node as a person uses it, in n8n's editor in a real browser.
 * `npm run screenshots`: the pictures in docs/images/ for the README.
 *
 * Starts what `npm start` starts (real n8n 2.41.1 with the packed package, the DingTalk sandbox, the
 * credential and the example workflows) in a private user folder on free ports, creates the owner,
 * drives Debian's Chromium headless with playwright-core (CHROME=<path> for another Chrome), runs
 * the checks in test/ui/checks.ts and stops everything, also on failure, Ctrl-C or SIGTERM. Every
 * wait is bounded. The browser talks only to 127.0.0.1.
 *
 * A failing check leaves a screenshot in test/ui/artifacts/ (kept by CI), beside n8n's log. The run
 * ends with "N passed, N failed" and exits non-zero when anything failed.
 */
import fs from 'fs';
import path from 'path';

import { ROOT } from '../../scripts/n8n';
import { addSameNameEmployee, CheckFailure, CHECKS } from './checks';
import type { Check, CheckContext, UiSandbox } from './checks';
import { Editor } from './editor';
import { KNOWN_DEFECTS } from './known-defects';
import { takeScreenshots } from './screenshots';
import { ARTIFACTS, startEnvironment, stopEnvironment } from './setup';
import type { Environment } from './setup';

const SCREENSHOTS = process.argv.includes('--screenshots');
/** The whole run, n8n's start included; a check alone gets CHECK_LIMIT_MS. */
const RUN_LIMIT_MS = Number(process.env.UI_RUN_TIMEOUT_MS ?? 20 * 60 * 1000);
const CHECK_LIMIT_MS = Number(process.env.UI_CHECK_TIMEOUT_MS ?? 3 * 60 * 1000);
const STRICT = process.env.UI_STRICT === '1';
/** UI_ONLY=picker,credential runs the checks whose names contain one of the words. */
const ONLY = (process.env.UI_ONLY ?? '').split(',').map((word) => word.trim()).filter(Boolean);

const log = (line: string) => console.log(line);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const slug = (text: string) =>
	text
		.toLowerCase()
		.replace(/[^a-z0-9]+/g, '-')
		.replace(/^-|-$/g, '')
		.slice(0, 60);

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
	let timer: NodeJS.Timeout;
	return Promise.race([
		promise,
		new Promise<T>((_, reject) => {
			timer = setTimeout(() => reject(new Error(`${what} did not finish within ${seconds(ms)}`)), ms);
		}),
	]).finally(() => clearTimeout(timer));
}

interface Outcome {
	status: 'passed' | 'failed' | 'known' | 'skipped';
	problems: string[];
}

function knownDefectsFor(check: Check, problems: string[]) {
	const candidates = KNOWN_DEFECTS.filter((defect) => check.name.startsWith(defect.check));
	const matched = candidates.filter((defect) => problems.some((problem) => defect.problem.test(problem)));
	const allKnown = problems.length > 0 && problems.every((problem) => candidates.some((defect) => defect.problem.test(problem)));
	return { matched, allKnown };
}

async function runChecks(env: Environment): Promise<number> {
	const checks = CHECKS.filter((check) => ONLY.length === 0 || ONLY.some((word) => check.name.includes(word)));
	const counts = { passed: 0, failed: 0, known: 0, skipped: 0 };
	const seenDefects = new Set<(typeof KNOWN_DEFECTS)[number]>();
	const consoleLog = fs.createWriteStream(path.join(ARTIFACTS, 'browser-console.log'));
	log(`\n${checks.length} browser checks`);
	for (const [index, check] of checks.entries()) {
		const started = Date.now();
		// a fresh tab per check: one that hangs or fails leaves nothing behind for the next
		const page = await env.context.newPage();
		page.on('console', (message) => {
			if (message.type() === 'error' || message.type() === 'warning') consoleLog.write(`[${check.name}] ${message.type()}: ${message.text()}\n`);
		});
		page.on('pageerror', (error) => consoleLog.write(`[${check.name}] page error: ${error.message}\n`));
		let shots = 0;
		const evidence = async (what: string) => {
			const file = path.join(ARTIFACTS, `${String(index + 1).padStart(2, '0')}-${slug(check.name).slice(0, 30)}-${++shots}-${slug(what)}.png`);
			await withTimeout(page.screenshot({ path: file }), 20_000, 'the screenshot');
			return path.relative(ROOT, file);
		};
		const context: CheckContext = { page, editor: new Editor(page, env.url), url: env.url, sandbox: env.setup.sandbox as unknown as UiSandbox, evidence };
		let outcome: Outcome;
		try {
			const reason = check.skip ? await withTimeout(check.skip(context), 30_000, 'deciding whether the check applies') : undefined;
			if (reason) {
				outcome = { status: 'skipped', problems: [reason] };
			} else {
				await withTimeout(check.run(context), CHECK_LIMIT_MS, 'the check');
				outcome = { status: 'passed', problems: [] };
			}
		} catch (error) {
			const problems = error instanceof CheckFailure ? error.problems : [String((error as Error).message ?? error).split('\n').slice(0, 6).join('\n')];
			const { matched, allKnown } = knownDefectsFor(check, problems);
			matched.forEach((defect) => seenDefects.add(defect));
			outcome = { status: allKnown && !STRICT ? 'known' : 'failed', problems };
		}
		counts[outcome.status]++;
		const took = seconds(Date.now() - started);
		const mark = { passed: '✓', failed: '✗', known: '!', skipped: '-' }[outcome.status];
		const note = { passed: '', failed: '', known: ' — known defect, not counted', skipped: ` — skipped: ${outcome.problems[0]}` }[outcome.status];
		log(`  ${mark} ${check.name} (${took})${note}`);
		if (outcome.status === 'failed' || outcome.status === 'known') {
			for (const problem of outcome.problems) log(`      ${problem.replace(/\n/g, '\n      ')}`);
			// the page as the check left it, unless the check already kept screenshots of what it found
			if (shots === 0) {
				try {
					log(`      screenshot: ${await evidence('end')}`);
				} catch (error) {
					log(`      (no screenshot: ${(error as Error).message})`);
				}
			}
		}
		await withTimeout(page.close(), 10_000, 'closing the tab').catch(() => undefined);
	}
	consoleLog.end();

	if (env.blocked.length) log(`\nThe browser tried to reach ${env.blocked.length} address(es) outside 127.0.0.1 (refused): ${[...new Set(env.blocked)].slice(0, 5).join(', ')}`);
	const relevant = KNOWN_DEFECTS.filter((defect) => checks.some((check) => check.name.startsWith(defect.check)));
	const known = relevant.filter((defect) => seenDefects.has(defect));
	if (known.length) {
		log(`\nKnown defects in the node (test/ui/known-defects.ts), seen in this run${STRICT ? ' (UI_STRICT=1: counted as failures)' : ''}:`);
		for (const defect of known) log(`  - ${defect.defect}`);
	}
	for (const defect of relevant.filter((entry) => !seenDefects.has(entry))) {
		log(`\nListed as a known defect but not seen in this run (fixed? remove it from test/ui/known-defects.ts): ${defect.check}`);
	}
	if (counts.known || counts.skipped) log(`\n${counts.known} known defect(s) not counted, ${counts.skipped} skipped`);
	log(`${counts.passed} passed, ${counts.failed} failed`);
	return counts.failed;
}

async function main(): Promise<number> {
	const started = Date.now();
	fs.mkdirSync(ARTIFACTS, { recursive: true });
	for (const file of fs.readdirSync(ARTIFACTS)) fs.rmSync(path.join(ARTIFACTS, file), { recursive: true, force: true });

	let env: Environment | undefined;
	const watchdog = setTimeout(() => {
		log(`\nThe run took longer than ${seconds(RUN_LIMIT_MS)}: stopping n8n, the sandbox and the browser.`);
		void stopEnvironment().finally(() => {
			log('0 passed, 1 failed');
			process.exit(1);
		});
	}, RUN_LIMIT_MS);
	try {
		env = await startEnvironment({
			log,
			// a second employee with an existing name, for the picker checks
			prepareSandbox: (sandbox) => addSameNameEmployee(sandbox as unknown as UiSandbox),
		});
		const failures = SCREENSHOTS ? await takeScreenshots(env, log) : await runChecks(env);
		log(`${SCREENSHOTS ? 'Screenshots' : 'Browser checks'} took ${seconds(Date.now() - started)} in all (n8n's start included).`);
		return failures;
	} finally {
		clearTimeout(watchdog);
		await env?.stop();
	}
}

main()
	.then((failures) => process.exit(failures > 0 ? 1 : 0))
	.catch((error) => {
		console.error(`\n${(error as Error).stack ?? error}`);
		log(`Artifacts (n8n log, screenshots): ${path.relative(ROOT, ARTIFACTS)}/`);
		log('0 passed, 1 failed');
		process.exit(1);
	});
