'use strict';
/**
 * A local stand-in for DingTalk's server API (oapi.dingtalk.com), as ../../../shared/dingtalk-api.md
 * describes it: gettoken, the external-contact endpoints, users and departments, DingTalk's error
 * codes, both body encodings, HTTP 200 even on failure. Knobs inject latency, a per-API QPS limit,
 * "system busy", token expiry, HTTP 5xx, HTML pages and IP-ban answers. Every request is logged.
 *
 * Plain Node, no dependencies, so tests, benchmarks, the e2e run and `npm start` can all use it.
 * Listens on 127.0.0.1 only.
 */
const http = require('http');
const crypto = require('crypto');

const { SEED, buildSeed } = require('./seed');

const TOPAPI = {
	UPDATE: '/topapi/extcontact/update',
	CREATE: '/topapi/extcontact/create',
	GET: '/topapi/extcontact/get',
	LIST: '/topapi/extcontact/list',
	DELETE: '/topapi/extcontact/delete',
	LABEL_GROUPS: '/topapi/extcontact/listlabelgroups',
	USERS: '/topapi/user/listsimple',
	DEPARTMENTS: '/topapi/v2/department/listsub',
};
const EXTCONTACT_WRITES = new Set([TOPAPI.UPDATE, TOPAPI.CREATE, TOPAPI.DELETE]);

/** The code the sandbox answers for an unknown user or external contact. */
const NOT_FOUND = 60121;
const MAX_IDS = 20;

const DEFAULT_KNOBS = Object.freeze({
	latencyMs: 0,
	qpsLimit: 0,
	tokenQpsLimit: 0,
	busyRate: 0,
	http500Rate: 0,
	htmlRate: 0,
	banRate: 0,
	banWaitSeconds: 5,
	tokenExpiresAfterCalls: 0,
	missingPermission: false,
	extcontactDisabled: false,
	randomSeed: 1,
});

const HTML_PAGE =
	'<!DOCTYPE html><html><head><title>405</title></head><body><h1>访问被拒绝 Access denied</h1><p>Your IP has been blocked.</p></body></html>';

/** mulberry32: a small seeded PRNG, so knob-driven runs repeat exactly. */
function seededRandom(seed) {
	let state = seed >>> 0;
	return () => {
		state = (state + 0x6d2b79f5) >>> 0;
		let t = state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

// unref'd: a slow answer still pending must not keep a finished test run alive
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms).unref());

class ApiError extends Error {
	constructor(errcode, errmsg) {
		super(errmsg);
		this.errcode = errcode;
	}
}
const fail = (errcode, errmsg) => {
	throw new ApiError(errcode, errmsg);
};

function isIntegerId(value) {
	return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

/** Parses the body as DingTalk does: form fields (strings; `contact` a JSON string) or JSON. */
function parseParams(contentType, raw) {
	if (!raw) return { encoding: 'none', params: {} };
	if (/application\/json/i.test(contentType ?? '')) {
		try {
			const params = JSON.parse(raw);
			return { encoding: 'json', params: params && typeof params === 'object' ? params : {} };
		} catch {
			return { encoding: 'json', params: {}, invalid: true };
		}
	}
	const params = Object.fromEntries(new URLSearchParams(raw));
	let invalid = false;
	for (const key of ['contact']) {
		if (typeof params[key] !== 'string') continue;
		try {
			params[key] = JSON.parse(params[key]);
		} catch {
			invalid = true;
		}
	}
	return { encoding: 'form', params, invalid };
}

function numberParam(value) {
	if (value === undefined || value === null || value === '') return undefined;
	const number = Number(value);
	return Number.isFinite(number) ? number : NaN;
}

class Sandbox {
	constructor(options) {
		this.options = options;
		this.appKey = options.appKey ?? 'sandbox-app-key';
		this.appSecret = options.appSecret ?? 'sandbox-app-secret';
		this.tokenTtlSeconds = options.tokenTtlSeconds ?? 7200;
		this.badCredentialsErrcode = options.badCredentialsErrcode ?? 40089;
		this.seedOptions = options.seed === false ? false : typeof options.seed === 'object' ? options.seed : {};
		this.log = [];
		this.reset();
		const { seed: _seed, appKey: _k, appSecret: _s, host: _h, port: _p, ...knobs } = options;
		this.set(knobs);
	}

	/** Back to the seed organisation, default knobs, no tokens, no scripts. */
	reset() {
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

	resetLog() {
		this.log = [];
	}

	set(knobs = {}) {
		Object.assign(this.knobs, knobs);
		if (knobs.randomSeed !== undefined) this.random = seededRandom(knobs.randomSeed);
	}

	/** Queues verbatim answers for the next calls of one path (consumed one per call). */
	script(path, answers) {
		const queue = this.scripts.get(path) ?? [];
		queue.push(...answers);
		this.scripts.set(path, queue);
	}

	/** A standing answer for calls matching `{ path, userId }` (or a predicate on the log entry). */
	failFor(match, answer) {
		const predicate =
			typeof match === 'function'
				? match
				: (entry) =>
						(!match.path || entry.path === match.path) &&
						(!match.userId ||
							entry.params.user_id === match.userId ||
							(entry.params.contact && entry.params.contact.user_id === match.userId));
		this.rules.push({ predicate, answer });
	}

	stats() {
		const perPath = {};
		const perErrcode = {};
		for (const entry of this.log) {
			perPath[entry.path] = (perPath[entry.path] ?? 0) + 1;
			const errcode = entry.response && typeof entry.response === 'object' ? entry.response.errcode : undefined;
			if (errcode !== undefined) perErrcode[errcode] = (perErrcode[errcode] ?? 0) + 1;
		}
		return {
			perPath,
			perErrcode,
			tokensIssued: this.log.filter((entry) => entry.path === '/gettoken' && entry.response?.access_token).length,
			appliedPerContact: new Map(this.appliedCounts),
		};
	}

	// ---- request handling --------------------------------------------------------------------

	async handle(request, response) {
		const started = Date.now();
		const url = new URL(request.url, 'http://127.0.0.1');
		const raw = await readBody(request);
		const contentType = request.headers['content-type'];
		const parsed = parseParams(contentType, raw);
		const entry = {
			seq: ++this.seq,
			time: started,
			method: request.method,
			path: url.pathname,
			query: Object.fromEntries(url.searchParams),
			contentType,
			encoding: parsed.encoding,
			/** whether `contact` arrived as a JSON string inside a form field (DingTalk's documented form) */
			contactAsJsonString: parsed.encoding === 'form' && typeof parsed.params.contact === 'object',
			params: parsed.params,
			status: 200,
			response: undefined,
			applied: false,
			latencyMs: 0,
		};
		this.log.push(entry);

		const answer = await this.answer(entry, parsed.invalid);
		entry.latencyMs = Date.now() - started;
		entry.status = answer.status ?? 200;
		if (answer.html !== undefined) {
			entry.response = '<html>';
			send(response, entry.status, 'text/html; charset=utf-8', answer.html);
		} else if (answer.text !== undefined) {
			entry.response = answer.text;
			send(response, entry.status, 'text/plain', answer.text);
		} else {
			entry.response = answer.json;
			send(response, entry.status, 'application/json; charset=utf-8', JSON.stringify(answer.json));
		}
	}

	async answer(entry, invalidBody) {
		const latency = this.knobs.latencyMs;
		const wait = Array.isArray(latency) ? latency[0] + this.random() * (latency[1] - latency[0]) : latency;
		if (wait > 0) await sleep(wait);

		if (entry.path === '/gettoken') return this.getToken(entry);
		const handler = this.handlers()[entry.path];
		if (!handler) return { status: 404, json: { errcode: 404, errmsg: `no such API: ${entry.path}` } };

		const scripted = await this.takeScripted(entry);
		if (scripted) return scripted;

		const rule = this.rules.find((candidate) => candidate.predicate(entry));
		if (rule) return this.verbatim(rule.answer);

		if (this.random() < this.knobs.http500Rate) return { status: 500, text: 'Internal Server Error' };
		if (this.random() < this.knobs.htmlRate) return { status: 200, html: HTML_PAGE };
		if (this.random() < this.knobs.banRate) return this.verbatim({ ban: this.knobs.banWaitSeconds });

		try {
			if (entry.method !== 'POST') fail(40035, '不合法的参数: POST required');
			this.checkToken(entry);
			this.checkQps(entry.path, this.knobs.qpsLimit);
			if (this.random() < this.knobs.busyRate) fail(-1, '系统繁忙');
			if (entry.path.startsWith('/topapi/extcontact/')) {
				if (this.knobs.extcontactDisabled) fail(60205, '企业未开通外部联系人');
				if (this.knobs.missingPermission && EXTCONTACT_WRITES.has(entry.path)) fail(60011, '没有调用该接口的权限');
			}
			if (invalidBody) fail(40035, '不合法的参数');
			const result = handler.call(this, entry.params, entry);
			return { json: { errcode: 0, errmsg: 'ok', ...result, request_id: requestId() } };
		} catch (error) {
			if (!(error instanceof ApiError)) throw error;
			return { json: { errcode: error.errcode, errmsg: error.message, request_id: requestId() } };
		}
	}

	async takeScripted(entry) {
		const queue = this.scripts.get(entry.path);
		if (!queue || queue.length === 0) return undefined;
		const scripted = queue.shift();
		if (scripted.delayMs !== undefined) {
			// a slow DingTalk: wait, then answer (and apply) as usual
			await sleep(scripted.delayMs);
			return undefined;
		}
		return this.verbatim(scripted);
	}

	verbatim(answer) {
		if (answer.http !== undefined) return { status: answer.http, text: answer.body ?? 'Internal Server Error' };
		if (answer.html) return { status: answer.status ?? 200, html: HTML_PAGE };
		if (answer.ban !== undefined) return { json: { status: 1111, wait: answer.ban, punish: 'deny' } };
		return { json: { request_id: requestId(), ...answer } };
	}

	getToken(entry) {
		try {
			this.checkQps('/gettoken', this.knobs.tokenQpsLimit);
			if (entry.method !== 'GET') fail(40035, '不合法的参数: appkey and appsecret go in the query string');
			const { appkey, appsecret } = entry.query;
			if (!appkey || !appsecret) fail(40035, '不合法的参数');
			if (appkey !== this.appKey || appsecret !== this.appSecret) fail(this.badCredentialsErrcode, '不合法的appKey或appSecret');
			const now = Date.now();
			let current = [...this.tokens.values()].find((token) => !this.isExpired(token, now));
			if (current) {
				current.expiresAt = now + this.tokenTtlSeconds * 1000;
			} else {
				current = { token: crypto.randomBytes(16).toString('hex'), expiresAt: now + this.tokenTtlSeconds * 1000, uses: 0 };
				this.tokens.set(current.token, current);
			}
			return { json: { errcode: 0, errmsg: 'ok', access_token: current.token, expires_in: this.tokenTtlSeconds } };
		} catch (error) {
			if (!(error instanceof ApiError)) throw error;
			return { json: { errcode: error.errcode, errmsg: error.message } };
		}
	}

	isExpired(token, now) {
		const limit = this.knobs.tokenExpiresAfterCalls;
		return now >= token.expiresAt || (limit > 0 && token.uses >= limit);
	}

	/** The token goes in the access_token query parameter only; a header is ignored. */
	checkToken(entry) {
		const token = this.tokens.get(entry.query.access_token);
		if (!token) fail(40014, '不合法的access_token');
		if (this.isExpired(token, Date.now())) fail(42001, 'access_token超时');
		token.uses++;
	}

	/** Per app, per API, calls per rolling second; calls refused with 90018 do not count. */
	checkQps(path, knob) {
		const limit = typeof knob === 'object' && knob !== null ? knob[path] ?? 0 : knob;
		if (!limit) return;
		const now = Date.now();
		const times = (this.callTimes.get(path) ?? []).filter((time) => now - time < 1000);
		if (times.length >= limit) {
			this.callTimes.set(path, times);
			fail(90018, '当前接口调用频率超出限制，请稍后再试');
		}
		times.push(now);
		this.callTimes.set(path, times);
	}

	// ---- the API -----------------------------------------------------------------------------

	handlers() {
		return {
			[TOPAPI.UPDATE]: this.updateContact,
			[TOPAPI.CREATE]: this.createContact,
			[TOPAPI.GET]: this.getContact,
			[TOPAPI.LIST]: this.listContacts,
			[TOPAPI.DELETE]: this.deleteContact,
			[TOPAPI.LABEL_GROUPS]: this.listLabelGroups,
			[TOPAPI.USERS]: this.listUsers,
			[TOPAPI.DEPARTMENTS]: this.listDepartments,
		};
	}

	/** Checks the fields create and update share, and returns the stored form of the optional ones. */
	checkContactFields(contact) {
		if (typeof contact.name !== 'string' || contact.name.trim() === '') fail(40036, '参数name为空');
		if (contact.name.length > 64) fail(60112, '用户名称非法');
		if (typeof contact.follower_user_id !== 'string' || contact.follower_user_id === '') fail(40036, '参数follower_user_id为空');
		if (!this.findUser(contact.follower_user_id)) fail(NOT_FOUND, `用户不存在: ${contact.follower_user_id}`);
		if (contact.label_ids === undefined || (Array.isArray(contact.label_ids) && contact.label_ids.length === 0)) {
			fail(60204, '标签不能为空');
		}
		this.checkIdList(contact.label_ids, 'label_ids', isIntegerId, (id) => this.labelExists(id));
		const stored = { label_ids: [...contact.label_ids] };
		if (contact.share_dept_ids !== undefined) {
			this.checkIdList(contact.share_dept_ids, 'share_dept_ids', isIntegerId, (id) => this.departmentExists(id));
			stored.share_dept_ids = [...contact.share_dept_ids];
		}
		if (contact.share_user_ids !== undefined) {
			this.checkIdList(contact.share_user_ids, 'share_user_ids', (id) => typeof id === 'string' && id !== '', (id) =>
				Boolean(this.findUser(id)),
			);
			stored.share_user_ids = [...contact.share_user_ids];
		}
		for (const key of ['title', 'address', 'remark', 'company_name']) {
			if (contact[key] === undefined) continue;
			if (typeof contact[key] !== 'string') fail(40035, `不合法的参数: ${key}`);
			stored[key] = contact[key];
		}
		return stored;
	}

	checkIdList(list, key, wellFormed, exists) {
		if (!Array.isArray(list)) fail(40035, `不合法的参数: ${key} must be an array`);
		if (list.length > MAX_IDS) fail(40035, `不合法的参数: ${key} has more than ${MAX_IDS} entries`);
		for (const id of list) {
			if (!wellFormed(id)) fail(40035, `不合法的参数: ${key} entry ${JSON.stringify(id)}`);
			if (!exists(id)) fail(40035, `不合法的参数: ${key} entry ${JSON.stringify(id)} does not exist`);
		}
	}

	contactParam(params) {
		const contact = params.contact;
		if (!contact || typeof contact !== 'object' || Array.isArray(contact)) fail(40035, '不合法的参数: contact');
		return contact;
	}

	markApplied(entry, userid) {
		entry.applied = true;
		this.appliedCounts.set(userid, (this.appliedCounts.get(userid) ?? 0) + 1);
	}

	/** Update replaces the contact: optional fields left out are cleared. Mobile cannot change. */
	updateContact(params, entry) {
		const contact = this.contactParam(params);
		if (contact.mobile !== undefined || contact.state_code !== undefined) fail(40035, '不合法的参数: mobile cannot be updated');
		if (typeof contact.user_id !== 'string' || contact.user_id === '') fail(40036, '参数user_id为空');
		const current = this.state.contacts.get(contact.user_id);
		if (!current) fail(NOT_FOUND, '外部联系人不存在');
		const optional = this.checkContactFields(contact);
		this.state.contacts.set(contact.user_id, {
			userid: current.userid,
			name: contact.name,
			follower_user_id: contact.follower_user_id,
			state_code: current.state_code,
			mobile: current.mobile,
			...optional,
			...(current.email ? { email: current.email } : {}),
		});
		this.markApplied(entry, contact.user_id);
		return {};
	}

	createContact(params, entry) {
		const contact = this.contactParam(params);
		const optional = this.checkContactFields(contact);
		const stateCode = String(contact.state_code ?? '');
		const mobile = String(contact.mobile ?? '');
		if (stateCode === '' || mobile === '') fail(40036, '参数state_code或mobile为空');
		if (!/^\d{1,4}$/.test(stateCode)) fail(40035, '不合法的参数: state_code');
		if (!/^\d{5,20}$/.test(mobile)) fail(60103, '手机号码不合法');
		for (const existing of this.state.contacts.values()) {
			if (existing.state_code === stateCode && existing.mobile === mobile) fail(60200, '外部联系人已存在');
		}
		const userid = `${Date.now() % 1e9}${String(this.nextUserid++).padStart(7, '0')}`;
		this.state.contacts.set(userid, {
			userid,
			name: contact.name,
			follower_user_id: contact.follower_user_id,
			state_code: stateCode,
			mobile,
			...optional,
		});
		this.markApplied(entry, userid);
		return { userid };
	}

	existingContact(params) {
		const userId = params.user_id;
		if (typeof userId !== 'string' || userId === '') fail(40036, '参数user_id为空');
		const contact = this.state.contacts.get(userId);
		if (!contact) fail(NOT_FOUND, '外部联系人不存在');
		return contact;
	}

	getContact(params) {
		return { result: structuredClone(this.existingContact(params)) };
	}

	deleteContact(params, entry) {
		const contact = this.existingContact(params);
		this.state.contacts.delete(contact.userid);
		this.markApplied(entry, contact.userid);
		return {};
	}

	/** offset and size apply only when both are given (then size 1..100, offset >= 0). */
	page(params, list) {
		const offset = numberParam(params.offset);
		const size = numberParam(params.size);
		if (offset === undefined || size === undefined) return list.slice(0, 20);
		if (!Number.isInteger(size) || size < 1 || size > 100) fail(40069, '不合法的分页大小');
		if (!Number.isInteger(offset) || offset < 0) fail(40068, '不合法的偏移量');
		return list.slice(offset, offset + size);
	}

	listContacts(params) {
		return { results: structuredClone(this.page(params, [...this.state.contacts.values()])) };
	}

	listLabelGroups(params) {
		return { results: structuredClone(this.page(params, this.state.labelGroups)) };
	}

	listUsers(params) {
		const deptId = numberParam(params.dept_id);
		if (deptId === undefined) fail(40036, '参数dept_id为空');
		if (!this.departmentExists(deptId)) fail(60003, '部门不存在');
		const cursor = numberParam(params.cursor) ?? 0;
		const size = numberParam(params.size) ?? 10;
		if (!Number.isInteger(size) || size < 1 || size > 100) fail(40069, '不合法的分页大小');
		if (!Number.isInteger(cursor) || cursor < 0) fail(40035, '不合法的参数: cursor');
		const members = this.state.users.filter((user) => user.dept_ids.includes(deptId));
		const list = members.slice(cursor, cursor + size).map(({ userid, name }) => ({ userid, name }));
		const hasMore = cursor + size < members.length;
		return { result: { has_more: hasMore, ...(hasMore ? { next_cursor: cursor + size } : {}), list } };
	}

	listDepartments(params) {
		const deptId = numberParam(params.dept_id) ?? 1;
		if (!this.departmentExists(deptId)) fail(60003, '部门不存在');
		const children = this.state.departments.filter((department) => department.parent_id === deptId);
		return { result: structuredClone(children) };
	}

	findUser(userid) {
		return this.state.users.find((user) => user.userid === userid);
	}

	labelExists(id) {
		return this.state.labelGroups.some((group) => group.labels.some((label) => label.id === id));
	}

	departmentExists(id) {
		return id === 1 || this.state.departments.some((department) => department.dept_id === id);
	}
}

function requestId() {
	return crypto.randomBytes(8).toString('hex');
}

function readBody(request) {
	return new Promise((resolve, reject) => {
		const chunks = [];
		request.on('data', (chunk) => chunks.push(chunk));
		request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
		request.on('error', reject);
	});
}

function send(response, status, contentType, body) {
	if (response.destroyed) return; // the client gave up (a timeout); DingTalk would still have done the work
	response.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
	response.end(body);
}

/**
 * Starts a sandbox on 127.0.0.1. Options: host, port (0 = any free port), appKey, appSecret,
 * seed ('default' | { extraUsers, extraContacts } | false), tokenTtlSeconds, badCredentialsErrcode,
 * and any knob (see DEFAULT_KNOBS).
 */
async function startSandbox(options = {}) {
	const sandbox = new Sandbox({ ...options, seed: options.seed === 'default' ? {} : options.seed });
	const sockets = new Set();
	const server = http.createServer((request, response) => {
		sandbox.handle(request, response).catch((error) => {
			if (!response.headersSent) send(response, 500, 'text/plain', `sandbox error: ${error.message}`);
		});
	});
	server.keepAliveTimeout = 30_000;
	server.on('connection', (socket) => {
		sockets.add(socket);
		socket.on('close', () => sockets.delete(socket));
	});
	await new Promise((resolve, reject) => {
		server.once('error', reject);
		server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve);
	});
	const address = server.address();
	return Object.assign(sandbox, {
		port: address.port,
		url: `http://${address.address}:${address.port}`,
		close: () =>
			new Promise((resolve) => {
				for (const socket of sockets) socket.destroy();
				server.close(() => resolve());
			}),
	});
}

module.exports = { startSandbox, SEED, NOT_FOUND, DEFAULT_KNOBS };
