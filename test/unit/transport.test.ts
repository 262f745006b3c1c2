import { readAnswer } from '../../nodes/DingTalk/transport/answer';
import { checkedBaseUrl, normalizeBaseUrl } from '../../nodes/DingTalk/transport/baseUrl';
import { effectiveErrcode, readErrcode } from '../../nodes/DingTalk/transport/errorCodes';
import { Redactor } from '../../nodes/DingTalk/transport/redact';

const none = new Redactor([]);

describe('readErrcode: only whole numbers and digit strings', () => {
	it.each([
		[0, 0],
		['0', 0],
		[-1, -1],
		['90018', 90018],
		['', undefined],
		[' ', undefined],
		[' 0', undefined],
		[null, undefined],
		[false, undefined],
		[[], undefined],
		[0.5, undefined],
		[undefined, undefined],
		['0x10', undefined],
	])('%j → %j', (value, expected) => expect(readErrcode(value)).toBe(expected));

	it('errcode 88 is decided by its sub_code', () => {
		expect(effectiveErrcode(88, '60011')).toBe(60011);
		expect(effectiveErrcode(88, 90018)).toBe(90018);
		expect(effectiveErrcode(88, undefined)).toBe(88);
		expect(effectiveErrcode(40014, '60011')).toBe(40014);
	});
});

describe('readAnswer', () => {
	it('DingTalk data with a valid errcode', () => {
		expect(readAnswer(200, {}, '{"errcode":"0","userid":"u1"}', none)).toEqual({ kind: 'answer', body: { errcode: 0, userid: 'u1' }, errcode: 0 });
		expect(readAnswer(200, {}, '{"errcode":88,"sub_code":"60011"}', none)).toMatchObject({ kind: 'answer', errcode: 60011 });
	});

	it('bans: the JSON answer with its wait, an HTML page with HTTP 200', () => {
		expect(readAnswer(200, {}, '{"status":1111,"wait":3,"punish":"deny"}', none)).toEqual({ kind: 'ban', waitSeconds: 3, html: false });
		expect(readAnswer(200, {}, '<html>denied</html>', none)).toEqual({ kind: 'ban', waitSeconds: 5, html: true });
	});

	it('HTTP 401, 403 and 404 pages are statuses, not bans', () => {
		for (const status of [401, 403, 404]) {
			expect(readAnswer(status, {}, '<html>no</html>', none)).toEqual({ kind: 'httpStatus', status, html: true });
		}
	});

	it('429 and 5xx with Retry-After (capped at 60 s)', () => {
		expect(readAnswer(429, { 'Retry-After': '7' }, '', none)).toEqual({ kind: 'httpStatus', status: 429, retryAfterMs: 7000, html: false });
		expect(readAnswer(503, { 'retry-after': '600' }, 'busy', none)).toEqual({ kind: 'httpStatus', status: 503, retryAfterMs: 60_000, html: false });
	});

	it('JSON without a valid errcode, and text that is not JSON', () => {
		expect(readAnswer(200, {}, '{"errcode":"","errmsg":"x"}', none)).toEqual({ kind: 'noErrcode', body: { errcode: '', errmsg: 'x' } });
		expect(readAnswer(200, {}, 'hello', none)).toEqual({ kind: 'unreadable', status: 200, snippet: 'hello' });
	});

	it('secrets are redacted before anything is read', () => {
		const redactor = new Redactor(['secret-token-123', 'app/secret"x']);
		const read = readAnswer(200, {}, JSON.stringify({ errcode: 1, errmsg: 'url?access_token=secret-token-123&s=app%2Fsecret%22x', sub_msg: 'app/secret"x' }), redactor);
		expect(read).toMatchObject({ kind: 'answer', body: { errmsg: 'url?access_token=***&s=***', sub_msg: '***' } });
	});
});

describe('Redactor', () => {
	it('replaces every spelling, leaves short values and other text alone', () => {
		const redactor = new Redactor(['abc', 'long-secret', undefined, 42]);
		expect(redactor.text('abc long-secret x')).toBe('abc *** x');
		expect(redactor.value({ a: ['long-secret', { b: 'xlong-secretx' }], n: 1 })).toEqual({ a: ['***', { b: 'x***x' }], n: 1 });
	});
});

describe('Base URL', () => {
	it('trailing slashes go, in time linear in the length', () => {
		expect(normalizeBaseUrl('https://oapi.dingtalk.com///')).toBe('https://oapi.dingtalk.com');
		expect(normalizeBaseUrl('  ')).toBe('https://oapi.dingtalk.com');
		const many = `https://a${'/'.repeat(80_000)}x${'/'.repeat(80_000)}`;
		expect(normalizeBaseUrl(many)).toBe(`https://a${'/'.repeat(80_000)}x`);
	});

	it.each([
		['https://oapi.dingtalk.io/', 'https://oapi.dingtalk.io'],
		['http://127.0.0.1:8787', 'http://127.0.0.1:8787'],
	])('%s is accepted', (given, expected) => expect(checkedBaseUrl(given)).toBe(expected));

	it.each([
		['ftp://oapi.dingtalk.com', /must start with https:\/\//],
		['https://oapi.dingtalk.com/?a=1', /query string/],
		['https://oapi.dingtalk.com#x', /fragment/],
		['https://user:pw@oapi.dingtalk.com', /user name or password/],
		['oapi.dingtalk.com', /not a web address/],
		[42, /is not text/],
	])('%s is refused', (given, message) => expect(() => checkedBaseUrl(given)).toThrow(message));
});
