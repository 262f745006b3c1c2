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
