"""Every view's output formats, by name: what ``--format`` offers and what prints it.

A command builds its view's data, looks the format up here and emits the text. The
``--format`` choices, the default and the help are read from this table too, so they
cannot drift from what a view can print (check-jsonschema chooses its reporters the same
way). To add a format, write a function ``(data) -> str`` in ``riskkit.present`` and
name it under its view below.

A formatter takes the view's data and returns text; a few also take keyword options
(``color`` for a terminal, ``paper`` and ``root`` for printed documents), listed in the
format's ``options``. Formatters are named ``module:function`` and imported on first use,
so ``riskkit --help`` imports none of them.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

AUTO = "auto"  # github under GitHub Actions, text elsewhere


@dataclass(frozen=True)
class Format:
    """One output format of a view: its name, its formatter and a few words of help."""

    name: str
    target: str  # "module:function"
    help: str = ""
    options: tuple[str, ...] = ()  # keyword options the formatter takes

    def formatter(self) -> Callable[..., str]:
        module, _, function = self.target.partition(":")
        return getattr(importlib.import_module(module), function)

    def render(self, data: Any, **options: Any) -> str:
        """The text of ``data``; options this format does not take are left out."""
        return self.formatter()(data, **{k: v for k, v in options.items()
                                         if k in self.options})


@dataclass(frozen=True)
class View:
    """The formats one view can be printed in; the first is the default unless named."""

    name: str
    formats: tuple[Format, ...]
    default: str = ""
    auto: bool = False  # also offers "auto" (then the default): github in CI, else text

    def __post_init__(self) -> None:
        if self.auto and not {"text", "github"} <= set(self.choices):
            raise ValueError(f"view {self.name}: auto needs a text and a github format")

    @property
    def choices(self) -> list[str]:
        """The names ``--format`` accepts, in the order the help lists them."""
        return [f.name for f in self.formats] + ([AUTO] if self.auto else [])

    @property
    def default_choice(self) -> str:
        return self.default or (AUTO if self.auto else self.formats[0].name)

    def help(self) -> str:
        parts = [f"{f.name} ({f.help})" if f.help else f.name for f in self.formats]
        if self.auto:
            parts.append(f"{AUTO} (github under GitHub Actions, text elsewhere)")
        return "Output format: " + ", ".join(parts) + "."

    def resolve(self, name: str) -> str:
        """The format ``name`` stands for: ``auto`` becomes github or text."""
        if name == AUTO and self.auto:
            return "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"
        return name

    def format(self, name: str) -> Format:
        wanted = self.resolve(name)
        for candidate in self.formats:
            if candidate.name == wanted:
                return candidate
        raise KeyError(f"view {self.name} has no format {name!r}")

    def render(self, name: str, data: Any, **options: Any) -> str:
        return self.format(name).render(data, **options)


def _f(name: str, target: str, words: str = "", *options: str) -> Format:
    """A format whose formatter is ``riskkit.present.<target>``."""
    return Format(name, f"riskkit.present.{target}", words, options)


JSON = "for scripts"

VIEWS: dict[str, View] = {view.name: view for view in (
    View("problems", (
        _f("text", "formats:problems_text", "path:line:col: CODE message"),
        _f("json", "formats:problems_json", JSON),
        _f("github", "formats:problems_github", "workflow annotations"),
    ), auto=True),
    View("risks", (
        _f("table", "tables:risks_table"),
        _f("json", "tables:risks_json", JSON),
        _f("csv", "tables:risks_csv", "every field, for spreadsheets and riskkit import"),
        _f("md", "tables:risks_md", "Markdown"),
        _f("xlsx", "tables:risks_xlsx", "an Excel workbook, with -o FILE; needs riskkit[xlsx]",
           "as_of"),
    )),
    View("heatmap", (
        _f("text", "heatmap:heatmap_text", "coloured on a terminal", "color"),
        _f("json", "formats:to_json", JSON),
        _f("svg", "heatmap:heatmap_svg", "for documents"),
    )),
    View("runbooks", (
        _f("table", "tables:runbooks_table"),
        _f("json", "formats:to_json", JSON),
        _f("md", "tables:runbooks_md", "Markdown"),
    )),
    View("runbook", (
        _f("text", "showtext:view_text"),
        _f("json", "formats:to_json", JSON),
    )),
    View("find", (
        _f("text", "find:find_text"),
        _f("json", "formats:to_json", JSON),
    )),
    View("incident", (
        _f("text", "incident:now_text"),
        _f("json", "incident:now_json", JSON),
        _f("html", "board:board_html", "the status board for the incident room"),
    )),
    View("incident-log", (
        _f("text", "incident:log_text"),
        _f("json", "incident:log_json", JSON),
    )),
    View("postmortem", (
        _f("md", "postmortem:postmortem_md", "Markdown, to commit beside the journal"),
        _f("html", "postmortem:postmortem_html", "a page to read or print"),
        _f("json", "postmortem:postmortem_json", JSON),
    )),
    View("retro", (
        _f("md", "retro:retro_md", "Markdown"),
        _f("html", "retro:retro_html", "a self-contained page with charts"),
        _f("json", "retro:retro_json", JSON),
    )),
    View("incidents", (
        _f("table", "incident:list_table"),
        _f("json", "incident:list_json", JSON),
    )),
    View("graph", (
        _f("dot", "diagram:to_dot", "Graphviz"),
        _f("mermaid", "diagram:to_mermaid"),
    )),
    View("plan", (
        _f("md", "documents:plan_md", "Markdown", "root", "paper"),
        _f("html", "documents:plan_html", "to print", "root", "paper"),
        _f("txt", "documents:plan_txt", "plain text", "root", "paper"),
    )),
    View("binder", (
        _f("md", "binder:binder_md", "Markdown", "root", "paper"),
        _f("html", "binder:binder_html", "to print", "root", "paper"),
        _f("txt", "binder:binder_txt", "plain text", "root", "paper"),
    )),
    View("checklist", (
        _f("md", "documents:checklists_md", "Markdown", "root", "paper"),
        _f("html", "documents:checklists_html", "to print", "root", "paper"),
    )),
    View("drill-plan", (
        _f("table", "tables:drill_plan_table"),
        _f("json", "formats:to_json", JSON),
        _f("md", "tables:drill_plan_md", "Markdown"),
        Format("ics", "riskkit.exchange.ics:drill_plan_ics", "iCalendar, for calendars",
               ("as_of", "calendar")),
    )),
    View("diff", (
        _f("text", "diff:diff_text"),
        _f("md", "diff:diff_md", "a pull-request comment"),
        _f("json", "formats:to_json", JSON),
    )),
    View("history", (
        _f("text", "history:history_text"),
        _f("json", "formats:to_json", JSON),
        _f("svg", "history:history_svg", "the level over time", "levels"),
    )),
    View("codes", (
        _f("text", "explain:list_text"),
        _f("json", "explain:list_json", JSON),
        _f("md", "explain:list_md", "Markdown"),
    )),
    View("code", (
        _f("text", "explain:code_text"),
        _f("json", "explain:code_json", JSON),
        _f("md", "explain:code_md", "Markdown"),
    )),
)}


def view(name: str) -> View:
    return VIEWS[name]


def render(view_name: str, fmt: str, data: Any, **options: Any) -> str:
    """The text of ``data`` in format ``fmt`` of view ``view_name``."""
    return VIEWS[view_name].render(fmt, data, **options)
