/**
 * What a person does in n8n's editor, as playwright-core calls. Selectors use what the user sees
 * (labels, option texts) and n8n's own `data-test-id` attributes, never this package's internals.
 * Checked against n8n 2.41.1.
 */
import type { Locator, Page } from 'playwright-core';
import { selectors } from 'playwright-core';

// n8n marks its elements with data-test-id (not playwright's default data-testid)
selectors.setTestIdAttribute('data-test-id');

/** Polls `read` until `accept` says yes (bounded); returns the last value read, accepted or not. */
export async function poll<T>(
	read: () => Promise<T>,
	accept: (value: T) => boolean,
	timeoutMs = 15_000,
	intervalMs = 250,
): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	let value = await read();
	while (!accept(value) && Date.now() < deadline) {
		await new Promise((resolve) => setTimeout(resolve, intervalMs));
		value = await read();
	}
	return value;
}

const firstLine = (text: string) => text.split('\n')[0].trim();

export class Editor {
	constructor(
		readonly page: Page,
		readonly url: string,
	) {}

	// ---------- credentials ----------

	/** Credentials tab → Create credential → pick the type → Continue: the credential dialog. */
	async openNewCredential(typeName: string): Promise<Locator> {
		await this.page.goto(`${this.url}/home/credentials`);
		await this.page.getByTestId('add-resource-credential').click();
		await this.page.getByTestId('new-credential-type-select').click();
		await this.page.keyboard.type(typeName);
		await this.page.getByTestId('new-credential-type-select-option').filter({ hasText: typeName }).first().click();
		await this.page.getByTestId('new-credential-type-button').click();
		const dialog = this.page.getByTestId('editCredential-modal');
		await dialog.getByTestId('credential-save-button').waitFor();
		return dialog;
	}

	credentialField(dialog: Locator, name: string): Locator {
		return dialog.getByTestId(`parameter-input-${name}`).locator('input');
	}

	/** Waits for the dialog's connection test to end: 'success' or the error text shown. */
	async credentialTestOutcome(dialog: Locator, timeoutMs = 30_000): Promise<{ ok: boolean; text: string }> {
		const success = dialog.getByTestId('credentials-config-container-test-success');
		const failure = dialog.getByText('Couldn’t connect with these settings');
		const outcome = await poll(
			async () => ((await success.isVisible()) ? 'success' : (await failure.isVisible()) ? 'failure' : 'pending'),
			(state) => state !== 'pending',
			timeoutMs,
		);
		if (outcome === 'pending') throw new Error(`the credential test showed no outcome within ${timeoutMs / 1000} s`);
		if (outcome === 'success') return { ok: true, text: firstLine(await success.innerText()) };
		const details = dialog.getByText('More details');
		if (await details.isVisible()) await details.click();
		const container = dialog.getByTestId('node-credentials-config-container');
		const text = await poll(
			async () => await container.innerText(),
			(value) => /DingTalk error|Could not|did not/.test(value),
			5_000,
		);
		return { ok: false, text };
	}

	async closeCredentialDialog(dialog: Locator): Promise<void> {
		await dialog.locator('.el-dialog__headerbtn, button[aria-label="Close"]').first().click();
		await dialog.waitFor({ state: 'hidden' });
	}

	// ---------- workflows, canvas and node panel ----------

	async newWorkflow(): Promise<void> {
		await this.page.goto(`${this.url}/workflow/new`);
		await this.page.getByTestId('canvas-plus-button').waitFor();
	}

	async openWorkflow(id: string): Promise<void> {
		await this.page.goto(`${this.url}/workflow/${id}`);
		await this.page.getByTestId('canvas-node').first().waitFor();
	}

	/**
	 * "Add first step" → search → the node → one of its actions, as a person adds a node. n8n puts
	 * a manual trigger before it and opens the node panel.
	 */
	async addFirstNode(search: string, nodeName: string, action: string): Promise<void> {
		await this.page.getByTestId('canvas-plus-button').click();
		await this.page.getByTestId('node-creator-search-bar').fill(search);
		await this.page.getByTestId('node-creator-item-name').getByText(nodeName, { exact: true }).click();
		await this.openActionsSection();
		await this.page.getByTestId('node-creator-item-name').getByText(action, { exact: true }).click();
		await this.ndv().waitFor();
	}

	/** The actions the node creator lists for `nodeName` (without adding anything). */
	async nodeCreatorActions(search: string, nodeName: string): Promise<{ description: string; actions: string[] }> {
		await this.page.getByTestId('canvas-plus-button').click();
		await this.page.getByTestId('node-creator-search-bar').fill(search);
		const item = this.page
			.locator('[data-test-id="node-creator-node-item"], [data-test-id="node-creator-action-item"]')
			.filter({ has: this.page.getByTestId('node-creator-item-name').getByText(nodeName, { exact: true }) })
			.first();
		const description = await item.getByTestId('node-creator-item-description').innerText();
		await this.page.getByTestId('node-creator-item-name').getByText(nodeName, { exact: true }).click();
		await this.openActionsSection();
		const actions = await this.page.getByTestId('node-creator-item-name').filter({ visible: true }).allInnerTexts();
		await this.page.keyboard.press('Escape');
		return { description, actions };
	}

	/** n8n shows a node's actions folded under "Actions (N)" when the node also has a trigger. */
	private async openActionsSection(): Promise<void> {
		const actionItems = this.page
			.getByTestId('node-creator-item-name')
			.filter({ visible: true })
			.filter({ hasText: /^(Create|Delete|Get|Update) / });
		const shown = await poll(async () => await actionItems.count(), (count) => count > 0, 2_000);
		if (shown === 0) await this.page.getByText(/^Actions \(\d+\)$/).filter({ visible: true }).first().click();
		await actionItems.first().waitFor();
	}

	ndv(): Locator {
		return this.page.getByTestId('ndv');
	}

	canvasNode(title: string): Locator {
		return this.page.getByTestId('canvas-node').filter({ hasText: title });
	}

	async openNode(title: string): Promise<void> {
		await this.canvasNode(title).dblclick();
		await this.ndv().waitFor();
		await this.page.getByTestId('node-parameters').waitFor();
	}

	async closeNdv(): Promise<void> {
		await this.page.getByTestId('ndv-close-button').click();
		await this.ndv().waitFor({ state: 'hidden' });
	}

	/** The open panel's node name (n8n renames a node named after its action when the operation changes). */
	async nodeTitle(): Promise<string> {
		return (await this.ndv().getByTestId('node-title-container').getByTestId('inline-edit-preview').innerText()).trim();
	}

	/** Closes and reopens the node panel: n8n marks missing required values when a panel opens. Returns the node's name. */
	async reopenNode(): Promise<string> {
		const title = await this.nodeTitle();
		await this.closeNdv();
		await this.openNode(title);
		return title;
	}

	private parameters(): Locator {
		return this.page.getByTestId('node-parameters');
	}

	parameterInput(name: string): Locator {
		return this.parameters().getByTestId(`parameter-input-${name}`);
	}

	/** Picks `option` (the text the user reads) in the options parameter `name`. */
	async selectOption(name: string, option: string): Promise<void> {
		await this.parameterInput(name).click();
		await this.visibleOptions().filter({ has: this.page.getByText(option, { exact: true }) }).first().click();
		await this.visibleOptions().first().waitFor({ state: 'hidden' }).catch(() => undefined);
	}

	async selectCredential(name: string): Promise<void> {
		await this.page.getByTestId('node-credentials-select').click();
		await this.visibleOptions().filter({ hasText: name }).first().click();
	}

	visibleOptions(): Locator {
		return this.page.getByRole('option').filter({ visible: true });
	}

	/** The open dropdown's options, each as headline and description. */
	async openOptions(): Promise<Array<{ name: string; description: string }>> {
		const texts = await this.visibleOptions().allInnerTexts();
		return texts.map((text) => {
			const [name, ...rest] = text.split('\n').map((line) => line.trim()).filter(Boolean);
			return { name: name ?? '', description: rest.join(' ') };
		});
	}

	/**
	 * Opens the options list of `name` and waits until it has at least `min` entries (they load from
	 * DingTalk; a click while they load opens nothing, so it clicks again).
	 */
	async optionsOf(name: string, min = 1, timeoutMs = 20_000): Promise<Array<{ name: string; description: string }>> {
		const options = await this.openList(name, min, timeoutMs);
		await this.closeDropdown();
		return options;
	}

	/** Opens the options list of `name` (see optionsOf) and leaves it open. */
	async openList(name: string, min = 1, timeoutMs = 20_000): Promise<Array<{ name: string; description: string }>> {
		const deadline = Date.now() + timeoutMs;
		let options: Array<{ name: string; description: string }> = [];
		while (Date.now() < deadline) {
			if ((await this.visibleOptions().count()) === 0) await this.parameterInput(name).click();
			options = await poll(() => this.openOptions(), (list) => list.length >= min, Math.min(2_000, deadline - Date.now()));
			if (options.length >= min) break;
		}
		return options;
	}

	/** Escape closes an open list; with none open it would close the node panel, so only then. */
	async closeDropdown(): Promise<void> {
		if ((await this.visibleOptions().count()) > 0) await this.page.keyboard.press('Escape');
		await poll(async () => await this.visibleOptions().count(), (count) => count === 0, 2_000);
	}

	/** The labels of the parameters shown, top to bottom (without the credential). */
	async parameterLabels(): Promise<string[]> {
		const labels = await this.parameters().locator('label[for]').filter({ visible: true }).allInnerTexts();
		return labels.map(firstLine);
	}

	/** Internal names of the visible parameters (the `for` of their labels), for hovering them. */
	async parameterNames(): Promise<string[]> {
		return await this.parameters()
			.locator('label[for]')
			.filter({ visible: true })
			.evaluateAll((labels) => labels.map((label) => label.getAttribute('for') ?? ''));
	}

	/** The labels of the parameters n8n marks with an issue (a required value missing, a value it rejects). */
	async parametersWithIssues(): Promise<string[]> {
		return await this.parameters()
			.getByTestId('parameter-issues')
			.filter({ visible: true })
			.evaluateAll((marks) =>
				marks.map((mark) => {
					const label = mark.closest('[data-test-id="parameter-item"]')?.querySelector('label');
					return (label?.textContent ?? '?').replace(/\s*Fixed\s*Expression\s*$/, '').trim();
				}),
			);
	}

	/** What the issue mark of parameter `label` says when hovered; `keepOpen` leaves it shown (for a screenshot). */
	async issueText(label: string, keepOpen = false): Promise<string> {
		const item = this.parameters()
			.getByTestId('parameter-item')
			.filter({ has: this.page.locator('label', { hasText: label }) })
			.last();
		await item.getByTestId('parameter-issues').hover();
		const text = await poll(() => this.visibleTooltips(), (tips) => tips.some((tip) => /Issues/.test(tip)), 5_000);
		if (!keepOpen) await this.moveAway();
		return text.find((tip) => /Issues/.test(tip)) ?? '';
	}

	private async visibleTooltips(): Promise<string[]> {
		return (await this.page.locator('[data-side]').filter({ visible: true }).allInnerTexts()).filter((text) => text.trim());
	}

	/** Moves the mouse off everything, and waits for tooltips to close. */
	async moveAway(): Promise<void> {
		await this.page.mouse.move(0, 0);
		await poll(() => this.visibleTooltips(), (list) => list.length === 0, 2_000);
	}

	/**
	 * The description of parameter `name`, as its label's info icon shows it on hover ('' when it
	 * has none); `keepOpen` leaves it shown (for a screenshot).
	 */
	async description(name: string, keepOpen = false): Promise<string> {
		const label = this.parameters().locator(`label[for="${name}"]`).first();
		await label.scrollIntoViewIfNeeded();
		await label.hover();
		const icon = label.locator('[data-state]').first();
		if ((await icon.count()) === 0) return '';
		await icon.hover();
		const tips = await poll(() => this.visibleTooltips(), (list) => list.length > 0, 3_000);
		if (!keepOpen) await this.moveAway();
		return tips.join('\n');
	}

	/** Adds `field` through a collection's "Add Field"/"Add Option" list. */
	async addCollectionField(collection: string, field: string): Promise<void> {
		const item = this.parameters().getByTestId('parameter-item').filter({ has: this.page.locator(`label[for="${collection}"]`) });
		await item.getByTestId('collection-parameter-add').last().click();
		await this.visibleOptions().filter({ has: this.page.getByText(field, { exact: true }) }).first().click();
		await this.parameters().locator('label', { hasText: field }).first().waitFor();
	}

	/** The entries a collection offers in its add list. */
	async collectionChoices(collection: string): Promise<string[]> {
		const item = this.parameters().getByTestId('parameter-item').filter({ has: this.page.locator(`label[for="${collection}"]`) });
		await item.getByTestId('collection-parameter-add').last().click();
		const choices = await poll(async () => (await this.openOptions()).map((option) => option.name), (list) => list.length > 0, 5_000);
		await this.closeDropdown();
		return choices;
	}

	/** Types `search` into a resource locator's list and returns the entries shown once they settle. */
	async searchList(name: string, search: string, accept: (entries: string[]) => boolean, timeoutMs = 20_000): Promise<string[]> {
		const locator = this.parameters().getByTestId(`resource-locator-${name}`);
		await locator.getByTestId('rlc-input').click();
		await this.page.getByTestId('rlc-search').fill(search);
		const entries = await poll(
			async () => await this.page.getByTestId('rlc-item').filter({ visible: true }).allInnerTexts(),
			accept,
			timeoutMs,
		);
		return entries.map((entry) => entry.trim());
	}

	async closeList(): Promise<void> {
		if (await this.page.getByTestId('rlc-search').isVisible()) await this.page.keyboard.press('Escape');
		await this.page.getByTestId('rlc-search').waitFor({ state: 'hidden', timeout: 2_000 }).catch(() => undefined);
	}

	/** The issues n8n lists on the canvas node when its warning mark is hovered ([] without a mark). */
	async canvasNodeIssues(title: string): Promise<string[]> {
		const mark = this.canvasNode(title).getByTestId('node-issues');
		if (!(await mark.isVisible())) return [];
		await mark.hover();
		const tips = await poll(() => this.visibleTooltips(), (list) => list.some((tip) => /Issues/.test(tip)), 5_000);
		await this.moveAway();
		const text = tips.find((tip) => /Issues/.test(tip)) ?? '';
		return text
			.split('\n')
			.map((line) => line.trim())
			.filter((line) => line && line !== 'Issues');
	}

	/** The output panel's table: column names and rows of cell texts. */
	async outputTable(): Promise<{ columns: string[]; rows: string[][] }> {
		const panel = this.page.getByTestId('output-panel');
		const table = panel.getByTestId('ndv-data-container').locator('table').first();
		await table.waitFor();
		const columns = (await table.locator('thead th').allInnerTexts()).map((text) => text.trim());
		const rows = await table
			.locator('tbody tr')
			.evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td') as ArrayLike<{ textContent: string | null }>).map((td) => (td.textContent ?? '').trim())));
		return { columns, rows };
	}
}
