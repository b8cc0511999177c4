"""The Jinja environment of documents: built-in templates, a workspace's overrides by the
same name, the filters templates use, and errors that name the template and its line.

Everything renders in Jinja's sandbox with undefined names as errors; HTML is autoescaped.
"""

from __future__ import annotations

import os
import re
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from riskkit.files import reading
from riskkit.problems import Problem, ProblemsFound
from riskkit.runbook.text import sandbox as _sandbox

if TYPE_CHECKING:
    from jinja2 import BaseLoader
    from markupsafe import Markup

    from riskkit.runbook.budget import BoundedSandbox


def environment(workspace_root: Path | None, html: bool) -> BoundedSandbox:
    """Templates from the workspace's templates/ first, then the built-in ones."""
    from jinja2 import ChoiceLoader, PackageLoader

    from jinja2 import FunctionLoader

    loaders: list[BaseLoader] = []
    if workspace_root is not None and (workspace_root / "templates").is_dir():
        root, inside = workspace_root, reading.boundary(workspace_root)
        loaders.append(FunctionLoader(lambda name: _override(root, inside, name)))
    loaders.append(PackageLoader("riskkit.present", "templates"))
    env = _sandbox(autoescape=html, loader=ChoiceLoader(loaders))
    env.filters["minutes"] = _minutes
    env.filters["cell"] = _cell
    env.filters["markdown"] = markdown_html
    env.filters["markdown_inline"] = markdown_inline
    return env


class Unreadable(Exception):
    """A template override riskkit does not read (``riskkit.files.reading``): a pipe, a
    device, a link out of the repository, too big, not UTF-8."""

    def __init__(self, problem: Problem):
        super().__init__(problem.message)
        self.problem = problem


def _read_override(path: Path, inside: str, shown: str) -> str | None:
    """The text of the override at ``path`` (``shown`` as users see it); None when there
    is none (the built-in one is used); Unreadable when riskkit does not read it."""
    try:
        raw = reading.read_bytes(path, inside=inside)
    except reading.Refused as refused:
        raise Unreadable(Problem(shown, 1, 1, refused.code, refused.reason))
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None
    except OSError as exc:
        raise Unreadable(Problem(shown, 1, 1, "Y009", f"cannot read: {exc.strerror}"))
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Unreadable(Problem(shown, 1, 1, "Y004",
                                 f"the template is not UTF-8 text (byte 0x{raw[exc.start]:02x})"))


def _override(root: Path, inside: str, name: str) -> tuple[str, str, Callable[[], bool]] | None:
    """A template of the workspace's templates/, read by riskkit's rules, for Jinja."""
    from jinja2.loaders import split_template_path

    path = root.joinpath("templates", *split_template_path(name))
    if not os.path.lexists(path):
        return None
    text = _read_override(path, inside, f"templates/{name}")
    return None if text is None else (text, str(path), lambda: True)


def _cell(value: Any) -> str:
    """A value for a Markdown table cell: a ``|`` or a newline would break the row."""
    return str(value).replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def _minutes(value: Any) -> str:
    if value is None or value == "":
        return "?"
    return f"{value:g}" if isinstance(value, (int, float)) else str(value)


# Risks a template's budget is made for; a document of more gets it once more for each
# (``riskkit.runbook.budget.scaled``).
RISKS_PER_BUDGET = 1_000


def render_template(workspace_root: Path | None, name: str, context: dict,
                    risks: int = 0) -> str:
    """Render template ``name`` with plain-data ``context``; errors name template and line.
    A document of ``risks`` risks renders within budgets grown to its size."""
    from jinja2 import TemplateSyntaxError, UndefinedError
    from jinja2.exceptions import SecurityError

    from riskkit.runbook.budget import BudgetExceeded, scaled

    env = environment(workspace_root, html=name.endswith(".html.j2"))
    try:
        with scaled(1 + risks // RISKS_PER_BUDGET):
            return env.get_template(name).render(context)
    except Unreadable as exc:
        raise ProblemsFound([exc.problem])
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
    inside = reading.boundary(root)
    problems = []
    for path in sorted(folder.glob("*.j2")) if folder.is_dir() else []:
        env = environment(root, html=path.name.endswith(".html.j2"))
        try:
            text = _read_override(path, inside, f"templates/{path.name}")
            if text is None:
                raise OSError("not a file")
            env.parse(text, name=path.name)
        except Unreadable as exc:
            problems.append(exc.problem)
        except TemplateSyntaxError as exc:
            problems.append(Problem(f"templates/{path.name}", exc.lineno or 1, 1, "T002",
                                    f"template syntax error: {exc.message}"))
        except OSError as exc:
            problems.append(Problem(f"templates/{path.name}", 1, 1, "T002",
                                    f"cannot read the template: {exc}"))
    return problems


def _template_path(root: Path | None, name: str) -> str:
    if root is not None and (root / "templates" / name).is_file():
        return f"templates/{name}"
    return f"<built-in template {name}>"


def _template_frame(root: Path | None, exc: BaseException, name: str) -> tuple[str, int]:
    """The template file and line where a render error happened (Jinja rewrites frames)."""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.endswith(".j2"):
            return _template_path(root, Path(frame.filename).name), frame.lineno or 1
    return _template_path(root, name), 1


_INLINE = [
    (re.compile(r"`([^`]+)`"), r"<code>\1</code>"),
    (re.compile(r"\*\*([^*]+)\*\*"), r"<strong>\1</strong>"),
]


def markdown_html(text: str) -> Markup:
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


def markdown_inline(text: str) -> Markup:
    """One line of runbook text as HTML: `code` and **bold** only, the rest escaped."""
    from markupsafe import Markup

    return Markup(_inline(str(text).strip()))


def _inline(text: str) -> str:
    from markupsafe import escape

    html = str(escape(text))
    for pattern, repl in _INLINE:
        html = pattern.sub(repl, html)
    return html
