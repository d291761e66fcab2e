"""MindSpore's ``validator`` checks, with its exception types and messages."""

from __future__ import annotations

import math
from typing import Any


def check_value_type(arg: str, value: Any, types: tuple[type, ...], cls_name: str) -> None:
    # MindSpore rejects bool where int/float is expected (bool is an int subclass in Python).
    if isinstance(value, bool) and bool not in types or not isinstance(value, types):
        names = ", ".join(f"'{t.__name__}'" for t in types)
        raise TypeError(f"For '{cls_name}', the type of '{arg}' should be {names}, "
                        f"but got type '{type(value).__name__}'.")


def _check_legal(value: Any, arg: str, cls_name: str) -> None:
    # MindSpore refuses NaN and infinities first, for every float it compares with a bound.
    if isinstance(value, float) and (math.isinf(value) or math.isnan(value)):
        raise ValueError(f"For '{cls_name}', the '{arg}' must be a legal value, but got '{value}'.")


def check_non_negative_float(value: float, arg: str, cls_name: str) -> None:
    _check_legal(value, arg, cls_name)
    if not isinstance(value, float) or value < 0:
        raise ValueError(f"For '{cls_name}', the '{arg}' must be float and must >= 0, but got "
                         f"'{value}' with type '{type(value).__name__}'.")


def check_positive_float(value: float, arg: str, cls_name: str) -> None:
    _check_legal(value, arg, cls_name)
    if not isinstance(value, float) or value <= 0:
        raise ValueError(f"For '{cls_name}', the '{arg}' must be float and must > 0, but got "
                         f"'{value}' with type '{type(value).__name__}'.")


def check_float_open_range(value: Any, low: float, high: float, arg: str, cls_name: str) -> None:
    if not isinstance(value, float) or isinstance(value, bool):
        raise TypeError(f"For '{cls_name}', the '{arg}' must be 'float',  but got "
                        f"'{type(value).__name__}'.")
    if value <= low or value >= high:  # as MindSpore writes it: NaN passes
        raise ValueError(f"For '{cls_name}', the '{arg}' must be in range of ({low}, {high}), "
                         f"but got {value} with type 'float'.")
