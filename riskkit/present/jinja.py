"""The Jinja environment of documents: built-in templates, a workspace's overrides by the
same name, the filters templates use, and errors that name the template and its line.

Everything renders in Jinja's sandbox with undefined names as errors; HTML is autoescaped.
"""

from __future__ import annotations

import re
import traceback
from pathlib import Path

from riskkit.problems import Problem, ProblemsFound
from riskkit.runbook.text import sandbox as _sandbox


def environment(workspace_root: Path | None, html: bool):
    """Templates from the workspace's templates/ first, then the built-in ones."""
    from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader

    loaders = []
    if workspace_root is not None and (workspace_root / "templates").is_dir():
        loaders.append(FileSystemLoader(str(workspace_root / "templates")))
    loaders.append(PackageLoader("riskkit.present", "templates"))
    env = _sandbox(autoescape=html, loader=ChoiceLoader(loaders))
    env.filters["minutes"] = _minutes
    env.filters["cell"] = _cell
    env.filters["markdown"] = markdown_html
    env.filters["markdown_inline"] = markdown_inline
    return env


def _cell(value) -> str:
    """A value for a Markdown table cell: a ``|`` or a newline would break the row."""
    return str(value).replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def _minutes(value) -> str:
    if value is None or value == "":
        return "?"
    return f"{value:g}" if isinstance(value, (int, float)) else str(value)


def render_template(workspace_root: Path | None, name: str, context: dict) -> str:
    """Render template ``name`` with plain-data ``context``; errors name template and line."""
    from jinja2 import TemplateSyntaxError, UndefinedError
    from jinja2.exceptions import SecurityError

    from riskkit.runbook.budget import BudgetExceeded

    env = environment(workspace_root, html=name.endswith(".html.j2"))
    try:
        return env.get_template(name).render(context)
    except TemplateSyntaxError as exc:
        where = _template_path(workspace_root, exc.name or name)
        raise ProblemsFound([Problem(where, exc.lineno or 1, 1, "T002",
                                     f"template syntax error: {exc.message}")])
    except BudgetExceeded as exc:
        where, line = _template_frame(workspace_root, exc, name)
        raise ProblemsFound([Problem(where, line, 1, "T004",
                                     f"template over a limit: {exc}")])
    except (UndefinedError, SecurityError) as exc:
        where, line = _template_frame(workspace_root, exc, name)
        code = "T003" if isinstance(exc, SecurityError) else "T001"
        raise ProblemsFound([Problem(where, line, 1, code, f"template error: {exc}")])
    except Exception as exc:  # a template's own mistake (1 / 0): its file and line
        where, line = _template_frame(workspace_root, exc, name)
        raise ProblemsFound([Problem(where, line, 1, "T001",
                                     f"template error: {type(exc).__name__}: {exc}")])


def check_overrides(root: Path) -> list[Problem]:
    """Syntax problems of the workspace's template overrides, found at validate time."""
    from jinja2 import TemplateSyntaxError

    folder = root / "templates"
    problems = []
    for path in sorted(folder.glob("*.j2")) if folder.is_dir() else []:
        env = environment(root, html=path.name.endswith(".html.j2"))
        try:
            env.parse(path.read_text(encoding="utf-8"), name=path.name)
        except TemplateSyntaxError as exc:
            problems.append(Problem(f"templates/{path.name}", exc.lineno or 1, 1, "T002",
                                    f"template syntax error: {exc.message}"))
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(Problem(f"templates/{path.name}", 1, 1, "T002",
                                    f"cannot read the template: {exc}"))
    return problems


def _template_path(root: Path | None, name: str) -> str:
    if root is not None and (root / "templates" / name).is_file():
        return f"templates/{name}"
    return f"<built-in template {name}>"


def _template_frame(root, exc, name) -> tuple[str, int]:
    """The template file and line where a render error happened (Jinja rewrites frames)."""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.endswith(".j2"):
            return _template_path(root, Path(frame.filename).name), frame.lineno or 1
    return _template_path(root, name), 1


_INLINE = [
    (re.compile(r"`([^`]+)`"), r"<code>\1</code>"),
    (re.compile(r"\*\*([^*]+)\*\*"), r"<strong>\1</strong>"),
]


def markdown_html(text: str):
    """A small, safe Markdown subset for step instructions: paragraphs, lists, code.

    The text is escaped first, so nothing from a runbook becomes markup by accident.
    """
    from markupsafe import Markup, escape

    blocks, out = re.split(r"\n\s*\n", str(text).strip()), []
    for block in blocks:
        lines = block.splitlines()
        if lines and all(re.match(r"\s*([-*]|\d+\.)\s+", ln) or ln.startswith("  ")
                         for ln in lines):
            tag = "ol" if re.match(r"\s*\d+\.", lines[0]) else "ul"
            items: list[str] = []
            for ln in lines:
                m = re.match(r"\s*(?:[-*]|\d+\.)\s+(.*)", ln)
                if m:
                    items.append(m.group(1))
                elif items:
                    items[-1] += " " + ln.strip()
            out.append(f"<{tag}>" + "".join(f"<li>{_inline(i)}</li>" for i in items)
                       + f"</{tag}>")
        elif block.startswith("```") or all(ln.startswith("    ") for ln in lines):
            code = "\n".join(ln for ln in lines if not ln.startswith("```"))
            out.append(f"<pre><code>{escape(code)}</code></pre>")
        else:
            out.append(f"<p>{_inline(' '.join(ln.strip() for ln in lines))}</p>")
    return Markup("\n".join(out))


def markdown_inline(text: str):
    """One line of runbook text as HTML: `code` and **bold** only, the rest escaped."""
    from markupsafe import Markup

    return Markup(_inline(str(text).strip()))


def _inline(text: str) -> str:
    from markupsafe import escape

    html = str(escape(text))
    for pattern, repl in _INLINE:
        html = pattern.sub(repl, html)
    return html
