/**
 * The browser checks: what a person sees and does in n8n's editor with this package installed.
 * Each check collects every problem it finds (not only the first) and fails with all of them.
 */
import type { Page, Response } from 'playwright-core';

import { Editor, poll } from './editor';

export interface UiSandbox {
	url: string;
	appKey: string;
	appSecret: string;
	log: Array<{ path: string }>;
	state: { users: Array<{ userid: string; name: string; dept_ids: number[] }> };
}

export interface CheckContext {
	page: Page;
	editor: Editor;
	url: string;
	sandbox: UiSandbox;
	/** a screenshot of the page as it is now, kept with the run's artifacts; returns its path */
	evidence: (what: string) => Promise<string>;
}

export interface Check {
	name: string;
	/** returns a reason when the check does not apply (it is then skipped) */
	skip?: (context: CheckContext) => Promise<string | undefined>;
	run: (context: CheckContext) => Promise<void>;
}

/** A second employee named 李四 (the seed has lisi01 in 销售部 and 华东销售), in 市场部. */
export const SAME_NAME_EMPLOYEE = { userid: 'lisi.market', name: '李四', dept_ids: [3] };

export function addSameNameEmployee(sandbox: UiSandbox): void {
	if (!Array.isArray(sandbox.state?.users)) throw new Error('the sandbox has no user list to add the second 李四 to');
	sandbox.state.users.push({ ...SAME_NAME_EMPLOYEE, dept_ids: [...SAME_NAME_EMPLOYEE.dept_ids] });
}

const CREDENTIAL_TYPE = 'DingTalk API';
const SANDBOX_CREDENTIAL = 'DingTalk sandbox';
const EXAMPLE_WORKFLOW = 'dtExampleCsv01';
const EXAMPLE_NODE = 'Create or update in DingTalk';

class Problems {
	readonly list: string[] = [];

	add(problem: string): void {
		this.list.push(problem);
	}

	expectEqual(what: string, actual: unknown, expected: unknown): void {
		if (JSON.stringify(actual) !== JSON.stringify(expected)) {
			this.add(`${what}: expected ${JSON.stringify(expected)}, saw ${JSON.stringify(actual)}`);
		}
	}

	throwIfAny(): void {
		if (this.list.length) throw new CheckFailure(this.list);
	}
}

export class CheckFailure extends Error {
	constructor(readonly problems: string[]) {
		super(problems.join('\n'));
	}
}

// ---------- what the node panel should show ----------

interface Screen {
	resource: string;
	operation: string;
	updateMode?: string;
	/** the labels shown below Credential, Resource and Operation */
	fields: string[];
	/** the fields n8n marks as missing when the panel opens on a new node */
	required: string[];
}

const CONTACT_FIELDS = ['Name', 'Owner (Follower User ID)', 'Label Names or IDs', 'Country Code', 'Mobile', 'Additional Fields', 'Options'];
const SCREENS: Screen[] = [
	{ resource: 'External Contact', operation: 'Create', fields: CONTACT_FIELDS, required: ['Name', 'Owner (Follower User ID)', 'Label Names or IDs', 'Mobile'] },
	{
		resource: 'External Contact',
		operation: 'Create or Update',
		fields: [...CONTACT_FIELDS.slice(0, 5), 'Update Mode', ...CONTACT_FIELDS.slice(5)],
		required: ['Name', 'Owner (Follower User ID)', 'Label Names or IDs', 'Mobile'],
	},
	{ resource: 'External Contact', operation: 'Delete', fields: ['External Contact', 'Options'], required: ['External Contact'] },
	{ resource: 'External Contact', operation: 'Get', fields: ['External Contact', 'Include Names', 'Options'], required: ['External Contact'] },
	{ resource: 'External Contact', operation: 'Get Many', fields: ['Return All', 'Limit', 'Filters', 'Include Names', 'Options'], required: [] },
	{
		resource: 'External Contact',
		operation: 'Update',
		updateMode: 'Replace',
		fields: ['External Contact', 'Update Mode', 'Name', 'Owner (Follower User ID)', 'Label Names or IDs', 'Additional Fields', 'Options'],
		required: ['External Contact', 'Name', 'Owner (Follower User ID)', 'Label Names or IDs'],
	},
	{
		resource: 'External Contact',
		operation: 'Update',
		updateMode: 'Merge',
		fields: ['External Contact', 'Update Mode', 'Name', 'Owner (Follower User ID)', 'Label Names or IDs', 'Additional Fields', 'Options'],
		required: ['External Contact'],
	},
	{ resource: 'Label', operation: 'Get Many', fields: ['Options'], required: [] },
];

const screenName = (screen: Screen) =>
	`${screen.resource} → ${screen.operation}${screen.updateMode ? ` (${screen.updateMode})` : ''}`;

const ACTIONS = [
	'Create an external contact',
	'Create or update an external contact',
	'Delete an external contact',
	'Get an external contact',
	'Get many external contacts',
	'Update an external contact',
	'Get many labels',
];

/**
 * Runs `body`, then deletes the credentials it created (n8n preselects the newest credential in
 * new nodes; a wrong one left behind would make the later checks' lists fail to load).
 */
async function removingNewCredentials(page: Page, url: string, body: () => Promise<void>): Promise<void> {
	const list = async () => {
		const answer = await page.request.get(`${url}/rest/credentials`, { timeout: 15_000 });
		return ((await answer.json()) as { data: Array<{ id: string }> }).data.map((credential) => credential.id);
	};
	const before = new Set(await list());
	try {
		await body();
	} finally {
		for (const id of (await list()).filter((id) => !before.has(id))) {
			await page.request.delete(`${url}/rest/credentials/${id}`, { timeout: 15_000 });
		}
	}
}

/** A new workflow with a DingTalk node added through the node creator, its panel open. */
async function newDingTalkNode(editor: Editor, action = 'Update an external contact'): Promise<void> {
	await editor.newWorkflow();
	await editor.addFirstNode('DingTalk', 'DingTalk', action);
	await editor.selectCredential(SANDBOX_CREDENTIAL);
}

async function showScreen(editor: Editor, screen: Screen): Promise<void> {
	await editor.selectOption('resource', screen.resource);
	await editor.selectOption('operation', screen.operation);
	if (screen.updateMode) await editor.selectOption('updateMode', screen.updateMode);
}

/** What reads badly in a description or option text; [] when it reads cleanly. */
export function readingProblems(text: string): string[] {
	const problems: string[] = [];
	const rules: Array<[RegExp, string]> = [
		[/(?<!\.)\.\.(?!\.)/, 'two full stops in a row'],
		[/\s[,.;:](?![\d.])/, 'a space before punctuation'],
		[/\S\s{2,}\S/, 'two spaces in a row'],
		[/\b(undefined|null|NaN)\b|\[object Object\]/, 'a programming value'],
		[/<\/?[a-z][^>]*>/i, 'an HTML tag shown as text'],
		[/^[a-z]/, 'starts with a small letter'],
		[/[([{]\s*[)\]}]/, 'empty brackets'],
	];
	for (const [pattern, problem] of rules) if (pattern.test(text)) problems.push(problem);
	if (/at least one/i.test(text) && /leave (it )?empty/i.test(text)) problems.push('asks for at least one value and allows an empty one');
	return problems;
}

export const CHECKS: Check[] = [
	{
		name: 'credential dialog: good App Key and App Secret → "Connection tested successfully"; Retry tests again',
		async run({ page, url, editor, sandbox }) {
			const problems = new Problems();
			await removingNewCredentials(page, url, async () => {
				const dialog = await editor.openNewCredential(CREDENTIAL_TYPE);
				await editor.credentialField(dialog, 'baseUrl').fill(sandbox.url);
				await editor.credentialField(dialog, 'appKey').fill(sandbox.appKey);
				await editor.credentialField(dialog, 'appSecret').fill(sandbox.appSecret);
				const before = sandbox.log.length;
				await dialog.getByTestId('credential-save-button').click();
				const first = await editor.credentialTestOutcome(dialog);
				if (!first.ok) problems.add(`Save (which tests the credential) failed: ${first.text}`);
				if (!sandbox.log.slice(before).some((entry) => entry.path === '/gettoken')) problems.add('the test did not ask the sandbox for a token');
				// the "Retry" button next to the outcome runs the test again
				const calls = sandbox.log.length;
				await dialog.getByRole('button', { name: 'Retry' }).click();
				await poll(async () => sandbox.log.length, (count) => count > calls, 15_000);
				if (sandbox.log.length === calls) problems.add('Retry sent nothing to the sandbox');
				const second = await editor.credentialTestOutcome(dialog);
				if (!second.ok) problems.add(`Retry failed: ${second.text}`);
				await editor.closeCredentialDialog(dialog);
			});
			problems.throwIfAny();
		},
	},
	{
		name: 'credential dialog: wrong App Secret → the 40089 message, and the secret appears nowhere on the page',
		async run({ page, url, editor, sandbox }) {
			const problems = new Problems();
			await removingNewCredentials(page, url, async () => {
				const secret = `Wr0ng-Secret-${Date.now().toString(36)}`;
				const leaks: string[] = [];
				const watch = async (response: Response) => {
					if (!response.url().includes('/rest/')) return;
					const body = await response.text().catch(() => '');
					if (body.includes(secret)) leaks.push(`${response.request().method()} ${new URL(response.url()).pathname}`);
				};
				page.on('response', watch);
				try {
					const dialog = await editor.openNewCredential(CREDENTIAL_TYPE);
					await editor.credentialField(dialog, 'baseUrl').fill(sandbox.url);
					await editor.credentialField(dialog, 'appKey').fill(sandbox.appKey);
					await editor.credentialField(dialog, 'appSecret').fill(secret);
					await dialog.getByTestId('credential-save-button').click();
					const outcome = await editor.credentialTestOutcome(dialog);
					if (outcome.ok) problems.add('the test succeeded with a wrong secret');
					if (!/DingTalk error 40089/.test(outcome.text)) problems.add(`no "DingTalk error 40089" in the dialog: ${JSON.stringify(outcome.text.slice(0, 300))}`);
					if (!/App Key or App Secret is wrong/.test(outcome.text)) problems.add('the message does not say that the App Key or App Secret is wrong');
					for (const where of await secretOnPage(page, secret)) problems.add(`the secret is on the page after the test: ${where}`);

					// closed and opened again from the list, as a person checks what was saved
					const name = (await dialog.getByTestId('credential-name').innerText()).trim();
					await editor.closeCredentialDialog(dialog);
					const card = page.getByTestId('resources-list-item').filter({ has: page.getByText(name, { exact: true }) }).first();
					await card.waitFor();
					await card.click();
					const reopened = page.getByTestId('editCredential-modal');
					await editor.credentialField(reopened, 'appSecret').waitFor();
					if ((await editor.credentialField(reopened, 'appSecret').inputValue()) === secret) {
						problems.add('the reopened dialog holds the secret in its App Secret field');
					}
					for (const where of await secretOnPage(page, secret, true)) problems.add(`the secret is on the page after reopening: ${where}`);
					await editor.closeCredentialDialog(reopened);
				} finally {
					page.off('response', watch);
				}
				for (const leak of leaks) problems.add(`n8n sent the secret back to the browser: ${leak}`);
			});
			problems.throwIfAny();
		},
	},
	{
		name: 'node creator: "DingTalk" lists every action',
		async run({ editor }) {
			const problems = new Problems();
			await editor.newWorkflow();
			const { description, actions } = await editor.nodeCreatorActions('DingTalk', 'DingTalk');
			for (const action of ACTIONS) if (!actions.includes(action)) problems.add(`action "${action}" missing (listed: ${actions.join(', ')})`);
			for (const problem of readingProblems(description)) problems.add(`the node's description (${JSON.stringify(description)}): ${problem}`);
			problems.throwIfAny();
		},
	},
	{
		name: 'node panel: every operation shows its fields',
		async run({ editor }) {
			const problems = new Problems();
			await newDingTalkNode(editor);
			for (const screen of SCREENS) {
				await showScreen(editor, screen);
				const labels = await editor.parameterLabels();
				problems.expectEqual(screenName(screen), labels, ['Resource', 'Operation', ...screen.fields]);
			}
			problems.throwIfAny();
		},
	},
	{
		name: 'node panel: required marks only where required (Update in Merge mode: none on Name, Owner, Labels)',
		async run({ editor }) {
			const problems = new Problems();
			await newDingTalkNode(editor);
			for (const screen of SCREENS) {
				await showScreen(editor, screen);
				// n8n marks missing required values when the panel opens, and lists them on the canvas node
				const node = await editor.reopenNode();
				const marked = await editor.parametersWithIssues();
				problems.expectEqual(`${screenName(screen)}: fields marked in the panel`, marked, screen.required);
				await editor.closeNdv();
				const listed = await editor.canvasNodeIssues(node);
				problems.expectEqual(
					`${screenName(screen)}: issues listed on the canvas node`,
					listed,
					screen.required.map((label) => `Parameter "${label}" is required.`),
				);
				await editor.openNode(node);
			}
			problems.throwIfAny();
		},
	},
	{
		name: 'node panel: descriptions read cleanly (every field, option and collection entry)',
		async run({ editor, evidence }) {
			const problems = new Problems();
			const seen = new Set<string>();
			/** `show` brings the text on screen again for a screenshot when it reads badly */
			const judge = async (where: string, text: string, show?: () => Promise<unknown>) => {
				if (seen.has(text)) return;
				seen.add(text);
				const found = readingProblems(text);
				if (found.length === 0) return;
				let shot = '';
				if (show) {
					await show();
					shot = ` (screenshot ${await evidence(where)})`;
					await editor.moveAway();
				}
				for (const problem of found) problems.add(`${where}: ${problem}: ${JSON.stringify(text)}${shot}`);
			};
			await newDingTalkNode(editor);
			for (const option of await editor.optionsOf('resource')) await judge(`Resource option "${option.name}"`, option.description || option.name);
			// a field's description is read once, unless it may differ between operations
			const hovered = new Set<string>();
			const readDescriptions = async (where: string, varying: (name: string) => boolean) => {
				for (const name of await editor.parameterNames()) {
					if (hovered.has(name) && !varying(name)) continue;
					hovered.add(name);
					const text = await editor.description(name);
					if (text) await judge(`${where}, field ${name}`, text, () => editor.description(name, true));
				}
			};
			for (const screen of SCREENS) {
				await showScreen(editor, screen);
				for (const option of await editor.optionsOf('operation')) if (option.description) await judge(`Operation option "${option.name}"`, option.description);
				if (screen.updateMode) for (const option of await editor.optionsOf('updateMode')) await judge(`Update Mode option "${option.name}"`, option.description);
				await readDescriptions(screenName(screen), (name) => name === 'contactId' || screen.updateMode === 'Merge');
			}
			// every Additional Field and every Option, added one by one, in Update (Merge)
			const merge = SCREENS.find((screen) => screen.updateMode === 'Merge')!;
			await showScreen(editor, merge);
			for (const collection of ['additionalFields', 'options']) {
				for (const entry of await editor.collectionChoices(collection)) await editor.addCollectionField(collection, entry);
			}
			await readDescriptions('Update (Merge) with every collection entry', () => false);
			problems.throwIfAny();
		},
	},
	{
		name: 'picker: labels listed as "Group / Label"',
		async run({ editor }) {
			const problems = new Problems();
			await newDingTalkNode(editor);
			const options = await editor.optionsOf('labelIds', 10);
			problems.expectEqual(
				'Label Names or IDs',
				options.map((option) => option.name),
				[
					'客户类型 / 潜在客户',
					'客户类型 / VIP',
					'客户类型 / 合作伙伴',
					'客户类型 / Partner',
					'Region / 华东',
					'Region / 华南',
					'Region / International',
					'来源 Source / 展会 Trade fair',
					'来源 Source / Website',
					'来源 Source / VIP',
				],
			);
			for (const option of options) if (!/^Label ID \d+$/.test(option.description)) problems.add(`"${option.name}" is described as ${JSON.stringify(option.description)}`);
			problems.throwIfAny();
		},
	},
	{
		name: 'picker: contact search finds by part of a name, and the pick shows in the field',
		async run({ page, editor }) {
			const problems = new Problems();
			await newDingTalkNode(editor);
			const searches: Array<[string, string[]]> = [
				['Smi', ['John Smith (Acme Corp)']],
				['小明', ['王小明 (阿里巴巴)']],
				['garc', ['María García (Globex)']],
			];
			for (const [search, expected] of searches) {
				const found = await editor.searchList('contactId', search, (entries) => JSON.stringify(entries.map((e) => e.trim())) === JSON.stringify(expected));
				problems.expectEqual(`search "${search}"`, found, expected);
				await editor.closeList();
			}
			await editor.searchList('contactId', 'Smith', (entries) => entries.length === 1);
			await page.getByTestId('rlc-item').filter({ visible: true }).first().click();
			const shown = await editor.parameterInput('contactId').getByTestId('rlc-input').inputValue();
			if (!shown.includes('John Smith')) problems.add(`after picking John Smith the field shows ${JSON.stringify(shown)}`);
			problems.throwIfAny();
		},
	},
	{
		name: 'picker: Owner (employee search) tells two employees named 李四 apart',
		async run({ editor, evidence }) {
			const problems = new Problems();
			await newDingTalkNode(editor);
			const found = await editor.searchList('followerUserId', '李四', (entries) => entries.length >= 2);
			if (found.length !== 2) problems.add(`search "李四" lists ${found.length} entries: ${JSON.stringify(found)}`);
			else if (found[0] === found[1]) {
				problems.add(
					`the two employees named 李四 (lisi01 in 销售部, lisi.market in 市场部) are listed alike: ${JSON.stringify(found)}; neither department nor user ID is shown (screenshot ${await evidence('owner list')})`,
				);
			}
			await editor.closeList();
			problems.throwIfAny();
		},
	},
	{
		name: 'picker: Share With Users tells two employees named 李四 apart',
		async run({ editor }) {
			const problems = new Problems();
			await newDingTalkNode(editor);
			await editor.addCollectionField('additionalFields', 'Share With User Names or IDs');
			const options = await editor.optionsOf('shareUserIds', 13);
			const lisi = options.filter((option) => option.name === '李四');
			if (lisi.length !== 2) problems.add(`"李四" listed ${lisi.length} times: ${JSON.stringify(options)}`);
			else if (`${lisi[0].name} ${lisi[0].description}` === `${lisi[1].name} ${lisi[1].description}`) {
				problems.add(`the two employees named 李四 are listed alike: ${JSON.stringify(lisi)}`);
			}
			problems.throwIfAny();
		},
	},
	{
		name: 'picker: departments listed by their path',
		async run({ editor }) {
			const problems = new Problems();
			await newDingTalkNode(editor);
			await editor.addCollectionField('additionalFields', 'Share With Department Names or IDs');
			const options = await editor.optionsOf('shareDeptIds', 10);
			problems.expectEqual(
				'Share With Department Names or IDs',
				options.map((option) => option.name).sort(),
				[
					'Whole organisation',
					'市场部',
					'研发部',
					'研发部 / 前端组',
					'销售部',
					'销售部 / International Sales',
					'销售部 / 华东销售',
					'销售部 / 华南销售',
					'销售部 / East',
					'市场部 / East',
				].sort(),
			);
			problems.throwIfAny();
		},
	},
	{
		name: 'example workflow: "Execute workflow" in the editor, the output panel shows errcode 0 per row',
		async run({ page, editor }) {
			const problems = new Problems();
			await editor.openWorkflow(EXAMPLE_WORKFLOW);
			await page.getByTestId('execute-workflow-button').click();
			const node = editor.canvasNode(EXAMPLE_NODE);
			await node.getByTestId('canvas-node-status-success').waitFor({ timeout: 60_000 });
			await editor.openNode(EXAMPLE_NODE);
			// the example sends failed rows to the node's error output: the panel then counts per branch
			const panel = await page.getByTestId('output-panel').innerText();
			const count = /Success Branch \((\d+) items?\)/.exec(panel)?.[0] ?? panel.split('\n').slice(0, 3).join(' ');
			if (!/\b3 items\b/.test(count)) problems.add(`the output panel says ${JSON.stringify(count)}, not "Success Branch (3 items)"`);
			const { columns, rows } = await editor.outputTable();
			const errcode = columns.indexOf('errcode');
			const action = columns.indexOf('action');
			if (errcode === -1) problems.add(`no errcode column in the output table (columns: ${columns.join(', ')})`);
			problems.expectEqual('rows in the output table', rows.length, 3);
			rows.forEach((row, index) => {
				if (errcode !== -1 && row[errcode] !== '0') problems.add(`row ${index + 1}: errcode ${JSON.stringify(row[errcode])}`);
				if (action !== -1 && !['created', 'updated'].includes(row[action])) problems.add(`row ${index + 1}: action ${JSON.stringify(row[action])}`);
			});
			problems.throwIfAny();
		},
	},
	{
		name: 'example workflow: after a run, the DingTalk node panel shows no issue marks',
		async run({ page, editor, evidence }) {
			const problems = new Problems();
			await editor.openWorkflow(EXAMPLE_WORKFLOW);
			// the mapped expressions are checked once the previous node has data to resolve them with
			await page.getByTestId('execute-workflow-button').click();
			await editor.canvasNode(EXAMPLE_NODE).getByTestId('canvas-node-status-success').waitFor({ timeout: 60_000 });
			await editor.openNode(EXAMPLE_NODE);
			const marked = await poll(() => editor.parametersWithIssues(), (list) => list.length > 0, 3_000);
			for (const label of marked) {
				const text = (await editor.issueText(label, true)).replace(/\s+/g, ' ');
				problems.add(`"${label}" is marked: ${text} (screenshot ${await evidence(`${label} issue`)})`);
				await editor.moveAway();
			}
			problems.throwIfAny();
		},
	},
	{
		name: 'trigger: "Fetch test event" shows sample items',
		async skip({ page, url }) {
			const answer = await page.request.get(`${url}/types/nodes.json`);
			const types = (await answer.json()) as Array<{ name: string }>;
			return types.some((type) => type.name === 'n8n-nodes-dingtalk-contacts.dingTalkTrigger')
				? undefined
				: 'the package has no dingTalkTrigger node yet';
		},
		async run({ page, editor, evidence }) {
			const problems = new Problems();
			await editor.newWorkflow();
			await page.getByTestId('canvas-plus-button').click();
			await page.getByTestId('node-creator-search-bar').fill('DingTalk');
			await page.getByTestId('node-creator-item-name').getByText('DingTalk', { exact: true }).first().click();
			// under "Triggers", n8n lists the trigger's events as "On …" (or its generic suggestions when there is none)
			const trigger = page
				.getByTestId('node-creator-item-name')
				.filter({ visible: true })
				.filter({ hasText: /^(On|When) / })
				.filter({ hasNotText: /^On a (Schedule|Webhook call)$/ })
				.first();
			await trigger.click();
			await editor.ndv().waitFor();
			await editor.selectCredential(SANDBOX_CREDENTIAL).catch(() => undefined);
			const button = page.getByTestId('node-execute-button').first();
			const label = (await button.innerText()).trim();
			if (!/fetch test event/i.test(label)) problems.add(`the panel's button says ${JSON.stringify(label)}, not "Fetch Test Event"`);
			await button.click();
			const output = page.getByTestId('output-panel');
			const count = await poll(
				async () => ((await output.isVisible()) ? await output.innerText() : ''),
				(text) => /\d+ items?/.test(text),
				60_000,
			);
			const items = Number(/(\d+) items?/.exec(count)?.[1] ?? 0);
			if (items < 1) problems.add(`no sample items in the output panel: ${JSON.stringify(count.slice(0, 300))} (screenshot ${await evidence('output')})`);
			problems.throwIfAny();
		},
	},
];

/**
 * Where `secret` occurs on the page: text, attributes, field values, browser storage. The App
 * Secret field may hold what the person just typed (`allowTypedField`: false once reopened).
 */
export async function secretOnPage(page: Page, secret: string, reopened = false): Promise<string[]> {
	return await page.evaluate(
		({ secret, reopened }) => {
			// runs in the browser; the project compiles without DOM types, hence `any`
			// eslint-disable-next-line @typescript-eslint/no-explicit-any
			const browser = globalThis as any;
			const hits: string[] = [];
			// eslint-disable-next-line @typescript-eslint/no-explicit-any
			const describe = (element: any) =>
				`<${String(element?.tagName).toLowerCase()}${element?.getAttribute('data-test-id') ? ` data-test-id="${element.getAttribute('data-test-id')}"` : ''}>`;
			const { document, NodeFilter, Node, HTMLInputElement, HTMLTextAreaElement } = browser;
			const walker = document.createTreeWalker(document.documentElement, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
			for (let node = walker.currentNode; node; node = walker.nextNode()) {
				if (node.nodeType === Node.TEXT_NODE) {
					if (String(node.textContent).includes(secret)) hits.push(`text in ${describe(node.parentElement)}`);
					continue;
				}
				const typedSecret = !reopened && node instanceof HTMLInputElement && node.type === 'password';
				for (const attribute of Array.from(node.attributes as ArrayLike<{ name: string; value: string }>)) {
					if (attribute.value.includes(secret) && !(typedSecret && attribute.name === 'value')) {
						hits.push(`attribute ${attribute.name} of ${describe(node)}`);
					}
				}
				if ((node instanceof HTMLInputElement || node instanceof HTMLTextAreaElement) && !typedSecret && String(node.value).includes(secret)) {
					hits.push(`value of ${describe(node)}`);
				}
			}
			for (const name of ['localStorage', 'sessionStorage']) {
				const storage = browser[name];
				for (let index = 0; index < storage.length; index++) {
					const key = storage.key(index);
					if (String(storage.getItem(key) ?? '').includes(secret)) hits.push(`${name}["${key}"]`);
				}
			}
			return hits;
		},
		{ secret, reopened },
	);
}
