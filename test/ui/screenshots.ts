/**
 * `npm run screenshots`: the README's pictures, taken in the same setup as the browser checks and
 * written to docs/images/ (not part of the npm package: `files` in package.json lists dist/ only).
 */
import fs from 'fs';
import path from 'path';
import type { Locator, Page } from 'playwright-core';

import { ROOT } from '../../scripts/n8n';
import { Editor } from './editor';
import type { Environment } from './setup';

export const IMAGES = path.join(ROOT, 'docs', 'images');

/** The rectangle around `parts` (bounding boxes), `margin` pixels wider on each side, within the page. */
async function around(
	page: Page,
	parts: Locator[],
	margin = 12,
	extraBelow = 0,
): Promise<{ x: number; y: number; width: number; height: number }> {
	const boxes = [];
	for (const part of parts) {
		for (const element of await part.all()) {
			const box = await element.boundingBox();
			if (box) boxes.push(box);
		}
	}
	if (boxes.length === 0) throw new Error('nothing to take a picture of');
	const viewport = page.viewportSize()!;
	const left = Math.max(0, Math.min(...boxes.map((box) => box.x)) - margin);
	const top = Math.max(0, Math.min(...boxes.map((box) => box.y)) - margin);
	const right = Math.min(viewport.width, Math.max(...boxes.map((box) => box.x + box.width)) + margin);
	const bottom = Math.min(viewport.height, Math.max(...boxes.map((box) => box.y + box.height)) + margin + extraBelow);
	return { x: left, y: top, width: right - left, height: bottom - top };
}

async function save(
	page: Page,
	file: string,
	log: (line: string) => void,
	clip?: { x: number; y: number; width: number; height: number },
): Promise<void> {
	const full = path.join(IMAGES, file);
	await page.screenshot({ path: full, clip, animations: 'disabled', caret: 'hide', timeout: 20_000 });
	log(`  wrote ${path.relative(ROOT, full)} (${Math.round(fs.statSync(full).size / 1024)} KB)`);
}

/** Closes n8n's notifications ("Credential saved", "Workflow executed successfully"). */
async function dismissToasts(page: Page): Promise<void> {
	for (const close of await page.locator('.el-notification__closeBtn').filter({ visible: true }).all()) await close.click().catch(() => undefined);
	await page.locator('.el-notification').filter({ visible: true }).first().waitFor({ state: 'hidden', timeout: 5_000 }).catch(() => undefined);
}

/** The node panel's middle column (parameters), full height. */
async function parametersColumn(editor: Editor): Promise<{ x: number; y: number; width: number; height: number }> {
	const ndv = (await editor.ndv().boundingBox())!;
	const column = await around(editor.page, [editor.page.getByTestId('tab-params'), editor.page.getByTestId('node-execute-button'), editor.page.getByTestId('node-parameters')], 16);
	return { x: column.x, y: ndv.y, width: column.width, height: ndv.height };
}

/** Returns the number of pictures that could not be taken. */
export async function takeScreenshots(env: Environment, log: (line: string) => void): Promise<number> {
	fs.mkdirSync(IMAGES, { recursive: true });
	const sandbox = env.setup.sandbox!;
	const shots: Array<[string, (page: Page, editor: Editor) => Promise<void>]> = [
		[
			'credential dialog',
			async (page, editor) => {
				const dialog = await editor.openNewCredential('DingTalk API');
				await editor.credentialField(dialog, 'baseUrl').fill(sandbox.url);
				await editor.credentialField(dialog, 'appKey').fill(sandbox.appKey);
				await editor.credentialField(dialog, 'appSecret').fill(sandbox.appSecret);
				await dialog.getByTestId('credential-save-button').click();
				const outcome = await editor.credentialTestOutcome(dialog);
				if (!outcome.ok) throw new Error(`the credential test failed: ${outcome.text}`);
				await page.mouse.move(0, 0);
				await dismissToasts(page);
				await save(page, 'credential-dialog.png', log, await around(page, [dialog.getByTestId('credential-edit-dialog'), dialog.getByTestId('credential-name'), dialog.getByTestId('credential-save-button')], 24));
			},
		],
		[
			'node panel',
			async (page, editor) => {
				await editor.newWorkflow();
				await editor.addFirstNode('DingTalk', 'DingTalk', 'Update an external contact');
				await editor.selectCredential('DingTalk sandbox');
				await editor.searchList('contactId', '王小明', (entries) => entries.length === 1);
				await page.getByTestId('rlc-item').filter({ visible: true }).first().click();
				await editor.parameterInput('name').locator('input, textarea').first().fill('王小明');
				await editor.searchList('followerUserId', '张三', (entries) => entries.length === 1);
				await page.getByTestId('rlc-item').filter({ visible: true }).first().click();
				await editor.openList('labelIds', 8);
				for (const label of ['客户类型 / VIP', 'Region / 华东']) {
					await editor.visibleOptions().filter({ has: page.getByText(label, { exact: true }) }).first().click();
				}
				await save(page, 'label-picker.png', log, await parametersColumn(editor));
				await editor.closeDropdown();
				await editor.addCollectionField('additionalFields', 'Company Name');
				await editor.parameterInput('companyName').locator('input, textarea').first().fill('阿里巴巴');
				await page.mouse.move(0, 0);
				await page.getByTestId('node-parameters').click({ position: { x: 5, y: 5 } });
				await page.waitForTimeout(500);
				await save(page, 'node-panel.png', log, await parametersColumn(editor));
			},
		],
		[
			'run output',
			async (page, editor) => {
				// wide enough for the whole output table
				await page.setViewportSize({ width: 1800, height: 900 });
				await editor.openWorkflow('dtExampleCsv01');
				await page.getByTestId('execute-workflow-button').click();
				await editor.canvasNode('Create or update in DingTalk').getByTestId('canvas-node-status-success').waitFor({ timeout: 60_000 });
				await page.mouse.move(0, 0);
				await dismissToasts(page);
				await save(page, 'workflow-run.png', log, await around(page, [page.getByTestId('canvas-node'), page.getByTestId('canvas-handle-plus')], 60, 30));
				await editor.openNode('Create or update in DingTalk');
				await editor.outputTable();
				await page.mouse.move(0, 0);
				await save(page, 'run-output.png', log, await around(page, [editor.ndv()], 0));
			},
		],
	];
	let failures = 0;
	for (const [name, take] of shots) {
		const page = await env.context.newPage();
		try {
			await take(page, new Editor(page, env.url));
		} catch (error) {
			failures++;
			log(`  ✗ ${name}: ${(error as Error).message.split('\n')[0]}`);
		} finally {
			await page.close();
		}
	}
	return failures;
}
