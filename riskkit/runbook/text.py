"""Runbook text as templates: Jinja's sandbox, and which inputs a text uses (or why it
cannot be used), answered without rendering anything."""

from __future__ import annotations

import functools
import re
from collections.abc import Collection
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from jinja2 import BaseLoader, Undefined

    from riskkit.runbook.budget import BoundedSandbox


@functools.lru_cache(maxsize=None)
def _text_env() -> BoundedSandbox:
    return sandbox()


_SIMPLE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
# Names Jinja gives a value of its own (its globals, its literals, the template itself):
# a text that prints one of them is Jinja's to read, whether or not an input has the name.
JINJA_NAMES = frozenset({"range", "dict", "lipsum", "cycler", "joiner", "namespace", "self",
                         "true", "false", "none", "True", "False", "None"})


def sandbox(undefined: type[Undefined] | None = None, autoescape: bool = False,
            loader: BaseLoader | None = None) -> BoundedSandbox:
    from jinja2 import StrictUndefined

    from riskkit.runbook.budget import BoundedSandbox

    return BoundedSandbox(
        undefined=undefined or StrictUndefined, autoescape=autoescape, loader=loader,
        keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)


class Unusable(NamedTuple):
    """Why a runbook text cannot be used: the problem code, the words, and the line of
    the text (1-based) it is on."""

    code: str
    message: str
    line: int | None


def _invalid(message: str, line: int | None) -> Unusable:
    return Unusable("B011", message, line)  # not a template riskkit can use


def _refused(why: str, line: int | None) -> Unusable:
    # The same code and words as a refusal by the sandbox at render time.
    return Unusable("T003", f"refused by the template sandbox: {why}", line)


def template_variables(text: str, inputs: Collection[str] = ()
                       ) -> tuple[set[str], Unusable | None]:
    """The names a runbook text uses, or why it cannot be used.

    Runbook text may only print its inputs: a syntax error, a private attribute
    (``__class__``), the ``attr`` filter, another template (``{% include %}``,
    ``{% import %}``, ``{% extends %}``) or a template built-in (``cycler``) is refused
    here, at validate time, rather than by the sandbox in the middle of an incident. An
    input may have the name of a built-in (``namespace``, ``range``): the input shadows it.
    """
    if "{%" not in text and "{#" not in text:
        stripped = _SIMPLE.sub("", text)
        if "{{" not in stripped and "}}" not in stripped:  # only {{ name }}: no parser needed
            return set(_SIMPLE.findall(text)), None
        # Around the inputs, single braces and ``}}`` are text to Jinja (a JSON body), but
        # for a ``{`` just before an input; Jinja's own names go to the parser.
        parts = _SIMPLE.split(text)
        names = set(parts[1::2])
        if "{{" not in stripped and not any(p.endswith("{") for p in parts[:-1:2]) \
                and not names & JINJA_NAMES:
            return names, None
    from jinja2 import TemplateSyntaxError, meta, nodes

    env = _text_env()
    try:
        tree = env.parse(text)
    except TemplateSyntaxError as exc:
        return set(), _invalid(f"template syntax error on line {exc.lineno} of the text: "
                               f"{exc.message}", exc.lineno)
    for stmt in tree.find_all((nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)):
        tag = {nodes.Include: "include", nodes.Import: "import", nodes.FromImport: "import",
               nodes.Extends: "extends"}[type(stmt)]
        return set(), _refused(f"'{{% {tag} %}}': runbook text cannot use other templates",
                               stmt.lineno)
    for node in tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Filter, nodes.Name)):
        if isinstance(node, nodes.Getattr) and node.attr.startswith("_"):
            return set(), _refused(f"'.{node.attr}' reaches into Python internals",
                                   node.lineno)
        if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) \
                and isinstance(node.arg.value, str) and node.arg.value.startswith("_"):
            return set(), _refused(f"'[{node.arg.value!r}]' reaches into Python internals",
                                   node.lineno)
        if isinstance(node, nodes.Filter) and node.name == "attr":
            return set(), _refused("the 'attr' filter can reach into Python internals",
                                   node.lineno)
        if isinstance(node, nodes.Name) and node.name in env.globals \
                and node.name not in inputs:
            return set(), _refused(f"'{node.name}' is a template built-in; runbook text "
                                   "may only use its inputs", node.lineno)
    try:  # compiling checks filters and tests exist
        return meta.find_undeclared_variables(tree), None
    except TemplateSyntaxError as exc:
        return set(), _invalid(f"template error on line {exc.lineno} of the text: "
                               f"{exc.message}", exc.lineno)
