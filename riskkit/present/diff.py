"""The text and Markdown of ``riskkit diff`` (its JSON is the data as it is)."""

from __future__ import annotations


def _change_text(change: dict) -> str:
    name = change["field"]
    if name == "rating":
        a, b = change["from"], change["to"]
        arrow = "↑" if change["direction"] == "up" else "↓"
        return (f"rating {arrow} {a['level']} {a['score']} ({a['likelihood']}x{a['impact']}) -> "
                f"{b['level']} {b['score']} ({b['likelihood']}x{b['impact']})")
    if name == "residual":
        fa = f"{change['from']['level']} {change['from']['score']}" if change["from"] else "none"
        fb = f"{change['to']['level']} {change['to']['score']}" if change["to"] else "none"
        return f"residual {fa} -> {fb}"
    if name in ("treatment", "acceptance"):
        return f"{name} {_short(change['from'])} -> {_short(change['to'])}"
    return f"{name} {_short(change['from'])} -> {_short(change['to'])}"


def _short(value: object) -> str:
    if value is None:
        return "none"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {v}" for k, v in value.items() if k != "rationale") + "}"
    if isinstance(value, list):
        return "[" + ", ".join(map(str, value)) + "]"
    return str(value)


def diff_lines(data: dict) -> list[tuple[str, str]]:
    """(section, line) pairs shared by the text and Markdown formats."""
    out = []
    r = data["risks"]
    for item in r["added"]:
        out.append(("risks", f"+ {item['id']} added: {item['level']} {item['score']}, "
                             f"{item['owner']}: {item['title']}"))
    for item in r["removed"]:
        out.append(("risks", f"- {item['id']} removed (was {item['level']} {item['score']}): "
                             f"{item['title']}"))
    for item in r["renamed"]:
        out.append(("risks", f"~ {item['from']} is now {item['to']} ({item['file']})"))
    for item in r["changed"]:
        for change in item["changes"]:
            out.append(("risks", f"~ {item['id']} {_change_text(change)}"))
    b = data["runbooks"]
    for item in b["added"]:
        out.append(("runbooks", f"+ {item['id']} added (ETA {item['eta_minutes']:g} min): "
                                f"{item['title']}"))
    for item in b["removed"]:
        out.append(("runbooks", f"- {item['id']} removed: {item['title']}"))
    for item in b["changed"]:
        bits = []
        if item["steps_added"]:
            bits.append("steps added: " + ", ".join(item["steps_added"]))
        if item["steps_removed"]:
            bits.append("steps removed: " + ", ".join(item["steps_removed"]))
        for step in item["steps_changed"]:
            bits.append(f"step {step['id']} changed ({', '.join(step['fields'])})")
        if item["fields"]:
            bits.append("changed: " + ", ".join(item["fields"]))
        eta = item["eta_minutes"]
        if eta["from"] != eta["to"]:
            bits.append(f"ETA {eta['from']:g} -> {eta['to']:g} min")
        for bit in bits:
            out.append(("runbooks", f"~ {item['id']} {bit}"))
    return out


def diff_text(data: dict) -> str:
    head = f"{data['from']['rev']} -> {data['to']['rev']}"
    if data["matrix"]["from"] != data["matrix"]["to"]:
        head += f" (matrix {data['matrix']['from']} -> {data['matrix']['to']})"
    lines = diff_lines(data)
    body = "\n".join(line for _, line in lines) if lines else "no changes to risks or runbooks"
    skipped = data["skipped"]["from"] + data["skipped"]["to"]
    tail = f"\n(skipped files with problems: {', '.join(sorted(set(skipped)))})" if skipped else ""
    return f"{head}\n{body}{tail}\n"


def diff_md(data: dict) -> str:
    out = [f"### riskkit: register changes `{data['from']['rev']}` → `{data['to']['rev']}`", ""]
    lines = diff_lines(data)
    if not lines:
        out.append("No changes to risks or runbooks.")
    for section in ("risks", "runbooks"):
        items = [line for s, line in lines if s == section]
        if items:
            out += [f"**{section.capitalize()}**", ""]
            for line in items:
                out.append(f"- {line[2:]}")
            out.append("")
    return "\n".join(out).rstrip() + "\n"
