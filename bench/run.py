"""riskkit's benchmarks: every figure is a ratio measured side by side in one run.

    python bench/run.py [--risks 10000] [--repeat 5]

Each command runs as a fresh process (that is how people run riskkit); a figure is the
best of N runs, which is the least noisy estimate on a shared machine. Nothing here is
asserted by the test suite: the targets are printed beside the figures.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from gen import generate  # noqa: E402

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


def timed(cmd, cwd, env=None, repeat=3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, env={**os.environ, **(env or {})}, check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        best = min(best, time.perf_counter() - start)
    return best


def peak_rss_mb(cmd, cwd, env) -> float:
    """The largest resident set of the command or any process it waited for."""
    probe = ("import resource, subprocess, sys\n"
             "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
             "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n")
    out = subprocess.run([sys.executable, "-c", probe, *cmd], cwd=cwd, capture_output=True,
                         text=True, env={**os.environ, **env}, check=True)
    return int(out.stdout.strip()) / 1024


def big_runbook(root: Path, steps: int = 2000) -> None:
    lines = ["id: huge", "title: A generated runbook of many steps", "severity: SEV-2",
             "triggers: [Synthetic]", "steps:"]
    for i in range(steps):
        needs = f"\n    needs: [s{i - 1}, s{max(0, i - 7)}]" if i > 7 else \
            (f"\n    needs: [s{i - 1}]" if i else "")
        lines.append(f"  - id: s{i}\n    title: Step {i}\n    role: sre\n    minutes: "
                     f"{1 + i % 9}{needs}\n    verify: Step {i} holds")
    (root / "runbooks" / "huge.yaml").write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--risks", type=int, default=10_000)
    parser.add_argument("--runbooks", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="riskkit-bench-"))
    cache = work / "cache"
    try:
        big = generate(work / "big", args.risks, args.runbooks)
        small = generate(work / "small", 10, args.runbooks)
        big_runbook(big)
        repo = HERE.parent
        demo_largest = max((repo / "runbooks").glob("*.yaml"),
                           key=lambda p: p.read_text().count("\n  - id:"))
        nocache = {"RISKKIT_NO_CACHE": "1"}
        cached = {"RISKKIT_CACHE_DIR": str(cache)}
        rows = []

        def row(name, value, base, base_name, target, better="lower"):
            ratio = value / base
            ok = ratio <= target if better == "lower" else ratio >= target
            rows.append((name, f"{value:.3f}s", f"{base:.3f}s {base_name}", f"{ratio:.2f}x",
                         f"<= {target}x" if better == "lower" else f">= {target}x",
                         "ok" if ok else "MISSED"))

        print(f"workspaces: {args.risks} and 10 risks, {args.runbooks} runbooks; "
              f"best of {args.repeat} runs; {os.cpu_count()} cores", flush=True)
        floor = timed([sys.executable, "-c", FLOOR], big, repeat=args.repeat)
        cold = timed(RISKKIT + ["validate", "--format", "json"], big, nocache, args.repeat)
        cold1 = timed(RISKKIT + ["validate", "--format", "json"], big,
                      {**nocache, "RISKKIT_JOBS": "1"}, args.repeat)
        checker = timed([sys.executable, "-m", "check_jsonschema", "--schemafile",
                         str(repo / "schemas" / "risk.schema.json")]
                        + [str(p) for p in sorted((big / "risks").glob("*.yaml"))], big,
                        repeat=1)
        row("validate, cold (all cores)", cold, floor, "parse floor", 1.3)
        rows.append(("validate, cold (one core, for reference)", f"{cold1:.3f}s",
                     f"{floor:.3f}s parse floor", f"{cold1 / floor:.2f}x", "", ""))
        row("check-jsonschema / riskkit cold", checker, cold, "riskkit", 5, better="higher")
        for _ in range(2):  # write the cache, then again once out of the racy window
            subprocess.run(RISKKIT + ["validate"], cwd=big, env={**os.environ, **cached},
                           capture_output=True)
            time.sleep(2.2)
        for ws in (big, small):  # the link index for incident-time commands
            subprocess.run(RISKKIT + ["risks"], cwd=ws, env={**os.environ, **cached},
                           capture_output=True)
        time.sleep(2.2)
        warm = timed(RISKKIT + ["validate", "--format", "json"], big, cached, args.repeat)
        row("validate, warm (cached)", warm, floor, "parse floor", 0.1)
        render = RISKKIT + ["runbook", "render", "rb-0001", "--var", "region=eu-west-1"]
        show = RISKKIT + ["runbook", "show", "rb-0001"]
        repeat = args.repeat * 2
        row("runbook render, 10k vs 10 risks", timed(render, big, cached, repeat),
            timed(render, small, cached, repeat), "10 risks", 1.2)
        row("runbook show, 10k vs 10 risks", timed(show, big, cached, repeat),
            timed(show, small, cached, repeat), "10 risks", 1.2)
        startup = timed(RISKKIT + ["--version"], big, repeat=repeat)
        click = timed([sys.executable, "-c", "import click"], big, repeat=repeat)
        row("riskkit --version", startup, click, "import click", 1.5)
        huge = timed(RISKKIT + ["runbook", "show", "huge", "--format", "json"], big, cached,
                     args.repeat)
        row("runbook show, 2,000 steps", huge, startup, "riskkit --version", 20)
        demo_cmd = RISKKIT + ["runbook", "render", demo_largest.stem, "--format", "html"] \
            + _demo_vars(demo_largest)
        subprocess.run(demo_cmd, cwd=repo, check=True, capture_output=True)  # it must work
        demo = timed(demo_cmd, repo, cached, repeat)
        row(f"render demo's largest ({demo_largest.stem}, html)", demo, startup,
            "riskkit --version", 5)
        # validate of the demo workspace, every runbook trial-rendered (each scenario, the
        # defaults and each choice), cold; against start-up and the demo's parse floor
        demo_validate = timed(RISKKIT + ["validate", "--format", "json"], repo, nocache,
                              repeat)
        demo_floor = timed([sys.executable, "-c", FLOOR], repo, repeat=repeat)
        row("validate demo, cold, trial renders", demo_validate, startup,
            "riskkit --version", 12)
        rows.append(("validate demo, cold, vs its parse floor", f"{demo_validate:.3f}s",
                     f"{demo_floor:.3f}s parse floor", f"{demo_validate / demo_floor:.2f}x",
                     "", ""))
        rss = peak_rss_mb(RISKKIT + ["validate"], big, nocache)
        rows.append(("peak RSS, validate 10k (largest process)", f"{rss:.0f} MB", "", "",
                     "<= 200 MB", "ok" if rss <= 200 else "MISSED"))
        widths = [max(len(str(r[i])) for r in rows) for i in range(6)]
        header = ("measure", "riskkit", "baseline", "ratio", "target", "")
        widths = [max(w, len(h)) for w, h in zip(widths, header)]
        for line in [header] + rows:
            print("  ".join(str(c).ljust(w) for c, w in zip(line, widths)).rstrip())
    finally:
        shutil.rmtree(work, ignore_errors=True)


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
