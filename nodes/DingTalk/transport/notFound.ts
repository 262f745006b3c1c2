import type { IDataObject } from 'n8n-workflow';

import { effectiveErrcode, readErrcode } from './errorCodes';

/** What DingTalk answers about a user or external contact that does not exist (any more). */
const NOT_FOUND_ERRCODES: ReadonlySet<number> = new Set([60121, 40003, 33012]);

/** Whether a failed call's error is DingTalk saying the contact does not exist (88's sub_code too). */
export function isNotFound(error: unknown): boolean {
	const answer = (error as { errorResponse?: IDataObject } | undefined)?.errorResponse;
	const errcode = readErrcode(answer?.errcode);
	return errcode !== undefined && NOT_FOUND_ERRCODES.has(effectiveErrcode(errcode, answer?.sub_code));
}
