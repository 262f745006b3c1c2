// @ts-check
/**
 * Mutation testing (npm run mutate): Stryker changes the node's code one small mistake at a time
 * and runs the unit tests against each change; a change no test notices is a "survivor".
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
	testRunner: 'jest',
	jest: { configFile: 'jest.mutation.config.js' },
	checkers: ['typescript'],
	// the checker compiles the package alone (as the build does), not the tests and n8n-core's types;
	// a mutant's type errors show in its file and the files that import it (assumeChangesOnlyAffectDirectDependencies)
	tsconfigFile: 'tsconfig.mutation.json',
	coverageAnalysis: 'perTest',
	// Static mutants (module-level tables: the errcode table, the network codes that cannot have
	// been delivered, the keys update accepts …) cannot be traced to single tests: each one runs
	// every test file, and the 200 of them took half of the run. They are left out here (listed as
	// Ignored in the report) to keep the run within 25 minutes; the errcode table has a table test
	// of its own. MUTATE_STATIC=1 npm run mutate tests them too (it takes about twice as long).
	ignoreStatic: process.env.MUTATE_STATIC !== '1',
	concurrency: 2,
	// a mutant that loops forever is stopped this long after its tests should have ended (1.5 × their
	// own time, plus jest's start-up measured in the first run); with the default 5 s the eighty or so
	// such mutants took a third of the run
	timeoutMS: 1000,
	mutate: ['nodes/**/*.ts', 'credentials/**/*.ts'],
	plugins: ['@stryker-mutator/*', './scripts/stryker-ignore-descriptions.mjs'],
	ignorers: ['node-descriptions'],
	// the clear-text table per file; scripts/mutate.mjs lists the survivors and the score per folder
	reporters: ['clear-text', 'progress', 'json', 'html'],
	clearTextReporter: { allowColor: false, logTests: false, reportMutants: false },
	jsonReporter: { fileName: 'reports/mutation/mutation.json' },
	htmlReporter: { fileName: 'reports/mutation/mutation.html' },
	tempDirName: '.stryker-tmp',
	cleanTempDir: 'always',
};
