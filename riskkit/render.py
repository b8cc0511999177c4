"""Rendering: runbook text over the incident's inputs, and plans and checklists from templates.

Everything renders in Jinja's sandbox with undefined names as errors; HTML is autoescaped.
Built-in templates ship in the package; a workspace's ``templates/`` overrides them by name.
"""

from __future__ import annotations

import difflib
import functools
import re
import traceback
from pathlib import Path

from .problems import InputError, Problem, ProblemsFound
from .runbooks import TEXT_FIELDS, Runbook



@functools.lru_cache(maxsize=None)
def _text_env():
    return _sandbox()


_SIMPLE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


def _sandbox(undefined=None, autoescape=False, loader=None):
    from jinja2 import StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    return ImmutableSandboxedEnvironment(
        undefined=undefined or StrictUndefined, autoescape=autoescape, loader=loader,
        keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)


def template_variables(text: str) -> tuple[set[str], str | None, int | None]:
    """The names a runbook text uses, or the reason it cannot be used.

    Runbook text may only print its inputs: a syntax error, a private attribute
    (``__class__``), the ``attr`` filter or a template built-in (``cycler``) is refused
    here, at validate time, rather than by the sandbox in the middle of an incident.
    """
    if "{%" not in text and "{#" not in text:
        stripped = _SIMPLE.sub("", text)
        if "{{" not in stripped and "}}" not in stripped:  # only {{ name }}: no parser needed
            return set(_SIMPLE.findall(text)), None, None
    from jinja2 import TemplateSyntaxError, meta, nodes

    env = _text_env()
    try:
        tree = env.parse(text)
    except TemplateSyntaxError as exc:
        return set(), f"template syntax error on line {exc.lineno} of the text: {exc.message}", \
            exc.lineno
    refused = "refused by the template sandbox: "  # the words render-time refusals use
    for node in tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Filter, nodes.Name)):
        if isinstance(node, nodes.Getattr) and node.attr.startswith("_"):
            return set(), f"{refused}'.{node.attr}' reaches into Python internals", node.lineno
        if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) \
                and isinstance(node.arg.value, str) and node.arg.value.startswith("_"):
            return set(), f"{refused}'[{node.arg.value!r}]' reaches into Python internals", \
                node.lineno
        if isinstance(node, nodes.Filter) and node.name == "attr":
            return set(), f"{refused}the 'attr' filter can reach into Python internals", \
                node.lineno
        if isinstance(node, nodes.Name) and node.name in env.globals:
            return set(), (f"{refused}'{node.name}' is a template built-in; runbook text "
                           "may only use its inputs"), node.lineno
    try:  # compiling checks filters and tests exist
        return meta.find_undeclared_variables(tree), None, None
    except TemplateSyntaxError as exc:
        return set(), f"template error on line {exc.lineno} of the text: {exc.message}", \
            exc.lineno


def resolve_inputs(runbook: Runbook, given: dict[str, str], partial: bool = False,
                   doing: str = "render") -> dict[str, object]:
    """The inputs' values: given ones checked, defaults filled in (defaults may use other
    inputs). Raises InputError listing every missing, unknown or invalid value.

    With ``partial`` (drill checklists) a missing input is no error: it is left out, and so
    is a default that uses it, for the room to fill in; unknown and invalid values still are.
    """
    from jinja2 import UndefinedError

    errors: list[str] = []
    declared = {i.name: i for i in runbook.inputs}
    for name in given:
        if name not in declared:
            match = difflib.get_close_matches(name, list(declared), n=1)
            hint = f" (did you mean '{match[0]}'?)" if match else ""
            known = ", ".join(declared) or "it takes none"
            errors.append(f"unknown input '{name}'{hint}; {runbook.id} takes: {known}")
    values: dict[str, object] = {n: v for n, v in given.items() if n in declared}
    pending = [i for i in runbook.inputs if i.name not in values]
    missing: set[str] = set()  # required inputs with no value and no default
    env = _sandbox()
    while pending:  # defaults may refer to other inputs, in any order
        progress = False
        for spec in list(pending):
            if spec.default is None:
                pending.remove(spec)
                if spec.required:
                    missing.add(spec.name)
                    what = f" ({spec.description})" if spec.description else ""
                    if not partial:
                        errors.append(f"missing required input '{spec.name}'{what}: "
                                      f"pass --var {spec.name}=VALUE")
                progress = True
                continue
            if not isinstance(spec.default, str) or "{{" not in spec.default:
                values[spec.name] = spec.default
                pending.remove(spec)
                progress = True
                continue
            try:
                values[spec.name] = env.from_string(spec.default).render(values)
                pending.remove(spec)
                progress = True
            except UndefinedError:
                continue
            except Exception as exc:  # e.g. arithmetic on a text value
                pending.remove(spec)
                progress = True
                errors.append(f"input '{spec.name}': its default {spec.default!r} cannot be "
                              f"worked out: {exc}")
        if not progress:
            if not partial:
                errors += _unresolved_defaults(pending, missing)
            break
    for spec in runbook.inputs:
        if spec.name not in values or spec.name not in given:
            continue
        value = values[spec.name]
        if not isinstance(value, (str, int, float, bool)):
            errors.append(f"input '{spec.name}': expected a single value, got "
                          f"{type(value).__name__}")
            continue
        if spec.required and str(value).strip() == "":
            errors.append(f"input '{spec.name}' is required and was given empty")
            continue
        if spec.choices and str(value) not in [str(c) for c in spec.choices]:
            errors.append(f"input '{spec.name}': {value!r} is not one of: "
                          f"{', '.join(map(str, spec.choices))}")
        if spec.pattern and not re.fullmatch(spec.pattern, str(value)):
            errors.append(f"input '{spec.name}': {value!r} does not match {spec.pattern}")
    for spec in runbook.inputs:  # computed defaults must satisfy the same rules
        if spec.name in values and spec.name not in given and spec.pattern \
                and not re.fullmatch(spec.pattern, str(values[spec.name])):
            errors.append(f"input '{spec.name}': default {values[spec.name]!r} does not match "
                          f"{spec.pattern}")
    if errors:
        printed = "no plan was printed" if doing == "render" else "nothing was printed"
        raise InputError(f"cannot {doing} {runbook.id}; {printed}:\n  " + "\n  ".join(errors))
    return values


def _unresolved_defaults(pending: list, missing: set[str]) -> list[str]:
    """Why the defaults still pending have no value. A default that waits (perhaps through
    another default) on a missing required input is left unsaid: naming that input is the
    whole fix, and saying more buries it."""
    blocked = set(missing)
    changed = True
    while changed:
        changed = False
        for spec in pending:
            if spec.name not in blocked and template_variables(spec.default)[0] & blocked:
                blocked.add(spec.name)
                changed = True
    return [f"input '{spec.name}': its default {spec.default!r} uses an input that has no value"
            for spec in pending if spec.name not in blocked]


def render_steps(runbook: Runbook, view: dict, values: dict, placeholders: bool = False) -> None:
    """Render the text fields of ``view`` (title, steps) over ``values``, in place.

    Problems point at the runbook line of the field; a sandbox escape is refused.
    """
    from jinja2 import ChainableUndefined, TemplateError
    from jinja2.exceptions import SecurityError

    undefined = None
    if placeholders:
        class Hole(ChainableUndefined):
            """For checklists: an input with no value prints as ``{name}`` for the room.

            The sandbox answers a refused attribute with an undefined too, one that carries
            SecurityError; that one must still raise, not print as a blank to fill in.
            """
            __slots__ = ()

            def _refused(self) -> bool:
                return issubclass(self._undefined_exception, SecurityError)

            def __str__(self):
                if self._refused():
                    self._fail_with_undefined_error()
                return f"{{{self._undefined_name or '?'}}}"

            def __getattr__(self, name):
                # dunder probes stay AttributeError; the sandbox then tries [name] below
                if self._refused() and not (name[:2] == "__" and name[-2:] == "__"):
                    self._fail_with_undefined_error()
                return super().__getattr__(name)

            def __getitem__(self, key):
                if self._refused():
                    self._fail_with_undefined_error()
                return super().__getitem__(key)

            def __iter__(self):
                if self._refused():
                    self._fail_with_undefined_error()
                return super().__iter__()

            def __bool__(self):
                if self._refused():
                    self._fail_with_undefined_error()
                return super().__bool__()

        undefined = Hole
    env = _sandbox(undefined=undefined)
    problems: list[Problem] = []
    index = {s.id: i for i, s in enumerate(runbook.steps)}

    def render(text: str, path: tuple) -> str:
        if not text or ("{" not in text):
            return text
        line, col = runbook.at(*path)
        try:
            return env.from_string(text).render(values)
        except SecurityError as exc:
            problems.append(Problem(runbook.file, line, col, "T003",
                                    f"{runbook.id}: refused by the template sandbox: {exc}"))
        except TemplateError as exc:
            problems.append(Problem(runbook.file, line, col, "T001",
                                    f"{runbook.id}: {field_name(path)}: {exc}"))
        except Exception as exc:  # arithmetic on text, division by zero: the user's text
            problems.append(Problem(runbook.file, line, col, "T001",
                                    f"{runbook.id}: {field_name(path)}: cannot be rendered: "
                                    f"{type(exc).__name__}: {exc}"))
        return text

    view["title"] = render(view["title"], ("title",))
    view["summary"] = render(view["summary"], ("summary",))
    for key in ("triggers", "exit_criteria"):
        view[key] = [render(text, (key, i)) for i, text in enumerate(view[key])]
    for key in ("channel", "notes"):
        if view["comms"].get(key):
            view["comms"][key] = render(view["comms"][key], ("comms", key))
    for step in view["steps"]:
        for field in TEXT_FIELDS:
            step[field] = render(step[field], ("steps", index[step["id"]], field))
    if problems:
        raise ProblemsFound(problems)


def field_name(path: tuple) -> str:
    return ".".join(str(p) for p in path)


def environment(workspace_root: Path | None, html: bool):
    """Templates from the workspace's templates/ first, then the built-in ones."""
    from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader

    loaders = []
    if workspace_root is not None and (workspace_root / "templates").is_dir():
        loaders.append(FileSystemLoader(str(workspace_root / "templates")))
    loaders.append(PackageLoader("riskkit", "templates"))
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

    env = environment(workspace_root, html=name.endswith(".html.j2"))
    try:
        return env.get_template(name).render(context)
    except TemplateSyntaxError as exc:
        where = _template_path(workspace_root, exc.name or name)
        raise ProblemsFound([Problem(where, exc.lineno or 1, 1, "T002",
                                     f"template syntax error: {exc.message}")])
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
