import type {
	ICredentialDataDecryptedObject,
	ICredentialTestRequest,
	ICredentialType,
	IHttpRequestHelper,
	IHttpRequestOptions,
	Icon,
	IN8nHttpFullResponse,
	INodeProperties,
} from 'n8n-workflow';

import type { HttpGet } from '../nodes/DingTalk/transport/tokenRequest';
import {
	credentialTestRules,
	freshToken,
	requestAccessToken,
} from '../nodes/DingTalk/transport/tokenRequest';

export class DingTalkApi implements ICredentialType {
	name = 'dingTalkApi';

	displayName = 'DingTalk API';

	icon: Icon = { light: 'file:dingtalk.svg', dark: 'file:dingtalk.dark.svg' };

	// the project's own steps (app, Client ID and Secret, IP allow-list, permissions), not DingTalk's token page
	documentationUrl = 'https://github.com/n8n-nodes-dingtalk-contacts/n8n-nodes-dingtalk-contacts#set-up-the-dingtalk-app';

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
		{
			// When the saved token is due for renewal (ms since 1970), saved beside it.
			displayName: 'Access Token Expires At',
			name: 'accessTokenExpiresAt',
			type: 'hidden',
			typeOptions: { password: true },
			default: '',
		},
	];

	/** n8n calls this when `accessToken` is empty (first use, or after the node cleared it). */
	async preAuthentication(this: IHttpRequestHelper, credentials: ICredentialDataDecryptedObject) {
		return { ...(await requestAccessToken(getThroughN8n(this), credentials)) };
	}

	/**
	 * Puts the token in the query string, where DingTalk reads it. n8n renews a saved token only
	 * after HTTP 401, which DingTalk never sends, so a token past its expiry is renewed here (this
	 * is what keeps the credential working in n8n's HTTP Request node after two hours).
	 */
	authenticate = async (
		credentials: ICredentialDataDecryptedObject,
		requestOptions: IHttpRequestOptions,
	): Promise<IHttpRequestOptions> => {
		const accessToken = await freshToken(credentials, getWithFetch);
		return { ...requestOptions, qs: { ...(requestOptions.qs ?? {}), access_token: accessToken } };
	};

	// preAuthentication runs first during a test (a wrong key or secret fails there); then a read of
	// external contacts shows that the app may read them, as the node needs
	test: ICredentialTestRequest = {
		request: {
			// preAuthentication has checked the Base URL by now; axios joins it with the path
			baseURL: '={{$credentials.baseUrl.trim() || "https://oapi.dingtalk.com"}}',
			url: '/topapi/extcontact/list',
			method: 'POST',
			headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
			body: 'offset=0&size=1',
		},
		rules: credentialTestRules(),
	};
}

function getThroughN8n(context: IHttpRequestHelper): HttpGet {
	return async (url, qs, timeoutMs) => {
		const response = (await context.helpers.httpRequest({
			method: 'GET',
			url,
			qs,
			encoding: 'text',
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
			timeout: timeoutMs,
			// axios' timeout only notices a silent socket; this bounds the whole call
			abortSignal: AbortSignal.timeout(timeoutMs),
		})) as IN8nHttpFullResponse;
		return { status: response.statusCode, text: String(response.body ?? '') };
	};
}

const getWithFetch: HttpGet = async (url, qs, timeoutMs) => {
	const response = await fetch(`${url}?${new URLSearchParams(qs).toString()}`, {
		signal: AbortSignal.timeout(timeoutMs),
	});
	return { status: response.status, text: await response.text() };
};
