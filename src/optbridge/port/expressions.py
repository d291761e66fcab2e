"""Evaluate the small expressions of a ``[port]`` recipe (``"eps ** 2"``, ``"float(momentum)"``).

Only literals, names, arithmetic, comparisons, ``and``/``or``/``not``, subscripts and a few
builtins are allowed, so a table can never run arbitrary code.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Mapping
from typing import Any

_BINARY = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.Pow: operator.pow,
}
_COMPARE = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge, ast.Is: operator.is_, ast.IsNot: operator.is_not,
}
_FUNCTIONS = {"float": float, "int": int, "min": min, "max": max, "tuple": tuple, "abs": abs}


class ExpressionError(ValueError):
    """The expression uses something outside the allowed subset, or fails on these values."""


def evaluate(text: str, names: Mapping[str, Any]) -> Any:
    """The value of ``text`` with ``names`` bound."""
    try:
        return _eval(ast.parse(text, mode="eval").body, names)
    except ExpressionError:
        raise
    except (SyntaxError, TypeError, ValueError, ZeroDivisionError, IndexError) as exc:
        raise ExpressionError(f"{text!r}: {exc}") from None


def _eval(node: ast.AST, names: Mapping[str, Any]) -> Any:
    match node:
        case ast.Constant(value=value):
            return value
        case ast.Name(id=name):
            if name in names:
                return names[name]
            if name in _FUNCTIONS:
                return _FUNCTIONS[name]
            raise ExpressionError(f"unknown name {name!r}")
        case ast.BinOp(left=left, op=op, right=right) if type(op) in _BINARY:
            return _BINARY[type(op)](_eval(left, names), _eval(right, names))
        case ast.UnaryOp(op=ast.USub(), operand=operand):
            return -_eval(operand, names)
        case ast.UnaryOp(op=ast.Not(), operand=operand):
            return not _eval(operand, names)
        case ast.BoolOp(op=ast.And(), values=values):
            return all(_eval(v, names) for v in values)
        case ast.BoolOp(op=ast.Or(), values=values):
            return any(_eval(v, names) for v in values)
        case ast.Compare(left=left, ops=[op], comparators=[right]) if type(op) in _COMPARE:
            return _COMPARE[type(op)](_eval(left, names), _eval(right, names))
        case ast.IfExp(test=test, body=body, orelse=orelse):
            return _eval(body if _eval(test, names) else orelse, names)
        case ast.Subscript(value=value, slice=index):
            return _eval(value, names)[_eval(index, names)]
        case ast.Tuple(elts=elements) | ast.List(elts=elements):
            return tuple(_eval(e, names) for e in elements)
        case ast.Call(func=ast.Name(id=name), args=args, keywords=[]) if name in _FUNCTIONS:
            return _FUNCTIONS[name](*(_eval(a, names) for a in args))
    raise ExpressionError(f"not allowed in a recipe: {ast.unparse(node)!r}")
