/**
 * What n8n's verification of community packages looks at besides the code: the GitHub workflows
 * that test and publish the package (checked offline against SchemaStore's GitHub workflow schema,
 * which @action-validator/core carries), and links that agree with each other.
 */
import { validateWorkflow } from '@action-validator/core';
import fs from 'fs';
import path from 'path';
import { parse } from 'yaml';

import { DingTalkApi } from '../../credentials/DingTalkApi.credentials';

const ROOT = path.resolve(__dirname, '../..');
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');

interface Step {
	uses?: string;
	run?: string;
	with?: Record<string, unknown>;
	env?: Record<string, unknown>;
}
interface Workflow {
	on: Record<string, { branches?: string[]; tags?: string[] } | null>;
	permissions?: Record<string, string>;
	jobs: Record<string, { 'runs-on': string; container?: string; steps: Step[] }>;
}

const workflow = (file: string) => parse(read(file)) as Workflow;
const runs = (steps: Step[]) => steps.map((step) => step.run).filter((run): run is string => run !== undefined);

describe('GitHub workflows', () => {
	it.each(['.github/workflows/ci.yml', '.github/workflows/publish.yml'])('%s follows the GitHub workflow schema', (file) => {
		expect(validateWorkflow(read(file)).errors).toEqual([]);
	});

	it('the schema check catches a broken workflow', () => {
		const broken = read('.github/workflows/publish.yml').replace('id-token: write', 'id-token: writable').replace('runs-on:', 'runs_on:');
		const paths = validateWorkflow(broken).errors.map((error) => ('path' in error ? error.path : error.title));
		expect(paths).toEqual(expect.arrayContaining(['/permissions', '/jobs/publish']));
	});

	it('CI runs .ci/run on pushes and pull requests, with Node 20', () => {
		const ci = workflow('.github/workflows/ci.yml');
		expect(Object.keys(ci.on).sort()).toEqual(['pull_request', 'push']);
		const [job] = Object.values(ci.jobs);
		expect(job.container).toMatch(/^node:20\b/);
		expect(job.steps[0].uses).toMatch(/^actions\/checkout@/);
		expect(runs(job.steps)).toEqual(['bash .ci/run']);
		expect(fs.existsSync(path.join(ROOT, '.ci/run'))).toBe(true);
	});

	it('a version tag publishes with provenance after install, lint and tests', () => {
		const publish = workflow('.github/workflows/publish.yml');
		expect(publish.on).toEqual({ push: { tags: ['v*.*.*'] } });
		expect(publish.permissions).toMatchObject({ 'id-token': 'write', contents: 'read' });
		const [job] = Object.values(publish.jobs);
		const commands = runs(job.steps);
		const at = (command: string) => commands.findIndex((run) => run.startsWith(command));
		for (const command of ['npm ci', 'npm run lint', 'npm test', 'npm run build']) {
			expect(at(command)).toBeGreaterThanOrEqual(0);
			expect(at(command)).toBeLessThan(at('npm publish'));
		}
		expect(commands[commands.length - 1]).toBe('npm publish --provenance --access public');
		expect(job.steps.find((step) => step.uses?.startsWith('actions/setup-node@'))?.with).toMatchObject({ 'node-version': 20 });
	});
});

describe('links', () => {
	const manifest = JSON.parse(read('package.json'));
	const home: string = manifest.homepage;

	it("package.json's repository, homepage and bugs name the same GitHub repository", () => {
		expect(home).toMatch(/^https:\/\/github\.com\/[\w.-]+\/[\w.-]+$/);
		expect(manifest.repository).toEqual({ type: 'git', url: `git+${home}.git` });
		expect(manifest.bugs).toEqual({ url: `${home}/issues` });
	});

	it("the codex files and the credential's documentation link point into that repository's README", () => {
		const links: string[] = [new DingTalkApi().documentationUrl];
		for (const file of ['nodes/DingTalk/DingTalk.node.json', 'nodes/DingTalk/DingTalkTrigger.node.json']) {
			const resources = JSON.parse(read(file)).resources as Record<string, Array<{ url: string }>>;
			links.push(...Object.values(resources).flat().map((resource) => resource.url));
		}
		for (const link of links) expect(link.startsWith(`${home}#`)).toBe(true);
		expect(new DingTalkApi().documentationUrl).toBe(`${home}#set-up-the-dingtalk-app`);
	});

	it('CHANGELOG.md has an entry for the version in package.json', () => {
		expect(read('CHANGELOG.md')).toMatch(new RegExp(`^## \\[?${manifest.version.replace(/\./g, '\\.')}\\]?`, 'm'));
	});
});
