/** One HTTP exchange (transport/http.ts): body reading, the size cap, the deadline, the stop. */
import { Readable } from 'stream';

import type { IN8nHttpFullResponse } from 'n8n-workflow';

import { exchange, MAX_ANSWER_BYTES, untilAborted } from '../../nodes/DingTalk/transport/http';
import { rejection } from './fakes';

const respond =
	(body: unknown, statusCode = 200, headers: object = { a: '1' }) =>
	async (): Promise<IN8nHttpFullResponse> => ({ statusCode, headers: headers as never, body: body as never });

const failWith = (code?: string) => async (): Promise<IN8nHttpFullResponse> => {
	throw Object.assign(new Error('the request failed'), code === undefined ? {} : { code });
};

const limits = { timeoutMs: 5000 };

describe('exchange: the answer', () => {
	it('a text body with its status and headers', async () => {
		expect(await exchange(respond('{"errcode":0}', 201), limits)).toEqual({
			kind: 'response',
			status: 201,
			headers: { a: '1' },
			text: '{"errcode":0}',
		});
	});

	it.each([
		['no body', undefined, ''],
		['a null body', null, ''],
		['a number', 42, '42'],
		['a stream of buffers and strings', () => Readable.from([Buffer.from('{"err'), 'code":0}']), '{"errcode":0}'],
		['a stream of UTF-8 split inside a character', () => Readable.from([Buffer.from([0xe9, 0x92]), Buffer.from([0x89])]), '钉'],
	])('%s', async (_, body, text) => {
		const given = typeof body === 'function' ? body() : body;
		expect(await exchange(respond(given), limits)).toMatchObject({ kind: 'response', text });
	});

	it('answers up to the cap are read; one byte more is refused, and a stream is destroyed', async () => {
		expect(await exchange(respond('x'.repeat(10)), { ...limits, maxBytes: 10 })).toMatchObject({ kind: 'response' });
		expect(await exchange(respond('x'.repeat(11)), { ...limits, maxBytes: 10 })).toEqual({ kind: 'tooLarge', limitBytes: 10 });
		expect(await exchange(respond('é'.repeat(6)), { ...limits, maxBytes: 11 })).toEqual({ kind: 'tooLarge', limitBytes: 11 });

		const exact = Readable.from([Buffer.alloc(6), Buffer.alloc(4)]);
		expect(await exchange(respond(exact), { ...limits, maxBytes: 10 })).toMatchObject({ kind: 'response' });
		const stream = Readable.from([Buffer.alloc(6), Buffer.alloc(6), Buffer.alloc(6)]);
		expect(await exchange(respond(stream), { ...limits, maxBytes: 10 })).toEqual({ kind: 'tooLarge', limitBytes: 10 });
		expect(stream.destroyed).toBe(true);
	});

	it('the default cap is 10 MB', async () => {
		expect(MAX_ANSWER_BYTES).toBe(10 * 1024 * 1024);
		expect(await exchange(respond('x'.repeat(MAX_ANSWER_BYTES + 1)), limits)).toEqual({ kind: 'tooLarge', limitBytes: MAX_ANSWER_BYTES });
		expect(await exchange(respond('x'.repeat(MAX_ANSWER_BYTES)), limits)).toMatchObject({ kind: 'response' });
	});
});

describe('exchange: failures', () => {
	it.each([
		['ECONNREFUSED', false],
		['ENOTFOUND', false],
		['EAI_AGAIN', false],
		['EHOSTUNREACH', false],
		['ENETUNREACH', false],
		['ERR_INVALID_URL', false],
		['CERT_HAS_EXPIRED', false],
		['DEPTH_ZERO_SELF_SIGNED_CERT', false],
		['UNABLE_TO_VERIFY_LEAF_SIGNATURE', false],
		['ECONNRESET', true],
		['EPIPE', true],
	])('%s: may have been delivered: %s', async (code, maybeDelivered) => {
		expect(await exchange(failWith(code), limits)).toEqual({ kind: 'network', code, maybeDelivered });
	});

	it('an error without a code may have been delivered', async () => {
		expect(await exchange(failWith(), limits)).toEqual({ kind: 'network', code: 'UNKNOWN', maybeDelivered: true });
	});

	it('the deadline covers the whole call: no answer, or a body that never ends', async () => {
		const hang = async () => await new Promise<IN8nHttpFullResponse>(() => undefined);
		expect(await exchange(hang, { timeoutMs: 30 })).toEqual({ kind: 'network', code: 'ETIMEDOUT', maybeDelivered: true });

		const endless = new Readable({ read() {} });
		endless.push('{"errcode"');
		expect(await exchange(respond(endless), { timeoutMs: 30 })).toEqual({ kind: 'network', code: 'ETIMEDOUT', maybeDelivered: true });
		expect(endless.destroyed).toBe(true);
	});

	it('the request gets a signal that fires at the deadline', async () => {
		let signal: AbortSignal | undefined;
		await exchange(async (given) => {
			signal = given;
			return await new Promise<IN8nHttpFullResponse>((_, reject) => given.addEventListener('abort', () => reject(new Error('aborted'))));
		}, { timeoutMs: 20 });
		expect(signal?.aborted).toBe(true);
	});

	it('a stop before or during the call throws ExecutionStoppedError', async () => {
		const stopped = new AbortController();
		stopped.abort();
		let sent = false;
		const before = await rejection(exchange(async () => ((sent = true), await respond('')()), { timeoutMs: 1000, stop: stopped.signal }));
		expect(before.name).toBe('ExecutionStoppedError');
		expect(sent).toBe(false);

		const stop = new AbortController();
		const during = exchange(async () => await new Promise<IN8nHttpFullResponse>(() => undefined), { timeoutMs: 5000, stop: stop.signal });
		setTimeout(() => stop.abort(), 10);
		expect((await rejection(during)).name).toBe('ExecutionStoppedError');
	});
});

describe('untilAborted', () => {
	it('the work, or a rejection as soon as the signal fires', async () => {
		const controller = new AbortController();
		expect(await untilAborted(Promise.resolve('done'), controller.signal)).toBe('done');
		const pending = untilAborted(new Promise(() => undefined), controller.signal);
		controller.abort();
		await expect(pending).rejects.toThrow('aborted');
		await expect(untilAborted(Promise.resolve('late'), controller.signal)).rejects.toThrow('aborted');
	});

	it('a failing work is passed on, and its listener removed', async () => {
		const controller = new AbortController();
		const remove = jest.spyOn(controller.signal, 'removeEventListener');
		await expect(untilAborted(Promise.reject(new Error('broken')), controller.signal)).rejects.toThrow('broken');
		expect(remove).toHaveBeenCalledWith('abort', expect.any(Function));
	});
});
