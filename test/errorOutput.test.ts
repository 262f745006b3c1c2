/**
 * "On Error: Continue (using error output)", as the sheet examples use it, through n8n-core's
 * executor against the sandbox: every failed row leaves by the error output with its input columns,
 * whether the node refused it (a bad value) or DingTalk did (an errcode), and the rows that worked
 * by the first output. A failed row on the first output would pass for a success.
 */
import type { IDataObject } from 'n8n-workflow';

import { DingTalk } from '../nodes/DingTalk/DingTalk.node';
import { runNode } from './harness';
import { callsTo, CREDENTIAL_ID, SEED, useSandbox } from './support';

const env = useSandbox();

const UPDATE = '/topapi/extcontact/update';
const [c1, c2, c3] = SEED.contactIds as string[];
const locator = (value: string) => ({ __rl: true, mode: 'id', value });

const UPDATE_FROM_ROW: IDataObject = {
	resource: 'externalContact',
	operation: 'update',
	contactId: locator('={{ $json.id }}'),
	name: '={{ $json.name }}',
	followerUserId: locator('={{ $json.owner }}'),
	labelIds: '={{ $json.labels }}',
};

async function runWithErrorOutput(rows: IDataObject[]) {
	return await runNode({
		nodeType: DingTalk,
		parameters: UPDATE_FROM_ROW,
		items: rows.map((json) => ({ json })),
		credentials: env.store,
		credentialId: CREDENTIAL_ID,
		errorOutput: true,
	});
}

test('rows the node or DingTalk refuses leave by the error output with their columns; the others by the first', async () => {
	const result = await runWithErrorOutput([
		{ sheetRow: 2, id: c1, name: 'Fine', owner: 'lisi01', labels: '101' },
		// refused by the node: two label groups have a label "VIP"; nothing is sent
		{ sheetRow: 3, id: c2, name: 'Ambiguous', owner: 'lisi01', labels: 'VIP' },
		// refused by DingTalk: label 999 does not exist
		{ sheetRow: 4, id: c3, name: 'Unknown label', owner: 'lisi01', labels: '999' },
	]);
	expect(result.error).toBeUndefined();
	expect(result.items.map((item) => item.json.errcode)).toEqual([0]);
	const failed = (result.errorItems ?? []).map((item) => item.json);
	expect(failed.map((row) => [row.sheetRow, row.name])).toEqual([
		[3, 'Ambiguous'],
		[4, 'Unknown label'],
	]);
	expect(String(failed[0].error)).toMatch(/VIP/);
	// DingTalk's answer under details: n8n routes only items holding error, message and details
	expect(failed[1]).toMatchObject({ error: expect.stringMatching(/^DingTalk error 40035/), details: { errcode: 40035 } });
	// sent: the fine row and the one DingTalk refused, never the ambiguous one
	expect(callsTo(env.sandbox, UPDATE).map((call) => (call.params.contact as IDataObject).user_id)).toEqual([c1, c3]);
});
