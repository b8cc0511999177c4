"""Templates under budgets: nothing a file says can hang riskkit or exhaust its memory.

Every template riskkit renders (runbook text, and the plan and checklist templates a
workspace may override) runs in :class:`BoundedSandbox`, Jinja's immutable sandbox with
limits on what one render may do:

- **steps**: every loop iteration counts one step and every call :data:`CALL_STEPS`; a
  render may take :data:`MAX_STEPS` (about half a second of the slowest kind). Counting (rather than a clock) gives the same answer on every machine,
  in any thread and on any platform, so ``validate`` and ``render`` always agree; a
  ``SIGALRM`` deadline works only in the main thread of a POSIX process, and cannot stop a
  single long C call (``9 ** 9 ** 9``) anyway — the size checks below do that.
- **sizes**: a string or list built by ``*``, ``+``, ``~``, a filter or a method call
  may hold :data:`MAX_SIZE` items, a number :data:`MAX_BITS` bits, a ``range`` or a
  numeric argument :data:`MAX_RANGE`; the checks are made *before* the work where the size
  is known in advance (``'x' * 10**9``, ``9 ** 9 ** 9``, ``'x'.ljust(10**9)``).
- **output**: a render may print :data:`MAX_OUTPUT` characters.

A document that grows with the register (the report, the roll-up) renders within
:func:`scaled`, which multiplies the steps and the output by a factor of its data.

Going over a budget raises :class:`BudgetExceeded`, reported as problem T004 at the
field's line (runbook text) or the template's line (overrides).
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from jinja2 import nodes
from jinja2.environment import Template
from jinja2.exceptions import TemplateRuntimeError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import Namespace

MAX_STEPS = 500_000  # loop iterations + calls in one render
CALL_STEPS = 4  # a call (a macro, above all) costs about four loop iterations
MAX_SIZE = 1_000_000  # characters of a string, items of a list
MAX_BITS = 4_096  # bits of an integer result (a 1,233-digit number)
MAX_RANGE = 100_000  # a range(), or a numeric argument of a call or a filter
MAX_OUTPUT = 5_000_000  # characters one render may print
# a format width or precision of a million or more: '%9999999d', '{:>9999999}'
_WIDTH = re.compile(r"%[-+ #0]*\d*\.?\d{6,}|\{[^{}]*:[^{}]*\d{6,}")


class BudgetExceeded(TemplateRuntimeError):
    """A template went over one of the limits of :mod:`riskkit.runbook.budget`."""


class _Budget:
    __slots__ = ("steps", "limit", "output")

    def __init__(self) -> None:
        times = _SCALE.get()
        self.steps = self.limit = MAX_STEPS * times
        self.output = MAX_OUTPUT * times

    def tick(self, n: int = 1) -> None:
        self.steps -= n
        if self.steps < 0:
            raise BudgetExceeded(f"the template takes more than {self.limit:,} steps "
                                 "(loop iterations and calls); it would run for too long")


_SCALE: contextvars.ContextVar[int] = contextvars.ContextVar("riskkit_budget_scale",
                                                             default=1)


@contextlib.contextmanager
def scaled(times: int) -> Iterator[None]:
    """Renders within get ``times`` the steps and output of the budget: for a document
    whose size grows with the register it prints (the report of 50,000 risks is some
    40 MB of HTML, more than the 5 MB any one plan may print). The caller scales by its
    data, so a template may still do only so much work per risk."""
    token = _SCALE.set(max(1, times))
    try:
        yield
    finally:
        _SCALE.reset(token)


_CURRENT: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar(
    "riskkit_template_budget", default=None)


def _budget() -> _Budget:
    budget = _CURRENT.get()
    if budget is None:  # a template used outside render(): give it a budget of its own
        budget = _Budget()
        _CURRENT.set(budget)
    return budget


def _size(value: Any) -> int:
    return len(value) if isinstance(value, (str, bytes, list, tuple, dict, set)) else 0


def _check_size(value: Any, what: str) -> Any:
    if _size(value) > MAX_SIZE:
        raise BudgetExceeded(f"{what} would hold more than {MAX_SIZE:,} items")
    if isinstance(value, int) and not isinstance(value, bool) \
            and value.bit_length() > MAX_BITS:
        raise BudgetExceeded(f"{what} is a number of more than {MAX_BITS:,} bits")
    return value


def _check_args(args: tuple, kwargs: dict, what: str) -> None:
    for arg in (*args, *kwargs.values()):
        if isinstance(arg, int) and not isinstance(arg, bool) and abs(arg) > MAX_SIZE:
            raise BudgetExceeded(f"{what} is given {arg}, above the limit of {MAX_SIZE:,}")


def _check_format(text: Any, what: str) -> None:
    if isinstance(text, str) and _WIDTH.search(text):
        raise BudgetExceeded(f"{what}: a format width of a million or more")


def _ticking(iterable: Iterable[Any]) -> Iterator[Any]:
    budget = _budget()
    for item in iterable:
        budget.tick()
        yield item


def _bounded_range(*args: int) -> range:
    result = range(*args)
    if len(result) > MAX_RANGE:
        raise BudgetExceeded(f"a range of {len(result):,} numbers is above the limit of "
                             f"{MAX_RANGE:,}")
    return result


_bounded_range.__name__ = "range"


def _guard_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)  # keeps jinja_pass_arg (context, environment…)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        _budget().tick()
        skip = 2 if getattr(func, "jinja_pass_arg", None) else 1  # the context, the value
        _check_args(args[skip:], kwargs, f"filter '{name}'")
        if name == "replace" and len(args) >= skip + 2:
            _check_replace(*args[skip - 1:skip + 2])
        if name == "format" and len(args) >= skip:
            _check_format(args[skip - 1], "filter 'format'")
        return _check_size(func(*args, **kwargs), f"the result of filter '{name}'")
    return guarded


def _check_replace(text: Any, old: Any, new: Any) -> None:
    if isinstance(text, str) and isinstance(old, str) and isinstance(new, str):
        count = text.count(old) if old else len(text) + 1
        if len(text) + count * max(0, len(new) - len(old)) > MAX_SIZE:
            raise BudgetExceeded(f"replace would make a text of more than {MAX_SIZE:,} "
                                 "characters")


# Pieces of output joined as they come: a report of 50,000 risks prints a million small
# strings, which would otherwise all be alive (some 60 MB) until the last one is printed.
BATCH = 4096


class BoundedTemplate(Template):
    """A template whose ``render`` runs under a fresh budget and a cap on its output."""

    def render(self, *args: Any, **kwargs: Any) -> str:
        token = _CURRENT.set(_Budget())
        try:
            ctx = self.new_context(dict(*args, **kwargs))
            try:
                out: list[str] = []
                batch: list[str] = []
                size, limit, concat = 0, _budget().output, self.environment.concat
                for chunk in self.root_render_func(ctx):
                    size += len(chunk)
                    if size > limit:
                        raise BudgetExceeded(f"the template prints more than {limit:,} "
                                             "characters")
                    batch.append(chunk)
                    if len(batch) == BATCH:
                        out.append(concat(batch))
                        batch.clear()
                out.append(concat(batch))
                return concat(out)
            except Exception:
                self.environment.handle_exception()
        finally:
            _CURRENT.reset(token)


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox with the budgets of this module."""

    template_class = BoundedTemplate
    intercepted_binops = frozenset({"**", "*", "+", "%"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.globals["range"] = _bounded_range
        self.filters = {name: _guard_filter(name, func) for name, func in self.filters.items()}
        self.filters["_riskkit_ticking"] = _ticking
        self.filters["_riskkit_sized"] = _sized

    def _parse(self, source: str, name: str | None, filename: str | None
               ) -> nodes.Template:
        tree = super()._parse(source, name, filename)
        # Every loop counts its iterations, and every ~ join is measured.
        for loop in tree.find_all(nodes.For):
            loop.iter = nodes.Filter(loop.iter, "_riskkit_ticking", [], [], None, None,
                                     lineno=loop.iter.lineno)
        for parent in list(tree.find_all(nodes.Node)):
            for field_name, value in parent.iter_fields():
                if isinstance(value, nodes.Concat):
                    setattr(parent, field_name, _measured(value))
                elif isinstance(value, list):
                    value[:] = [_measured(v) if isinstance(v, nodes.Concat) else v
                                for v in value]
        return tree

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        _budget().tick()
        if operator == "**" and isinstance(left, int) and isinstance(right, int) \
                and right > 0 and abs(left) > 1 \
                and abs(left).bit_length() * right > MAX_BITS + 64:
            raise BudgetExceeded(f"{left} ** {right} is a number of more than {MAX_BITS:,} "
                                 "bits")
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if _size(seq) and isinstance(times, int) and _size(seq) * times > MAX_SIZE:
                    raise BudgetExceeded(f"repeating {_size(seq):,} item(s) {times:,} times "
                                         f"is more than {MAX_SIZE:,}")
            if isinstance(left, int) and isinstance(right, int) \
                    and left.bit_length() + right.bit_length() > MAX_BITS + 64:
                raise BudgetExceeded(f"the product is a number of more than {MAX_BITS:,} "
                                     "bits")
        if operator == "+" and _size(left) + _size(right) > MAX_SIZE:
            raise BudgetExceeded(f"the sum would hold more than {MAX_SIZE:,} items")
        if operator == "%":
            _check_format(left, "'%' formatting")
        return _check_size(super().call_binop(context, operator, left, right),
                           f"'{operator}'")

    def wrap_str_format(self, value: Any) -> Any:
        wrapped = super().wrap_str_format(value)
        if wrapped is not None:  # checked before the work: '{:>999999999}'.format(1)
            _check_format(value.__self__, f"'{value.__name__}'")
        return wrapped

    def getattr(self, obj: Any, attribute: str) -> Any:
        """``obj.attribute``, as Jinja's sandbox answers it. A key of a plain dict (that is
        not one of its methods' names) is looked up directly. A field of a frozen dataclass
        (the views and records the documents print) that holds data, not a callable, is
        answered without Jinja's checks, which would pass it (they look at the owner's
        type and at the name, and only wrap ``str.format``): a printed plan reads some 16
        of them a step."""
        kind: type = type(obj)
        if kind is dict and attribute not in _DICT_ATTRIBUTES:
            # What Jinja does for a plain dict's key, without first raising AttributeError
            # for it: a report reads some 16 keys a risk.
            try:
                return obj[attribute]
            except (TypeError, LookupError):  # as Jinja: a key that cannot be compared
                pass
        elif attribute[:1] != "_" and _plain_record(kind):
            try:
                value = getattr(obj, attribute)
            except AttributeError:
                pass
            else:
                if not callable(value):
                    return value
        return super().getattr(obj, attribute)

    def call(__self, __context: Context, __obj: Any,  # noqa: N805
             *args: Any, **kwargs: Any) -> Any:
        from jinja2.runtime import LoopContext

        _budget().tick(CALL_STEPS)
        name = getattr(__obj, "__name__", "a call")
        _check_args(args, kwargs, f"'{name}'")
        owner = getattr(__obj, "__self__", None)
        if isinstance(owner, str) and name == "replace" and len(args) >= 2:
            _check_replace(owner, args[0], args[1])
        if isinstance(__obj, LoopContext) and args:  # a recursive loop's next level
            args = (_ticking(args[0]), *args[1:])
        if name == "generate_lorem_ipsum" and (args[:1] or [5])[0] > 100:
            raise BudgetExceeded("lipsum of more than 100 paragraphs")
        result = super().call(__context, __obj, *args, **kwargs)
        if isinstance(result, Namespace):
            return result
        return _check_size(result, f"the result of '{name}'")


_DICT_ATTRIBUTES = frozenset(dir(dict))  # ``d.items`` is the method, not a key "items"


@functools.lru_cache(maxsize=512)
def _plain_record(cls: type) -> bool:
    """Whether ``cls`` is a frozen dataclass that Jinja's sandbox treats as a plain
    object: none of the types whose attributes it hides, none of the mutable containers
    whose methods it refuses."""
    import collections
    import types
    from collections.abc import MutableMapping, MutableSequence, MutableSet

    params = getattr(cls, "__dataclass_params__", None)
    special = (type, types.FunctionType, types.MethodType, types.CodeType,
               types.TracebackType, types.FrameType, types.GeneratorType,
               types.CoroutineType, types.AsyncGeneratorType, MutableSet, MutableMapping,
               MutableSequence, collections.deque)
    return bool(getattr(params, "frozen", False)) and not issubclass(cls, special)


def _measured(node: nodes.Concat) -> nodes.Expr:
    return nodes.Filter(node, "_riskkit_sized", [], [], None, None, lineno=node.lineno)


def _sized(value: Any) -> Any:
    return _check_size(value, "a text joined with '~'")
