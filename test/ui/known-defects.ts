/**
 * Defects in the node that the browser checks found and that are not fixed yet. A check whose
 * every problem matches one of these is reported as "known defect" and does not fail the run;
 * any other problem does. Remove an entry once the node is fixed (the run says when an entry no
 * longer matches anything). UI_STRICT=1 counts known defects as failures.
 */
export interface KnownDefect {
	check: string;
	problem: RegExp;
	defect: string;
}

export const KNOWN_DEFECTS: KnownDefect[] = [
	{
		check: 'example workflow: after a run, the DingTalk node panel shows no issue marks',
		problem: /"Label Names or IDs" is marked: .*is not supported/,
		defect:
			'"Label Names or IDs" mapped with an expression that gives label IDs as text shows a red issue mark in the node panel, e.g. "The value "101, 201" is not supported!" on examples/csv-to-dingtalk.json after a run. Any text does it: "102", "102, 203" and ["102","203"] are all marked; only numbers (102, [102, 203]) are not. n8n checks each value of a multiOptions parameter that has loadOptions against the loaded options, which are numbers (loadOptions.getLabels, value: label.id). Spreadsheet and CSV values are text, so every mapping the README suggests is marked, though the workflow runs.',
	},
];
