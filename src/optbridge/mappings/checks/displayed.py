"""The signature line shown at the top of a page, parameter by parameter, against a signature.

The page shows ``Api.signature`` verbatim (``torch.optim.Rprop(params, lr=0.01, *, ...)``), so
every name, its order, whether it is keyword-only and its default (value and type: ``50`` is not
``50.0`` to a framework that checks types) must be those of the real API.
"""

from __future__ import annotations

import ast
import inspect
from typing import Any

_VARIADIC = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
_REQUIRED = inspect.Parameter.empty


class Unparsable(ValueError):
    """The displayed text is not ``name(parameters)`` with literal defaults."""


def parse_displayed(text: str) -> inspect.Signature:
    """``qualified.name(a, b=1, *, c=None, **kwargs)`` as an :class:`inspect.Signature`."""
    head, paren, rest = text.partition("(")
    if not paren or not head.strip() or not rest.rstrip().endswith(")"):
        raise Unparsable("expected 'name(parameters)'")
    try:
        args = ast.parse(f"def f({rest.rstrip()[:-1]}): pass").body[0].args  # type: ignore[attr-defined]
    except SyntaxError as exc:
        raise Unparsable(f"not a parameter list: {exc.msg}") from None

    def literal(node: ast.expr | None) -> Any:
        if node is None:
            return _REQUIRED
        try:
            return ast.literal_eval(node)
        except ValueError:
            raise Unparsable(f"default {ast.unparse(node)!r} is not a literal") from None

    kind = inspect.Parameter
    positional = args.posonlyargs + args.args
    defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    params = [kind(a.arg, kind.POSITIONAL_OR_KEYWORD, default=literal(d))
              for a, d in zip(positional, defaults)]
    if args.vararg:
        params.append(kind(args.vararg.arg, kind.VAR_POSITIONAL))
    params += [kind(a.arg, kind.KEYWORD_ONLY, default=literal(d))
               for a, d in zip(args.kwonlyargs, args.kw_defaults)]
    if args.kwarg:
        params.append(kind(args.kwarg.arg, kind.VAR_KEYWORD))
    try:
        return inspect.Signature(params)
    except ValueError as exc:  # e.g. a default before a required parameter
        raise Unparsable(str(exc)) from None


def same_value(shown: Any, actual: Any) -> bool:
    """Equal values of the same type, element by element for tuples and lists."""
    if isinstance(shown, tuple | list) and isinstance(actual, tuple | list):
        return len(shown) == len(actual) and all(map(same_value, shown, actual))
    return type(shown) is type(actual) and shown == actual


def _text(default: Any) -> str:
    return "no default" if default is _REQUIRED else repr(default)


def displayed_problems(text: str, actual: inspect.Signature, *,
                       kinds_known: bool = True) -> list[str]:
    """What in the displayed signature ``text`` contradicts ``actual``. ``kinds_known``: False
    for recorded signatures, which keep only ``*args``/``**kwargs`` apart, so keyword-only
    markers are not compared there."""
    try:
        shown = parse_displayed(text)
    except Unparsable as exc:
        return [f"cannot read the displayed signature: {exc}"]
    real = {n: p for n, p in actual.parameters.items() if n not in ("self", "cls")}
    problems: list[str] = []
    shown_names = [n for n, p in shown.parameters.items() if p.kind not in _VARIADIC]
    real_names = [n for n, p in real.items() if p.kind not in _VARIADIC]
    for name in shown_names:
        if name not in real:
            problems.append(f"shows {name!r}, which is not a parameter")
            continue
        s, r = shown.parameters[name], real[name]
        if (s.default is _REQUIRED) != (r.default is _REQUIRED) or (
                s.default is not _REQUIRED and not same_value(s.default, r.default)):
            problems.append(f"shows {name}={_text(s.default)}, the signature has "
                            f"{_text(r.default)}")
        keyword_only = inspect.Parameter.KEYWORD_ONLY
        if kinds_known and (s.kind == keyword_only) != (r.kind == keyword_only):
            where = "keyword-only" if r.kind == keyword_only else "not keyword-only"
            problems.append(f"shows {name!r} in the wrong place: it is {where}")
    problems += [f"omits {name!r}" for name in real_names if name not in shown.parameters]
    common = [n for n in shown_names if n in real_names]
    if not problems and common != [n for n in real_names if n in common]:
        problems.append(f"shows the parameters in another order than the signature "
                        f"({', '.join(real_names)})")
    for kind, label in ((inspect.Parameter.VAR_POSITIONAL, "*args"),
                        (inspect.Parameter.VAR_KEYWORD, "**kwargs")):
        has_shown = any(p.kind == kind for p in shown.parameters.values())
        has_real = any(p.kind == kind for p in real.values())
        if has_shown != has_real:
            problems.append(f"{'shows' if has_shown else 'omits'} {label}")
    return problems
