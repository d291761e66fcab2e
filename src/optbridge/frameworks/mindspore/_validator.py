"""MindSpore's ``validator`` checks, with its exception types and messages."""

from __future__ import annotations

from typing import Any


def check_value_type(arg: str, value: Any, types: tuple[type, ...], cls_name: str) -> None:
    # MindSpore rejects bool where int/float is expected (bool is an int subclass in Python).
    if isinstance(value, bool) and bool not in types or not isinstance(value, types):
        names = ", ".join(f"'{t.__name__}'" for t in types)
        raise TypeError(f"For '{cls_name}', the type of '{arg}' should be {names}, "
                        f"but got type '{type(value).__name__}'.")


def check_non_negative_float(value: float, arg: str, cls_name: str) -> None:
    if not isinstance(value, float) or value < 0:
        raise ValueError(f"For '{cls_name}', the '{arg}' must be float and must >= 0, but got "
                         f"'{value}' with type '{type(value).__name__}'.")


def check_positive_float(value: float, arg: str, cls_name: str) -> None:
    if not isinstance(value, float) or value <= 0:
        raise ValueError(f"For '{cls_name}', the '{arg}' must be float and must > 0, but got "
                         f"'{value}' with type '{type(value).__name__}'.")


def check_float_open_range(value: Any, low: float, high: float, arg: str, cls_name: str) -> None:
    if not isinstance(value, float) or isinstance(value, bool):
        raise TypeError(f"For '{cls_name}', the '{arg}' must be 'float',  but got "
                        f"'{type(value).__name__}'.")
    if not low < value < high:
        raise ValueError(f"For '{cls_name}', the '{arg}' must be in range of ({low}, {high}), "
                         f"but got {value} with type 'float'.")
