/**
 * "On Error: Continue (using error output)", as the sheet examples use it, through n8n-core's
 * executor against the sandbox: every failed row leaves by the error output with its input columns,
 * whether the node refused it (a bad value) or DingTalk did (an errcode), and the rows that worked
 * by the first output. A failed row on the first output would pass for a success.
 */
import type { IDataObject } from 'n8n-workflow';

import { DingTalk } from '../nodes/DingTalk/DingTalk.node';
import { runNode } from './harness';
import { callsTo, CREDENTIAL_ID, SEED, UPDATE_FROM_JSON, useSandbox } from './support';

const env = useSandbox();

const UPDATE = '/topapi/extcontact/update';
const [c1, c2, c3] = SEED.contactIds as string[];

async function runWithErrorOutput(rows: IDataObject[]) {
	return await runNode({
		nodeType: DingTalk,
		parameters: UPDATE_FROM_JSON,
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
	// what to do and DingTalk's own words under message: n8n 2.8 routes only items holding error and message
	expect(failed[1].error).toMatch(/^DingTalk error 40035/);
	expect(failed[1].message).toMatch(/DingTalk said: .*999.*\(request_id \w+\)$/);
	expect(Object.keys(failed[1]).sort()).toEqual(['error', 'id', 'labels', 'message', 'name', 'owner', 'sheetRow']);
	// sent: the fine row and the one DingTalk refused, never the ambiguous one
	expect(callsTo(env.sandbox, UPDATE).map((call) => (call.params.contact as IDataObject).user_id)).toEqual([c1, c3]);
});
