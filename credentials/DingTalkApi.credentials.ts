import type {
	IAuthenticateGeneric,
	ICredentialDataDecryptedObject,
	ICredentialTestRequest,
	ICredentialType,
	IDataObject,
	IHttpRequestHelper,
	Icon,
	INodeProperties,
} from 'n8n-workflow';

import { CredentialRejectedError } from '../nodes/DingTalk/transport/accessToken';
import { normalizeBaseUrl } from '../nodes/DingTalk/transport/client';
import { describeErrcode } from '../nodes/DingTalk/transport/errorCodes';

export class DingTalkApi implements ICredentialType {
	name = 'dingTalkApi';

	displayName = 'DingTalk API';

	icon: Icon = { light: 'file:dingtalk.svg', dark: 'file:dingtalk.dark.svg' };

	documentationUrl = 'https://open.dingtalk.com/document/orgapp/obtain-orgapp-token';

	properties: INodeProperties[] = [
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: 'https://oapi.dingtalk.com',
			placeholder: 'https://oapi.dingtalk.com',
			description:
				'Address of the DingTalk server API. Organisations in mainland China use https://oapi.dingtalk.com; international tenants use https://oapi.dingtalk.io.',
		},
		{
			displayName: 'App Key',
			name: 'appKey',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'dingxxxxxxxxxxxxxxxx',
			description:
				'The AppKey (Client ID) of your internal DingTalk app, from the developer console: your app → Credentials & Basic Info',
		},
		{
			displayName: 'App Secret',
			name: 'appSecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description: 'The AppSecret (Client Secret) of the same app',
		},
		{
			// Filled by preAuthentication and saved with the credential, so runs share one token.
			displayName: 'Access Token',
			name: 'accessToken',
			type: 'hidden',
			typeOptions: { expirable: true, password: true },
			default: '',
		},
	];

	/** n8n calls this when `accessToken` is empty (first use, or after the node cleared it). */
	async preAuthentication(this: IHttpRequestHelper, credentials: ICredentialDataDecryptedObject) {
		return { accessToken: await fetchAccessToken(this, credentials) };
	}

	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: {
			qs: { access_token: '={{$credentials.accessToken}}' },
		},
	};

	// preAuthentication runs first during a test and throws on a wrong key or secret; this request
	// then checks that the token works for a real API call.
	test: ICredentialTestRequest = {
		request: {
			baseURL: '={{$credentials.baseUrl.replace(/\\/+$/, "")}}',
			url: '/topapi/v2/department/listsub',
			method: 'POST',
			headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
			body: 'dept_id=1',
		},
		rules: [
			{
				type: 'responseSuccessBody',
				properties: { key: 'errcode', value: 40014, message: 'DingTalk did not accept the access token' },
			},
			{
				type: 'responseSuccessBody',
				properties: { key: 'errcode', value: 42001, message: 'DingTalk did not accept the access token' },
			},
		],
	};
}

/** GET {baseUrl}/gettoken: DingTalk wants the key and secret in the query string. */
async function fetchAccessToken(
	context: IHttpRequestHelper,
	credentials: ICredentialDataDecryptedObject,
): Promise<string> {
	const baseUrl = normalizeBaseUrl(credentials.baseUrl);
	let answer: IDataObject;
	try {
		answer = (await context.helpers.httpRequest({
			method: 'GET',
			url: `${baseUrl}/gettoken`,
			qs: { appkey: credentials.appKey, appsecret: credentials.appSecret },
			json: true,
			timeout: 30_000,
		})) as IDataObject;
	} catch (error) {
		// the failed request's URL carries the app secret: pass on only what went wrong
		const code = findErrorCode(error);
		const failure = new Error(`Could not get an access token from ${baseUrl}${code ? ` (${code})` : ''}`);
		Object.assign(failure, { code });
		throw failure;
	}
	const errcode = Number(answer?.errcode);
	if (errcode === 0 && typeof answer.access_token === 'string' && answer.access_token) {
		return answer.access_token;
	}
	const errmsg = typeof answer?.errmsg === 'string' ? answer.errmsg : '';
	if (Number.isNaN(errcode)) {
		throw new Error(
			`${baseUrl}/gettoken did not answer like DingTalk: check the Base URL in the DingTalk API credential`,
		);
	}
	const info = describeErrcode(errcode);
	throw new CredentialRejectedError(
		`DingTalk error ${errcode}: ${info.meaning} (getting an access token). ${info.action}`,
		errcode,
		errmsg,
	);
}

function findErrorCode(error: unknown): string | undefined {
	for (let candidate = error, depth = 0; candidate && depth < 4; depth++) {
		const code = (candidate as { code?: unknown }).code;
		if (typeof code === 'string') return code;
		candidate = (candidate as { cause?: unknown }).cause;
	}
	return undefined;
}
