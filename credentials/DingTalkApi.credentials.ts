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
	sharedTokenRequest,
	StoredTokenUnusableError,
	TOKEN_ONLY,
	TokenInHand,
	usableToken,
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
		{
			// Which Base URL, App Key and App Secret fetched the saved token (a hash, never the secret):
			// the token is sent only with the same ones, saved beside it.
			displayName: 'Access Token For',
			name: 'accessTokenFor',
			type: 'hidden',
			typeOptions: { password: true },
			default: '',
		},
	];

	/**
	 * n8n calls this when `accessToken` is empty (first use, or the node asks for a new one), or
	 * after authenticate refused the saved token; it saves what this returns.
	 */
	async preAuthentication(this: IHttpRequestHelper, credentials: ICredentialDataDecryptedObject) {
		return { ...(await sharedTokenRequest(getThroughN8n(this), credentials)) };
	}

	/**
	 * Puts the token in the query string, where DingTalk reads it, when it may be sent: fresh, and
	 * fetched with these settings. Otherwise nothing is sent and n8n is told the credential expired
	 * (HTTP 401): n8n then fetches and saves a new token through preAuthentication and comes back.
	 * n8n renews by itself only after a real 401, which DingTalk never sends; this keeps the
	 * credential working in the HTTP Request node after two hours, and after an edit.
	 */
	authenticate = async (
		credentials: ICredentialDataDecryptedObject,
		requestOptions: IHttpRequestOptions,
	): Promise<IHttpRequestOptions> => {
		if ((requestOptions as { [TOKEN_ONLY]?: boolean })[TOKEN_ONLY]) throw new TokenInHand();
		const accessToken = usableToken(credentials);
		if (!accessToken) throw new StoredTokenUnusableError();
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
