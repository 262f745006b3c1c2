/**
 * A local stand-in for DingTalk's server API (oapi.dingtalk.com), written from
 * the project's DingTalk API notes (dingtalk-api.md, kept beside the repository): gettoken, the external-contact calls, users and departments,
 * DingTalk's error codes, both body encodings, HTTP 200 even on failure. DingTalk's rules are in
 * ./api.ts; this file serves them over HTTP on 127.0.0.1, logs every request and injects faults.
 * No dependencies beyond Node, so tests, the benchmark, the e2e run and `npm start` can all use it.
 *
 * Knobs (`startSandbox({ ...knobs })`, `sandbox.set(knobs)`; `reset()` restores DEFAULT_KNOBS):
 * - latencyMs: ms before each answer, or [min, max] for a seeded random latency.
 * - qpsLimit: calls per second per API before 90018 (0 = off), a number for every topapi call or
 *   `{ [path]: limit }` per path ('/gettoken' included); refused calls do not count.
 * - qpsWindow: 'rolling' (at most qpsLimit calls in any 1000 ms) or 'calendar' (at most qpsLimit per
 *   wall-clock second, Math.floor(Date.now() / 1000): DingTalk's "current second").
 * - busyRate, http500Rate: share of topapi calls answered -1 "system busy" or HTTP 500 (seeded).
 * - tokenExpiresAfterCalls: a token expires (42001) after this many calls (0 = only its 7200 s).
 * - missingPermission: false, 'write' (true means the same), 'read', 'mobile' or 'all': extcontact
 *   writes (create, update, delete), reads (get, list, listlabelgroups), getbymobile, or all of them
 *   answer 60011.
 * - updateClearsOmitted: true (the page's "assume a full replace"): update clears the optional
 *   fields it leaves out; false: it keeps them.
 * - echoSecrets: every error answer's errmsg and sub_msg quote the request as received (path and
 *   query, access_token or appsecret included), as a misbehaving gateway or DingTalk may.
 * - slowBodyBytesPerSecond: headers go out at once, the body trickles at this rate (0 = off).
 * - answerPaddingBytes: every JSON answer gets a `sandbox_padding` field of this many bytes (0 =
 *   off; the log leaves it out).
 * - randomSeed: seed of the random latency and fault rates, so that runs repeat.
 *
 * Verbatim answers, for the next calls of a path (`script(path, answers)`, one consumed per call) or
 * for every call that matches (`failFor({ path, userId }, answer)`), on /gettoken too:
 * - a JSON object, sent as is (a request_id is added when missing);
 * - `{ delayMs }`: wait, then answer (and apply) as usual;
 * - `{ answerLost: true }`: apply the call as usual, then cut the connection instead of answering
 *   (DingTalk did the work, its answer never arrived: a gateway or network failure after delivery);
 * - `{ http: N, body? }`: HTTP N with a text body; `{ http: N, html: true }` an HTML page with status N;
 * - `{ html: true, status? }`: the HTML page of an IP ban (status 200 unless given);
 * - `{ ban: seconds }`: `{"status":1111,"wait":seconds,"punish":"deny"}`;
 * - `{ raw: 'exact body', contentType? }`: sent as is with status 200 (content type JSON by default).
 */
import crypto from 'crypto';
import http from 'http';
import type { AddressInfo, Socket } from 'net';

import type { CallContext, Params } from './api';
import { ApiError, ERRCODE, fail, HANDLERS, NOT_FOUND, parseBody, PATHS, PERMISSION } from './api';
import type { Organisation, SeedOptions } from './seed';
import { buildSeed, SEED } from './seed';

export { NOT_FOUND, SEED };

export interface Knobs {
	latencyMs: number | [number, number];
	qpsLimit: number | Record<string, number>;
	qpsWindow: 'rolling' | 'calendar';
	busyRate: number;
	http500Rate: number;
	tokenExpiresAfterCalls: number;
	missingPermission: boolean | 'write' | 'read' | 'mobile' | 'all';
	updateClearsOmitted: boolean;
	echoSecrets: boolean;
	slowBodyBytesPerSecond: number;
	answerPaddingBytes: number;
	randomSeed: number;
}

export const DEFAULT_KNOBS: Readonly<Knobs> = Object.freeze({
	latencyMs: 0,
	qpsLimit: 0,
	qpsWindow: 'rolling',
	busyRate: 0,
	http500Rate: 0,
	tokenExpiresAfterCalls: 0,
	missingPermission: false,
	updateClearsOmitted: true,
	echoSecrets: false,
	slowBodyBytesPerSecond: 0,
	answerPaddingBytes: 0,
	randomSeed: 1,
});

/** A verbatim answer (see the header): the fields that mean something special, else JSON sent as is. */
export interface VerbatimAnswer {
	delayMs?: number;
	answerLost?: boolean;
	http?: number;
	body?: string;
	html?: boolean;
	status?: number;
	ban?: number;
	raw?: string;
	contentType?: string;
	[field: string]: unknown;
}

export interface LogEntry {
	seq: number;
	time: number;
	method: string;
	path: string;
	query: Record<string, string>;
	contentType?: string;
	encoding: 'form' | 'json' | 'none';
	/** whether `contact` arrived as a JSON string inside a form field (DingTalk's documented form) */
	contactAsJsonString: boolean;
	params: Params;
	status: number;
	/** the JSON answer, '<html>' for an HTML page, or the text of any other body */
	response: unknown;
	applied: boolean;
	/** applied, but the connection was cut instead of answering (`{ answerLost: true }`) */
	answerLost: boolean;
	latencyMs: number;
	/** when the call met the QPS limit (after the latency), whether it was counted or refused */
	qpsCheckedAt?: number;
}

/**
 * The most calls of `entries` that met the QPS limit within one second, as the log tells (refused
 * ones included): within any 1,000 ms, and within one calendar second. DingTalk's promise kept means
 * neither is above the quota.
 */
export function busiestSecondAtLimit(entries: Array<Pick<LogEntry, 'qpsCheckedAt'>>): { rolling: number; calendar: number } {
	const times = entries.flatMap((entry) => (entry.qpsCheckedAt === undefined ? [] : [entry.qpsCheckedAt])).sort((a, b) => a - b);
	let rolling = 0;
	for (let first = 0, last = 0; last < times.length; last++) {
		while (times[last] - times[first] >= 1000) first++;
		rolling = Math.max(rolling, last - first + 1);
	}
	const perCalendarSecond = new Map<number, number>();
	for (const time of times) perCalendarSecond.set(Math.floor(time / 1000), (perCalendarSecond.get(Math.floor(time / 1000)) ?? 0) + 1);
	return { rolling, calendar: Math.max(0, ...perCalendarSecond.values()) };
}

export interface SandboxOptions extends Partial<Knobs> {
	host?: string;
	/** 0 (the default) = any free port */
	port?: number;
	appKey?: string;
	appSecret?: string;
	/** 'default' or {} = the sample organisation, { extraUsers, extraContacts } adds generated ones, false = empty */
	seed?: 'default' | SeedOptions | false;
}

const TOKEN_TTL_SECONDS = 7200;
const PADDING_FIELD = 'sandbox_padding';
/** How often a slow body is written to: about ten times a second, or once per byte when slower. */
const TRICKLE_TICKS_PER_SECOND = 10;

const BAN_PAGE =
	'<!DOCTYPE html><html><head><title>405</title></head><body><h1>访问被拒绝 Access denied</h1><p>Your IP has been blocked.</p></body></html>';
const statusPage = (status: number) => {
	const title = `${status} ${http.STATUS_CODES[status] ?? ''}`.trim();
	return `<!DOCTYPE html><html><head><title>${title}</title></head><body><center><h1>${title}</h1></center><hr><center>Tengine</center></body></html>`;
};

/** An answer ready to send: JSON (still to be finished: echo, padding) or a body sent as is. */
type Reply = { status: number; json: Params } | { status: number; contentType: string; text: string; logAs: string };

/** mulberry32: a small seeded PRNG, so knob-driven runs repeat exactly. */
function seededRandom(seed: number): () => number {
	let state = seed >>> 0;
	return () => {
		state = (state + 0x6d2b79f5) >>> 0;
		let t = state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

/** Waits, or less when `signal` aborts. unref'd: a pending answer must not keep a finished run alive. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
	return new Promise((resolve) => {
		if (signal.aborted) return resolve();
		const done = () => {
			clearTimeout(timer);
			signal.removeEventListener('abort', done);
			resolve();
		};
		const timer = setTimeout(done, ms);
		timer.unref();
		signal.addEventListener('abort', done, { once: true });
	});
}

const requestId = () => crypto.randomBytes(8).toString('hex');

function readBody(request: http.IncomingMessage): Promise<string> {
	return new Promise((resolve, reject) => {
		const chunks: Buffer[] = [];
		request.on('data', (chunk: Buffer) => chunks.push(chunk));
		request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
		request.on('error', reject);
	});
}

function verbatim(answer: VerbatimAnswer): Reply {
	if (typeof answer.http === 'number') {
		const status = answer.http;
		if (answer.html === true) return { status, contentType: 'text/html; charset=utf-8', text: statusPage(status), logAs: '<html>' };
		const text = typeof answer.body === 'string' ? answer.body : (http.STATUS_CODES[status] ?? 'Error');
		return { status, contentType: 'text/plain', text, logAs: text };
	}
	if (typeof answer.raw === 'string') {
		const contentType = typeof answer.contentType === 'string' ? answer.contentType : 'application/json; charset=utf-8';
		return { status: 200, contentType, text: answer.raw, logAs: answer.raw };
	}
	if (answer.html === true) {
		const status = typeof answer.status === 'number' ? answer.status : 200;
		return { status, contentType: 'text/html; charset=utf-8', text: BAN_PAGE, logAs: '<html>' };
	}
	if (typeof answer.ban === 'number') return { status: 200, json: { status: 1111, wait: answer.ban, punish: 'deny' } };
	return { status: 200, json: { request_id: requestId(), ...answer } };
}

interface Token {
	token: string;
	expiresAt: number;
	uses: number;
}

class Sandbox {
	readonly appKey: string;
	readonly appSecret: string;
	url = '';
	port = 0;
	log: LogEntry[] = [];
	state!: Organisation;
	knobs!: Knobs;
	private readonly seedOptions: SeedOptions | false;
	private random!: () => number;
	private tokens!: Map<string, Token>;
	private scripts!: Map<string, VerbatimAnswer[]>;
	private rules!: Array<{ match: { path?: string; userId?: string }; answer: VerbatimAnswer }>;
	private callTimes!: Map<string, number[]>;
	private appliedCounts!: Map<string, number>;
	private nextUserid = 1;
	private seq = 0;
	/** aborted by close(): ends every wait and every trickling body */
	readonly closing = new AbortController();

	constructor(options: SandboxOptions) {
		const { seed, appKey, appSecret, host: _host, port: _port, ...knobs } = options;
		this.appKey = appKey ?? 'sandbox-app-key';
		this.appSecret = appSecret ?? 'sandbox-app-secret';
		this.seedOptions = seed === false ? false : typeof seed === 'object' ? seed : {};
		this.reset();
		this.set(knobs);
	}

	/** Back to the seed organisation, default knobs, no tokens, no scripts. */
	reset(): void {
		this.state =
			this.seedOptions === false
				? { labelGroups: [], departments: [], users: [], contacts: new Map() }
				: buildSeed(this.seedOptions);
		this.knobs = { ...DEFAULT_KNOBS };
		this.random = seededRandom(this.knobs.randomSeed);
		this.tokens = new Map();
		this.scripts = new Map();
		this.rules = [];
		this.callTimes = new Map();
		this.appliedCounts = new Map();
		this.nextUserid = 1;
		this.seq = 0;
	}

	resetLog(): void {
		this.log = [];
	}

	set(knobs: Partial<Knobs> = {}): void {
		Object.assign(this.knobs, knobs);
		if (knobs.randomSeed !== undefined) this.random = seededRandom(knobs.randomSeed);
	}

	/** Queues verbatim answers for the next calls of one path (consumed one per call). */
	script(path: string, answers: VerbatimAnswer[]): void {
		const queue = this.scripts.get(path) ?? [];
		queue.push(...answers);
		this.scripts.set(path, queue);
	}

	/** A standing verbatim answer for every call on `path` and/or about contact `userId`. */
	failFor(match: { path?: string; userId?: string }, answer: VerbatimAnswer): void {
		this.rules.push({ match, answer });
	}

	stats() {
		const perPath: Record<string, number> = {};
		const perErrcode: Record<string, number> = {};
		let tokensIssued = 0;
		for (const entry of this.log) {
			perPath[entry.path] = (perPath[entry.path] ?? 0) + 1;
			const response = entry.response as Params | undefined;
			const errcode = response && typeof response === 'object' ? response.errcode : undefined;
			if (errcode !== undefined) perErrcode[String(errcode)] = (perErrcode[String(errcode)] ?? 0) + 1;
			if (entry.path === PATHS.TOKEN && response && typeof response === 'object' && response.access_token) tokensIssued++;
		}
		return { perPath, perErrcode, tokensIssued, appliedPerContact: new Map(this.appliedCounts) };
	}

	// ---- request handling -------------------------------------------------------------------------

	async handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
		const started = Date.now();
		const received = request.url ?? '/';
		const url = new URL(received, 'http://127.0.0.1');
		const contentType = request.headers['content-type'];
		const parsed = parseBody(contentType, await readBody(request));
		const entry: LogEntry = {
			seq: ++this.seq,
			time: started,
			method: request.method ?? 'GET',
			path: url.pathname,
			query: Object.fromEntries(url.searchParams),
			contentType,
			encoding: parsed.encoding,
			contactAsJsonString: parsed.encoding === 'form' && typeof parsed.params.contact === 'object',
			params: parsed.params,
			status: 200,
			response: undefined,
			applied: false,
			answerLost: false,
			latencyMs: 0,
		};
		this.log.push(entry);

		const reply = await this.answer(entry, parsed.invalid);
		if (this.closing.signal.aborted) return;
		entry.latencyMs = Date.now() - started;
		entry.status = reply.status;
		if (entry.answerLost) {
			entry.response = 'json' in reply ? reply.json : reply.logAs;
			response.destroy();
			return;
		}
		if ('json' in reply) {
			const json = this.knobs.echoSecrets ? echoRequest(reply.json, received) : reply.json;
			entry.response = json;
			const padding = this.knobs.answerPaddingBytes;
			const body = JSON.stringify(padding > 0 ? { ...json, [PADDING_FIELD]: 'x'.repeat(padding) } : json);
			await this.send(response, reply.status, 'application/json; charset=utf-8', body);
		} else {
			entry.response = reply.logAs;
			await this.send(response, reply.status, reply.contentType, reply.text);
		}
	}

	private chance(rate: number): boolean {
		return rate > 0 && this.random() < rate;
	}

	private async answer(entry: LogEntry, invalidBody: boolean): Promise<Reply> {
		const latency = this.knobs.latencyMs;
		const wait = Array.isArray(latency) ? latency[0] + this.random() * (latency[1] - latency[0]) : latency;
		if (wait > 0) await sleep(wait, this.closing.signal);
		if (this.closing.signal.aborted) return verbatim({ http: 503 }); // closed meanwhile: change nothing

		const isToken = entry.path === PATHS.TOKEN;
		const handler = HANDLERS[entry.path];
		if (!isToken && !handler) return { status: 404, json: { errcode: 404, errmsg: `no such API: ${entry.path}` } };

		const scripted = this.scripts.get(entry.path)?.shift();
		if (scripted?.answerLost === true) {
			entry.answerLost = true; // answered (and applied) as usual below; handle() cuts the connection
		} else if (typeof scripted?.delayMs === 'number') {
			await sleep(scripted.delayMs, this.closing.signal); // a slow DingTalk: then answer (and apply) as usual
			if (this.closing.signal.aborted) return verbatim({ http: 503 });
		} else if (scripted) {
			return verbatim(scripted);
		}
		const rule = this.rules.find(({ match }) => matches(match, entry));
		if (rule) return verbatim(rule.answer);

		try {
			if (isToken) return { status: 200, json: this.getToken(entry) };
			if (this.chance(this.knobs.http500Rate)) return verbatim({ http: 500 });
			if (entry.method !== 'POST') fail(ERRCODE.ILLEGAL_PARAMETER, '不合法的参数: POST required');
			this.checkToken(entry);
			this.checkQps(entry, this.knobs.qpsLimit);
			if (this.chance(this.knobs.busyRate)) fail(ERRCODE.SYSTEM_BUSY, '系统繁忙');
			if (this.lacksPermission(entry.path)) fail(ERRCODE.NO_PERMISSION, '没有调用该接口的权限');
			if (invalidBody) fail(ERRCODE.ILLEGAL_PARAMETER, '不合法的参数');
			const outcome = handler(this.state, entry.params, this.callContext());
			if (outcome.applied !== undefined) {
				entry.applied = true;
				this.appliedCounts.set(outcome.applied, (this.appliedCounts.get(outcome.applied) ?? 0) + 1);
			}
			return { status: 200, json: { errcode: ERRCODE.OK, errmsg: 'ok', ...outcome.body, request_id: requestId() } };
		} catch (error) {
			if (!(error instanceof ApiError)) throw error;
			const requestIdField = isToken ? {} : { request_id: requestId() };
			return { status: 200, json: { errcode: error.errcode, errmsg: error.message, ...requestIdField } };
		}
	}

	private callContext(): CallContext {
		return {
			updateClearsOmitted: this.knobs.updateClearsOmitted,
			newUserid: () => `${Date.now() % 1e9}${String(this.nextUserid++).padStart(7, '0')}`,
		};
	}

	/** GET with appkey and appsecret in the query string; a valid token is returned again and extended. */
	private getToken(entry: LogEntry): Params {
		this.checkQps(entry, typeof this.knobs.qpsLimit === 'object' ? this.knobs.qpsLimit : 0);
		if (entry.method !== 'GET') fail(ERRCODE.ILLEGAL_PARAMETER, '不合法的参数: appkey and appsecret go in the query string');
		const { appkey, appsecret } = entry.query;
		if (!appkey || !appsecret) fail(ERRCODE.ILLEGAL_PARAMETER, '不合法的参数');
		if (appkey !== this.appKey || appsecret !== this.appSecret) fail(ERRCODE.BAD_APP_CREDENTIALS, '不合法的appKey或appSecret');
		const now = Date.now();
		let current = [...this.tokens.values()].find((token) => !this.isExpired(token, now));
		if (current) {
			current.expiresAt = now + TOKEN_TTL_SECONDS * 1000;
		} else {
			current = { token: crypto.randomBytes(16).toString('hex'), expiresAt: now + TOKEN_TTL_SECONDS * 1000, uses: 0 };
			this.tokens.set(current.token, current);
		}
		return { errcode: ERRCODE.OK, errmsg: 'ok', access_token: current.token, expires_in: TOKEN_TTL_SECONDS };
	}

	private isExpired(token: Token, now: number): boolean {
		const limit = this.knobs.tokenExpiresAfterCalls;
		return now >= token.expiresAt || (limit > 0 && token.uses >= limit);
	}

	/** The token goes in the access_token query parameter only; a header is ignored. */
	private checkToken(entry: LogEntry): void {
		const token = this.tokens.get(entry.query.access_token ?? '');
		if (!token) fail(ERRCODE.INVALID_TOKEN, '不合法的access_token');
		if (this.isExpired(token, Date.now())) fail(ERRCODE.TOKEN_EXPIRED, 'access_token超时');
		token.uses++;
	}

	/** Per app, per API; calls refused with 90018 do not count. */
	private checkQps(entry: LogEntry, knob: Knobs['qpsLimit']): void {
		const { path } = entry;
		const limit = typeof knob === 'object' ? (knob[path] ?? 0) : knob;
		if (!limit) return;
		const now = Date.now();
		const second = Math.floor(now / 1000);
		const inWindow =
			this.knobs.qpsWindow === 'calendar'
				? (time: number) => Math.floor(time / 1000) === second
				: (time: number) => now - time < 1000;
		const times = (this.callTimes.get(path) ?? []).filter(inWindow);
		this.callTimes.set(path, times);
		entry.qpsCheckedAt = now;
		if (times.length >= limit) fail(ERRCODE.QPS_LIMIT, '当前接口调用频率超出限制，请稍后再试');
		times.push(now);
	}

	private lacksPermission(path: string): boolean {
		const knob = this.knobs.missingPermission;
		const missing = knob === true ? 'write' : knob;
		const needed = PERMISSION[path];
		return Boolean(missing) && needed !== undefined && (missing === 'all' || missing === needed);
	}

	/** Sends the answer, all at once or trickling at slowBodyBytesPerSecond. */
	private async send(response: http.ServerResponse, status: number, contentType: string, text: string): Promise<void> {
		if (response.destroyed) return; // the client gave up (a timeout); DingTalk would still have done the work
		const body = Buffer.from(text, 'utf8');
		response.writeHead(status, { 'Content-Type': contentType, 'Content-Length': body.length });
		const rate = this.knobs.slowBodyBytesPerSecond;
		if (!(rate > 0)) {
			response.end(body);
			return;
		}
		response.flushHeaders();
		const chunk = Math.max(1, Math.floor(rate / TRICKLE_TICKS_PER_SECOND));
		const interval = (chunk / rate) * 1000;
		const stop = new AbortController();
		const onStop = () => stop.abort();
		response.once('close', onStop);
		this.closing.signal.addEventListener('abort', onStop, { once: true });
		try {
			// at most ceil(length / chunk) rounds; ends early when the client disconnects or close() runs
			for (let sent = 0; sent < body.length && !stop.signal.aborted; sent += chunk) {
				response.write(body.subarray(sent, sent + chunk));
				if (sent + chunk < body.length) await sleep(interval, stop.signal);
			}
		} finally {
			response.off('close', onStop);
			this.closing.signal.removeEventListener('abort', onStop);
		}
		if (stop.signal.aborted) response.destroy();
		else response.end();
	}
}

function matches(match: { path?: string; userId?: string }, entry: LogEntry): boolean {
	if (match.path && entry.path !== match.path) return false;
	if (!match.userId) return true;
	const contact = entry.params.contact as Params | undefined;
	return entry.params.user_id === match.userId || (typeof contact === 'object' && contact?.user_id === match.userId);
}

/** A failure's errmsg and sub_msg quoting the request as received, as some gateways (and DingTalk) do. */
function echoRequest(json: Params, received: string): Params {
	if (typeof json.errcode !== 'number' || json.errcode === 0) return json;
	const quote = ` (request: ${received})`;
	const errmsg = `${typeof json.errmsg === 'string' ? json.errmsg : ''}${quote}`;
	const subMsg = typeof json.sub_msg === 'string' ? `${json.sub_msg}${quote}` : errmsg;
	return { ...json, errmsg, sub_msg: subMsg };
}

export type { Sandbox };

/**
 * Starts a sandbox on 127.0.0.1 (see SandboxOptions and the knobs above). close() ends every pending
 * answer and connection.
 */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox & { close(): Promise<void> }> {
	const sandbox = new Sandbox({ ...options, seed: options.seed === 'default' ? {} : options.seed });
	const sockets = new Set<Socket>();
	const server = http.createServer((request, response) => {
		sandbox.handle(request, response).catch((error: Error) => {
			if (!response.headersSent) {
				response.writeHead(500, { 'Content-Type': 'text/plain' });
				response.end(`sandbox error: ${error.message}`);
			} else {
				response.destroy();
			}
		});
	});
	server.keepAliveTimeout = 30_000;
	server.on('connection', (socket) => {
		sockets.add(socket);
		socket.on('close', () => sockets.delete(socket));
	});
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve);
	});
	const address = server.address() as AddressInfo;
	sandbox.port = address.port;
	sandbox.url = `http://${address.address}:${address.port}`;
	return Object.assign(sandbox, {
		close: () =>
			new Promise<void>((resolve) => {
				sandbox.closing.abort();
				for (const socket of sockets) socket.destroy();
				server.close(() => resolve());
			}),
	});
}
