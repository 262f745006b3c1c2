import type { INodeProperties } from 'n8n-workflow';

/**
 * Field definitions shared by the External Contact operations. Descriptions follow DingTalk's
 * documentation of /topapi/extcontact/*, limits included.
 */

/** A resource locator: pick from a searchable list, or give the id (also from an expression). */
function idLocator(field: {
	displayName: string;
	name: string;
	description: string;
	searchListMethod: string;
	listPlaceholder: string;
	idPlaceholder: string;
	/** also by the mobile number of an employee */
	byMobile?: boolean;
}): INodeProperties {
	return {
		displayName: field.displayName,
		name: field.name,
		type: 'resourceLocator',
		default: { mode: 'list', value: '' },
		required: true,
		description: field.description,
		modes: [
			{
				displayName: 'From List',
				name: 'list',
				type: 'list',
				placeholder: field.listPlaceholder,
				typeOptions: { searchListMethod: field.searchListMethod, searchable: true },
			},
			{ displayName: 'By ID', name: 'id', type: 'string', placeholder: field.idPlaceholder },
			// an employee by their mobile number: the node looks the user ID up (getbymobile)
			...(field.byMobile
				? [
						{
							displayName: 'By Mobile Number',
							name: 'mobile',
							type: 'string' as const,
							placeholder: 'e.g. +86 138 0000 0001',
							hint: "The employee's mobile number as DingTalk has it, with or without +86, spaces or dashes",
						},
					]
				: []),
		],
	};
}

export const contactIdField = idLocator({
	displayName: 'External Contact',
	name: 'contactId',
	description:
		"The external contact's user ID (userid). Pick it from the list, or map it from a column or an expression.",
	searchListMethod: 'searchContacts',
	listPlaceholder: 'Select an external contact...',
	idPlaceholder: 'e.g. 0243563262939012',
});

export const nameField: INodeProperties = {
	displayName: 'Name',
	name: 'name',
	type: 'string',
	default: '',
	required: true,
	placeholder: 'e.g. 王小明',
	description: "The external contact's name",
};

const followerUserIdField = idLocator({
	displayName: 'Owner (Follower User ID)',
	name: 'followerUserId',
	description:
		'The employee who owns (follows up) this external contact: their DingTalk user ID (follower_user_id)',
	searchListMethod: 'searchUsers',
	listPlaceholder: 'Select an employee...',
	idPlaceholder: 'e.g. manager4220',
});

/**
 * The owner where the node resolves a mobile number to the employee (Create, Update, Create or
 * Update, the trigger's filter): the same parameter, with a "By Mobile Number" mode.
 */
export const ownerByIdOrMobileField = idLocator({
	displayName: followerUserIdField.displayName,
	name: followerUserIdField.name,
	description:
		'The employee who owns (follows up) this external contact (follower_user_id): pick them, give their DingTalk user ID, or give their mobile number (the node looks the user ID up; needs the app permission qyapi_get_member_by_mobile)',
	searchListMethod: 'searchUsers',
	listPlaceholder: 'Select an employee...',
	idPlaceholder: 'e.g. manager4220',
	byMobile: true,
});

/**
 * Labels and the share lists are pickers (multiOptions) that also take names and ids mapped as
 * text. allowArbitraryValues keeps n8n's editor from marking such a mapping "not supported" (it
 * would check each value against the loaded options, which are ids).
 */
export const labelIdsField: INodeProperties = {
	displayName: 'Label Names or IDs',
	name: 'labelIds',
	type: 'multiOptions',
	typeOptions: { loadOptionsMethod: 'getLabels' },
	allowArbitraryValues: true,
	default: [],
	required: true,
	placeholder: 'e.g. VIP, Region / 华东, 1234567',
	description:
		'Labels of the external contact (label_ids), at least one and at most 20. Each may be a label name ("VIP"), "Group / Label" (needed when two groups have a label of that name) or a label ID, as text ("VIP, Partner"), a JSON array or a list. Choose from the list, or specify IDs using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
};

export const stateCodeField: INodeProperties = {
	displayName: 'Country Code',
	name: 'stateCode',
	type: 'string',
	default: '86',
	placeholder: 'e.g. 86',
	description:
		'Country calling code of the mobile number (state_code), such as 86. Leave empty when every mobile number carries its own ("+86 138 0013 8000"); a number whose code differs from this one fails its item.',
};

export const mobileField: INodeProperties = {
	displayName: 'Mobile',
	name: 'mobile',
	type: 'string',
	default: '',
	required: true,
	placeholder: 'e.g. 13800138000 or +86 138 0013 8000',
	description:
		'Mobile number, with or without its country code in front ("+86 138 0013 8000", "008613800138000"); spaces, dashes and brackets are ignored. DingTalk cannot change it later.',
};

export const additionalContactFields: INodeProperties = {
	displayName: 'Additional Fields',
	name: 'additionalFields',
	type: 'collection',
	placeholder: 'Add Field',
	default: {},
	options: [
		{
			displayName: 'Address',
			name: 'address',
			type: 'string',
			default: '',
			placeholder: 'e.g. 杭州市余杭区文一西路969号',
			description: "The external contact's address",
		},
		{
			displayName: 'Company Name',
			name: 'companyName',
			type: 'string',
			default: '',
			placeholder: 'e.g. 阿里巴巴',
			description: 'The company the external contact works for (company_name)',
		},
		{
			displayName: 'Remark',
			name: 'remark',
			type: 'string',
			default: '',
			placeholder: 'e.g. Met at the 2026 trade fair',
			description: 'A note about the external contact',
		},
		{
			displayName: 'Share With Department Names or IDs',
			name: 'shareDeptIds',
			type: 'multiOptions',
			typeOptions: { loadOptionsMethod: 'getDepartments' },
			allowArbitraryValues: true,
			default: [],
			placeholder: 'e.g. Sales / East, 2',
			description:
				'Departments that may see this external contact (share_dept_ids), at most 20. Each may be a department name, its path ("Sales / East", needed when two departments share a name) or a department ID, as text ("Sales, Marketing") or a list. Choose from the list, or specify IDs using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
		},
		{
			displayName: 'Share With User Names or IDs',
			name: 'shareUserIds',
			type: 'multiOptions',
			typeOptions: { loadOptionsMethod: 'getUsers' },
			allowArbitraryValues: true,
			default: [],
			placeholder: 'e.g. manager4220, +86 138 0000 0001',
			description:
				'Employees who may see this external contact (share_user_ids), at most 20. Each may be a user ID, or a mobile number written with its country code ("+86 138 0000 0001"), which the node looks up (needs the app permission qyapi_get_member_by_mobile). A number without "+" is taken for a user ID, as user IDs can be digits. Choose from the list, or specify IDs using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
		},
		{
			displayName: 'Title',
			name: 'title',
			type: 'string',
			default: '',
			placeholder: 'e.g. Purchasing Manager',
			description: "The external contact's job title",
		},
	],
};
