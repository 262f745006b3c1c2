// Lets plain `node` run the project's TypeScript test tools (benchmarks, e2e helpers) without a
// build step: each .ts file is transpiled on load with the project's TypeScript compiler.
const fs = require('fs');
const ts = require('typescript');

require.extensions['.ts'] = function compileTypeScript(module, filename) {
	const source = fs.readFileSync(filename, 'utf8');
	const { outputText } = ts.transpileModule(source, {
		fileName: filename,
		compilerOptions: {
			module: ts.ModuleKind.CommonJS,
			target: ts.ScriptTarget.ES2021,
			esModuleInterop: true,
			resolveJsonModule: true,
		},
	});
	module._compile(outputText, filename);
};

// Look for .ts before .json: `DingTalk.node` must resolve to DingTalk.node.ts, not the codex file
// DingTalk.node.json beside it. (Node tries extensions in the order they were registered.)
for (const extension of ['.json', '.node']) {
	const loader = require.extensions[extension];
	delete require.extensions[extension];
	require.extensions[extension] = loader;
}
