/**
 * For mutation testing only (jest.mutation.config.js maps 'n8n-workflow' here): the parts of
 * n8n-workflow that the node uses at run time, loaded from n8n-workflow's own files. The whole
 * package takes seconds to load, and jest loads it again in every test file of every mutant's run;
 * these few files take a fraction of that. The classes and functions are n8n-workflow's own.
 */
const errors = require('n8n-workflow/dist/cjs/errors/index.js');
const interfaces = require('n8n-workflow/dist/cjs/interfaces.js');
const utils = require('n8n-workflow/dist/cjs/utils.js');

module.exports = {
	...errors,
	NodeConnectionTypes: interfaces.NodeConnectionTypes,
	sleep: utils.sleep,
	updateDisplayOptions: utils.updateDisplayOptions,
};
