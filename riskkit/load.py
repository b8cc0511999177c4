"""Load a whole workspace: every risk and runbook, checked together.

Cross-file checks live here: duplicate ids across files, and links between risks and
runbooks (declared on either side, merged).
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from riskkit.register import rules
from riskkit.problems import InputError, Names, Problem, ProblemsFound, did_you_mean
from riskkit.register.risk import Risk, duplicate_ids, entries, load_risk, sort_key
from riskkit.runbook.model import Runbook, load_runbook
from riskkit.workspace import Workspace
from riskkit.files.yamlload import Doc, load_file

if TYPE_CHECKING:
    from riskkit.alerts.rules import RuleFiles
    from riskkit.drill.model import Measured


@dataclass
class Loaded:
    """A workspace as loaded: its risks, runbooks and drills, their links, and every
    problem found."""

    workspace: Workspace
    risks: list[Risk] = field(default_factory=list)
    runbooks: list[Runbook] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    links: set[tuple[str, str]] = field(default_factory=set)  # (risk id, runbook id)
    drills: list = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # said on stderr, beside the result
    runbook_files: dict[str, str] = field(default_factory=dict)  # id -> file, loaded or not
    alert_rules: RuleFiles | None = None  # the Prometheus rule files read, if any
    incidents: int = 0  # journals checked (riskkit.incident.check)
    as_of: dt.date | None = None  # "today" of the load: incidents are read as of it
    only_runbook: str | None = None  # fastload: the one runbook whose incidents matter
    _records: list[Any] | None = field(default=None, repr=False)

    def incident_records(self) -> list[Any]:
        """Every incident of the workspace as of ``as_of`` (``IncidentRecord``s, oldest
        first), read once, when first asked: validate never reads them."""
        if self._records is None:
            if self.as_of is None or not (self.workspace.root / "incidents").is_dir():
                self._records = []
            else:
                from riskkit.incident.learn import read_records

                self._records = read_records(self.workspace, self.as_of, self.only_runbook)
        return self._records

    def measured(self, runbook_id: str) -> Measured:
        """What drills and closed incidents measured of the runbook's steps: as a
        mapping, the figures the ETA-vs-RTO verdicts use (``riskkit.drill.model``)."""
        from riskkit.drill.model import measured
        from riskkit.incident.records import samples

        return measured(self.drills, runbook_id,
                        samples(self.incident_records(), runbook_id))

    def risk(self, risk_id: str) -> Risk:
        for risk in self.risks:
            if risk.id == risk_id:
                return risk
        known = [r.id for r in self.risks]
        raise InputError(f"unknown risk '{risk_id}'{did_you_mean(risk_id, known)}")

    def runbook(self, runbook_id: str) -> Runbook:
        for runbook in self.runbooks:
            if runbook.id == runbook_id:
                return runbook
        path = self.runbook_files.get(runbook_id)
        broken = [p for p in self.errors if p.path == path]
        if broken:  # it exists, but its file has errors: those are the answer
            raise ProblemsFound(broken)
        raise InputError(f"unknown runbook '{runbook_id}'"
                         f"{did_you_mean(runbook_id, [r.id for r in self.runbooks])}")

    def _index(self) -> tuple[dict, dict, dict]:
        key = (len(self.links), len(self.risks))
        if getattr(self, "_indexed", None) != key:
            by_runbook: dict[str, list[str]] = {}
            by_risk: dict[str, list[str]] = {}
            for risk_id, runbook_id in self.links:
                by_runbook.setdefault(runbook_id, []).append(risk_id)
                by_risk.setdefault(risk_id, []).append(runbook_id)
            self._by = (by_runbook, by_risk, {r.id: r for r in self.risks})
            self._indexed = key
        return self._by

    def risks_of(self, runbook_id: str) -> list[Risk]:
        by_runbook, _, risks = self._index()
        return sorted((risks[i] for i in by_runbook.get(runbook_id, ()) if i in risks),
                      key=sort_key)

    def runbooks_of(self, risk_id: str) -> list[str]:
        return sorted(self._index()[1].get(risk_id, ()))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    def trusted(self) -> Loaded:
        """What a view can show when some files have errors: everything that is not in a
        file with an error (and no link to such a thing). A quarterly review is not
        blocked by one typo; the errors themselves are still reported beside the view."""
        broken = {p.path for p in self.errors}
        if not broken:
            return self
        risks = [r for r in self.risks if r.file not in broken]
        runbooks = [r for r in self.runbooks if r.file not in broken]
        risk_ids, runbook_ids = {r.id for r in risks}, {r.id for r in runbooks}
        return Loaded(self.workspace, risks, runbooks, list(self.problems),
                      {(a, b) for a, b in self.links if a in risk_ids and b in runbook_ids},
                      [d for d in self.drills if d.file not in broken], list(self.notes),
                      dict(self.runbook_files), self.alert_rules, self.incidents,
                      self.as_of, self.only_runbook)




def classify(ws: Workspace, path: Path) -> str:
    """Which kind of file ``path`` is: by the workspace folder it sits in, or, outside the
    workspace, by its content (a runbook has steps, a drill names its runbook)."""
    rel = ws.rel(path)
    top = rel.split("/", 1)[0]
    if top in ("risks", "runbooks", "drills", "alerts") and not os.path.isabs(rel):
        return {"runbooks": "runbook", "drills": "drill", "alerts": "alert"}.get(top, "risk")
    from riskkit.files.reading import read_or_empty

    text = read_or_empty(path).decode("utf-8", errors="replace")  # a pipe is not read
    if "\nsteps:" in "\n" + text:
        return "runbook"
    if "\ngroups:" in "\n" + text or "\nkind: PrometheusRule" in "\n" + text:
        return "alert"  # a Prometheus rule file
    return "drill" if "\nrunbook:" in "\n" + text else "risk"


def load(ws: Workspace, as_of: dt.date, extra: Sequence[Path] = (),
         alerts: Sequence[Path] = ()) -> Loaded:
    """Load and check every file of the workspace (and ``extra`` files given by the user).

    Prometheus rule files are read from the workspace's alerts/ folder and from
    ``alerts`` (``validate --alerts``), and checked against the runbooks.

    ``as_of`` is "today" for every check that depends on it (a drill or a review cannot
    be in the future): the core never reads the machine's clock, so the same files and
    the same ``as_of`` give the same answer on any day.
    """
    from riskkit.drill.model import load_drill

    loaded = Loaded(ws, as_of=as_of)
    # A file changed after this may be read as it was before; on the disk's clock, which
    # stamps the files the link index is later compared with.
    from riskkit.files import cache

    started = cache.clock_ns() if cache.enabled() else time.time_ns()
    loaded.problems += ws.warnings  # riskkit.yaml's (its errors stop everything earlier)
    walks = {"risk": ws.walk("risks"), "runbook": ws.walk("runbooks"),
             "drill": ws.walk("drills")}
    files = {kind: [Path(p) for p in found.files] for kind, found in walks.items()}
    for found in walks.values():  # a folder that cannot be read hides what it holds
        loaded.problems += found.problems(ws.rel)
    seen = {p.resolve() for group in files.values() for p in group} if extra else set()
    for path in extra:
        if path.resolve() not in seen:
            files.setdefault(classify(ws, path), []).append(path)
    risk_ids, runbook_ids = [], []
    # Files that do not parse cannot say their ids; their names stand in for them, so
    # one broken file does not make every link to it "unknown" as well.
    unreadable: dict[str, set[str]] = {"risk": set(), "runbook": set()}
    runbook_problems: list[Problem] = []
    listed: dict[str, list[str]] = {}  # alert name -> the runbooks naming it

    def runbooks() -> None:  # while the risk files are parsed elsewhere
        from riskkit.runbook.trial import trial

        for path in files["runbook"]:
            doc, problems = load_file(path, ws.rel(path))
            runbook_problems.extend(problems)
            if doc is None:
                unreadable["runbook"].add(path.stem)
                continue
            runbook, problems = load_runbook(doc, ws.roles)
            runbook_problems.extend(problems)
            ident = _id_of(doc, ())
            for name in _alerts_of(doc):
                listed.setdefault(name, []).append(ident or path.stem)
            if ident is not None:
                runbook_ids.append((ident, doc, ("id",)))
                loaded.runbook_files.setdefault(ident, doc.path)
            if runbook is not None:
                loaded.runbooks.append(runbook)
                # what render would refuse, validate refuses first (while workers parse)
                runbook_problems.extend(trial(runbook))

    results = _risk_files(ws, files["risk"], meanwhile=runbooks)
    for path, (problems, found) in zip(files["risk"], results):
        loaded.problems += problems
        if not found:
            unreadable["risk"].add(path.stem)
        for ident, doc, where, risk in found:
            if ident is not None:
                risk_ids.append((ident, doc, where))
            if risk is not None:
                loaded.risks.append(risk)
    loaded.problems += runbook_problems
    by_id = {r.id: r for r in loaded.runbooks}
    for path in files["drill"]:
        doc, problems = load_file(path, ws.rel(path))
        loaded.problems += problems
        if doc is None:
            continue
        drill, problems = load_drill(doc, by_id, as_of,
                                     {i for i, *_ in runbook_ids} | unreadable["runbook"])
        loaded.problems += problems
        if drill is not None:
            loaded.drills.append(drill)
    loaded.drills.sort(key=lambda d: (d.date, d.file))
    if (ws.root / "incidents").is_dir():
        from riskkit.incident.check import check_journals

        known = {i for i, *_ in runbook_ids} | unreadable["runbook"]
        journal_problems, loaded.incidents = check_journals(ws, known, as_of, loaded.runbooks)
        loaded.problems += journal_problems
    if (ws.root / "templates").is_dir():
        from riskkit.present.jinja import check_overrides

        loaded.problems += check_overrides(ws.root)
    alert_walk = ws.walk("alerts")
    rule_files = [*(Path(p) for p in alert_walk.files), *files.get("alert", []), *alerts]
    loaded.problems += alert_walk.problems(ws.rel)
    if rule_files:
        loaded.problems += _alert_rules(loaded, rule_files, listed, {
            i for i, *_ in runbook_ids} | unreadable["runbook"])
    loaded.problems += duplicate_ids(risk_ids, "risk", "R001")
    loaded.problems += duplicate_ids(runbook_ids, "runbook", "B008")
    _link(loaded, {i for i, *_ in risk_ids} | unreadable["risk"],
          {i for i, *_ in runbook_ids} | unreadable["runbook"])
    loaded.problems += _future_dates(loaded.risks, as_of)
    loaded.risks.sort(key=sort_key)
    loaded.runbooks.sort(key=lambda r: r.id)
    loaded.problems.sort()
    if not extra:
        _remember_links(loaded, walks["risk"].folders, started)
    return loaded


def _alerts_of(doc: Doc) -> list[str]:
    """The alert names a runbook file gives, as far as it can be read."""
    data = doc.data
    names = data.get("alerts") if isinstance(data, dict) else None
    return [n for n in names if isinstance(n, str)] if isinstance(names, list) else []


def _alert_rules(loaded: Loaded, paths: list[Path], listed: dict[str, list[str]],
                 known: set[str]) -> list[Problem]:
    """Read the rule files (each once) and check them against the runbooks."""
    from riskkit.alerts.check import check
    from riskkit.alerts.rules import read_rule_files

    ws = loaded.workspace
    unique = list({p.resolve(): p for p in paths}.values())
    found = read_rule_files(unique, ws.rel)
    loaded.alert_rules = found
    return found.problems + check(found, loaded.runbooks, listed, known,
                                  ws.paging_severities, ws.site_base_url)


def _remember_links(loaded: Loaded, folders: list[str], started_ns: int) -> None:
    """Keep the risk file of each linked risk, by runbook, so incident-time commands skip
    the scan; with the risk files that have errors (an incident plan says when one may
    answer it), the risk folders as listed (each with its inode, to notice a folder
    renamed or moved in later, whose files keep their ctime) and when the load began."""
    from riskkit.files import cache

    if not cache.enabled():
        return
    by_risk = {r.id: r.file for r in loaded.risks}
    by_runbook: dict[str, dict[str, str]] = {}
    for risk_id, runbook_id in sorted(loaded.links):
        if risk_id in by_risk:  # a risk with problems did not load; it is not linked
            by_runbook.setdefault(runbook_id, {})[risk_id] = by_risk[risk_id]
    root = loaded.workspace.root
    inodes = {}
    for folder in folders:
        try:
            inodes[os.path.relpath(folder, root).replace(os.sep, "/")] = os.stat(folder).st_ino
        except OSError:
            continue
    broken = sorted({p.path for p in loaded.errors if p.path.startswith("risks/")})
    cache.write(root, "links", {}, {}, {"by_runbook": by_runbook, "broken": broken,
                                        "folders": inodes, "started_ns": started_ns})


# Files from which workers pay back. Each worker's answer is pickled and read back here:
# on two idle cores two workers gave back about a tenth of the wall time at 1,000 risk
# files for half as much CPU again, a quarter at 2,000; on a busy machine they were
# slower at every size up to 4,000. Each worker takes at least half of this.
PARALLEL_FROM = 2000


def _risk_file(ws: Workspace, path: Path) -> tuple[list[Problem], list[tuple]]:
    """Problems of one risk file and, per risk in it, (id, doc, path of id, Risk|None)."""
    doc, problems = load_file(path, ws.rel(path))
    found = []
    if doc is not None:
        for base in entries(doc, problems):
            risk, more = load_risk(doc, base, ws.matrix)
            problems += more
            found.append((_id_of(doc, base), doc, base + ("id",), risk))
        if not problems:  # what is left to locate, the positions kept by the parse answer
            doc.release()
    return problems, found


def jobs() -> int:
    """Worker processes for loading: RISKKIT_JOBS, else one per core (at most 8)."""
    value = os.environ.get("RISKKIT_JOBS")
    if value and value.isdigit() and int(value) > 0:
        return int(value)
    return max(1, min(8, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                      else (os.cpu_count() or 1)))


def _risk_files(ws: Workspace, paths: list[Path],
                meanwhile: Callable[[], object] | None = None) -> list[tuple]:
    """Load risk files, in file order; big registers are parsed on every core.

    Parsing is most of a cold run and each file stands alone, so worker processes
    (forked, so they share what is already imported) take contiguous chunks and the
    results are joined in order: the output is the same as a serial run. ``meanwhile``
    runs in this process while the workers parse. A worker is a bare fork writing its
    answer to a pipe: no process pool to import and start, which a register of a few
    hundred files would not pay back.
    """
    workers = min(jobs(), len(paths) // (PARALLEL_FROM // 2))
    if workers < 2 or not hasattr(os, "fork"):
        results = [_risk_file(ws, p) for p in paths]
        if meanwhile:
            meanwhile()
        return results
    size = -(-len(paths) // workers)
    children: list[tuple[int, int]] = []
    try:
        # What is already in memory stays out of the workers' garbage collections, which
        # would otherwise touch (and so copy) every page they share with this process.
        gc.freeze()
        try:
            for start in range(0, len(paths), size):
                children.append(_fork(ws, paths[start:start + size]))
        finally:
            gc.unfreeze()
        if meanwhile:
            meanwhile()
        results = []
        while children:
            results += _answer(*children.pop(0))
        return results
    finally:
        for pid, pipe in children:  # after an error here: stop the others, leave no zombie
            os.close(pipe)
            _reap(pid, stop=True)


def _fork(ws: Workspace, paths: list[Path]) -> tuple[int, int]:
    """A worker that loads ``paths`` and writes its answer, pickled, to a pipe: its pid
    and the pipe's end to read. The worker never returns: it leaves with ``os._exit``
    (no buffered output of this process printed twice, no exit handlers)."""
    import pickle

    read, write = os.pipe()
    pid = os.fork()
    if pid:
        os.close(write)
        return pid, read
    code = 1
    try:
        os.close(read)
        answer: tuple[bool, Any]
        try:
            answer = (True, [_risk_file(ws, p) for p in paths])
        except Exception as exc:  # a bug: raised again in the parent
            answer = (False, exc)
        try:
            data = pickle.dumps(answer, pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # an answer that cannot be pickled: say what it was
            data = pickle.dumps((False, RuntimeError(f"{type(exc).__name__}: {exc}")))
        with open(write, "wb") as out:
            out.write(data)
        code = 0
    finally:
        os._exit(code)


def _answer(pid: int, pipe: int) -> list[tuple]:
    """The results of the worker ``pid``, read from its pipe (closed after); its error
    raised here."""
    import pickle

    data = b""
    try:
        with open(pipe, "rb") as answer:
            data = answer.read()
    finally:
        _reap(pid, stop=not data)  # no answer: the worker may still be at work
    if not data:
        raise RuntimeError("a worker loading risk files stopped without an answer")
    ok, value = pickle.loads(data)
    if not ok:
        raise value
    return value


def _reap(pid: int, stop: bool = False) -> None:
    """Wait for the worker ``pid`` to end; with ``stop``, end it first if it is still at
    work (this process is leaving because of an error)."""
    import signal

    try:
        if stop and os.waitpid(pid, os.WNOHANG) == (0, 0):
            os.kill(pid, signal.SIGTERM)
        os.waitpid(pid, 0)
    except ChildProcessError:  # already reaped
        pass


def _id_of(doc: Doc, base: tuple[Any, ...]) -> str | None:
    value = doc.data
    for part in base:
        value = value[part]
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        return value["id"]
    return None


FUTURE_DATES = {("review", "last"): "the last review", ("acceptance", "since"): "the acceptance"}


def _future_dates(risks: list[Risk], as_of: dt.date) -> list[Problem]:
    """A review or an acceptance is something that happened: it cannot be after today."""
    out = []
    for risk in risks:
        for where, what in FUTURE_DATES.items():
            day = risk.date(*where)
            if day is not None and day > as_of:
                line, col = risk.at(*where)
                out.append(Problem(risk.file, line, col, "R007",
                                   f"{risk.id}: {what} is dated {day.isoformat()}, after "
                                   f"{as_of.isoformat()} (it records what has happened)"))
    return out


def _link(loaded: Loaded, risk_ids: set[str], runbook_ids: set[str]) -> None:
    """Merge links from both sides; report those that name unknown ids."""
    runbook_names, risk_names = Names(runbook_ids), Names(risk_ids)  # once for every link
    for risk in loaded.risks:
        for i, runbook_id in enumerate(risk.runbooks):
            if runbook_id in runbook_ids:
                loaded.links.add((risk.id, runbook_id))
            else:
                line, col = risk.at("runbooks", i)
                loaded.problems.append(Problem(
                    risk.file, line, col, "R005",
                    f"{risk.id}: unknown runbook '{runbook_id}'"
                    f"{did_you_mean(runbook_id, runbook_names)}"))
    for runbook in loaded.runbooks:
        for i, risk_id in enumerate(runbook.risks):
            if risk_id in risk_ids:
                loaded.links.add((risk_id, runbook.id))
            else:
                line, col = runbook.at("risks", i)
                loaded.problems.append(Problem(
                    runbook.file, line, col, "B009",
                    f"{runbook.id}: unknown risk '{risk_id}'{did_you_mean(risk_id, risk_names)}"))
    for runbook in loaded.runbooks:
        for check in rules.rto_checks(runbook.eta_minutes, loaded.risks_of(runbook.id)):
            if not check.within:
                line, col = runbook.at("id")
                loaded.problems.append(Problem(
                    runbook.file, line, col, "W006",
                    f"{runbook.id}: expected time to mitigate {check.eta_minutes:g} min is "
                    f"above the RTO of {check.risk} ({check.rto_minutes} min)"))
