"""Issue 21, property-based (hypothesis): environment values, device names, the optax facades'
arguments and trees. Every generated input ends in a documented outcome - a result, or one
error line naming what is wrong - never an exception from deep inside.

A few hundred examples in all, derandomized so that ``make test`` is repeatable; a failure
prints the smallest input hypothesis found.
"""

from __future__ import annotations

import contextlib
import math
import os
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optbridge import environment
from optbridge.compat.optax import apply_updates, rmsprop, rprop
from optbridge.devices import DeviceNotAvailableError, select_device
from optbridge.environment import FALSE, TRUE, EnvironmentVariableError

FAST = settings(deadline=None, database=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow])
VARIABLE = "OPTBRIDGE_TEST_PROPERTY"

# What an environment variable can hold: any text without NUL (the OS cannot store it) or lone
# surrogates (not encodable), and the spellings a user would try.
ENV_TEXT = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"),
                   max_size=30)
SPELLINGS = st.sampled_from(sorted(TRUE | FALSE | {"y", "n", "t", "f", "enable", "2", "-1"})).map(
    lambda word: st.sampled_from([word, word.upper(), word.title(), f" {word}\t"])).flatmap(
    lambda s: s)
ENV_VALUES = st.one_of(ENV_TEXT, SPELLINGS, st.integers(-5, 10**20).map(str))


@contextlib.contextmanager
def _variable(name: str, value: str) -> Iterator[None]:
    previous = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if previous is None:
            del os.environ[name]
        else:
            os.environ[name] = previous


def _one_line(error: BaseException) -> str:
    message = str(error)
    assert message and "\n" not in message, repr(message)
    return message


@settings(FAST, max_examples=120)
@given(value=ENV_VALUES)
def test_a_flag_is_true_false_or_refused_in_one_line(value):
    word = value.strip().lower()
    with _variable(VARIABLE, value):
        if word in TRUE:
            assert environment.flag(VARIABLE) is True
        elif word in FALSE or not word:
            assert environment.flag(VARIABLE) is False
        else:
            try:
                environment.flag(VARIABLE)
            except EnvironmentVariableError as error:
                assert _one_line(error).startswith(f"{VARIABLE}={value!r}: expected a true/false")
            else:
                raise AssertionError(f"{value!r} accepted as a flag")


@settings(FAST, max_examples=60)
@given(value=ENV_VALUES)
def test_a_count_is_a_positive_integer_or_refused_in_one_line(value):
    text = value.strip()
    with _variable(VARIABLE, value):
        if not text:
            assert environment.positive_integer(VARIABLE, "a count") is None
        elif text.isascii() and text.isdigit() and int(text) >= 1:
            assert environment.positive_integer(VARIABLE, "a count") == int(text)
        else:
            try:
                environment.positive_integer(VARIABLE, "a count")
            except EnvironmentVariableError as error:
                assert _one_line(error) == (f"{VARIABLE}={value!r}: expected a positive integer "
                                            "(a count)")
            else:
                raise AssertionError(f"{value!r} accepted as a count")


PATHS = st.one_of(ENV_TEXT, st.sampled_from(["/dev/null", "/dev/null/x", "/proc/sys/x",
                                              "x" * 300, "/" + "y" * 5000, "~", ".", "/"]))


@settings(FAST, max_examples=60)
@given(value=PATHS)
def test_a_directory_is_a_path_or_none_with_at_most_one_warning(value):
    with _variable(VARIABLE, value), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        found = [environment.directory(VARIABLE, "fallback") for _ in range(2)]
    expected = Path(value.strip()) if value.strip() else None
    assert found == [expected, expected]
    assert len(caught) <= 1
    for warning in caught:
        assert _one_line(warning.message).startswith(f"{VARIABLE}={value.strip()!r}: ")


DEVICE_WORDS = st.sampled_from(["auto", "cpu", "cuda", "npu", "gpu", "NPU", " cpu ", "", "mps"])
DEVICE_INDICES = st.one_of(st.integers(-3, 10**20).map(str), ENV_TEXT)
DEVICES = st.one_of(
    ENV_TEXT, DEVICE_WORDS,
    st.builds(lambda kind, sep, index: f"{kind}{sep}{index}", DEVICE_WORDS,
              st.sampled_from([":", "::", ": "]), DEVICE_INDICES))


@settings(FAST, max_examples=80)
@given(value=DEVICES)
def test_a_device_variable_selects_a_device_or_says_what_is_wrong_with_it(value):
    with _variable("OPTBRIDGE_DEVICE", value):
        try:
            device = select_device()
        except (ValueError, DeviceNotAvailableError) as error:
            assert _one_line(error).startswith(
                f"environment variable OPTBRIDGE_DEVICE={value.strip()!r}: "), str(error)
        else:
            assert isinstance(device, torch.device)


# --- optax: trees ------------------------------------------------------------------------------

SHAPES = st.lists(st.integers(0, 3), max_size=3).map(tuple)
LEAVES = SHAPES.map(lambda shape: torch.linspace(-1.0, 1.0, math.prod(shape)).reshape(shape))
KEYS = st.text("abcxyz", min_size=1, max_size=2)
TREES = st.recursive(
    LEAVES | st.none(),
    lambda children: st.one_of(st.dictionaries(KEYS, children, max_size=3),
                               st.lists(children, max_size=3),
                               st.lists(children, max_size=3).map(tuple)),
    max_leaves=6)
TRANSFORMATIONS = {
    "rmsprop": lambda: rmsprop(0.01),
    "rmsprop-centered-momentum": lambda: rmsprop(0.01, centered=True, momentum=0.9,
                                                 bias_correction=True),
    "rprop": lambda: rprop(0.01),
}
MUTATIONS = ("same", "reordered", "dropped", "added", "reshaped", "retyped", "float-leaf")


def _rebuild(node: Any, change: Any, path: tuple = ()) -> Any:
    """A copy of ``node`` (gradients: half each leaf plus 0.1) with ``change(path, node)``
    applied to every node, which returns the node to use or None to keep it."""
    changed = change(path, node)
    if changed is not None:
        return changed
    if isinstance(node, torch.Tensor):
        return node * 0.5 + 0.1
    if isinstance(node, dict):
        return {k: _rebuild(v, change, (*path, k)) for k, v in node.items()}
    if isinstance(node, list | tuple):
        return type(node)(_rebuild(v, change, (*path, i)) for i, v in enumerate(node))
    return node


def _nodes(node: Any, path: tuple = ()) -> Iterator[tuple[tuple, Any]]:
    yield path, node
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _nodes(v, (*path, k))
    elif isinstance(node, list | tuple):
        for i, v in enumerate(node):
            yield from _nodes(v, (*path, i))


def _mutated(params: Any, mutation: str, pick: st.DataObject) -> Any | None:
    """Gradients for ``params`` changed by ``mutation``; None when the tree has no place for
    it (hypothesis then draws another)."""
    nodes = list(_nodes(params))
    tensors = [path for path, node in nodes if isinstance(node, torch.Tensor)]
    containers = [(path, node) for path, node in nodes if isinstance(node, dict | list | tuple)]

    def at(target: tuple, replace: Any) -> Any:
        return _rebuild(params, lambda path, node: replace(node) if path == target else None)

    if mutation == "same":
        return _rebuild(params, lambda path, node: None)
    if mutation == "reordered":
        return _rebuild(params, lambda path, node: {
            k: _rebuild(node[k], lambda p, n: None) for k in reversed(list(node))}
            if isinstance(node, dict) and len(node) > 1 else None)
    if mutation == "reshaped" and tensors:
        def reshaped(leaf: torch.Tensor) -> torch.Tensor:
            n = leaf.numel()
            return leaf.reshape((n,) if leaf.shape != (n,) else (1, n))
        return at(pick.draw(st.sampled_from(tensors)), reshaped)
    if mutation == "float-leaf" and tensors:
        return at(pick.draw(st.sampled_from(tensors)), lambda leaf: 1.0)
    nonempty = [(p, n) for p, n in containers if n]
    if mutation == "dropped" and nonempty:
        path, node = pick.draw(st.sampled_from(nonempty))
        copy = _rebuild(node, lambda p, n: None)
        return at(path, lambda n: {k: copy[k] for k in list(copy)[1:]} if isinstance(copy, dict)
                  else type(copy)(list(copy)[1:]))
    if mutation == "added" and containers:
        path, node = pick.draw(st.sampled_from(containers))
        copy = _rebuild(node, lambda p, n: None)
        extra = torch.ones(1)
        return at(path, lambda n: {**copy, "new": extra} if isinstance(copy, dict)
                  else type(copy)([*copy, extra]))
    if mutation == "retyped" and any(isinstance(n, list | tuple) for _, n in containers):
        path, node = pick.draw(st.sampled_from(
            [(p, n) for p, n in containers if isinstance(n, list | tuple)]))
        other = tuple if isinstance(node, list) else list
        return at(path, lambda n: other(_rebuild(v, lambda p, x: None) for v in n))
    return None


def _structure(tree: Any) -> Any:
    if isinstance(tree, torch.Tensor):
        return ("tensor", tuple(tree.shape))
    if isinstance(tree, dict):
        return ("dict", sorted((repr(k), _structure(v)) for k, v in tree.items()))
    if isinstance(tree, list | tuple):
        return (type(tree).__name__, [_structure(v) for v in tree])
    return repr(tree)


@settings(FAST, max_examples=150)
@given(params=TREES, name=st.sampled_from(sorted(TRANSFORMATIONS)),
       mutation=st.sampled_from(MUTATIONS), pick=st.data())
def test_an_update_either_matches_the_tree_or_names_where_it_does_not(params, name, mutation,
                                                                      pick):
    grads = _mutated(params, mutation, pick)
    if grads is None:
        return  # no place in this tree for this mutation
    tx = TRANSFORMATIONS[name]()
    state = tx.init(params)
    if _structure(grads) == _structure(params):  # "same", "reordered", or a no-op mutation
        expected, _ = tx.update(_rebuild(params, lambda path, node: None), state, params)
        updates, state = tx.update(grads, state, params)
        assert _structure(updates) == _structure(params)
        for (path, got), (_, want) in zip(sorted(_nodes(updates), key=lambda x: repr(x[0])),
                                          sorted(_nodes(expected), key=lambda x: repr(x[0]))):
            if isinstance(got, torch.Tensor):
                assert torch.equal(got, want), path  # leaves pair by key, whatever the order
        apply_updates(params, updates)
        tx.update(grads, state, params)  # the new state serves the next step
        return
    try:
        tx.update(grads, state, params)
    except ValueError as error:
        message = _one_line(error)
        family = name.split("-")[0]
        assert message.startswith(f"optbridge.compat.optax.{family}: updates"), message
    else:
        raise AssertionError(f"{mutation}: a tree unlike params was accepted")


# --- optax: argument values --------------------------------------------------------------------

HOSTILE_VALUES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True), st.integers(-3, 3), st.booleans(), st.none(),
    st.sampled_from(["", "0.1", "x", (), [], [0.1], [0.1, 0.2], 1e308, -1e308, 5e-324]),
    st.just(np.array([0.1, 0.2])), st.just(np.float32(0.5)), st.just(torch.tensor(0.5)),
    st.just(torch.tensor([0.5, 0.5])))
RMSPROP_ARGUMENTS = ("decay", "eps", "initial_scale", "eps_in_sqrt", "centered", "momentum",
                     "nesterov", "bias_correction")
RPROP_ARGUMENTS = ("eta_minus", "eta_plus", "min_step_size", "max_step_size")


def _run(make: Any, family: str, names: tuple[str, ...]) -> None:
    """Construct, init, two updates and apply_updates: a result (any numbers, NaN included) or
    a TypeError/ValueError in one line naming the facade and one of ``names``."""
    params = {"w": torch.tensor([1.0, -2.0, 3.0]), "b": [torch.tensor(0.5)]}
    grads = {"w": torch.tensor([0.2, 0.0, -0.3]), "b": [torch.tensor(-1.0)]}
    try:
        tx = make()
        state = tx.init(params)
        for _ in range(2):
            updates, state = tx.update(grads, state, params)
            params = apply_updates(params, updates)
    except (TypeError, ValueError) as error:
        message = _one_line(error)
        assert message.startswith(f"optbridge.compat.optax.{family}"), message
        assert any(name in message for name in names), message


@settings(FAST, max_examples=120)
@given(lr=HOSTILE_VALUES, values=st.fixed_dictionaries(
    {}, optional={name: HOSTILE_VALUES for name in RMSPROP_ARGUMENTS}))
def test_rmsprop_arguments_end_in_a_result_or_one_named_error(lr, values):
    _run(lambda: rmsprop(lr, **values), "rmsprop", ("learning_rate", *values))


@settings(FAST, max_examples=80)
@given(lr=HOSTILE_VALUES, values=st.fixed_dictionaries(
    {}, optional={name: HOSTILE_VALUES for name in RPROP_ARGUMENTS}))
def test_rprop_arguments_end_in_a_result_or_one_named_error(lr, values):
    _run(lambda: rprop(lr, **values), "rprop", ("learning_rate", *values))
