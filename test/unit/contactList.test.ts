/**
 * The trigger's door to DingTalk (trigger/contactList.ts) over the real transport, against the
 * scripted DingTalk of fakes.ts: what a page and a lookup send, which answers mean "not found", and
 * one whole poll through it. The poll's own logic is in trigger.test.ts.
 */
import type { IDataObject } from 'n8n-workflow';

import { DEFAULT_RUN_OPTIONS } from '../../nodes/DingTalk/actions/runOptions';
import { DingTalkTrigger } from '../../nodes/DingTalk/DingTalkTrigger.node';
import { appSessions } from '../../nodes/DingTalk/transport/appSession';
import { openContactList } from '../../nodes/DingTalk/trigger/contactList';
import type { Directory } from './directory';
import { contact, emptyDirectory, serve } from './directory';
import { defaultCredential, errcode, fakePollContext, FakeDingTalk, ok, rejection, settle, useFakeClock } from './fakes';

const LIST = '/topapi/extcontact/list';
const GET = '/topapi/extcontact/get';

let dingTalk: FakeDingTalk;
let directory: Directory;

beforeEach(() => {
	appSessions.clear();
	useFakeClock();
	directory = emptyDirectory();
	for (const id of ['c1', 'c2', 'c3']) directory.contacts.set(id, contact(id));
	dingTalk = serve(new FakeDingTalk(), directory);
});

afterEach(() => {
	jest.useRealTimers();
});

const openList = (credential?: IDataObject) =>
	openContactList(fakePollContext({ dingTalk, credential, staticData: {} }), DEFAULT_RUN_OPTIONS);

describe('the contact list', () => {
	it('a page without "results" (errcode 0) fails: it is not an empty page', async () => {
		dingTalk.script(LIST, ok());
		const error = await rejection(settle(openList().readPage(0)));
		expect(error.message).toBe('DingTalk answered /topapi/extcontact/list without its data ("results")');
	});

	it('a page asks extcontact/list for 100 contacts from the offset', async () => {
		const page = await settle(openList().readPage(1));
		expect(page).toEqual([directory.contacts.get('c2'), directory.contacts.get('c3')]);
		expect(dingTalk.calls(LIST).map((request) => request.params)).toEqual([{ offset: 1, size: 100 }]);
	});

	it('a lookup gives the contact; 60121, 40003 and 33012 mean it does not exist', async () => {
		const contactList = openList();
		expect(await settle(contactList.find('c2'))).toEqual(directory.contacts.get('c2'));
		expect(dingTalk.calls(GET).map((request) => request.params)).toEqual([{ user_id: 'c2' }]);
		for (const code of [60121, 40003, 33012]) {
			dingTalk.script(GET, errcode(code));
			expect(await settle(contactList.find('c2'))).toBeUndefined();
		}
		// errcode 88 gives the reason in its sub_code
		dingTalk.script(GET, errcode(88, { sub_code: '60121' }));
		expect(await settle(contactList.find('c2'))).toBeUndefined();
	});

	it('errcode 88 whose sub_code is 60121, 40003 or 33012 means it does not exist too', async () => {
		const contactList = openList();
		for (const code of ['60121', '40003', '33012']) {
			dingTalk.script(GET, errcode(88, { sub_code: code }));
			expect(await settle(contactList.find('c2'))).toBeUndefined();
		}
		dingTalk.script(GET, errcode(88, { sub_code: '60011' }));
		expect((await rejection(settle(contactList.find('c2')))).message).toMatch(/sub_code 60011/);
	});

	it('any other failure of a lookup is thrown, as DingTalk\'s error', async () => {
		dingTalk.script(GET, errcode(60011));
		const error = await rejection(settle(openList().find('c2')));
		expect(error.constructor.name).toBe('NodeApiError');
		expect(error.message).toMatch(/60011/);
		// a failure that is not DingTalk's answer (here the credential's Base URL) is n8n's error too
		const badUrl = await rejection(settle(openList({ ...defaultCredential(), baseUrl: 'not a url' }).find('c2')));
		expect(badUrl.constructor.name).toMatch(/^Node(Operation|Api)Error$/);
		expect(badUrl.message).toMatch(/Base URL/);
	});

	it('errcode 0 without the contact is not taken as "not found"', async () => {
		dingTalk.script(GET, ok({ result: 'none' }));
		const error = await rejection(settle(openList().find('c2')));
		expect(error.message).toBe('DingTalk answered /topapi/extcontact/get without its data ("result")');
		expect(error.description).toMatch(/^The answer said errcode 0 \(success\) but had no "result", so the call counts as failed/);
		expect(error.errorResponse).toEqual({ errcode: 0, errmsg: 'ok' });
	});
});

it('a whole poll through the transport: an add, an edit and a delete', async () => {
	const staticData: IDataObject = {};
	const poll = async () =>
		await settle(
			new DingTalkTrigger().poll.call(
				fakePollContext({ dingTalk, staticData, parameters: { events: ['added', 'updated', 'removed'] } }),
			),
		);
	expect(await poll()).toBeNull();
	directory.contacts.set('c9', contact('c9'));
	directory.contacts.set('c2', { ...contact('c2'), title: 'Buyer' });
	directory.contacts.delete('c3');
	const output = await poll();
	expect(output![0].map(({ json }) => [json.event, json.userid, json.changedFields])).toEqual([
		['updated', 'c2', ['title']],
		['added', 'c9', []],
		['removed', 'c3', []],
	]);
	expect(dingTalk.calls(LIST)).toHaveLength(2);
	expect(dingTalk.calls(GET)).toHaveLength(0);
});
