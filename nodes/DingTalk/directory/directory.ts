import type { IDataObject } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';

import type { RunContext } from '../actions/types';
import type { ClientOptions, DingTalkContext } from '../transport/client';
import { DingTalkClient, SAFE_TO_REPEAT } from '../transport/client';
import { failureErrcode } from '../transport/messages';
import type { AppSession } from '../transport/appSession';
import type { Department, Label, User } from './lists';
import { IncompleteAnswerError, listAllUsers, listDepartments, listLabels } from './lists';

const BY_MOBILE_PATH = '/topapi/v2/user/getbymobile';
/** getbymobile's answers for a number that is no employee's: not found (or left), not a member's mobile. */
const NO_SUCH_EMPLOYEE = new Set([60121, 40104]);
/** The app lacks the permission for the call. */
const MISSING_PERMISSION = new Set([60011, 43007]);

/**
 * How long the label groups one run read serve the next runs of the same app. Labels change
 * rarely, and a sheet synced every minute would otherwise read them at every run; a name not found
 * in a reused list is looked up again in a fresh one, so a label created meanwhile is found.
 */
export const LABELS_REUSE_MS = 60_000;

/** The labels, and whether this run read them (rather than reusing another run's list). */
export interface LabelList {
	labels: Label[];
	fresh: boolean;
}

const labelsByApp = new WeakMap<AppSession, { readAt: number; labels: Promise<Label[]> }>();

/**
 * DingTalk's directory as one run (an execution, a poll, a picker) sees it: each list is read at
 * most once per run, whatever the number of items, through the run's client (so under the app's
 * rate limit), and each mobile number is looked up once.
 */
export class Directory {
	private labelsRead?: Promise<LabelList>;
	private freshLabelsRead?: Promise<LabelList>;
	private departmentsRead?: Promise<Department[]>;
	private usersRead?: Promise<User[]>;
	private readonly userIdsByMobile = new Map<string, Promise<string | undefined>>();

	constructor(private readonly client: DingTalkClient) {}

	/**
	 * Every label with its group. Reuses a list another run of the app read within LABELS_REUSE_MS;
	 * with `fresh`, a list read by this run (at most one more read per run).
	 */
	async labels(itemIndex?: number, fresh = false): Promise<LabelList> {
		if (this.freshLabelsRead) return await this.freshLabelsRead;
		const firstRead = (this.labelsRead ??= this.readLabels(itemIndex, false));
		if (!fresh) return await firstRead;
		this.freshLabelsRead ??= (async () => {
			const first = await firstRead;
			return first.fresh ? first : await this.readLabels(itemIndex, true);
		})();
		return await this.freshLabelsRead;
	}

	private async readLabels(itemIndex: number | undefined, fresh: boolean): Promise<LabelList> {
		const session = await this.client.appSession();
		const cached = labelsByApp.get(session);
		if (!fresh && cached && Date.now() - cached.readAt < LABELS_REUSE_MS) return { labels: await cached.labels, fresh: false };
		const labels = listLabels(this.client, itemIndex);
		const entry = { readAt: Date.now(), labels };
		labelsByApp.set(session, entry);
		// a failed read is not kept for other runs
		labels.catch(() => labelsByApp.get(session) === entry && labelsByApp.delete(session));
		return { labels: await labels, fresh: true };
	}

	async departments(itemIndex?: number): Promise<Department[]> {
		this.departmentsRead ??= listDepartments(this.client, itemIndex);
		return await this.departmentsRead;
	}

	/** Every employee (walks the department tree, then each department's users). */
	async users(itemIndex?: number): Promise<User[]> {
		this.usersRead ??= (async () => await listAllUsers(this.client, await this.departments(itemIndex), itemIndex))();
		return await this.usersRead;
	}

	/**
	 * The user id of the employee with this mobile number (as parseEmployeeMobile gives it), or
	 * undefined when no employee has it. Needs the app permission qyapi_get_member_by_mobile.
	 */
	async userIdByMobile(mobile: string, itemIndex?: number): Promise<string | undefined> {
		let found = this.userIdsByMobile.get(mobile);
		if (!found) {
			found = this.lookUpMobile(mobile, itemIndex);
			this.userIdsByMobile.set(mobile, found);
		}
		return await found;
	}

	private async lookUpMobile(mobile: string, itemIndex: number | undefined): Promise<string | undefined> {
		const outcome = await this.client.call(BY_MOBILE_PATH, { mobile }, SAFE_TO_REPEAT, itemIndex).then(
			(answer) => ({ answer }),
			(error: NodeApiError) => ({ error }),
		);
		if ('error' in outcome) {
			const { error } = outcome;
			// errcode 88 carries the reason in its sub_code
			const errcode = failureErrcode(error) ?? 0;
			if (NO_SUCH_EMPLOYEE.has(errcode)) return undefined;
			if (error instanceof NodeApiError && MISSING_PERMISSION.has(errcode)) {
				error.description =
					'Looking an employee up by mobile number needs the app permission "qyapi_get_member_by_mobile" (根据手机号获取成员基本信息权限): grant it in the DingTalk developer console (your app → Permissions), or give the owner as a user ID.';
			}
			throw error;
		}
		const { answer } = outcome;
		const userid = (answer.result as IDataObject | undefined)?.userid;
		if (typeof userid !== 'string' || userid === '') throw new IncompleteAnswerError(BY_MOBILE_PATH, '"result.userid"');
		return userid;
	}
}

/** The directory of one execution, shared by all its items. */
export function directoryOf(run: RunContext): Directory {
	return run.shared('directory', () => new Directory(run.client));
}

/** The directory of a poll or a picker, with its own client (the app's limiter is shared anyway). */
export function directoryFor(context: DingTalkContext, options: ClientOptions): Directory {
	return new Directory(new DingTalkClient(context, options));
}
