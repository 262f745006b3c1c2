/**
 * A credentials helper that behaves like n8n's server (n8n's CredentialsHelper, in the n8n package's dist/credentials-helper.js): it keeps
 * credentials by id, hands out a fresh copy on every read (the server re-reads its database), runs
 * `preAuthentication` when the expirable property is empty or expired and saves what it returns,
 * and applies the credential type's `authenticate` to requests.
 */
import type {
	ICredentialDataDecryptedObject,
	ICredentials,
	ICredentialType,
	IHttpRequestHelper,
	IHttpRequestOptions,
	INode,
	INodeCredentialsDetails,
	INodeProperties,
	IRequestOptionsSimplified,
	IWorkflowExecuteAdditionalData,
	Workflow,
} from 'n8n-workflow';
import { ICredentialsHelper, isExpression } from 'n8n-workflow';

export interface StoredCredential {
	id: string;
	name: string;
	type: string;
	data: ICredentialDataDecryptedObject;
}

export class TestCredentialsHelper extends ICredentialsHelper {
	private readonly stored = new Map<string, StoredCredential>();
	private readonly types = new Map<string, ICredentialType>();
	/** preAuthentication calls that fetched (ran the credential's function), and saves */
	readonly counters = { preAuthentications: 0, updates: 0 };

	constructor(credentialTypes: Array<new () => ICredentialType>) {
		super();
		for (const Type of credentialTypes) {
			const type = new Type();
			this.types.set(type.name, type);
		}
	}

	add(credential: StoredCredential): void {
		this.stored.set(credential.id, structuredClone(credential));
	}

	get(id: string): StoredCredential {
		const credential = this.stored.get(id);
		if (!credential) throw new Error(`no credential ${id}`);
		return credential;
	}

	typeNamed(name: string): ICredentialType {
		const type = this.types.get(name);
		if (!type) throw new Error(`unknown credential type ${name}`);
		return type;
	}

	getParentTypes(): string[] {
		return [];
	}

	isCredentialUsableByNode(): boolean {
		return true;
	}

	getCredentialsProperties(type: string): INodeProperties[] {
		return this.types.get(type)?.properties ?? [];
	}

	async getDecrypted(
		_additionalData: IWorkflowExecuteAdditionalData,
		nodeCredentials: INodeCredentialsDetails,
	): Promise<ICredentialDataDecryptedObject> {
		return structuredClone(this.get(String(nodeCredentials.id)).data);
	}

	async getCredentials(nodeCredentials: INodeCredentialsDetails, type: string): Promise<ICredentials> {
		const credential = this.get(String(nodeCredentials.id));
		return {
			id: credential.id,
			name: credential.name,
			type,
			data: undefined,
			getData: () => structuredClone(credential.data),
			getDataToSave: () => ({ id: credential.id, name: credential.name, type, data: '' }),
			setData: (data: ICredentialDataDecryptedObject) => (credential.data = structuredClone(data)),
		} as unknown as ICredentials;
	}

	async updateCredentials(
		nodeCredentials: INodeCredentialsDetails,
		_type: string,
		data: ICredentialDataDecryptedObject,
	): Promise<void> {
		this.counters.updates++;
		this.get(String(nodeCredentials.id)).data = structuredClone(data);
	}

	async updateCredentialsOauthTokenData(): Promise<void> {}

	/** The server's rule, to the letter: see n8n's dist/credentials-helper.js (preAuthentication). */
	async preAuthentication(
		helpers: IHttpRequestHelper,
		credentials: ICredentialDataDecryptedObject,
		typeName: string,
		node: INode,
		credentialsExpired: boolean,
	): Promise<ICredentialDataDecryptedObject | undefined> {
		const type = this.typeNamed(typeName);
		const expirable = type.properties.find(
			(property) => property.type === 'hidden' && property.typeOptions?.expirable === true,
		);
		if (expirable?.name === undefined || typeof type.preAuthentication !== 'function') return undefined;
		const isTestingCredentials = node?.parameters?.temp === '' && node?.type === 'n8n-nodes-base.noOp';
		if (credentials[expirable.name] !== '' && !credentialsExpired && !isTestingCredentials) return undefined;

		this.counters.preAuthentications++;
		const output = (await type.preAuthentication.call(helpers, credentials)) as ICredentialDataDecryptedObject;
		if (output[expirable.name] === undefined) return undefined;
		if (node.credentials) {
			// what is saved is the stored credential with the output over it (not the caller's copy)
			const nodeCredentials = node.credentials[type.name];
			const stored = this.get(String(nodeCredentials.id)).data;
			const toPersist: ICredentialDataDecryptedObject = { ...stored };
			for (const [key, value] of Object.entries(output)) {
				if (key === expirable.name || !isExpression(stored[key])) toPersist[key] = value;
			}
			await this.updateCredentials(nodeCredentials, type.name, toPersist);
			return Object.assign(credentials, output);
		}
		return undefined;
	}

	async runPreAuthentication(
		helpers: IHttpRequestHelper,
		credentials: ICredentialDataDecryptedObject,
		typeName: string,
	): Promise<ICredentialDataDecryptedObject | undefined> {
		const type = this.typeNamed(typeName);
		if (typeof type.preAuthentication !== 'function') return undefined;
		this.counters.preAuthentications++;
		return (await type.preAuthentication.call(helpers, credentials)) as ICredentialDataDecryptedObject;
	}

	/** Generic authentication: `={{$credentials.x}}` values merged into qs, headers, body or auth. */
	async authenticate(
		credentials: ICredentialDataDecryptedObject,
		typeName: string,
		requestOptions: IHttpRequestOptions | IRequestOptionsSimplified,
		workflow?: Workflow,
		node?: INode,
	): Promise<IHttpRequestOptions> {
		const authenticate = this.typeNamed(typeName).authenticate;
		if (typeof authenticate === 'function') {
			return await authenticate(credentials, requestOptions as IHttpRequestOptions);
		}
		if (authenticate?.type === 'generic') {
			const options = requestOptions as unknown as Record<string, Record<string, unknown>>;
			for (const [outerKey, values] of Object.entries(authenticate.properties)) {
				options[outerKey] ??= {};
				for (const [key, value] of Object.entries(values as Record<string, unknown>)) {
					options[outerKey][key] = resolveCredentialValue(value, credentials, workflow, node);
				}
			}
		}
		return requestOptions as IHttpRequestOptions;
	}
}

/** Resolves an expression against `$credentials` the way the server does. */
export function resolveCredentialValue(
	value: unknown,
	credentials: ICredentialDataDecryptedObject,
	workflow?: Workflow,
	node?: INode,
): unknown {
	if (typeof value !== 'string' || !value.startsWith('=')) return value;
	if (workflow && node) {
		return workflow.expression.getSimpleParameterValue(node, value, 'internal', { $credentials: credentials }, undefined, '');
	}
	// no workflow (a credential test): the simple `={{$credentials.name}}` form is all our types use
	return value.slice(1).replace(/\{\{\s*\$credentials\.(\w+)\s*\}\}/g, (_, key: string) => String(credentials[key] ?? ''));
}
