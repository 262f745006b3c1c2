import { OneAtATimePerKey } from '../../helpers/ordering';
import type { RunContext } from '../types';

/**
 * Runs `work` for an item that names contact `userId` once the earlier items of this run that name
 * the same contact are done: rows for one contact are applied in input order (the later row wins,
 * a merge starts from what the row before wrote), rows for other contacts run alongside.
 */
export async function inContactOrder<T>(run: RunContext, userId: string, work: () => Promise<T>): Promise<T> {
	return await run.shared('externalContact.contactOrder', () => new OneAtATimePerKey()).run(userId, work);
}
