/**
 * The tests Stryker runs for every mutant (npm run mutate): the unit tests in test/unit/, which run
 * the node's code in memory (no sandbox, no sockets, no real waits). The integration tests in
 * test/*.test.ts check the same behaviour through n8n's executor, too slowly to run per mutant.
 */
const base = require('./jest.config');

module.exports = {
	...base,
	// the sources are roots too, so that jest's --findRelatedTests (run per mutant) follows imports
	// from a test through the node's entry file to the file a mutant is in
	roots: ['<rootDir>/test/unit', '<rootDir>/nodes', '<rootDir>/credentials'],
	// n8n-workflow's own classes and functions, without loading the whole package in every test file
	moduleNameMapper: { '^n8n-workflow$': '<rootDir>/test/unit/n8n-workflow.lite.js' },
	// a mutant that leaves a promise waiting forever fails its test here, well before Stryker's own
	// timeout, which would restart the test process (seconds each); the slowest unit test takes
	// about 0.35 s on the 2-core machine
	testTimeout: 1500,
};
