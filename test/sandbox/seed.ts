/**
 * The sandbox's sample organisation: label groups, a department tree, employees and a few external
 * contacts, with Chinese and English names as a real tenant has them. `buildSeed({ extraUsers,
 * extraContacts })` adds generated ones for paging and bulk tests.
 */

export interface Label {
	id: number;
	name: string;
}

export interface LabelGroup {
	name: string;
	/** a signed 32-bit ARGB integer */
	color: number;
	labels: Label[];
}

export interface Department {
	dept_id: number;
	name: string;
	parent_id: number;
}

export interface User {
	userid: string;
	name: string;
	dept_ids: number[];
	/** the employee's mobile number as getbymobile finds it (Chinese numbers: 11 digits, no country code) */
	mobile?: string;
}

/** An external contact as DingTalk reads it back (`userid`, not the `user_id` that calls send). */
export interface Contact {
	userid: string;
	name: string;
	follower_user_id: string;
	label_ids: number[];
	state_code: string;
	mobile: string;
	title?: string;
	address?: string;
	remark?: string;
	company_name?: string;
	share_dept_ids?: number[];
	share_user_ids?: string[];
	email?: string;
}

/** The organisation the sandbox serves; tests read and change it through `sandbox.state`. */
export interface Organisation {
	labelGroups: LabelGroup[];
	departments: Department[];
	users: User[];
	contacts: Map<string, Contact>;
}

export interface SeedOptions {
	extraUsers?: number;
	extraContacts?: number;
}

const LABEL_GROUPS: LabelGroup[] = [
	{
		name: '客户类型',
		color: -15220075,
		labels: [
			{ id: 101, name: '潜在客户' },
			{ id: 102, name: 'VIP' },
			{ id: 103, name: '合作伙伴' },
			{ id: 104, name: 'Partner' },
		],
	},
	{
		name: 'Region',
		color: -29696,
		labels: [
			{ id: 201, name: '华东' },
			{ id: 202, name: '华南' },
			{ id: 203, name: 'International' },
		],
	},
	{
		name: '来源 Source',
		color: -16776961,
		labels: [
			{ id: 301, name: '展会 Trade fair' },
			{ id: 302, name: 'Website' },
			// a label name that two groups use: only "Group / Label" tells them apart
			{ id: 303, name: 'VIP' },
		],
	},
];

/** Department 1 is the root ("the whole company"); listsub never returns it. */
const DEPARTMENTS: Department[] = [
	{ dept_id: 2, name: '销售部', parent_id: 1 },
	{ dept_id: 3, name: '市场部', parent_id: 1 },
	{ dept_id: 4, name: '研发部', parent_id: 1 },
	{ dept_id: 5, name: '华东销售', parent_id: 2 },
	{ dept_id: 6, name: '华南销售', parent_id: 2 },
	{ dept_id: 7, name: 'International Sales', parent_id: 2 },
	{ dept_id: 8, name: '前端组', parent_id: 4 },
	// a department name used in two places: only the path tells them apart
	{ dept_id: 9, name: 'East', parent_id: 2 },
	{ dept_id: 10, name: 'East', parent_id: 3 },
];

const USERS: User[] = [
	{ userid: 'manager4220', name: '张三', dept_ids: [1, 2], mobile: '13800000001' },
	{ userid: 'lisi01', name: '李四', dept_ids: [2, 5], mobile: '13800000002' },
	{ userid: 'wangwu', name: '王五', dept_ids: [5], mobile: '13800000003' },
	{ userid: 'zhaoliu', name: '赵六', dept_ids: [6] },
	{ userid: 'emily.chen', name: 'Emily Chen', dept_ids: [7] },
	{ userid: 'david.wang', name: 'David Wang', dept_ids: [7] },
	{ userid: 'sunqi', name: '孙七', dept_ids: [3] },
	{ userid: 'zhouba', name: '周八', dept_ids: [3] },
	{ userid: 'wujiu', name: '吴九', dept_ids: [4] },
	{ userid: 'zhengshi', name: '郑十', dept_ids: [8] },
	{ userid: 'alice.liu', name: 'Alice Liu', dept_ids: [8] },
	{ userid: 'bob_zhang', name: 'Bob Zhang', dept_ids: [4, 8] },
];

const CONTACTS: Contact[] = [
	{
		userid: '0243563262939012',
		name: '王小明',
		follower_user_id: 'manager4220',
		label_ids: [101, 201],
		state_code: '86',
		mobile: '13800138001',
		title: '采购经理',
		company_name: '阿里巴巴',
		address: '杭州市余杭区文一西路969号',
		share_dept_ids: [5],
		share_user_ids: ['lisi01'],
		email: 'xiaoming.wang@example.cn',
	},
	{
		userid: '0243563262939013',
		name: 'John Smith',
		follower_user_id: 'emily.chen',
		label_ids: [102, 203],
		state_code: '1',
		mobile: '4155550100',
		title: 'Head of Procurement',
		company_name: 'Acme Corp',
		remark: 'Prefers email',
		email: 'john.smith@example.com',
	},
	{
		userid: '0243563262939014',
		name: '陈静',
		follower_user_id: 'lisi01',
		label_ids: [103],
		state_code: '86',
		mobile: '13900139002',
		company_name: '腾讯',
	},
	{
		userid: '0243563262939015',
		name: 'María García',
		follower_user_id: 'david.wang',
		label_ids: [203, 302],
		state_code: '34',
		mobile: '612345678',
		company_name: 'Globex',
	},
	{
		userid: '0243563262939016',
		name: '刘洋',
		follower_user_id: 'zhaoliu',
		label_ids: [101, 202, 301],
		state_code: '86',
		mobile: '13700137003',
		company_name: '字节跳动',
	},
];

/** Ids of the default seed, for tests to refer to. */
export const SEED = Object.freeze({
	labelIds: LABEL_GROUPS.flatMap((group) => group.labels.map((label) => label.id)),
	userIds: USERS.map((user) => user.userid),
	deptIds: [1, ...DEPARTMENTS.map((department) => department.dept_id)],
	contactIds: CONTACTS.map((contact) => contact.userid),
});

const pad = (number: number, width: number): string => String(number).padStart(width, '0');

/** A fresh copy of the organisation (tests change it). */
export function buildSeed(options: SeedOptions = {}): Organisation {
	const extraUsers = Number(options.extraUsers ?? 0);
	const extraContacts = Number(options.extraContacts ?? 0);
	const departmentIds = [1, ...DEPARTMENTS.map((department) => department.dept_id)];
	const users: User[] = USERS.map((user) => ({ ...user, dept_ids: [...user.dept_ids] }));
	for (let i = 1; i <= extraUsers; i++) {
		users.push({
			userid: `gen-user-${pad(i, 5)}`,
			name: `Employee ${pad(i, 5)}`,
			dept_ids: [departmentIds[i % departmentIds.length]],
			mobile: `139${pad(i, 8)}`,
		});
	}
	const contacts = new Map(CONTACTS.map((contact) => [contact.userid, structuredClone(contact)]));
	for (let i = 1; i <= extraContacts; i++) {
		const userid = `gen-ext-${pad(i, 6)}`;
		contacts.set(userid, {
			userid,
			name: `Contact ${pad(i, 6)}`,
			follower_user_id: 'manager4220',
			label_ids: [101],
			state_code: '86',
			mobile: `150${pad(i, 8)}`,
		});
	}
	return {
		labelGroups: structuredClone(LABEL_GROUPS),
		departments: structuredClone(DEPARTMENTS),
		users,
		contacts,
	};
}
