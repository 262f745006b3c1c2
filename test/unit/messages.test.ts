/**
 * The errors a person sees (transport/messages.ts), the errcode table (errorCodes.ts), network
 * error codes in words (errorDetails.ts) and the form body (form.ts).
 */
import type { IDataObject } from 'n8n-workflow';

import type { Attempt } from '../../nodes/DingTalk/transport/answer';
import { errorCode, findNamedError, networkReason } from '../../nodes/DingTalk/transport/errorDetails';
import { describeErrcode, effectiveErrcode, ERRCODES, readErrcode } from '../../nodes/DingTalk/transport/errorCodes';
import { encodeForm } from '../../nodes/DingTalk/transport/form';
import { describeNetworkError, failureErrcode, failureError, mayHaveTakenEffect } from '../../nodes/DingTalk/transport/messages';
import { NODE } from './fakes';

const WHERE = 'https://oapi.dingtalk.com/topapi/extcontact/update';
const context = { node: NODE, where: WHERE, baseUrl: 'https://oapi.dingtalk.com', itemIndex: 3 };
const CHECK_BASE_URL =
	'Check the Base URL in the DingTalk API credential (https://oapi.dingtalk.com, or https://oapi.dingtalk.io for international tenants).';

describe('failureError', () => {
	it.each<[string, Attempt, { message: string; description: string; httpCode?: string | null }, boolean]>([
		[
			'an errcode',
			{ kind: 'answer', body: { errcode: 60121, errmsg: '找不到该用户', request_id: 'r1' }, errcode: 60121 },
			{
				message: 'DingTalk error 60121: the user or external contact was not found',
				description: expect.stringMatching(/^Check the ids in this item: .*\. \(DingTalk said: "找不到该用户"\)$/),
			},
			false,
		],
		[
			'errcode 88 read by its sub_code',
			{ kind: 'answer', body: { errcode: 88, sub_code: '60011', sub_msg: 'no right', errmsg: '' }, errcode: 60011 },
			{
				message: 'DingTalk error 88 (sub_code 60011): the app lacks the permission for this call',
				description: expect.stringMatching(/^In the DingTalk developer console, .* \(DingTalk said: "no right"\)$/),
			},
			false,
		],
		[
			'no valid errcode',
			{ kind: 'noErrcode', body: { errmsg: 'fine', request_id: 'r2' } },
			{
				message: "DingTalk's answer had no valid errcode",
				description: `${WHERE} answered without a valid errcode, so the call is not taken as done. Check in DingTalk whether it took effect, and check the Base URL in the DingTalk API credential. (DingTalk said: "fine")`,
			},
			true,
		],
		[
			'a ban longer than allowed',
			{ kind: 'ban', waitSeconds: 120, html: false },
			{
				message: "DingTalk has temporarily blocked calls from this server's IP address",
				description:
					'DingTalk asks to wait 120 seconds, longer than "Max Ban Wait (Seconds)" in the node options allows. Wait, lower "Requests per Second", and run the workflow again; or raise "Max Ban Wait (Seconds)".',
			},
			false,
		],
		[
			'the ban page',
			{ kind: 'ban', waitSeconds: 5, html: true },
			{
				message: "DingTalk has temporarily blocked calls from this server's IP address",
				description:
					'DingTalk answered with a web page instead of data, which is how it reports an IP ban after too many calls. Wait about 5 minutes, lower "Requests per Second" in the node options, and run the workflow again.',
			},
			false,
		],
		[
			'HTTP 500',
			{ kind: 'httpStatus', status: 500, html: false },
			{
				message: 'DingTalk answered with HTTP status 500',
				description: `DingTalk (or a proxy in front of it at ${WHERE}) had a problem. Run the workflow again later.`,
				httpCode: '500',
			},
			true,
		],
		[
			'HTTP 401',
			{ kind: 'httpStatus', status: 401, html: true },
			{
				message: 'DingTalk answered with HTTP status 401',
				description: `DingTalk itself answers HTTP 200 even when it refuses a call, so this refusal came from something between n8n and DingTalk: a proxy or firewall that needs a login or blocks this server, or a Base URL that points elsewhere. ${CHECK_BASE_URL} Nothing was done in DingTalk.`,
				httpCode: '401',
			},
			false,
		],
		[
			'HTTP 403',
			{ kind: 'httpStatus', status: 403, html: false },
			{ message: 'DingTalk answered with HTTP status 403', description: expect.stringMatching(/^DingTalk itself answers HTTP 200/), httpCode: '403' },
			false,
		],
		[
			'HTTP 499',
			{ kind: 'httpStatus', status: 499, html: false },
			{ message: 'DingTalk answered with HTTP status 499', description: `${WHERE} did not answer like DingTalk. ${CHECK_BASE_URL}`, httpCode: '499' },
			false,
		],
		[
			'something that is not DingTalk data',
			{ kind: 'unreadable', status: 200, snippet: 'hello' },
			{
				message: 'DingTalk answered with something that is not DingTalk data',
				description: `${CHECK_BASE_URL} ${WHERE} answered with HTTP 200: "hello"`,
			},
			true,
		],
		[
			'an answer too large',
			{ kind: 'tooLarge', limitBytes: 10 * 1024 * 1024 },
			{ message: "DingTalk's answer was larger than 10 MB and was not read", description: `No DingTalk answer is that large. ${CHECK_BASE_URL}` },
			true,
		],
		[
			'a failure after the request left',
			{ kind: 'network', code: 'ECONNRESET', maybeDelivered: true },
			{
				message: 'Could not reach https://oapi.dingtalk.com: the connection broke off',
				description:
					'The request may have reached DingTalk, so it was not sent again (that could create a duplicate). Check in DingTalk whether it took effect before running this item again.',
			},
			true,
		],
		[
			'a failure before the request left',
			{ kind: 'network', code: 'ECONNREFUSED', maybeDelivered: false },
			{
				message: 'Could not reach https://oapi.dingtalk.com: the connection was refused',
				description: 'Nothing reached DingTalk. Check the Base URL in the DingTalk API credential and that this n8n server can reach it.',
			},
			false,
		],
		[
			'no token',
			{ kind: 'tokenRequest', message: 'Could not get an access token', retryable: true },
			{
				message: 'Could not get an access token',
				description:
					'Only the access token request (/gettoken) was sent; nothing was sent for this item. Check the Base URL in the DingTalk API credential, then run the workflow again.',
			},
			false,
		],
	])('%s', (_, attempt, expected, possiblyApplied) => {
		const error = failureError(attempt, context);
		expect({ message: error.message, description: error.description, httpCode: error.httpCode }).toEqual({ httpCode: null, ...expected });
		expect(error.context).toEqual({ itemIndex: 3 });
		expect(mayHaveTakenEffect(error)).toBe(possiblyApplied);
	});

	it("keeps DingTalk's own fields, without empty ones", () => {
		const answer = failureError(
			{ kind: 'answer', body: { errcode: 40035, errmsg: 'bad', sub_code: '', sub_msg: null, request_id: 'r', userid: 'u' }, errcode: 40035 },
			context,
		);
		expect(answer.errorResponse).toEqual({ errcode: 40035, errmsg: 'bad', request_id: 'r' });
		expect(answer.description).toMatch(/^Check the values mapped into this item: .*mobile number\. \(DingTalk said: "bad"\)$/);

		const noErrcode = failureError({ kind: 'noErrcode', body: { errcode: '', errmsg: '', sub_msg: 's', request_id: 'q' } }, context);
		expect(noErrcode.errorResponse).toEqual({ sub_msg: 's', request_id: 'q' });

		const silent = failureError({ kind: 'answer', body: { errcode: -1, errmsg: 42 }, errcode: -1 }, context);
		expect(silent.description).toBe('The node retries by itself with increasing waits. If it keeps failing, run the workflow again later.');
	});

	it('only errors made here can say they may have taken effect', () => {
		expect(mayHaveTakenEffect(new Error('other'))).toBe(false);
		expect(mayHaveTakenEffect('text')).toBe(false);
		expect(describeNetworkError('EAI_AGAIN', 'https://x')).toBe(
			'Could not reach https://x: the server name was not found; check the Base URL in the DingTalk API credential',
		);
	});
});

describe('errcodes', () => {
	it.each([
		[0, 'fail', 'DingTalk refused the request'],
		[-1, 'retry', 'DingTalk is busy'],
		[88, 'fail', 'DingTalk refused the call for a reason it gives in sub_code'],
		[40014, 'refreshToken', 'the access token is invalid'],
		[42001, 'refreshToken', 'the access token has expired'],
		[40001, 'refreshToken', 'the access token is invalid, or DingTalk reports "system busy"'],
		[33009, 'refreshToken', 'the access token is not valid for this app'],
		[40089, 'fail', 'the App Key or App Secret is wrong'],
		[40096, 'fail', 'the App Key or App Secret is wrong'],
		[40035, 'fail', 'a parameter is missing or not valid'],
		[40036, 'fail', 'a required parameter is empty'],
		[40003, 'fail', 'the user id is not valid'],
		[33012, 'fail', 'the user id is not valid'],
		[60121, 'fail', 'the user or external contact was not found'],
		[60112, 'fail', 'the name is not valid'],
		[60103, 'fail', 'the mobile number is not valid'],
		[60200, 'fail', 'the external contact already exists'],
		[22005, 'fail', 'the external contact already exists'],
		[60203, 'fail', 'the organisation has too many external contacts'],
		[60204, 'fail', 'labels are required'],
		[60205, 'fail', 'the external contacts feature is not enabled for this organisation'],
		[43007, 'fail', 'the app lacks the permission for this call'],
		[60011, 'fail', 'the app lacks the permission for this call'],
		[40068, 'fail', 'the offset is not valid'],
		[40069, 'fail', 'the page size is not valid'],
		[90018, 'throttle', 'too many calls per second for this app'],
		[90002, 'throttle', 'too many calls per second to this DingTalk API'],
		[90020, 'fail', 'the monthly API call quota is used up'],
		[90000, 'fail', 'DingTalk refused the request'],
		[90001, 'retry', 'calls are temporarily blocked'],
		[90003, 'retry', 'calls are temporarily blocked'],
		[90014, 'retry', 'calls are temporarily blocked'],
		[90015, 'fail', 'DingTalk refused the request'],
		[123456, 'fail', 'DingTalk refused the request'],
	])('%i: %s, "%s"', (code, handling, meaning) => {
		expect(describeErrcode(code)).toMatchObject({ handling, meaning });
	});

	it('every errcode says what to do', () => {
		const actions = [...Object.keys(ERRCODES).map(Number), 90005, 99999].map((code) => describeErrcode(code).action);
		for (const action of actions) expect(action).toMatch(/^[A-Z].{30,}[.)]$/);
		expect(describeErrcode(42001).action).toMatch(/fetches a new access token by itself/);
		expect(describeErrcode(40089).action).toMatch(/copy the App Key and App Secret again/);
		expect(describeErrcode(40003).action).toMatch(/^Check the ids in this item/);
		expect(describeErrcode(60011).action).toMatch(/grant "qyapi_ext_write"/);
		expect(describeErrcode(22005).action).toMatch(/Create or Update/);
		expect(describeErrcode(90002).action).toMatch(/lower "Requests per Second"/);
		expect(describeErrcode(90010).action).toMatch(/temporarily blocked/);
		expect(describeErrcode(40069).action).toMatch(/bug in the node/);
		expect(describeErrcode(31337).action).toMatch(/Look up this errcode/);
	});

	it('errcodes as DingTalk sends them: whole numbers and digit strings of up to 12 digits', () => {
		expect(readErrcode('-12')).toBe(-12);
		expect(readErrcode('123456789012')).toBe(123456789012);
		expect(readErrcode('1234567890123')).toBeUndefined();
		expect(readErrcode('1a')).toBeUndefined();
		expect(readErrcode('a1')).toBeUndefined();
		expect(readErrcode(2 ** 53)).toBeUndefined();
		expect(readErrcode(Number.NaN)).toBeUndefined();
		expect(effectiveErrcode(88, 'x')).toBe(88);
		expect(effectiveErrcode(0, '40014')).toBe(0);
	});

	it('errcode 88 is never a success, whatever its sub_code says', () => {
		for (const subCode of ['0', 0, '00', '', ' ', null]) expect(effectiveErrcode(88, subCode)).toBe(88);
		expect(effectiveErrcode(88, '60121')).toBe(60121);
	});
});

describe('failureErrcode', () => {
	const context = { node: NODE, where: 'https://x/p', baseUrl: 'https://x' };
	const failed = (body: IDataObject, errcode: number) => failureError({ kind: 'answer', body, errcode }, context);

	it('the errcode that decides: 88 by a non-zero sub_code, others as sent; none for other failures', () => {
		expect(failureErrcode(failed({ errcode: 60121 }, 60121))).toBe(60121);
		expect(failureErrcode(failed({ errcode: 88, sub_code: '60121' }, 60121))).toBe(60121);
		expect(failureErrcode(failed({ errcode: 88, sub_code: '0' }, 88))).toBe(88);
		expect(failureErrcode(failureError({ kind: 'network', code: 'ECONNRESET', maybeDelivered: true }, context))).toBeUndefined();
		expect(failureErrcode(new Error('not from DingTalk'))).toBeUndefined();
	});
});

describe('network errors', () => {
	it.each([
		['ECONNREFUSED', 'the connection was refused'],
		['ENOTFOUND', 'the server name was not found; check the Base URL in the DingTalk API credential'],
		['EAI_AGAIN', 'the server name was not found; check the Base URL in the DingTalk API credential'],
		['ECONNABORTED', 'it did not answer in time'],
		['ETIMEDOUT', 'it did not answer in time'],
		['ECONNRESET', 'the connection broke off'],
		['EPIPE', 'the connection broke off'],
		['EHOSTUNREACH', 'the network cannot reach it'],
		['ENETUNREACH', 'the network cannot reach it'],
		['CERT_HAS_EXPIRED', 'its TLS certificate was not accepted'],
		['ERR_SSL_WRONG_VERSION_NUMBER', 'its TLS certificate was not accepted'],
		['ERR_TLS_CERT_ALTNAME_INVALID', 'its TLS certificate was not accepted'],
		['EPROTO', 'the network failed'],
		[undefined, 'the network failed'],
	])('%s: %s', (code, reason) => expect(networkReason(code)).toBe(reason));

	it('the code is found along the causes, at most four deep, and only if it looks like one', () => {
		const wrap = (cause: unknown, depth: number): unknown => (depth === 0 ? cause : { message: 'wrapped', cause: wrap(cause, depth - 1) });
		expect(errorCode(wrap({ code: 'ECONNRESET' }, 3))).toBe('ECONNRESET');
		expect(errorCode(wrap({ code: 'ECONNRESET' }, 4))).toBeUndefined();
		expect(errorCode({ code: 'lower', cause: { code: 'EPIPE' } })).toBe('EPIPE');
		expect(errorCode({ code: 'E1' })).toBeUndefined();
		expect(errorCode({ code: 42 })).toBeUndefined();
		expect(errorCode(undefined)).toBeUndefined();
	});

	it('a named error is found along the causes, at most four deep', () => {
		const named = Object.assign(new Error('x'), { name: 'TokenRequestError' });
		const wrap = (depth: number): unknown => (depth === 0 ? named : { name: 'Error', cause: wrap(depth - 1) });
		expect(findNamedError(wrap(0), 'TokenRequestError')).toBe(named);
		expect(findNamedError(wrap(3), 'TokenRequestError')).toBe(named);
		expect(findNamedError(wrap(4), 'TokenRequestError')).toBeUndefined();
		expect(findNamedError(wrap(2), 'CredentialRejectedError')).toBeUndefined();
		expect(findNamedError(null, 'TokenRequestError')).toBeUndefined();
	});
});

describe('encodeForm', () => {
	it('key=value pairs, objects and arrays as JSON, undefined left out', () => {
		expect(encodeForm({ offset: 0, size: 100, flag: false, none: null, skipped: undefined, contact: { name: '王 A&B', label_ids: [1, 2] } })).toBe(
			'offset=0&size=100&flag=false&none=null&contact=%7B%22name%22%3A%22%E7%8E%8B+A%26B%22%2C%22label_ids%22%3A%5B1%2C2%5D%7D',
		);
		expect(encodeForm({})).toBe('');
	});
});
