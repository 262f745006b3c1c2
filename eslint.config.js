// Lint as n8n's community package verification does. The node and credential code gets the rule set
// of `n8n-node lint` (@n8n/node-cli's eslint config): ESLint's and TypeScript's recommended rules,
// @n8n/eslint-plugin-community-nodes' recommended config, no console, and eslint-plugin-n8n-nodes-base's
// community, credentials and nodes rules with the same ones turned off. Tests and scripts run under
// Node, so they get TypeScript's recommended rules only. test/unit/lintRules.test.ts checks the match.
const js = require('@eslint/js');
const tsParser = require('@typescript-eslint/parser');
const tsPlugin = require('@typescript-eslint/eslint-plugin');
const jsoncParser = require('jsonc-eslint-parser');
const n8nNodesBase = require('eslint-plugin-n8n-nodes-base');
const { n8nCommunityNodesPlugin } = require('@n8n/eslint-plugin-community-nodes');
const communityNodes = require('@n8n/eslint-plugin-community-nodes').configs.recommended;

module.exports = [
	{ ignores: ['dist/**', 'node_modules/**', 'examples/**', '.cache/**', 'docs/**', '*.js', 'test/ui/artifacts/**'] },
	{
		// tests, benchmarks and scripts: TypeScript's recommended rules; they run under Node, so the
		// community-node rules (no process, no setTimeout, NodeApiError …) do not apply to them
		files: ['test/**/*.ts', 'scripts/**/*.ts'],
		languageOptions: { parser: tsParser, parserOptions: { sourceType: 'module' } },
		plugins: { '@typescript-eslint': tsPlugin },
		rules: {
			...tsPlugin.configs['eslint-recommended'].overrides[0].rules,
			...tsPlugin.configs.recommended.rules,
			// unused arguments named with a leading underscore say "required by the signature"
			'@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
		},
	},
	{
		files: ['package.json'],
		languageOptions: { parser: jsoncParser },
		plugins: { 'n8n-nodes-base': n8nNodesBase },
		rules: { ...n8nNodesBase.configs.community.rules },
	},
	{
		files: ['credentials/**/*.ts'],
		languageOptions: { parser: tsParser, parserOptions: { sourceType: 'module' } },
		plugins: { 'n8n-nodes-base': n8nNodesBase },
		rules: {
			...n8nNodesBase.configs.credentials.rules,
			// current n8n (@n8n/community-nodes credential-documentation-url) wants a full URL here
			'n8n-nodes-base/cred-class-field-documentation-url-miscased': 'off',
			// the App Key is an identifier, not a secret: current n8n (credential-unnecessary-password)
			// asks not to mask it, while the older rule masks every field named "key"
			'n8n-nodes-base/cred-class-field-type-options-password-missing': 'off',
		},
	},
	{
		files: ['nodes/**/*.ts'],
		languageOptions: { parser: tsParser, parserOptions: { sourceType: 'module' } },
		plugins: { 'n8n-nodes-base': n8nNodesBase },
		rules: {
			...n8nNodesBase.configs.nodes.rules,
			// current n8n (@n8n/community-nodes node-connection-type-literal) wants NodeConnectionTypes.Main
			'n8n-nodes-base/node-class-description-inputs-wrong-regular-node': 'off',
			'n8n-nodes-base/node-class-description-outputs-wrong': 'off',
			'n8n-nodes-base/node-param-type-options-max-value-present': 'off',
		},
	},
	{
		files: ['credentials/**/*.ts', 'nodes/**/*.ts'],
		languageOptions: { parser: tsParser, parserOptions: { sourceType: 'module' } },
		plugins: { '@typescript-eslint': tsPlugin },
		rules: {
			...js.configs.recommended.rules,
			...tsPlugin.configs['eslint-recommended'].overrides[0].rules,
			...tsPlugin.configs.recommended.rules,
			'prefer-spread': 'off',
			'no-console': 'error',
		},
	},
	{
		files: ['credentials/**/*.ts', 'nodes/**/*.ts', 'package.json'],
		languageOptions: { parser: tsParser, parserOptions: { sourceType: 'module' } },
		plugins: { '@n8n/community-nodes': n8nCommunityNodesPlugin },
		rules: { ...communityNodes.rules },
	},
];
