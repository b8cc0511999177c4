"""Every problem code riskkit reports, as data: its id, severity, meaning and fix.

This is the one place a code is defined. A :class:`~riskkit.problems.Problem` takes its
severity from here, ``riskkit explain`` reads it, and the README's table of codes is
generated from it; tests check that every code the source emits is registered and every
registered code is emitted somewhere. A new code is one more entry in :data:`REGISTRY`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Severity(str, enum.Enum):
    """How much a problem counts. A ``str`` so JSON output and ``== "error"`` stay as
    they were."""

    ERROR = "error"  # validate fails (exit 1); views leave the file out
    WARNING = "warning"  # validate reports it and passes, unless --strict

    def __str__(self) -> str:  # "error", as every output spells it, not "Severity.ERROR"
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)


E, W = Severity.ERROR, Severity.WARNING

# The first letter of a code says what kind of thing is wrong, in the order they are met.
FAMILIES = {
    "Y": "YAML",
    "S": "schema",
    "M": "matrix and settings",
    "R": "risks",
    "B": "runbooks",
    "W": "runbook warnings",
    "D": "drills",
    "I": "incident journals",
    "T": "templates",
    "A": "alert rules",
    "X": "imported sheets",
}


@dataclass(frozen=True)
class Code:
    """One problem code: ``meaning`` fits on a line; ``explanation`` says why it matters
    and how to fix it; ``example`` is a fix, as the corrected YAML, where one helps."""

    id: str
    severity: Severity
    meaning: str
    explanation: str = ""
    example: str = ""

    @property
    def family(self) -> str:
        return FAMILIES[self.id[0]]

    def to_dict(self) -> dict[str, str]:
        return {"code": self.id, "severity": self.severity.value, "family": self.family,
                "meaning": self.meaning, "explanation": self.explanation,
                "example": self.example}


REGISTRY: tuple[Code, ...] = (
    # YAML: the file cannot be read as plain data
    Code("Y001", E, "the file is not valid YAML",
         "The YAML parser stopped at this place, so nothing in the file is checked. The "
         "usual causes are a tab used for indentation, a value with ': ' or '{{' that is "
         "not quoted, or a second document ('---') in a file that holds one.",
         'title: "Restart {{ host }}: now"'),
    Code("Y002", E, "a key appears twice in the same mapping",
         "Plain YAML keeps the last value and silently drops the first; riskkit refuses "
         "the file instead. Keep one of the two keys."),
    Code("Y003", E, "the file is empty or holds only null",
         "Every file riskkit reads holds data: a risk, a runbook, a drill record, the "
         "settings. Fill the file or delete it."),
    Code("Y004", E, "the file is not UTF-8 text",
         "riskkit reads UTF-8 only; the position is the first byte that is not. Save the "
         "file as UTF-8, or move a binary file out of the workspace's folders."),
    Code("Y005", E, "a YAML feature riskkit does not read (a tag, a complex key)",
         "Files hold plain data only: no tags such as !!python/object, keys that are plain "
         "scalars, and merge keys (<<) that take a mapping. Write the value as plain YAML.",
         "owner: team-data        # not: owner: !!python/name:os.system"),
    Code("Y006", E, "the file is too big, or its aliases expand too far",
         "A file larger than riskkit's limit, or aliases that expand to too many values "
         "(an alias bomb), is refused before it is built; the message gives the limit. "
         "Split the file or drop the aliases."),
    Code("Y007", E, "the data is nested too deep",
         "Nesting deeper than riskkit's limit is refused; no riskkit file needs that "
         "depth. The message gives the limit."),
    Code("Y008", E, "a typed value is not valid (a number, a date, a boolean)",
         "An explicitly tagged value (!!int, !!float, !!timestamp) must be valid in plain "
         "decimal or ISO form, and a number must be finite (.inf and .nan are refused). "
         "Drop the tag, or write the value in plain form.",
         "minutes: 10              # not: minutes: !!int 0x0A"),
    Code("Y009", E, "the file cannot be read",
         "The path is a folder, a broken symbolic link, missing, or not readable. Fix the "
         "path or its permissions."),
    Code("Y010", W, "a plain value ends where a comment starts",
         "In YAML, ' #' starts a comment, so 'title: Fix queue #2' keeps only 'Fix queue' "
         "and 'color: #c62828' is no value at all. Quote the whole value if the '#' "
         "belongs to it.",
         'title: "Fix queue #2 now"'),
    Code("Y011", E, "the path is not a regular file (a pipe, a device, a socket)",
         "riskkit reads regular files only: a named pipe could make it wait forever and a "
         "device such as /dev/zero never ends, so neither is opened for reading, whether "
         "it sits in the workspace or a link points at it. Replace it with a file or move "
         "it out of the workspace's folders."),
    Code("Y012", E, "a link or path leads outside the workspace's repository",
         "Files are read only from inside the git repository that holds the workspace (or "
         "the workspace, outside git): a symbolic link, a matrix path or a template that "
         "leads elsewhere is refused and the file it names is never read, so a change "
         "under review cannot make riskkit print a file of the machine it runs on. Copy "
         "the file into the repository, or make the link point inside it."),
    # Schema: the data does not have the shape the JSON Schema describes
    Code("S100", E, "an unknown field",
         "The schema (riskkit schema NAME) lists the fields a file may hold; a misspelt "
         "field would otherwise be ignored. The message suggests the field you probably "
         "meant.",
         "likelihood: 3            # not: likelyhood: 3"),
    Code("S101", E, "a required field is missing",
         "Add the field the message names; riskkit schema NAME shows what is required."),
    Code("S102", E, "a value has the wrong type",
         "The schema expects another type here (a string, a number, a list, a mapping). "
         "A text that looks like a number or a boolean must be quoted to stay text.",
         'version: "1.10"          # text, not the number 1.1'),
    Code("S103", E, "a value is not allowed here",
         "The value is of the right type but not one the schema allows: not one of the "
         "listed choices, not matching the id pattern, not a valid date, out of range, "
         "empty, or repeated in a list of unique items.",
         "status: mitigating       # one of: open, mitigating, accepted, closed"),
    Code("S104", E, "a matrix needs either 'grid' or 'thresholds'",
         "A custom matrix maps each cell to a level either cell by cell (grid) or by the "
         "score each level starts at (thresholds). Give exactly one of them.",
         "thresholds: {low: 1, medium: 5, high: 10, critical: 17}"),
    # Matrix and settings: riskkit.yaml and the matrix it names
    Code("M001", E, "the matrix cannot be found",
         "riskkit.yaml's 'matrix' names a preset (the message lists them) or a matrix "
         "file in the workspace; this one is neither.",
         "matrix: 5x5"),
    Code("M002", E, "the matrix is inconsistent",
         "What a schema cannot check: ids repeated on a scale, a grid whose shape does not "
         "match the scales, a grid cell or threshold naming an unknown level, thresholds "
         "that do not start at 1 or do not rise with the levels."),
    Code("M003", E, "riskkit.yaml names a level the matrix does not have",
         "appetite, review_days and drill_days use the level ids of the workspace's "
         "matrix; riskkit matrix --format json lists them.",
         "appetite: medium"),
    # Risks: what a schema cannot say about one risk, or about the register
    Code("R001", E, "two risks have the same id",
         "Every risk id is unique in the workspace; the message names where it was first "
         "defined. Rename one of them."),
    Code("R002", E, "a rating is not on the matrix",
         "likelihood and impact (current and residual) take a rank on the workspace's "
         "matrix (1-5 on the 5x5 preset) or one of its ids (rare..almost-certain, "
         "very-low..very-high).",
         "impact: 4                # not: impact: 7 on a 5x5 matrix"),
    Code("R003", E, "the residual rating is above the current one",
         "The residual rating is what is left once the treatment works, so it cannot be "
         "worse than the current rating. Lower the residual, or raise the current rating."),
    Code("R004", E, "an accepted risk has no acceptance",
         "A risk with status 'accepted' records who accepted it, until when and why.",
         "acceptance: {by: cfo, until: 2027-06-30, rationale: Replaced in Q3}"),
    Code("R005", E, "a risk links a runbook that does not exist",
         "Each id under 'runbooks:' must be the id of a runbook in runbooks/. Fix the id "
         "(the message suggests one) or remove the link."),
    Code("R006", E, "two controls of a risk have the same id",
         "Control ids are unique within their risk. Rename one of them."),
    Code("R007", E, "a review or acceptance is dated after today",
         "review.last and acceptance.since record what has happened, so they cannot be in "
         "the future. Fix the date, or pass --as-of when checking as of another day."),
    # Runbooks: what a schema cannot say about one runbook, or about the links
    Code("B001", E, "two steps of a runbook have the same id",
         "Step ids are how 'needs' and drill records name steps. Rename one of them."),
    Code("B002", E, "a step needs a step that does not exist",
         "Each id under 'needs:' must be the id of another step of the same runbook.",
         "needs: [declare]"),
    Code("B003", E, "a step needs itself",
         "A step cannot wait for itself. Remove its own id from its 'needs:'."),
    Code("B004", E, "a step names an unknown scenario",
         "Each name under a step's 'when:' must be declared under the runbook's "
         "'scenarios:'.",
         "scenarios: {host-lost: The primary host is gone}"),
    Code("B005", E, "a role or approval is not a defined role",
         "A step's 'role' and 'approval' name a role defined under 'roles:' in "
         "riskkit.yaml or in the runbook itself.",
         "roles: {dba: {title: Database on-call}}"),
    Code("B006", E, "the steps depend on each other in a circle",
         "'needs' must form a graph without cycles, or no step of the cycle could ever "
         "start. Remove one of the needs the message lists."),
    Code("B007", E, "an input's default is not one of its choices or does not match its "
         "pattern",
         "A default is used when no value is given at render time, so it must pass the "
         "input's own checks."),
    Code("B008", E, "two runbooks have the same id",
         "Every runbook id is unique in the workspace; the message names where it was "
         "first defined. Rename one of them."),
    Code("B009", E, "a runbook links a risk that does not exist",
         "Each id under 'risks:' must be the id of a risk in risks/. Fix the id (the "
         "message suggests one) or remove the link."),
    Code("B010", E, "a text uses an input the runbook does not declare",
         "Every {{ name }} in a runbook's text must be declared under 'inputs:', so a plan "
         "never meets an unknown name during an incident.",
         "inputs: {region: {description: Cloud region, required: true}}"),
    Code("B011", E, "a text is not a valid template",
         "Runbook text is a Jinja template; this one does not parse or uses an unknown "
         "filter. The message gives the line within the text.",
         'run: "kubectl -n web-{{ region }} get pods"    # not: web-{{ region }'),
    Code("B012", E, "an input name is reserved by the template language",
         "Names such as self, true or none already mean something in a template and cannot "
         "be read from the inputs. Choose another name for the input. Jinja's built-ins "
         "such as range, loop, dict or namespace may be input names: the input wins."),
    Code("B014", E, "a text uses an optional input that has no default",
         "Without a value the plan would print a blank where the input goes. Make the input "
         "required, or give it a default.",
         "inputs: {host: {description: Host, default: db-1}}"),
    Code("B015", E, "input defaults depend on each other in a circle",
         "A default may use other inputs ({{ region }}-db), but not in a circle, or none "
         "of them could be worked out."),
    Code("B016", E, "an input's pattern could backtrack catastrophically",
         "A pattern that repeats a repeat (([a-z0-9]+-?)+) or repeats alternatives that "
         "start alike ((a|ab)+) can take minutes to check a value that almost matches, in "
         "the middle of an incident. Write each round so it starts with a character the "
         "round before cannot take.",
         'pattern: "^[a-z0-9]+(-[a-z0-9]+)*$"    # not: ^([a-z0-9]+-?)+$'),
    Code("B017", E, "a scenario's plan would give its steps too many needs",
         "A step that needs a step its scenario drops inherits that step's needs. A "
         "dropped step between many steps before it and many after it gives each step "
         "after it every step before it: past 200,000 needs more than the file writes, "
         "the plan is refused by validate instead of taking minutes at incident time. "
         "Write the needs of the steps after it yourself, or split the runbook."),
    # Runbook warnings: what an experienced reviewer would say; they fail only --strict
    Code("W001", W, "a step changes something but has no 'verify'",
         "A step that runs a command or cannot be undone should say how to check that it "
         "worked.",
         'verify: "pg_isready -h {{ host }} answers: accepting connections"'),
    Code("W002", W, "an irreversible step needs no approval",
         "A step that cannot be undone should name the role that approves it.",
         "approval: ic"),
    Code("W003", W, "a step has no role",
         "During an incident every step needs an owner. Give it a role."),
    Code("W004", W, "a runbook has no triggers",
         "Triggers (or alerts) say which alerts or symptoms identify this emergency, so the "
         "right runbook is found fast.",
         "triggers: [PostgresPrimaryDown fires]"),
    Code("W005", W, "the incident commander is given hands-on work",
         "The commander coordinates; a step with a command belongs to another role."),
    Code("W006", W, "the expected time to mitigate is above a linked risk's RTO",
         "The runbook's critical path takes longer than the recovery time objective of a "
         "risk it answers: shorten the path (parallel steps, fewer minutes) or revisit "
         "the RTO."),
    Code("W007", W, "a step has no 'minutes' estimate",
         "Without it the step counts as 0 minutes, and the expected time to mitigate is "
         "too optimistic.",
         "minutes: 5"),
    Code("W008", W, "a scenario has no steps",
         "No step applies to the scenario, so its plan would be empty. Add it to the "
         "'when:' of the steps it needs, or remove it."),
    # Drills: records of the past, checked against the runbooks of today
    Code("D001", W, "a drill record names an unknown runbook",
         "The runbook was renamed or removed since the drill; the record is history and "
         "stays, but it counts for no runbook."),
    Code("D002", W, "a drill record names an unknown step",
         "The step was renamed or removed since the drill; its minutes are not counted."),
    Code("D003", E, "a drill is dated after today",
         "A drill record is of the past. Fix the date, or pass --as-of when checking as of "
         "another day."),
    Code("D004", W, "a drill record names an unknown scenario",
         "The scenario was renamed or removed since the drill."),
    # Incident journals: incidents/<id>/journal, one JSON event a line, only appended to
    Code("I001", E, "a journal line is not an event",
         "Each line of a journal is one JSON object with 'at' (a UTC time such as "
         "2026-12-01T10:21:00Z), 'event' (its id), 'by' and 'kind'. A line that is not "
         "one (a hand edit, a merge that was not git's union merge, a torn write) is left "
         "out of the incident. Fix the line with the author's help, or record a new "
         "event: a journal is corrected by appending, never by rewriting what happened.",
         '{"at": "2026-12-01T10:21:00Z", "event": "5f0c9a1e2b3d4c6f", "by": "dana", '
         '"kind": "note", "text": "Key deactivated"}'),
    Code("I002", E, "a journal has no start event, or two",
         "An incident begins with the event 'riskkit incident start' writes: it pins the "
         "runbook, its scenario and inputs. Without it nothing can be worked out; a second "
         "one is ignored. Start a new incident instead of editing a journal by hand."),
    Code("I003", E, "an event is dated before the incident started",
         "Nothing in an incident happens before its start; the event is left out of the "
         "state. Check the event's time and its offset (times are stored in UTC)."),
    Code("I004", E, "an event of an unknown kind",
         "The kinds are start, begin, done, skip, reopen, approve, assign, handover, note, "
         "status-update, close, action and action-done. An event of another kind (a "
         "typo, or written by a newer riskkit) is left out."),
    Code("I005", E, "an event names a step the incident does not have",
         "Step events name a step of the runbook the incident pinned, in its scenario. "
         "The pinned copy is what counts, not the runbook as it is now: a step added to "
         "the runbook since the start is not part of a running incident."),
    Code("I006", E, "the runbook an incident pinned cannot be read",
         "The start event holds the runbook's source and its sha256. When they do not "
         "match, the start event was edited; when the source no longer loads, riskkit has "
         "grown stricter since. Either way the incident's state cannot be worked out."),
    Code("I007", W, "a journal names a runbook the workspace no longer has",
         "The runbook was renamed or removed since the incident started. The incident "
         "keeps working from the copy it pinned; the warning says the link is gone."),
    Code("I008", W, "an event comes after the incident was closed",
         "riskkit refuses events on a closed incident, so this one came from another "
         "clone that did not know of the close, or from a hand edit. It still counts; "
         "check that the incident was really over."),
    Code("I009", E, "an event is dated after today",
         "A journal records what has happened. Check the event's date, or pass --as-of "
         "when checking as of another day (a day's slack allows for time zones)."),
    Code("I010", W, "an event appears twice in a journal",
         "Two lines carry the same event id: a line was copied. It counts once."),
    Code("I011", E, "an action item event is incomplete or names no action item",
         "An 'action' event (riskkit incident action) holds a title, an owner and a due "
         "date (YYYY-MM-DD); an 'action-done' event names the id of an action item added "
         "before it in the same journal. Either kind is left out when it does not. Add a "
         "corrected action item with riskkit incident action instead of editing the "
         "journal."),
    # Templates: the Jinja templates plans, checklists and reports are rendered with
    Code("T001", E, "a template failed while rendering",
         "A template or a runbook text met an undefined name or failed (arithmetic on "
         "text, say) at render time. The position is the template file and line, or the "
         "runbook field."),
    Code("T002", E, "a template does not parse",
         "A template override in templates/ has a syntax error, or cannot be read. The "
         "position is the line Jinja reports."),
    Code("T003", E, "the template sandbox refused something",
         "Templates and runbook text run in a sandbox: private attributes (__class__), "
         "the 'attr' filter and template built-ins are refused, so a file in the register "
         "cannot run code. Runbook text may only print its inputs.",
         'title: "Restart {{ service }}"'),
    Code("T004", E, "a template goes over a limit of time or size",
         "Templates and runbook text run under budgets, so no file can hang riskkit or "
         "exhaust its memory: 500,000 steps (a loop iteration is one, a call four), "
         "strings and lists of 1,000,000 items, numbers of 4,096 bits, ranges of 100,000, "
         "numeric arguments up to 1,000,000 and 5,000,000 characters of output per render. "
         "A plan needs none of that: print the inputs, and loop over short lists."),
    Code("T005", E, "a runbook fails when rendered with trial inputs",
         "validate renders every runbook for each scenario, with its defaults and with "
         "each choice of each input (free inputs take their 'example:'), as 'runbook "
         "render' and 'drill checklist' would. A text that fails then (an index out of "
         "range, a division by zero, a default that cannot be worked out) would fail during "
         "an incident. The message names the inputs it was tried with.",
         "inputs: {replicas: {description: Replica count, required: true, example: 3}}"),
    # Alert rules: Prometheus rule files (alerts/, validate --alerts) against the runbooks
    Code("A001", E, "a paging alert has no runbook",
         "An alert whose severity label pages someone (alerts.paging_severities in "
         "riskkit.yaml, default critical and page) must lead to a runbook: name the alert "
         "in a runbook's 'alerts:', or give the rule a runbook_url annotation that points "
         "at one.",
         "alerts: [PostgresPrimaryDown]          # in the runbook"),
    Code("A002", E, "an alert's runbook_url is not a runbook page of the site",
         "A runbook_url must point at a page of the runbook site (riskkit site): "
         "BASE/runbooks/ID/, where BASE is site.base_url in riskkit.yaml when it is set. "
         "A query string or a fragment (#region=eu-west-1) is fine.",
         "runbook_url: https://runbooks.example.com/runbooks/db-failover/"),
    Code("A003", E, "an alert's runbook_url names an unknown runbook",
         "The runbook_url has the shape of a runbook page, but no runbook has that id: it "
         "was renamed or removed, or the id is misspelt. On-call would land on a page that "
         "does not exist."),
    Code("A004", W, "a runbook names an alert that no rule file defines",
         "The alert was renamed or removed from the rule files, or the name is misspelt, "
         "so the runbook will not be found from it. Checked only when rule files are read "
         "(an alerts/ folder, or validate --alerts)."),
    Code("A005", E, "a rule file is not in the Prometheus rule format",
         "A rule file holds groups: [{name, rules: [{alert or record, expr, labels, "
         "annotations}]}] (or a PrometheusRule resource with them under spec). The message "
         "says what is missing or of the wrong type; promtool check rules says the same.",
         "groups:\n  - name: ledger\n    rules:\n      - alert: PostgresPrimaryDown\n"
         "        expr: pg_up == 0"),
    # Imported sheets: riskkit import reads a spreadsheet's rows as risks
    Code("X001", W, "a column of the sheet is not imported",
         "No field of the flat shape is called like the column's header (nor like one of "
         "its usual names), so its cells are left out. Name the field it feeds under "
         "columns: in a mapping file (riskkit import FILE --map MAP.yaml), or leave it.",
         "columns:\n  review_last: Date of last review"),
    Code("X002", E, "the sheet has no column for a field",
         "The mapping file names a column the sheet does not have, or no column gives a "
         "field every risk needs (id, title, owner, status, likelihood, impact). Fix the "
         "header, map the column, or give the field a value under defaults:.",
         "columns:\n  owner: Risk owner\ndefaults:\n  status: open"),
    Code("X003", E, "a cell is not in the form its column takes",
         "A date that is not YYYY-MM-DD (or one of the mapping file's dates: formats), a "
         "whole number that is not one, or a control not written 'ID: title (kind, "
         "status)'. The message names the sheet, the column and what was expected.",
         "dates: [\"%d/%m/%Y\"]"),
    Code("X004", E, "two columns of the sheet feed the same field",
         "Two headers both name one field (say 'Owner' and 'Risk owner'), so riskkit cannot "
         "tell which to read. Name the one to use under columns: in a mapping file, or "
         "rename the other.",
         "columns:\n  owner: Risk owner"),
)

CODES: dict[str, Code] = {code.id: code for code in REGISTRY}


def severity_of(code: str) -> Severity:
    """The registered severity of ``code``; an error for a code riskkit does not know."""
    entry = CODES.get(code)
    return entry.severity if entry is not None else Severity.ERROR
