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

/*
 * Fixed: "Label Names or IDs" mapped as text ("101, 201", "VIP, Partner") was marked "The value … is
 * not supported!" because n8n's editor checked each value of a multiOptions parameter with
 * loadOptions against the loaded (numeric) options. The label and share fields now set
 * `allowArbitraryValues`, which the editor (n8n 2.41.1, ParameterInput's issue check) honours by
 * skipping that check; the node resolves names and ids itself. The browser check "example workflow:
 * after a run, the DingTalk node panel shows no issue marks" verifies it.
 */
export const KNOWN_DEFECTS: KnownDefect[] = [];
