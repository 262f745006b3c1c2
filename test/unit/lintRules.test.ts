/**
 * `npm run lint` checks the node and credential code with the rule set of `n8n-node lint`
 * (@n8n/node-cli's eslint config, which n8n recommends for community packages), built here from the
 * same plugins in @n8n/node-cli 0.48's order: ESLint's and TypeScript's recommended rules,
 * @n8n/eslint-plugin-community-nodes' recommended config, no-console, and eslint-plugin-n8n-nodes-base's
 * rules with the ones @n8n/node-cli turns off. The community plugin is an ES module that jest cannot
 * load, so the configs are read in a child Node process.
 */
import { execFileSync } from 'child_process';
import path from 'path';

const ROOT = path.resolve(__dirname, '../..');

/** Prints, per file, the rules n8n-node lint would apply next to the ones eslint.config.js applies. */
const COMPARE = `
const { ESLint } = require('eslint');
const js = require('@eslint/js');
const tsPlugin = require('@typescript-eslint/eslint-plugin');
const n8nNodesBase = require('eslint-plugin-n8n-nodes-base');
const communityNodes = require('@n8n/eslint-plugin-community-nodes').configs.recommended;
const nodeCli = (extra) => ({
	...js.configs.recommended.rules,
	...tsPlugin.configs['eslint-recommended'].overrides[0].rules,
	...tsPlugin.configs.recommended.rules,
	...communityNodes.rules,
	'prefer-spread': 'off',
	'no-console': 'error',
	...extra,
});
const expected = {
	'nodes/DingTalk/DingTalk.node.ts': nodeCli({
		...n8nNodesBase.configs.nodes.rules,
		'n8n-nodes-base/node-class-description-inputs-wrong-regular-node': 'off',
		'n8n-nodes-base/node-class-description-outputs-wrong': 'off',
		'n8n-nodes-base/node-param-type-options-max-value-present': 'off',
	}),
	'credentials/DingTalkApi.credentials.ts': nodeCli({
		...n8nNodesBase.configs.credentials.rules,
		'n8n-nodes-base/cred-class-field-documentation-url-miscased': 'off',
		'n8n-nodes-base/cred-class-field-type-options-password-missing': 'off',
	}),
	'package.json': { ...communityNodes.rules, ...n8nNodesBase.configs.community.rules },
};
(async () => {
	const eslint = new ESLint({ cwd: process.cwd() });
	const result = {};
	for (const [file, rules] of Object.entries(expected)) {
		const config = await eslint.calculateConfigForFile(file);
		result[file] = { expected: rules, actual: config.rules };
	}
	process.stdout.write(JSON.stringify(result));
})();
`;

type RuleEntry = string | number | [string | number, ...unknown[]];
type Rules = Record<string, RuleEntry>;

const LEVELS: Record<string, number> = { off: 0, warn: 1, error: 2 };
const level = (entry: RuleEntry | undefined) => {
	const given = Array.isArray(entry) ? entry[0] : (entry ?? 'off');
	return typeof given === 'number' ? given : LEVELS[given];
};

describe("npm run lint uses n8n-node lint's rule set", () => {
	const compared = JSON.parse(execFileSync(process.execPath, ['-e', COMPARE], { cwd: ROOT, encoding: 'utf8' })) as Record<
		string,
		{ expected: Rules; actual: Rules }
	>;

	it.each(Object.keys(compared))('%s', (file) => {
		const { expected, actual } = compared[file];
		expect(Object.keys(expected).length).toBeGreaterThan(50);
		const differing = Object.entries(expected)
			.filter(([rule, entry]) => level(actual[rule]) !== level(entry))
			.map(([rule, entry]) => `${rule}: ${level(actual[rule])} instead of ${level(entry)}`);
		expect(differing).toEqual([]);
	});
});
