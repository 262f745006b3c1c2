/**
 * Loads n8n's own HTTP Request node from a cached n8n install (n8n-nodes-base is far too large to
 * be a dependency of this package), so the benchmark can compare it with ours in one executor.
 *
 * n8n-workflow, n8n-core and the @n8n packages are resolved to this project's copies: two copies of
 * n8n-workflow break instanceof checks, and two copies of @n8n/di hold two containers.
 */
import fs from 'fs';
import Module from 'module';
import path from 'path';
import type { INodeType } from 'n8n-workflow';

const SHARED_PACKAGES = /^(n8n-workflow|n8n-core|@n8n\/[^/]+)(\/.*)?$/;

export function loadHttpRequestNode(n8nNodesBase: string): new () => INodeType {
	const projectRoot = path.resolve(__dirname, '../..');
	const moduleInternals = Module as unknown as {
		_resolveFilename: (request: string, parent: unknown, ...rest: unknown[]) => string;
		_nodeModulePaths: (from: string) => string[];
	};
	// a stand-in parent module living in the project, so lookups start in its node_modules
	const projectParent = {
		id: path.join(projectRoot, 'index.js'),
		filename: path.join(projectRoot, 'index.js'),
		paths: moduleInternals._nodeModulePaths(projectRoot),
	};
	const resolve = moduleInternals._resolveFilename;
	moduleInternals._resolveFilename = function (request: string, parent: unknown, ...rest: unknown[]) {
		const match = SHARED_PACKAGES.exec(request);
		const shared = match && fs.existsSync(path.join(projectRoot, 'node_modules', match[1]));
		return resolve.call(this, request, shared ? projectParent : parent, ...rest);
	};
	const file = path.join(n8nNodesBase, 'dist/nodes/HttpRequest/HttpRequest.node.js');
	// eslint-disable-next-line @typescript-eslint/no-require-imports
	const exported = require(file) as { HttpRequest: new () => INodeType };
	return exported.HttpRequest;
}
