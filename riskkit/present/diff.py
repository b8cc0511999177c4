"""The text and Markdown of ``riskkit diff`` (its JSON is the data as it is)."""

from __future__ import annotations

from collections.abc import Callable

from riskkit.present.formats import md_code, md_text


def one_line(text: str) -> str:
    """User text in a line of the text format: a newline in it is shown, not made (the
    other control characters are shown by ``emit``)."""
    return text.replace("\r", "\\r").replace("\n", "\\n")


def _change_text(change: dict, esc: Callable[[str], str]) -> str:
    name = change["field"]
    if name == "rating":
        a, b = change["from"], change["to"]
        arrow = "↑" if change["direction"] == "up" else "↓"
        return (f"rating {arrow} {esc(a['level'])} {a['score']} "
                f"({a['likelihood']}x{a['impact']}) -> "
                f"{esc(b['level'])} {b['score']} ({b['likelihood']}x{b['impact']})")
    if name == "residual":
        fa = (f"{esc(change['from']['level'])} {change['from']['score']}" if change["from"]
              else "none")
        fb = f"{esc(change['to']['level'])} {change['to']['score']}" if change["to"] else "none"
        return f"residual {fa} -> {fb}"
    return f"{name} {esc(_short(change['from']))} -> {esc(_short(change['to']))}"


def _short(value: object) -> str:
    if value is None:
        return "none"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {v}" for k, v in value.items() if k != "rationale") + "}"
    if isinstance(value, list):
        return "[" + ", ".join(map(str, value)) + "]"
    return str(value)


def diff_lines(data: dict, esc: Callable[[str], str] = one_line) -> list[tuple[str, str]]:
    """(section, line) pairs shared by the text and Markdown formats; ``esc`` makes the
    user text in them (ids, titles, owners, levels, files, values) safe for the format."""
    out = []
    r = data["risks"]
    for item in r["added"]:
        out.append(("risks", f"+ {esc(item['id'])} added: {esc(item['level'])} "
                             f"{item['score']}, {esc(item['owner'])}: {esc(item['title'])}"))
    for item in r["removed"]:
        out.append(("risks", f"- {esc(item['id'])} removed (was {esc(item['level'])} "
                             f"{item['score']}): {esc(item['title'])}"))
    for item in r["renamed"]:
        out.append(("risks", f"~ {esc(item['from'])} is now {esc(item['to'])} "
                             f"({esc(item['file'])})"))
    for item in r["changed"]:
        for change in item["changes"]:
            out.append(("risks", f"~ {esc(item['id'])} {_change_text(change, esc)}"))
    b = data["runbooks"]
    for item in b["added"]:
        out.append(("runbooks", f"+ {esc(item['id'])} added (ETA {item['eta_minutes']:g} "
                                f"min): {esc(item['title'])}"))
    for item in b["removed"]:
        out.append(("runbooks", f"- {esc(item['id'])} removed: {esc(item['title'])}"))
    for item in b["changed"]:
        bits = []
        if item["steps_added"]:
            bits.append("steps added: " + ", ".join(map(esc, item["steps_added"])))
        if item["steps_removed"]:
            bits.append("steps removed: " + ", ".join(map(esc, item["steps_removed"])))
        for step in item["steps_changed"]:
            bits.append(f"step {esc(step['id'])} changed ({', '.join(step['fields'])})")
        if item["fields"]:
            bits.append("changed: " + ", ".join(item["fields"]))
        eta = item["eta_minutes"]
        if eta["from"] != eta["to"]:
            bits.append(f"ETA {eta['from']:g} -> {eta['to']:g} min")
        for bit in bits:
            out.append(("runbooks", f"~ {esc(item['id'])} {bit}"))
    return out


def diff_text(data: dict) -> str:
    head = f"{one_line(data['from']['rev'])} -> {one_line(data['to']['rev'])}"
    if data["matrix"]["from"] != data["matrix"]["to"]:
        head += (f" (matrix {one_line(data['matrix']['from'])} -> "
                 f"{one_line(data['matrix']['to'])})")
    lines = diff_lines(data)
    body = "\n".join(line for _, line in lines) if lines else "no changes to risks or runbooks"
    skipped = data["skipped"]["from"] + data["skipped"]["to"]
    tail = (f"\n(skipped files with problems: {', '.join(map(one_line, sorted(set(skipped))))})"
            if skipped else "")
    return f"{head}\n{body}{tail}\n"


def diff_md(data: dict) -> str:
    """A pull-request comment. Every piece of user text in it is escaped by ``md_text``
    (no image, link, HTML or mention comes out of a title), the revisions are code."""
    out = [f"### riskkit: register changes {md_code(data['from']['rev'])} → "
           f"{md_code(data['to']['rev'])}", ""]
    lines = diff_lines(data, md_text)
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
