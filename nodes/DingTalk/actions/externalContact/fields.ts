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

export const followerUserIdField = idLocator({
	displayName: 'Owner (Follower User ID)',
	name: 'followerUserId',
	description:
		'The employee who owns (follows up) this external contact: their DingTalk user ID (follower_user_id)',
	searchListMethod: 'searchUsers',
	listPlaceholder: 'Select an employee...',
	idPlaceholder: 'e.g. manager4220',
});

export const labelIdsField: INodeProperties = {
	displayName: 'Label Names or IDs',
	name: 'labelIds',
	type: 'multiOptions',
	typeOptions: { loadOptionsMethod: 'getLabels' },
	default: [],
	required: true,
	placeholder: 'e.g. 1234567, 7654321',
	description:
		'Labels of the external contact (label_ids), at least one and at most 20, shown as "Group / Label". From an expression: a list of label IDs such as "1,2,3" or [1, 2, 3]. Choose from the list, or specify IDs using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
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
			default: [],
			placeholder: 'e.g. 1, 2',
			description:
				'Departments that may see this external contact (share_dept_ids), at most 20. From an expression: department IDs such as "1,2". Choose from the list, or specify IDs using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
		},
		{
			displayName: 'Share With User Names or IDs',
			name: 'shareUserIds',
			type: 'multiOptions',
			typeOptions: { loadOptionsMethod: 'getUsers' },
			default: [],
			placeholder: 'e.g. manager4220, user123',
			description:
				'Employees who may see this external contact (share_user_ids), at most 20. From an expression: user IDs such as "user1,user2". Choose from the list, or specify IDs using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
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
