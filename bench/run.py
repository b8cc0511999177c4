"""riskkit's benchmarks: every figure is a ratio measured side by side in one run.

    python bench/run.py [--risks 10000] [--repeat 5] [--quick]

Each command runs as a fresh process (that is how people run riskkit). The two sides of a
row run in turn (riskkit, baseline, riskkit, ...) and each figure is the median of its
runs (at least 11 a side for the rows under a second, which noise moves most); CPU time (user + sys, workers included) is quoted beside wall time, and a baseline
that exits non-zero stops the bench. "Cold" means riskkit's cache folder emptied before
each run. ``--quick`` shrinks every size for a smoke run. Nothing here is asserted by the
test suite: the targets are printed beside the figures.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from gen import generate  # noqa: E402
import shapes  # noqa: E402

BIN = Path(sys.executable).parent
RISKKIT = [str(BIN / "riskkit")] if (BIN / "riskkit").exists() else [sys.executable, "-m",
                                                                      "riskkit"]
FLOOR = """
import sys, yaml
from pathlib import Path
for folder in ("risks", "runbooks"):
    for path in sorted(Path(folder).glob("*.yaml")):
        yaml.load(path.read_bytes(), Loader=yaml.CSafeLoader)
"""


FLOOR_MANY = """
import sys, yaml
from pathlib import Path
for root in sys.argv[1:]:
    for folder in ("risks", "runbooks"):
        for path in sorted((Path(root) / folder).glob("*.yaml")):
            yaml.load(path.read_bytes(), Loader=yaml.CSafeLoader)
"""

# What `diff A B` has to do at the least: start up as riskkit does, ask git which files
# differ, and parse those at both revisions (their blobs through one cat-file --batch).
DIFF_FLOOR = """
import subprocess, sys, yaml
a, b, *riskkit = sys.argv[1:]
subprocess.run(riskkit + ["--version"], check=True, capture_output=True)
out = subprocess.run(["git", "diff-tree", "-r", "-z", "--no-renames", a, b, "--",
                      "risks", "runbooks"], check=True, capture_output=True).stdout
names = [n for n in out.split(b"\\0")[1::2] if n.endswith(b".yaml")]
ask = b"".join(rev.encode() + b":" + n + b"\\n" for n in names for rev in (a, b))
out = subprocess.run(["git", "cat-file", "--batch"], input=ask, check=True,
                     capture_output=True).stdout
at = 0
while at < len(out):
    end = out.index(b"\\n", at)
    head = out[at:end].split()
    at = end + 1
    if head[-1] != b"missing":
        size = int(head[2])
        yaml.load(out[at:at + size], Loader=yaml.CSafeLoader)
        at += size + 1
"""


@dataclass
class Stat:
    """The medians of one side's runs: wall and CPU seconds, the largest resident set."""

    wall: float
    cpu: float
    rss_mb: float
    codes: tuple[int, ...]


@dataclass
class Side:
    """One command to measure; ``prepare`` runs before each run, outside the timing."""

    cmd: list[str]
    cwd: Path
    env: dict[str, str] = field(default_factory=dict)
    prepare: Callable[[], None] | None = None
    expect: tuple[int, ...] = (0,)  # the exit codes of a run that did its job


def once(side: Side) -> tuple[float, float, float, int]:
    """One fresh process: wall seconds, CPU seconds (user + sys of it and of every process
    it waited for, as ``os.wait4`` counts them), its peak RSS in MB, its exit code."""
    if side.prepare is not None:
        side.prepare()
    start = time.perf_counter()
    proc = subprocess.Popen(side.cmd, cwd=side.cwd, env={**os.environ, **side.env},
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, proc.returncode


def alternate(a: Side, b: Side, repeat: int) -> tuple[Stat, Stat]:
    """``a`` and ``b`` run in turn (a, b, a, b, ...), so that a slow spell of a shared
    machine falls on both; each side's figure is the median of its runs. A baseline that
    fails is no baseline: the bench stops and says so."""
    runs: tuple[list, list] = ([], [])
    for _ in range(max(1, repeat)):
        for side, out in zip((a, b), runs):
            out.append(once(side))
    stats = []
    for out in runs:
        stats.append(Stat(statistics.median(r[0] for r in out),
                          statistics.median(r[1] for r in out),
                          max(r[2] for r in out), tuple(sorted({r[3] for r in out}))))
    if not set(stats[1].codes) <= set(b.expect):
        sys.exit(f"bench: the baseline {' '.join(b.cmd[:4])} exited {stats[1].codes} "
                 f"in {b.cwd}: no figure against it means anything")
    return stats[0], stats[1]


COLLECTED = re.compile(rb"^==\d+== Collected : (\d+)$", re.MULTILINE)


def instructions(side: Side) -> int | None:
    """The instructions one run of ``side`` executes, in every process it starts (git,
    find, workers, a baseline's riskkit --version), counted by callgrind: a figure a busy
    machine does not move, unlike seconds. Each process logs to its own file, as a child
    whose stderr is a pipe or /dev/null would otherwise take its count with it. None
    when the run failed (the row says so; the rows measured before it are kept)."""
    if side.prepare is not None:
        side.prepare()
    with tempfile.TemporaryDirectory(prefix="riskkit-callgrind-") as logs:
        done = subprocess.run(["valgrind", "--tool=callgrind", "--trace-children=yes",
                               "--callgrind-out-file=/dev/null",
                               f"--log-file={logs}/%p.log", *side.cmd], cwd=side.cwd,
                              env={**os.environ, **side.env, "PYTHONHASHSEED": "0"},
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, check=False)
        counts = [int(n) for log in Path(logs).glob("*.log")
                  for n in COLLECTED.findall(log.read_bytes())]
    if done.returncode not in side.expect or not counts:
        print(f"  callgrind run failed (exit {done.returncode}): {' '.join(side.cmd)}",
              file=sys.stderr, flush=True)
        return None
    return sum(counts)


def clear(folder: Path) -> Callable[[], None]:
    """Empty riskkit's cache folder: a cold run that finds no cache, and writes one."""
    return lambda: shutil.rmtree(folder, ignore_errors=True)


def big_runbook(root: Path, steps: int = 2000) -> None:
    lines = ["id: huge", "title: A generated runbook of many steps", "severity: SEV-2",
             "triggers: [Synthetic]", "steps:"]
    for i in range(steps):
        needs = f"\n    needs: [s{i - 1}, s{max(0, i - 7)}]" if i > 7 else \
            (f"\n    needs: [s{i - 1}]" if i else "")
        lines.append(f"  - id: s{i}\n    title: Step {i}\n    role: sre\n    minutes: "
                     f"{1 + i % 9}{needs}\n    verify: Step {i} holds")
    (root / "runbooks" / "huge.yaml").write_text("\n".join(lines) + "\n")


GIT_ENV = {"GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "bench@example.com",
           "GIT_COMMITTER_NAME": "Bench", "GIT_COMMITTER_EMAIL": "bench@example.com",
           "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}
HISTORY_RISK = "RSK-00007"


def history_repo(root: Path, risks: int, commits: int, seed: int = 11) -> Path:
    """A git repository of ``risks`` risk files and ``commits`` commits: the first adds
    them all, each later one re-rates three random risks (and every fifth one also
    ``HISTORY_RISK``), as a register's year of reviews would."""
    generate(root, risks, 0)
    rng = random.Random(seed)
    files = {p.relative_to(root).as_posix(): p.read_bytes()
             for p in sorted(root.rglob("*.yaml"))}
    stream = bytearray()

    def blob(path: str, data: bytes) -> None:
        stream.extend(b"M 100644 inline %s\ndata %d\n%s\n" % (path.encode(), len(data), data))

    for n in range(commits):
        message = b"initial register" if n == 0 else b"review %d" % n
        stream.extend(b"commit refs/heads/main\ncommitter Bench <bench@example.com> %d +0000"
                      b"\ndata %d\n%s\n" % (1_700_000_000 + n * 86_400, len(message), message))
        if n == 0:
            for path, data in files.items():
                blob(path, data)
            continue
        picks = {f"risks/RSK-{rng.randrange(risks):05d}.yaml" for _ in range(3)}
        if n % 5 == 0:
            picks.add(f"risks/{HISTORY_RISK}.yaml")
        for path in sorted(picks):
            files[path] = re.sub(rb"(?m)^likelihood: \d", b"likelihood: %d"
                                 % rng.randint(1, 5), files[path])
            blob(path, files[path])
    env = {**os.environ, **GIT_ENV}
    subprocess.run(["git", "init", "-q", str(root)], check=True, env=env)
    subprocess.run(["git", "-C", str(root), "fast-import", "--quiet"], input=bytes(stream),
                   check=True, env=env)
    subprocess.run(["git", "-C", str(root), "symbolic-ref", "HEAD", "refs/heads/main"],
                   check=True, env=env)
    subprocess.run(["git", "-C", str(root), "reset", "-q", "--hard"], check=True, env=env)
    return root


QUICK = {"risks": 1_000, "runbooks": 20, "repeat": 3, "rollup": 3, "rollup_risks": 100,
         "history_risks": 200, "history_commits": 30, "steps": (100, 1_000),
         "huge_steps": 500}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--risks", type=int, default=10_000)
    parser.add_argument("--runbooks", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5,
                        help="runs of each side, alternating; the median is quoted")
    parser.add_argument("--rollup", type=int, default=50, metavar="N",
                        help="workspaces in the roll-up measure (0 leaves it out)")
    parser.add_argument("--rollup-risks", type=int, default=1000, metavar="M",
                        help="risks in each of them")
    parser.add_argument("--history-risks", type=int, default=2_000)
    parser.add_argument("--history-commits", type=int, default=300)
    parser.add_argument("--huge", type=int, default=0, metavar="N",
                        help="also run risks/review/report at N risks, against a 500 MB "
                             "peak (0 leaves it out; 50000 is the issue's size)")
    parser.add_argument("--instructions", action=argparse.BooleanOptionalAction,
                        default=None,
                        help="also count the instructions of the small-register rows with "
                             "callgrind (default: when valgrind is installed)")
    parser.add_argument("--quick", action="store_true",
                        help="small sizes and few runs: a smoke run of every row in about "
                             "a minute, whose figures are not the targets' sizes")
    args = parser.parse_args()
    steps, huge_steps = (1_000, 10_000), 2_000
    if args.quick:
        for key, value in QUICK.items():
            if hasattr(args, key):
                setattr(args, key, value)
        steps, huge_steps = QUICK["steps"], QUICK["huge_steps"]
    # riskkit as installed: its modules compiled once, not on every run (an editable
    # tree under PYTHONDONTWRITEBYTECODE would compile every changed module each time)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(HERE.parent / "riskkit")],
                   check=False, stdout=subprocess.DEVNULL)
    # ... and run as an installed Python runs, keeping what it compiles: .pyc files, and
    # the code riskkit generates (riskkit.compiled: record classes' methods, schema
    # checks), which the first run of each command keeps beside them (prime(), below,
    # runs each command once before timing)
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    work = Path(tempfile.mkdtemp(prefix="riskkit-bench-"))
    cache = work / "cache"
    cold_cache = work / "cold-cache"  # emptied before each cold run
    try:
        big = generate(work / "big", args.risks, args.runbooks)
        small = generate(work / "small", 10, args.runbooks)
        # The incident-time rows compare rb-0001 in the big register with rb-0001 in a
        # register of 10 risks plus the ones linked to it, so that both sides print the
        # same plan and what is left is what grows with the register; `none` is the same
        # 10 risks without them (rb-0001 links none of the 10), for reference.
        none = generate(work / "none", 10, args.runbooks)
        linked = linked_risks(big, "rb-0001")
        for path in linked:
            shutil.copy(path, small / "risks" / path.name)
        big_runbook(big, huge_steps)
        prime(small, HERE.parent, work / "prime-cache")
        repo = HERE.parent
        demo_largest = max((repo / "runbooks").glob("*.yaml"),
                           key=lambda p: p.read_text().count("\n  - id:"))
        cold = {"RISKKIT_CACHE_DIR": str(cold_cache)}
        cached = {"RISKKIT_CACHE_DIR": str(cache)}
        rows = []

        def row(name: str, mine: Stat, base: Stat, base_name: str, target: float,
                better: str = "lower", expect: tuple[int, ...] = (0,)) -> None:
            print(f"  measured: {name}", file=sys.stderr, flush=True)
            ratio, cpu_ratio = mine.wall / base.wall, mine.cpu / max(base.cpu, 1e-9)
            ok = ratio <= target if better == "lower" else ratio >= target
            if mine.codes != expect:
                verdict = f"FAILED (exit {','.join(map(str, mine.codes))})"
            else:
                verdict = "ok" if ok else "MISSED"
            rows.append((name, f"{mine.wall:.3f}s", f"{mine.cpu:.3f}s", f"{mine.rss_mb:.0f} MB",
                         f"{base.wall:.3f}s {base_name}", f"{base.cpu:.3f}s",
                         f"{ratio:.2f}x", f"{cpu_ratio:.2f}x",
                         f"<= {target}x" if better == "lower" else f">= {target}x", verdict))

        def note(name: str, mine: Stat, base: Stat, base_name: str) -> None:
            """A row for reference, without a target."""
            rows.append((name, f"{mine.wall:.3f}s", f"{mine.cpu:.3f}s", f"{mine.rss_mb:.0f} MB",
                         f"{base.wall:.3f}s {base_name}", f"{base.cpu:.3f}s",
                         f"{mine.wall / base.wall:.2f}x",
                         f"{mine.cpu / max(base.cpu, 1e-9):.2f}x", "", ""))

        def rk(args_: list[str], cwd: Path, env: dict[str, str] | None = None) -> Side:
            """riskkit cold: its cache folder emptied before each run (and written by it)."""
            if env is None:
                return Side(RISKKIT + args_, cwd, cold, clear(cold_cache))
            return Side(RISKKIT + args_, cwd, env)

        print(f"workspaces: {args.risks} and 10 risks, {args.runbooks} runbooks; median of "
              f"{args.repeat} alternating runs"
              f"{'' if args.quick else ' (at least 11 for rows under a second)'}; "
              f"{os.cpu_count()} cores"
              f"{' (--quick: small sizes)' if args.quick else ''}", flush=True)
        floor = Side([sys.executable, "-c", FLOOR], big)
        validate = ["validate", "--format", "json"]
        # Rows whose runs, or whose baseline's runs (riskkit --version), take under a
        # second: a shared machine moves one run by a quarter, so these take more runs
        # (each side at least 11) for a median that holds still. A median of 3 did not: the
        # render of a 10,000-step DAG came out at 13.8x, 15.4x and 22.5x --version.
        short = args.repeat * 2 if args.quick else max(args.repeat * 2, 11)
        mine, base = alternate(rk(validate, big), floor, args.repeat)
        row("validate, cold (all cores)", mine, base, "parse floor", 1.3)
        cold_validate = mine
        mine, base = alternate(Side(RISKKIT + validate, big, {**cold, "RISKKIT_JOBS": "1"},
                                    clear(cold_cache)), floor, args.repeat)
        note("validate, cold (one core, for reference)", mine, base, "parse floor")
        # the size most teams have: start-up, workers and trial renders must not dominate
        k1 = generate(work / "k1", 1_000, 20)
        mine, base = alternate(rk(validate, k1), Side([sys.executable, "-c", FLOOR], k1),
                               short)
        row("validate 1k risks, cold", mine, base, "parse floor", 1.2)
        checker = Side([sys.executable, "-m", "check_jsonschema", "--schemafile",
                        str(repo / "schemas" / "risk.schema.json")]
                       + [str(p) for p in sorted((big / "risks").glob("*.yaml"))], big)
        theirs, mine = alternate(checker, rk(validate, big), 1)
        row("check-jsonschema / riskkit cold", theirs, mine, "riskkit", 5, better="higher")
        report_to = ["-o", str(work / "report.html")]
        views = [("risks", ["risks"]),
                 ("risks --format json", ["risks", "--format", "json"]),
                 ("risks --format csv", ["risks", "--format", "csv"]),
                 ("matrix", ["matrix"]),
                 ("review", ["review"]),
                 ("report", ["report", *report_to]),
                 ("drill plan", ["drill", "plan"]),
                 ("runbook list", ["runbook", "list"])]
        cold_views: dict[str, Stat] = {}
        for name, command in views:
            mine, base = alternate(rk(command, big), floor, args.repeat)
            row(f"{name}, cold", mine, base, "parse floor", 1.3)
            cold_views[name] = mine
        for _ in range(2):  # write the cache, then again once out of the racy window
            subprocess.run(RISKKIT + ["validate"], cwd=big, env={**os.environ, **cached},
                           capture_output=True)
            time.sleep(2.2)
        for ws in (big, small, none):  # the link index for incident-time commands
            subprocess.run(RISKKIT + ["risks"], cwd=ws, env={**os.environ, **cached},
                           capture_output=True)
        for _, command in views:  # each view's answer, as a person's first run keeps it
            subprocess.run(RISKKIT + command, cwd=big, env={**os.environ, **cached},
                           capture_output=True)
        time.sleep(2.2)
        mine, base = alternate(rk(validate, big, cached), floor, args.repeat)
        row("validate, warm (cached)", mine, base, "parse floor", 0.1)
        for name, command in views:
            mine, base = alternate(rk(command, big, cached), floor, args.repeat)
            row(f"{name}, warm (cached)", mine, base, "parse floor", 0.1)
        render = ["runbook", "render", "rb-0001", "--var", "region=eu-west-1"]
        show = ["runbook", "show", "rb-0001"]
        repeat = short
        also = f"10 + the {len(linked)} linked"
        for name, command in (("render", render), ("show", show)):
            mine, base = alternate(rk(command, big, cached), rk(command, small, cached), repeat)
            row(f"runbook {name}, {args.risks // 1000}k vs {also} risks", mine, base,
                f"{also} risks", 1.2)
            mine, base = alternate(rk(command, big, cached), rk(command, none, cached), repeat)
            note(f"runbook {name}, {args.risks // 1000}k vs 10 risks, none linked", mine, base,
                 "10 risks")
        version = rk(["--version"], big, {})
        mine, base = alternate(version, Side([sys.executable, "-c", "import click"], big),
                               repeat)
        row("riskkit --version", mine, base, "import click", 1.5)
        mine, base = alternate(rk(["runbook", "show", "huge", "--format", "json"], big,
                                  cached), version, short)
        row(f"runbook show, {huge_steps:,} steps", mine, base, "riskkit --version", 20)
        # Big runbooks of three shapes, show and render against start-up; 30k must finish
        sized = (1_000, 3_000) if args.quick else (SHAPE_STEPS, FINISH_STEPS)
        for name in BIG_SHAPES:
            for command in (["runbook", "show", "big"], ["runbook", "render", "big"]):
                label = f"{' '.join(command)} {name}"
                side = rk(command, shape_workspace(work / f"{name}-{sized[0]}", name, sized[0]))
                mine, base = alternate(side, version, short)
                row(f"{label}, {sized[0]:,} steps", mine, base, "riskkit --version", 20)
                rows.append(peak_row(f"{label}, {sized[0]:,} steps", mine, 200))
                side = rk(command, shape_workspace(work / f"{name}-{sized[1]}", name, sized[1]))
                wall, cpu, rss, code = once(side)
                rows.append((f"{label}, {sized[1]:,} steps (finishes)", f"{wall:.3f}s",
                             f"{cpu:.3f}s", f"{rss:.0f} MB", "", "", "", "", "exit 0",
                             "ok" if code == 0 else f"FAILED (exit {code})"))
        demo_cmd = ["runbook", "render", demo_largest.stem, "--format", "html"] \
            + _demo_vars(demo_largest)
        subprocess.run(RISKKIT + demo_cmd, cwd=repo, check=True, capture_output=True)
        mine, base = alternate(rk(demo_cmd, repo, cached), version, repeat)
        row(f"render demo's largest ({demo_largest.stem}, html)", mine, base,
            "riskkit --version", 5)
        # validate of the demo workspace, every runbook trial-rendered (each scenario, the
        # defaults and each choice), cold; against start-up and the demo's parse floor
        mine, base = alternate(rk(validate, repo), version, repeat)
        row("validate demo, cold, trial renders", mine, base, "riskkit --version", 3)
        mine, base = alternate(rk(validate, repo), Side([sys.executable, "-c", FLOOR], repo),
                               repeat)
        note("validate demo, cold, vs its parse floor", mine, base, "parse floor")
        # Sizes that once grew quadratically or recursed (bench/shapes.py): ten times the
        # steps should cost about ten times the time (a quadratic cost would be 100x).
        for name, command in SIZE_ROWS:
            sides = []
            for size in steps:
                root = work / "sizes" / f"{name}-{size}"
                (root / "runbooks").mkdir(parents=True)
                (root / "riskkit.yaml").write_text(
                    "name: Sizes\nmatrix: 5x5\nroles:\n  sre: {title: SRE}\n")
                (root / "runbooks" / "big.yaml").write_text(shapes.SHAPES[name](size))
                sides.append(rk(command, root))
                sides[-1].expect = (1,) if name == "typos" else (0,)  # it reports them
            mine, base = alternate(sides[1], sides[0], short)
            row(f"{' '.join(command[:2])} {name}, {steps[1]:,} vs {steps[0]:,} steps", mine,
                base, f"{steps[0]:,} steps", 15, expect=sides[-1].expect)
        rows.append((f"peak RSS, validate {args.risks // 1000}k (largest process)", "", "",
                     f"{cold_validate.rss_mb:.0f} MB", "", "", "", "", "<= 200 MB",
                     "ok" if cold_validate.rss_mb <= 200 else "MISSED"))
        for name in ("risks --format json", "review", "report"):  # memory flat per risk
            rows.append(peak_row(f"{name} {args.risks // 1000}k, cold", cold_views[name], 200))
        if args.huge:
            huge = generate(work / "huge", args.huge, args.runbooks)
            huge_floor = Side([sys.executable, "-c", FLOOR], huge)
            for name, command in views:
                if name in ("risks --format json", "review", "report"):
                    mine, base = alternate(rk(command, huge), huge_floor, 1)
                    row(f"{name}, cold, {args.huge:,} risks", mine, base, "parse floor", 1.3)
                    rows.append(peak_row(f"{name} {args.huge:,} risks, cold", mine, 500))
        # history of one risk over a generated year of reviews, against git's own log of
        # the same paths (what riskkit history has to ask git at the least)
        hist = history_repo(work / "history", args.history_risks, args.history_commits)
        mine, base = alternate(rk(["history", HISTORY_RISK, "--format", "json"], hist),
                               Side(["git", "log", "--format=%H", "--", "risks",
                                     "riskkit.yaml"], hist, GIT_ENV), short)
        row(f"history, {args.history_commits} commits x {args.history_risks:,} risks", mine,
            base, "git log", 50)
        back = min(100, args.history_commits - 1)
        mine, base = alternate(rk(["diff", f"HEAD~{back}", "HEAD", "--format", "json"], hist),
                               Side([sys.executable, "-c", DIFF_FLOOR, f"HEAD~{back}", "HEAD",
                                     *RISKKIT], hist, GIT_ENV), short)
        row(f"diff HEAD~{back} HEAD, {args.history_risks:,} risks", mine, base,
            "changed files' parse + --version", 1.5)
        counted: list[tuple[str, ...]] = []
        if args.instructions or (args.instructions is None and shutil.which("valgrind")):
            # the rows nearest their targets, as instruction counts: one run a side
            chain = shape_workspace(work / f"chain-{sized[0]}", "chain", sized[0])
            for name, mine_side, base_side, base_name in (
                    ("validate demo, cold", rk(validate, repo), version, "riskkit --version"),
                    ("validate 1k risks, cold", rk(validate, k1),
                     Side([sys.executable, "-c", FLOOR], k1), "parse floor"),
                    (f"diff HEAD~{back} HEAD", rk(["diff", f"HEAD~{back}", "HEAD", "--format",
                                                   "json"], hist),
                     Side([sys.executable, "-c", DIFF_FLOOR, f"HEAD~{back}", "HEAD",
                           *RISKKIT], hist, GIT_ENV), "its floor"),
                    (f"runbook show, {args.risks // 1000}k vs {also} risks",
                     rk(show, big, cached), rk(show, small, cached), f"{also} risks"),
                    (f"runbook render big chain, {sized[0]:,} steps",
                     rk(["runbook", "render", "big"], chain), version, "riskkit --version")):
                print(f"  counting: {name}", file=sys.stderr, flush=True)
                mine_n, base_n = instructions(mine_side), instructions(base_side)
                if mine_n is None or base_n is None:
                    counted.append((name, "FAILED" if mine_n is None else "",
                                    f"FAILED {base_name}" if base_n is None else "", ""))
                    continue
                counted.append((name, f"{mine_n / 1e6:,.0f}M", f"{base_n / 1e6:,.0f}M {base_name}",
                                f"{mine_n / base_n:.2f}x"))
        if args.rollup:
            # one report (and one SQLite export) over many registers, against merely
            # parsing all of their files
            spaces = [generate(work / "rollup" / f"team-{i:02d}", args.rollup_risks, 20,
                               seed=100 + i) for i in range(args.rollup)]
            names = [str(p) for p in spaces]
            floor_all = Side([sys.executable, "-c", FLOOR_MANY, *names], work)
            label = f"{args.rollup} workspaces x {args.rollup_risks:,} risks"
            mine, base = alternate(rk(["report", "-o", str(work / "all.html"), *names,
                                       "--as-of", "2027-01-01"], work), floor_all, 1)
            row(f"report roll-up, {label}", mine, base, "parse floor", 4)
            mine, base = alternate(rk(["export", "--sqlite", str(work / "all.db"), *names,
                                       "--as-of", "2027-01-01"], work), floor_all, 1)
            row(f"export --sqlite, {label}", mine, base, "parse floor", 4)
        header = ("measure", "riskkit", "cpu", "peak", "baseline", "cpu", "ratio",
                  "cpu ratio", "target", "")
        widths = [max([len(str(r[i])) for r in rows] + [len(header[i])])
                  for i in range(len(header))]
        for line in [header] + rows:
            print("  ".join(str(c).ljust(w) for c, w in zip(line, widths)).rstrip())
        print("ratio: wall time, median of alternating runs; cpu: user + sys of the process "
              "and its workers; peak: the largest resident set of riskkit's runs. A shared "
              "machine is noisy: compare ratios of one run, not seconds across runs.")
        if counted:
            header = ("instructions (callgrind)", "riskkit", "baseline", "ratio")
            widths = [max([len(r[i]) for r in counted] + [len(header[i])]) for i in range(4)]
            print()
            for line in [header, *counted]:
                print("  ".join(c.ljust(w) for c, w in zip(line, widths)).rstrip())
            print("instructions: one run a side, every process it starts included; for "
                  "reference beside the rows above, which hold the targets.")
    finally:
        shutil.rmtree(work, ignore_errors=True)


SIZE_ROWS = [  # (shape, command)
    ("chain", ["runbook", "show", "big", "--format", "json"]),
    ("wide", ["runbook", "render", "big"]),
    ("scenarios", ["runbook", "show", "big", "--scenario", "a"]),
    ("typos", ["validate", "--format", "json"]),
]


BIG_SHAPES = ("chain", "fanout", "dag")  # bench/shapes.py
SHAPE_STEPS, FINISH_STEPS = 10_000, 30_000


def prime(ws: Path, demo: Path, cache: Path) -> None:
    """Run each kind of command once, untimed (on ``ws``, and ``validate`` on the demo,
    which has incidents and alert rules), as a person's first runs after installing
    would: riskkit keeps the code it generates compiled from then on (riskkit.compiled)."""
    env = {**os.environ, "RISKKIT_CACHE_DIR": str(cache)}
    for args in (["--help"], ["validate"], ["risks", "--format", "json"], ["risks"],
                 ["matrix"], ["review"], ["report", "-o", str(cache / "report.html")],
                 ["drill", "plan"], ["runbook", "list"], ["runbook", "show", "rb-0001"],
                 ["runbook", "render", "rb-0001", "--var", "region=eu-west-1"]):
        subprocess.run(RISKKIT + args, cwd=ws, env=env, capture_output=True, check=False)
    subprocess.run(RISKKIT + ["validate"], cwd=demo, env=env, capture_output=True, check=False)
    shutil.rmtree(cache, ignore_errors=True)


def linked_risks(ws: Path, runbook: str) -> list[Path]:
    """The risk files of ``ws`` that link ``runbook`` (gen.py links a risk to runbooks
    only by its ``runbooks:`` list, and its runbooks declare no risks)."""
    word = re.compile(rb"[\[ ,]" + re.escape(runbook.encode()) + rb"[\], \n]")
    return [p for p in sorted((ws / "risks").glob("*.yaml")) if word.search(p.read_bytes())]


def shape_workspace(root: Path, name: str, steps: int) -> Path:
    """A workspace of one runbook ``big`` of ``steps`` steps in shape ``name``."""
    if not root.exists():
        (root / "runbooks").mkdir(parents=True)
        (root / "riskkit.yaml").write_text(
            "name: Sizes\nmatrix: 5x5\nroles:\n  sre: {title: SRE}\n")
        (root / "runbooks" / "big.yaml").write_text(shapes.SHAPES[name](steps))
    return root


def peak_row(name: str, mine: Stat, limit_mb: float) -> tuple[str, ...]:
    """A row holding the peak RSS of ``mine`` against ``limit_mb``."""
    return (f"peak RSS, {name}", "", "", f"{mine.rss_mb:.0f} MB", "", "", "", "",
            f"<= {limit_mb:g} MB", "ok" if mine.rss_mb <= limit_mb else "MISSED")


def _demo_vars(path: Path) -> list[str]:
    """Values for the demo runbook's required inputs: the first choice, or a plain word."""
    import yaml

    data = yaml.safe_load(path.read_text())
    out = []
    for name, spec in (data.get("inputs") or {}).items():
        if spec.get("required"):
            value = (spec.get("choices") or ["bench-value"])[0]
            out += ["--var", f"{name}={value}"]
    return out


if __name__ == "__main__":
    main()
