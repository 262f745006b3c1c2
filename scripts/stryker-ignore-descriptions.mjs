// A Stryker ignorer (see stryker.config.mjs): leaves the node's and the credential's field
// definitions unmutated. They are data that n8n's editor reads (display names, descriptions,
// placeholders, display options), checked by the n8n lint rules and by loading the package in real
// n8n (npm run test:e2e); mutating their strings only adds noise. Everything that decides what the
// node does (parsers, the client, the retry decision, the operations) stays mutated.
import { declareValuePlugin, PluginKind } from '@stryker-mutator/api/plugin';

/** Type annotations that mark a declaration as a field definition. */
const DEFINITION_TYPES = new Set(['INodeProperties', 'INodeTypeDescription']);
/** Keys that only a field definition has. */
const DEFINITION_KEYS = new Set(['displayName', 'displayOptions', 'typeOptions']);
/** Class fields of the credential that only the editor shows. */
const DISPLAY_CLASS_FIELDS = new Set(['displayName', 'documentationUrl', 'icon']);

const REASON = 'a field definition of the node or credential: data for the n8n editor, not logic';

/** The type name of an annotation such as `INodeProperties` or `INodeProperties[]`. */
function annotatedTypeName(typeAnnotation) {
	let type = typeAnnotation?.typeAnnotation;
	if (type?.type === 'TSArrayType') type = type.elementType;
	if (type?.type === 'TSTypeReference' && type.typeName.type === 'Identifier') return type.typeName.name;
	return undefined;
}

function keyName(property) {
	if (property.type !== 'ObjectProperty' || property.computed) return undefined;
	if (property.key.type === 'Identifier') return property.key.name;
	if (property.key.type === 'StringLiteral') return property.key.value;
	return undefined;
}

function isDefinition(path) {
	const { node } = path;
	switch (node.type) {
		case 'ObjectExpression':
			return node.properties.some((property) => DEFINITION_KEYS.has(keyName(property)));
		case 'CallExpression':
			return node.callee.type === 'Identifier' && node.callee.name === 'updateDisplayOptions';
		case 'VariableDeclarator':
			return DEFINITION_TYPES.has(annotatedTypeName(node.id.typeAnnotation));
		case 'ClassProperty':
			return (
				DEFINITION_TYPES.has(annotatedTypeName(node.typeAnnotation)) ||
				(node.key.type === 'Identifier' && DISPLAY_CLASS_FIELDS.has(node.key.name))
			);
		case 'FunctionDeclaration':
		case 'ArrowFunctionExpression':
			return DEFINITION_TYPES.has(annotatedTypeName(node.returnType));
		default:
			return false;
	}
}

/** The credential test's request: what n8n sends when a person clicks Test (data, run by n8n). */
function isCredentialTestRequest(path) {
	const { node, parentPath } = path;
	return (
		node.type === 'ObjectProperty' &&
		keyName(node) === 'request' &&
		parentPath?.parentPath?.node.type === 'ClassProperty' &&
		annotatedTypeName(parentPath.parentPath.node.typeAnnotation) === 'ICredentialTestRequest'
	);
}

export const strykerPlugins = [
	declareValuePlugin(PluginKind.Ignore, 'node-descriptions', {
		shouldIgnore(path) {
			if (isDefinition(path)) return REASON;
			if (isCredentialTestRequest(path)) {
				return "the credential test's request: data that n8n sends, covered by the credential tests through n8n";
			}
			return undefined;
		},
	}),
];
