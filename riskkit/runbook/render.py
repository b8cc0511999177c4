"""Rendering runbook text over the incident's inputs: resolving inputs (defaults, choices,
patterns) and filling in every step, in Jinja's sandbox with undefined names as errors."""

from __future__ import annotations

import functools
import re
from dataclasses import replace
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from riskkit.problems import InputError, Problem, ProblemsFound, did_you_mean, field_path
from riskkit.runbook.model import TEXT_FIELDS, Runbook, Step
from riskkit.runbook.text import JINJA_NAMES, sandbox as _sandbox, template_variables

if TYPE_CHECKING:
    from jinja2 import Template, Undefined

    from riskkit.runbook.budget import BoundedSandbox
    from riskkit.runbook.view import PlanView, StepView


def resolve_inputs(runbook: Runbook, given: Mapping[str, object], partial: bool = False,
                   doing: str = "render", consequence: str | None = None
                   ) -> dict[str, object]:
    """The inputs' values: given ones checked, defaults filled in (defaults may use other
    inputs). Raises InputError listing every missing, unknown or invalid value.

    With ``partial`` (drill checklists) a missing input is no error: it is left out, and so
    is a default that uses it, for the room to fill in; unknown and invalid values still are.
    """
    errors: list[str] = []
    declared = {i.name: i for i in runbook.inputs}
    for name in given:
        if name not in declared:
            hint = did_you_mean(name, declared)
            known = ", ".join(declared) or "it takes none"
            errors.append(f"unknown input '{name}'{hint}; {runbook.id} takes: {known}")
    values: dict[str, object] = {n: v for n, v in given.items() if n in declared}
    pending = [i for i in runbook.inputs if i.name not in values]
    missing: set[str] = set()  # required inputs with no value and no default
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
            # pg-{{ region }} needs no Jinja: filled in once its inputs have values
            uses = set(_PLACEHOLDER.findall(spec.default))
            if not uses & JINJA_NAMES \
                    and _substituted(spec.default, {}, placeholders=True) is not None:
                if uses <= values.keys():
                    values[spec.name] = _substituted(spec.default, values)
                    pending.remove(spec)
                    progress = True
                continue  # else it waits, as Jinja's UndefinedError makes it wait
            from jinja2 import UndefinedError  # only a default that is a template needs Jinja

            try:
                values[spec.name] = _compiled(False, spec.default).render(values)
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
        why = structure(str(value))
        if why:
            errors.append(f"input '{spec.name}': {value!r} {why}; an input is data, one line "
                          "that cannot add steps, headings or tick boxes to a plan")
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
        printed = consequence or ("no plan was printed" if doing == "render"
                                  else "nothing was printed")
        raise InputError(f"cannot {doing} {runbook.id}; {printed}:\n  " + "\n  ".join(errors))
    return values


# What would make a value structure in a plan rather than data: a line break (a new
# step or line), a code fence, a tick box, or a Markdown block marker at its start.
_STRUCTURE = (
    (re.compile(r"[\r\n\x0b\x0c\x85\u2028\u2029]"), "holds a line break"),
    (re.compile(r"[\x00-\x08\x0e-\x1f\x7f]"), "holds a control character"),
    (re.compile(r"```|~~~"), "holds a code fence"),
    (re.compile(r"\[[ xX]\]"), "holds a tick box ([ ] or [x])"),
    (re.compile(r"^\s*(#{1,6}|[-*+>]|\d{1,9}[.)]|={3,}|-{3,})(\s|$)"),
     "starts like a Markdown heading, list item or quote"),
)


def structure(value: str) -> str | None:
    """Why ``value`` would be structure in a plan (see :data:`_STRUCTURE`), or None."""
    for pattern, why in _STRUCTURE:
        if pattern.search(value):
            return why
    return None


def _unresolved_defaults(pending: list, missing: set[str]) -> list[str]:
    """Why the defaults still pending have no value. A default that waits (perhaps through
    another default) on a missing required input is left unsaid: naming that input is the
    whole fix, and saying more buries it."""
    blocked = set(missing)
    changed = True
    while changed:
        changed = False
        for spec in pending:
            if spec.name not in blocked \
                    and template_variables(spec.default, blocked)[0] & blocked:
                blocked.add(spec.name)
                changed = True
    return [f"input '{spec.name}': its default {spec.default!r} uses an input that has no value"
            for spec in pending if spec.name not in blocked]


@functools.lru_cache(maxsize=None)
def _hole() -> type[Undefined]:
    """For checklists: an input with no value prints as ``{name}`` for the room, and so
    does anything worked out from it (``{{ replicas + 1 }}``, ``{{ host | upper }}``);
    a comparison with it is false.

    The sandbox answers a refused attribute with an undefined too, one that carries
    SecurityError; that one must still raise, not print as a blank to fill in.
    """
    from jinja2 import ChainableUndefined
    from jinja2.exceptions import SecurityError

    class Hole(ChainableUndefined):
        __slots__ = ()

        def _refused(self) -> bool:
            return issubclass(self._undefined_exception, SecurityError)

        def __str__(self) -> str:
            if self._refused():
                self._fail_with_undefined_error()
            return f"{{{self._undefined_name or '?'}}}"

        def __getattr__(self, name: str) -> Any:
            # dunder probes stay AttributeError; the sandbox then tries [name] below
            if self._refused() and not (name[:2] == "__" and name[-2:] == "__"):
                self._fail_with_undefined_error()
            return super().__getattr__(name)

        def __getitem__(self, key: Any) -> Any:
            if self._refused():
                self._fail_with_undefined_error()
            return super().__getitem__(key)

        def __iter__(self) -> Iterator[Any]:
            if self._refused():
                self._fail_with_undefined_error()
            return super().__iter__()

        def __bool__(self) -> bool:
            if self._refused():
                self._fail_with_undefined_error()
            return super().__bool__()

        def _same(self, *_: Any) -> Any:
            if self._refused():
                self._fail_with_undefined_error()
            return self

        def _false(self, *_: Any) -> Any:  # Any: Undefined types comparisons as NoReturn
            if self._refused():
                self._fail_with_undefined_error()
            return False

        __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _same
        __truediv__ = __rtruediv__ = __floordiv__ = __rfloordiv__ = _same
        __mod__ = __rmod__ = __pow__ = __rpow__ = __neg__ = __pos__ = _same
        __call__ = _same  # {{ host.split('.')[0] }} prints {host} too
        __lt__ = __le__ = __gt__ = __ge__ = _false

    return Hole


@functools.lru_cache(maxsize=None)
def _env(placeholders: bool) -> BoundedSandbox:
    return _sandbox(undefined=_hole() if placeholders else None)


@functools.lru_cache(maxsize=4096)
def _compiled(placeholders: bool, text: str) -> Template:
    """Runbook text compiled once per process: validate tries it with many inputs."""
    return _env(placeholders).from_string(text)


_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


def _substituted(text: str, values: dict, placeholders: bool = False) -> str | None:
    """``text`` rendered without Jinja when it only prints inputs that have a value
    (``Restart {{ service }} in {{ region }}``, most runbook text): what Jinja prints for
    it, ten times faster (a checklist's missing input prints as ``{name}``, as Jinja's
    ``Hole`` prints it). None when Jinja must render it.

    Jinja reads text as text up to ``{{``, ``{%`` or ``{#``: single braces around the
    inputs (``${HOME}``, a JSON body, ``jsonpath='{.items}'``) print as written, except a
    ``{`` just before an input, which Jinja would read as the start of one."""
    shape = _inputs_only(text)
    if shape is None:
        return None
    between, names = shape
    if not placeholders and not all(name in values for name in names):
        return None
    out = [between[0]]
    for name, after in zip(names, between[1:]):
        out.append(str(values[name]) if name in values else f"{{{name}}}")
        out.append(after)
    return "".join(out)


def _prints_inputs(text: str, values: dict, placeholders: bool) -> bool:
    """Whether ``text`` only prints inputs that have a value (or, with ``placeholders``,
    any inputs): :func:`_substituted` renders it, and nothing in it can be refused."""
    shape = _inputs_only(text)
    return shape is not None and (placeholders or all(name in values for name in shape[1]))


@functools.lru_cache(maxsize=8192)
def _inputs_only(text: str) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """The text around the inputs of a text that only prints inputs, and their names;
    None for any other text. Worked out once per text: ``validate`` renders each text
    with several sets of inputs."""
    parts = _PLACEHOLDER.split(text)
    between = parts[::2]
    if any(mark in part for part in between for mark in ("{{", "{%", "{#")) \
            or any(part.endswith("{") for part in between[:-1]):
        return None
    return tuple(between), tuple(parts[1::2])


def _view_texts(view: PlanView) -> Iterator[tuple[str, tuple]]:
    """The texts of a plan besides its steps', with where each is in the runbook, as
    :func:`render_steps` renders them."""
    return _plan_texts(view.title, view.summary, view.triggers, view.exit_criteria,
                       view.comms.channel, view.comms.notes)


def _runbook_texts(runbook: Runbook) -> Iterator[tuple[str, tuple]]:
    """The same texts, as the runbook holds them (a plan copies them as they are)."""
    return _plan_texts(runbook.title, runbook.summary, runbook.triggers,
                       runbook.exit_criteria, runbook.comms.get("channel"),
                       runbook.comms.get("notes"))


def _plan_texts(title: str, summary: str, triggers: Iterable[str],
                exit_criteria: Iterable[str], channel: str | None,
                notes: str | None) -> Iterator[tuple[str, tuple]]:
    yield title, ("title",)
    yield summary, ("summary",)
    for i, text in enumerate(triggers):
        yield text, ("triggers", i)
    for i, text in enumerate(exit_criteria):
        yield text, ("exit_criteria", i)
    if channel:
        yield channel, ("comms", "channel")
    if notes:
        yield notes, ("comms", "notes")


# An input left open in a text that only prints inputs, marked for a page to fill in (the
# runbook site's live fields, the binder's blank lines): private-use characters that no
# runbook text holds (they are taken out of the text first).
MARK_OPEN, MARK_CLOSE = "\ue000", "\ue001"
MARKED = re.compile(f"{MARK_OPEN}([A-Za-z_][A-Za-z0-9_]*){MARK_CLOSE}")
_NO_MARKS = {ord(MARK_OPEN): None, ord(MARK_CLOSE): None}


def _marked(text: str, values: dict[str, Any]) -> str | None:
    """``text`` with each ``{{ name }}`` without a value marked (see ``MARKED``), when the
    text only prints inputs: Jinja reads single braces as text, so ``${HOME}`` or
    ``jsonpath='{.items}'`` beside them are fine. None when a name is worked on (a filter,
    arithmetic) or the text has other template syntax: such a text prints ``{name}``."""
    parts = _PLACEHOLDER.split(text)
    if any(mark in part for part in parts[::2] for mark in ("{{", "{%", "{#")):
        return None
    parts[1::2] = [str(values[name]) if name in values else f"{MARK_OPEN}{name}{MARK_CLOSE}"
                   for name in parts[1::2]]
    return "".join(parts)


def _renderer(runbook: Runbook, values: dict, placeholders: bool, marks: bool,
              problems: list[Problem], checking: bool = False
              ) -> Callable[[str, tuple], str]:
    """The function that renders one text of ``runbook`` at ``path`` over ``values``,
    adding to ``problems`` what it refuses (and giving the text back as written). When
    ``checking``, only what is refused matters: a text that only prints inputs that have
    a value cannot be refused, and is not rendered."""

    def render(text: str, path: tuple) -> str:
        if marks and text:
            text = text.translate(_NO_MARKS)
        if not text or ("{" not in text):
            return text
        if checking and _prints_inputs(text, values, placeholders):
            return text
        if marks:
            live = _marked(text, values)
            if live is not None:
                return live
        simple = _substituted(text, values, placeholders)
        if simple is not None:
            return simple
        line, col = runbook.at(*path)
        from jinja2 import TemplateError  # only a text that is more than inputs needs Jinja
        from jinja2.exceptions import SecurityError

        from riskkit.runbook.budget import BudgetExceeded

        try:
            return _compiled(placeholders, text).render(values)
        except SecurityError as exc:
            problems.append(Problem(runbook.file, line, col, "T003",
                                    f"{runbook.id}: refused by the template sandbox: {exc}"))
        except BudgetExceeded as exc:
            problems.append(Problem(runbook.file, line, col, "T004",
                                    f"{runbook.id}: {field_path(path)}: over a template "
                                    f"limit: {exc}"))
        except TemplateError as exc:
            problems.append(Problem(runbook.file, line, col, "T001",
                                    f"{runbook.id}: {field_path(path)}: {exc}"))
        except Exception as exc:  # arithmetic on text, division by zero: the user's text
            problems.append(Problem(runbook.file, line, col, "T001",
                                    f"{runbook.id}: {field_path(path)}: cannot be rendered: "
                                    f"{type(exc).__name__}: {exc}"))
        return text

    return render


def check_texts(runbook: Runbook, steps: Iterable[Step], values: dict,
                placeholders: bool = False) -> None:
    """Raise :class:`ProblemsFound` with what rendering the runbook's own texts and those
    of ``steps`` over ``values`` would refuse, as :func:`render_steps` refuses it, without
    a plan: validate's trial renders, which want only the problems."""
    problems: list[Problem] = []
    render = _renderer(runbook, values, placeholders, False, problems, checking=True)
    for text, path in _runbook_texts(runbook):
        render(text, path)
    index = {s.id: i for i, s in enumerate(runbook.steps)}
    for step in steps:
        at = index[step.id]
        for field in TEXT_FIELDS:
            text = getattr(step, field)
            if text and "{" in text:
                render(text, ("steps", at, field))
    if problems:
        raise ProblemsFound(problems)


def render_steps(runbook: Runbook, view: PlanView, values: dict,
                 placeholders: bool = False, marks: bool = False) -> PlanView:
    """``view`` with its text fields (title, steps…) rendered over ``values``.

    With ``placeholders`` an input without a value prints as ``{name}`` (a checklist);
    with ``marks`` too, a text that only prints inputs marks it instead (``MARKED``), for
    a page that fills it in. Problems point at the runbook line of the field; a sandbox
    escape is refused.
    """
    problems: list[Problem] = []
    index = {s.id: i for i, s in enumerate(runbook.steps)}
    render = _renderer(runbook, values, placeholders, marks, problems)

    def rendered_step(step: StepView) -> StepView:
        texts: dict[str, Any] = {field: render(getattr(step, field),
                                               ("steps", index[step.id], field))
                                 for field in TEXT_FIELDS}
        if all(texts[field] == getattr(step, field) for field in TEXT_FIELDS):
            return step  # no input in its text: the step as it is, not a copy
        return replace(step, **texts)

    texts = {path: render(text, path) for text, path in _view_texts(view)}
    steps = tuple(rendered_step(step) for step in view.steps)
    comms = view.comms
    rendered = replace(
        view, title=texts[("title",)], summary=texts[("summary",)],
        triggers=tuple(texts[("triggers", i)] for i in range(len(view.triggers))),
        exit_criteria=tuple(texts[("exit_criteria", i)]
                            for i in range(len(view.exit_criteria))),
        comms=replace(comms, channel=texts.get(("comms", "channel"), comms.channel),
                      notes=texts.get(("comms", "notes"), comms.notes)),
        steps=steps)
    if problems:
        raise ProblemsFound(problems)
    return rendered


