"""Generated inputs of the sizes that once grew quadratically or recursed.

Each function returns the text of one YAML file; the tests check what riskkit answers on
them, and ``bench/run.py`` times them as ratios (never the tests).

- ``chain``: one step after another (as many stages as steps);
- ``wide``: one step, then every other step in one stage, then one closing step;
- ``scenarios``: steps alternating between two scenarios, each needing the one before it,
  so that a scenario's plan drops every other step (a chain of dropped steps);
- ``typos``: every step needs a misspelt step id (a did-you-mean for each);
- ``fan``: a dropped step between ``n`` steps before it and ``n`` after it;
- ``fanout``: one step, then every other step needing it alone (one stage of all of them);
- ``dag``: a random DAG (seeded): each step needs up to four earlier steps, most of them
  recent ones, as a real runbook's needs are.
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


def fanout(steps: int, rid: str = "big") -> str:
    return _runbook(rid, [_step(0, [])] + [_step(i, ["s0"]) for i in range(1, steps)])


def dag(steps: int, rid: str = "big", seed: int = 18) -> str:
    import random

    rng = random.Random(seed)
    body = []
    for i in range(steps):
        picks = {rng.randrange(max(0, i - 50), i)
                 for _ in range(rng.randint(1, 3) if i else 0)}
        if i > 1 and rng.random() < 0.2:
            picks.add(rng.randrange(i))  # now and then a need far back
        body.append(_step(i, [f"s{p}" for p in sorted(picks)]))
    return _runbook(rid, body)


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


SHAPES = {"chain": chain, "wide": wide, "scenarios": scenarios, "typos": typos, "fan": fan,
          "fanout": fanout, "dag": dag}
