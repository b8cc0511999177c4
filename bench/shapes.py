"""Generated inputs of the sizes that once grew quadratically or recursed.

Each function returns the text of one YAML file; the tests check what riskkit answers on
them, and ``bench/run.py`` times them as ratios (never the tests).

- ``chain``: one step after another (as many stages as steps);
- ``wide``: one step, then every other step in one stage, then one closing step;
- ``scenarios``: steps alternating between two scenarios, each needing the one before it,
  so that a scenario's plan drops every other step (a chain of dropped steps);
- ``typos``: every step needs a misspelt step id (a did-you-mean for each);
- ``fan``: a dropped step between ``n`` steps before it and ``n`` after it.
"""

from __future__ import annotations


def _step(i: int, needs: list[str], when: str = "", extra: str = "") -> str:
    need = f", needs: [{', '.join(needs)}]" if needs else ""
    return (f"  - {{id: s{i}, title: Step {i}, role: sre, minutes: {1 + i % 9}{need}"
            f"{when}{extra}}}")


def _runbook(rid: str, steps: list[str], scenarios: str = "") -> str:
    return (f"id: {rid}\ntitle: Generated\ntriggers: [Synthetic]\n{scenarios}steps:\n"
            + "\n".join(steps) + "\n")


def chain(steps: int, rid: str = "big") -> str:
    return _runbook(rid, [_step(i, [f"s{i - 1}"] if i else []) for i in range(steps)])


def wide(steps: int, rid: str = "big") -> str:
    last = steps - 1
    body = [_step(0, [])] + [_step(i, ["s0"]) for i in range(1, last)]
    body.append(_step(last, [f"s{i}" for i in range(1, last)] if last > 1 else ["s0"]))
    return _runbook(rid, body)


def scenarios(steps: int, rid: str = "big") -> str:
    body = [_step(i, [f"s{i - 1}"] if i else [], f", when: [{'a' if i % 2 else 'b'}]")
            for i in range(steps)]
    return _runbook(rid, body, "scenarios: {a: First, b: Second}\n")


def typos(steps: int, rid: str = "big") -> str:
    body = [_step(0, [])] + [_step(i, [f"s{i - 1}x"]) for i in range(1, steps)]
    return _runbook(rid, body)


def fan(steps: int, rid: str = "big") -> str:
    n = (steps - 1) // 2
    before = [_step(i, [], ", when: [a]") for i in range(n)]
    middle = [_step(n, [f"s{i}" for i in range(n)], ", when: [b]")]
    after = [_step(n + 1 + i, [f"s{n}"], ", when: [a]") for i in range(n)]
    return _runbook(rid, before + middle + after, "scenarios: {a: First, b: Second}\n")


def matrix(levels: int, scale_size: int | None = None) -> str:
    """A matrix file with ``levels`` levels (by thresholds) and as many likelihoods and
    impacts, or ``scale_size`` of each."""
    size = levels if scale_size is None else scale_size
    scale = "\n".join(f"  - {{id: v{i}, name: V{i}}}" for i in range(size))
    names = "\n".join(f"  - {{id: l{i}, name: L{i}, color: '#{i % 256:02x}0000'}}"
                      for i in range(levels))
    thresholds = "\n".join(f"  l{i}: {1 + i}" for i in range(levels))
    return (f"name: generated\nlikelihood:\n{scale}\nimpact:\n{scale}\nlevels:\n{names}\n"
            f"thresholds:\n{thresholds}\n")


SHAPES = {"chain": chain, "wide": wide, "scenarios": scenarios, "typos": typos, "fan": fan}
