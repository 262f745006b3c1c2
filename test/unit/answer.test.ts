/**
 * Reading an HTTP response as DingTalk's answer (transport/answer.ts), every branch as a table; the
 * redaction of secrets (redact.ts) and the Base URL (baseUrl.ts) at their edges.
 */
import type { IDataObject } from 'n8n-workflow';

import type { Attempt } from '../../nodes/DingTalk/transport/answer';
import { HTML_BAN_WAIT_SECONDS, readAnswer } from '../../nodes/DingTalk/transport/answer';
import { checkedBaseUrl, DEFAULT_BASE_URL, InvalidBaseUrlError, normalizeBaseUrl } from '../../nodes/DingTalk/transport/baseUrl';
import { REDACTED, Redactor } from '../../nodes/DingTalk/transport/redact';
import { thrown } from './fakes';

const none = new Redactor([]);

describe('readAnswer', () => {
	it.each<[string, number, IDataObject | undefined, string, Attempt]>([
		['errcode 0', 200, {}, '{"errcode":0,"errmsg":"ok"}', { kind: 'answer', body: { errcode: 0, errmsg: 'ok' }, errcode: 0 }],
		['an errcode with HTTP 500 is still read', 500, {}, '{"errcode":-1}', { kind: 'answer', body: { errcode: -1 }, errcode: -1 }],
		['88 with a sub_code', 200, {}, '{"errcode":"88","sub_code":"42001"}', { kind: 'answer', body: { errcode: 88, sub_code: '42001' }, errcode: 42001 }],
		['the JSON ban', 200, {}, '{"status":1111,"wait":7}', { kind: 'ban', waitSeconds: 7, html: false }],
		['the JSON ban with the status as text', 200, {}, '{"status":"1111","wait":"2.5"}', { kind: 'ban', waitSeconds: 2.5, html: false }],
		['a ban naming only its punishment', 200, {}, '{"punish":"deny"}', { kind: 'ban', waitSeconds: HTML_BAN_WAIT_SECONDS, html: false }],
		['a ban with a punishment of null', 200, {}, '{"punish":null,"wait":1}', { kind: 'ban', waitSeconds: 1, html: false }],
		['a ban without a usable wait', 200, {}, '{"status":1111,"wait":"soon"}', { kind: 'ban', waitSeconds: 5, html: false }],
		['a ban with a negative wait', 200, {}, '{"status":1111,"wait":-3}', { kind: 'ban', waitSeconds: 5, html: false }],
		['a ban with a zero wait', 200, {}, '{"status":1111,"wait":0}', { kind: 'ban', waitSeconds: 5, html: false }],
		['a ban with an endless wait', 200, {}, '{"status":1111,"wait":1e999}', { kind: 'ban', waitSeconds: 5, html: false }],
		['another status is no ban', 200, {}, '{"status":1112}', { kind: 'noErrcode', body: { status: 1112 } }],
		['JSON without errcode, HTTP 204', 204, {}, '{"a":1}', { kind: 'noErrcode', body: { a: 1 } }],
		['JSON without errcode, HTTP 299', 299, {}, '{}', { kind: 'noErrcode', body: {} }],
		['JSON without errcode, HTTP 300', 300, {}, '{}', { kind: 'httpStatus', status: 300, html: false }],
		['JSON without errcode, HTTP 199', 199, {}, '{}', { kind: 'httpStatus', status: 199, html: false }],
		['JSON without errcode, HTTP 404', 404, {}, '{"error":"no"}', { kind: 'httpStatus', status: 404, html: false }],
		['a JSON list is not an answer', 200, {}, '[{"errcode":0}]', { kind: 'unreadable', status: 200, snippet: '[{"errcode":0}]' }],
		['JSON null is not an answer', 200, {}, 'null', { kind: 'unreadable', status: 200, snippet: 'null' }],
		['a JSON number is not an answer', 200, {}, '0', { kind: 'unreadable', status: 200, snippet: '0' }],
		['an empty body', 200, {}, '', { kind: 'unreadable', status: 200, snippet: '' }],
		['HTTP 429 without Retry-After', 429, {}, 'slow down', { kind: 'httpStatus', status: 429, retryAfterMs: undefined, html: false }],
		['HTTP 429 without headers', 429, undefined, '', { kind: 'httpStatus', status: 429, retryAfterMs: undefined, html: false }],
		['HTTP 429, Retry-After in another case', 429, { 'RETRY-AFTER': '2' }, '', { kind: 'httpStatus', status: 429, retryAfterMs: 2000, html: false }],
		['HTTP 429, Retry-After as a date', 429, { 'retry-after': 'Wed, 21 Oct 2026 07:28:00 GMT' }, '', { kind: 'httpStatus', status: 429, retryAfterMs: undefined, html: false }],
		['HTTP 429, Retry-After 0', 429, { 'retry-after': '0' }, '', { kind: 'httpStatus', status: 429, retryAfterMs: undefined, html: false }],
		['HTTP 429, Retry-After 60', 429, { 'retry-after': 60 }, '', { kind: 'httpStatus', status: 429, retryAfterMs: 60_000, html: false }],
		['HTTP 429, Retry-After 61', 429, { 'retry-after': '61' }, '', { kind: 'httpStatus', status: 429, retryAfterMs: 60_000, html: false }],
		['HTTP 429, other headers only', 429, { 'x-retry-after': '5' }, '', { kind: 'httpStatus', status: 429, retryAfterMs: undefined, html: false }],
		['HTTP 500 with a page', 500, {}, ' <html>oops</html>', { kind: 'httpStatus', status: 500, retryAfterMs: undefined, html: true }],
		['HTTP 499', 499, { 'retry-after': '1' }, 'x', { kind: 'httpStatus', status: 499, html: false }],
		['HTTP 428', 428, {}, 'x', { kind: 'httpStatus', status: 428, html: false }],
		['an HTML page with HTTP 200 is the ban page', 200, {}, '\n<!doctype html>', { kind: 'ban', waitSeconds: 5, html: true }],
		['an HTML page with HTTP 201 is not', 201, {}, '<html></html>', { kind: 'unreadable', status: 201, snippet: '<html></html>' }],
		['text that only contains a tag', 200, {}, 'see <b>', { kind: 'unreadable', status: 200, snippet: 'see <b>' }],
		['a long page is cut to 120 characters', 200, {}, `x${'y'.repeat(200)}`, { kind: 'unreadable', status: 200, snippet: `x${'y'.repeat(119)}` }],
	])('%s', (_, status, headers, text, expected) => {
		expect(readAnswer(status, headers, text, none)).toEqual(expected);
	});

	it('the body is redacted before it is parsed, also inside nested values', () => {
		const redactor = new Redactor(['token-123456']);
		expect(readAnswer(200, {}, '{"errcode":1,"result":{"url":"x?access_token=token-123456"}}', redactor)).toEqual({
			kind: 'answer',
			body: { errcode: 1, result: { url: 'x?access_token=***' } },
			errcode: 1,
		});
		expect(readAnswer(200, {}, 'token-123456 is bad', redactor)).toEqual({ kind: 'unreadable', status: 200, snippet: '*** is bad' });
	});
});

describe('Redactor', () => {
	it('each spelling of a secret: as is, URL-encoded, JSON-escaped', () => {
		const secret = 'a/b"c+d é';
		const redactor = new Redactor([secret]);
		expect(redactor.text(`1 ${secret} 2 ${encodeURIComponent(secret)} 3 ${JSON.stringify(secret).slice(1, -1)}`)).toBe('1 *** 2 *** 3 ***');
		expect(REDACTED).toBe('***');
	});

	it('a longer secret is replaced whole even when a shorter one is inside it', () => {
		expect(new Redactor(['secret', 'secret-and-more']).text('x secret-and-more y secret')).toBe('x *** y ***');
		expect(new Redactor(['secret-and-more', 'secret']).text('x secret-and-more y')).toBe('x *** y');
	});

	it('secrets shorter than six characters, and values that are not text, are left alone', () => {
		const redactor = new Redactor(['12345', '123456', null, { a: 1 }]);
		expect(redactor.text('12345 123456')).toBe('12345 ***');
		expect(new Redactor([]).text('anything')).toBe('anything');
	});

	it('values: every string in objects and lists, a copy, the rest as it is', () => {
		const redactor = new Redactor(['secret-1']);
		const original = { a: 'secret-1', list: ['x secret-1', 3, null, { deep: ['secret-1'] }], n: 1, t: true };
		const copy = redactor.value(original);
		expect(copy).toEqual({ a: '***', list: ['x ***', 3, null, { deep: ['***'] }], n: 1, t: true });
		expect(original.a).toBe('secret-1');
		expect((original.list[3] as IDataObject).deep).toEqual(['secret-1']);
		expect(redactor.value('secret-1!')).toBe('***!');
		expect(redactor.value(['secret-1'])).toEqual(['***']);
		expect(redactor.value(7)).toBe(7);
		expect(redactor.value(null)).toBeNull();
		const untouched = { a: 'secret-1' };
		expect(new Redactor([]).value(untouched)).toBe(untouched);
	});

	it('a deep answer is walked without running out of stack', () => {
		let deep: IDataObject = { leaf: 'secret-1' };
		for (let level = 0; level < 20_000; level++) deep = { next: deep };
		let walked = new Redactor(['secret-1']).value(deep);
		for (let level = 0; level < 20_000; level++) walked = walked.next as IDataObject;
		expect(walked).toEqual({ leaf: '***' });
	});
});

describe('Base URL', () => {
	it.each([
		[undefined, DEFAULT_BASE_URL],
		[null, DEFAULT_BASE_URL],
		['', DEFAULT_BASE_URL],
		['/', DEFAULT_BASE_URL],
		['  https://oapi.dingtalk.io/  ', 'https://oapi.dingtalk.io'],
		['https://proxy.example/dingtalk//', 'https://proxy.example/dingtalk'],
	])('%j → %s', (given, expected) => {
		expect(normalizeBaseUrl(given)).toBe(expected);
		expect(checkedBaseUrl(given)).toBe(expected);
	});

	it('what is wrong is said in full', () => {
		const message = (given: unknown) => thrown(() => checkedBaseUrl(given))?.message ?? 'accepted';
		expect(thrown(() => checkedBaseUrl('ftp://x'))).toBeInstanceOf(InvalidBaseUrlError);
		expect(thrown(() => checkedBaseUrl(1))?.name).toBe('InvalidBaseUrlError');
		const tail = 'Use https://oapi.dingtalk.com, or https://oapi.dingtalk.io for international tenants.';
		expect(message(42)).toBe(`The Base URL in the DingTalk API credential is not text. ${tail}`);
		expect(message({})).toBe(`The Base URL in the DingTalk API credential is not text. ${tail}`);
		expect(message('oapi.dingtalk.com')).toBe(`The Base URL in the DingTalk API credential "oapi.dingtalk.com" is not a web address. ${tail}`);
		expect(message('ftp://x')).toBe(`The Base URL in the DingTalk API credential must start with https:// (or http://), not ftp:. ${tail}`);
		expect(message('https://x/?')).toBe(`The Base URL in the DingTalk API credential must not have a query string (?…). ${tail}`);
		expect(message('https://x/?a')).toMatch(/must not have a query string/);
		expect(message('https://x/#')).toBe(`The Base URL in the DingTalk API credential must not have a fragment (#…). ${tail}`);
		expect(message('https://x/#a')).toMatch(/must not have a fragment/);
		expect(message('https://user@x')).toBe(`The Base URL in the DingTalk API credential must not contain a user name or password. ${tail}`);
		expect(message('https://:pw@x')).toMatch(/must not contain a user name or password/);
		expect(message(`not a url ${'x'.repeat(100)}`)).toBe(
			`The Base URL in the DingTalk API credential "not a url ${'x'.repeat(47)}..." is not a web address. ${tail}`,
		);
		expect(message(`a${'x'.repeat(59)}`)).toBe(`The Base URL in the DingTalk API credential "a${'x'.repeat(59)}" is not a web address. ${tail}`);
		expect(message(`javascript${'x'.repeat(70)}:alert(1)`)).toMatch(/must start with https:\/\/ \(or http:\/\/\), not javascriptx{47}\.\.\.\./);
	});
});
