"""Issue 21, facades: ``optbridge.compat.optax`` refuses a tree that is not the one ``init``
was given, naming the place, where it once dropped or mixed the leaves' state silently.

Real optax 0.2.8 / jax 0.10.2 (``pip install -r src/optbridge/frameworks/optax/requirements.txt``
in a fresh venv; ``tx = optax.rmsprop(0.1); s = tx.init(P); tx.update(G, s, P)``) raises
``ValueError: pytree structure error: different numbers of pytree children at key path ...``
for a partial or extra-key dict, ``different types``/``different lengths of list`` for another
container, ``TypeError: add got incompatible shapes for broadcasting: (3, 2), (2, 3).`` for
swapped shapes, and accepts a dict built in another key order (it pairs leaves by sorted key).
"""

from __future__ import annotations

import re

import pytest
import torch

from optbridge.compat.optax import add_decayed_weights, apply_updates, chain, rmsprop, rprop

PARAMS = {"a": torch.ones(2), "b": torch.ones(3)}
HINT = " (update takes a tree shaped as the params given to init)"

TRANSFORMATIONS = {
    "rmsprop": (lambda: rmsprop(0.1), "state[0].nu"),
    "rmsprop-centered-momentum": (lambda: rmsprop(0.1, centered=True, momentum=0.9),
                                  "state[0].nu"),
    "rprop": (lambda: rprop(0.1), "state[0].step_sizes"),
}


def _update(make, params, grads):
    tx = make()
    return tx.update(grads, tx.init(params), params)


@pytest.mark.parametrize("name", TRANSFORMATIONS)
@pytest.mark.parametrize(
    ("params", "grads", "problem"),
    [
        (PARAMS, {"a": torch.ones(2)}, "updates lacks 'b', which {state} has"),
        (PARAMS, {**PARAMS, "c": torch.ones(1)}, "updates has 'c', which {state} lacks"),
        ({"a": torch.ones(2, 3), "b": torch.ones(3, 2)},
         {"a": torch.ones(3, 2), "b": torch.ones(2, 3)},
         "updates['a'] has shape (3, 2), {state}['a'] has shape (2, 3)"),
        ({"a": torch.ones(6), "b": torch.ones(2, 3)}, {"a": torch.ones(2, 3), "b": torch.ones(6)},
         "updates['a'] has shape (2, 3), {state}['a'] has shape (6,)"),
        ([torch.ones(2), torch.ones(3)], [torch.ones(2)],
         "updates is a list of 1, {state} is a list of 2"),
        ([torch.ones(2), torch.ones(3)], (torch.ones(2), torch.ones(3)),
         "updates is a tuple of 2, {state} is a list of 2"),
        (PARAMS, {"a": torch.ones(2), "b": {"x": torch.ones(3)}},
         "updates['b'] is a dict, {state}['b'] is a tensor of shape (3,)"),
        (PARAMS, torch.ones(5), "updates is a tensor of shape (5,), {state} is a dict"),
        (PARAMS, {"a": torch.ones(2), "b": None}, "updates['b'] is None, {state}['b'] is a tensor"),
        (PARAMS, {"a": torch.ones(2), "b": 1.0}, "updates['b'] is a float, {state}['b'] is a"),
    ],
    ids=["partial", "extra-key", "swapped-shapes", "swapped-ranks", "short-list", "tuple-for-list",
         "subtree-for-leaf", "leaf-for-tree", "none-for-leaf", "float-for-leaf"],
)
def test_update_refuses_a_tree_init_was_not_given(name, params, grads, problem):
    make, state = TRANSFORMATIONS[name]
    with pytest.raises(ValueError) as raised:
        _update(make, params, grads)
    message = str(raised.value)
    assert message.startswith(f"optbridge.compat.optax.{name.split('-')[0]}: "
                              + problem.format(state=state)), message
    assert message.endswith(HINT) and "\n" not in message


@pytest.mark.parametrize("name", TRANSFORMATIONS)
def test_a_dict_in_another_key_order_pairs_leaves_by_key(name):
    make, _ = TRANSFORMATIONS[name]
    params = {"a": torch.full((2,), 2.0), "b": torch.full((3,), -1.0)}
    grads = {"a": torch.tensor([1.0, -2.0]), "b": torch.tensor([0.5, 3.0, -1.0])}
    tx = make()
    state = tx.init(params)
    reordered = {"b": grads["b"], "a": grads["a"]}
    for _ in range(3):  # the second step reads the state the first one wrote
        expected, state_in_order = tx.update(grads, state, params)
        got, state = tx.update(reordered, state, params)
        assert list(got) == ["b", "a"]  # the caller's order is kept
        for key in params:
            assert torch.equal(got[key], expected[key]), key
        assert torch.equal(state[0][0]["b"], state_in_order[0][0]["b"])


def test_keys_that_do_not_sort_are_refused_as_in_optax():
    # optax: ValueError "Comparator raised exception while sorting pytree dictionary keys."
    with pytest.raises(ValueError, match=r"^optbridge.compat.optax.rmsprop: params has keys 1, "
                       r"'b' that cannot be sorted"):
        rmsprop(0.1).init({1: torch.ones(2), "b": torch.ones(3)})


@pytest.mark.parametrize(
    ("make", "state", "message"),
    [
        (lambda: rmsprop(0.1), None,
         "rmsprop: state is None, not the (ScaleByRmsState, EmptyState, EmptyState) that"),
        (lambda: rmsprop(0.1), "rprop",
         "rmsprop: state is (ScaleByRpropState, EmptyState), not the (ScaleByRmsState, "),
        (lambda: rprop(0.1), "rmsprop",
         ("rprop: state is (ScaleByRmsState, EmptyState, EmptyState), not the "
          "(ScaleByRpropState, EmptyState) that")),
        (lambda: rmsprop(0.1, momentum=0.9), "rmsprop",
         ("rmsprop: state is (ScaleByRmsState, EmptyState, EmptyState), not the "
          "(ScaleByRmsState, EmptyState, TraceState)")),
    ],
    ids=["none", "rprop-state-to-rmsprop", "rmsprop-state-to-rprop", "no-trace-link"],
)
def test_update_refuses_a_state_init_did_not_make(make, state, message):
    states = {"rprop": rprop(0.1).init(PARAMS), "rmsprop": rmsprop(0.1).init(PARAMS)}
    with pytest.raises(ValueError, match="^" + re.escape(f"optbridge.compat.optax.{message}")):
        make().update(PARAMS, states.get(state, state), PARAMS)


def test_apply_updates_refuses_a_tree_unlike_the_params():
    # optax: ValueError (structure) and TypeError "add got incompatible shapes" (shapes)
    with pytest.raises(ValueError, match=r"^optbridge.compat.optax.apply_updates: updates lacks "
                       r"'b', which params has$"):
        apply_updates(PARAMS, {"a": torch.ones(2)})
    with pytest.raises(ValueError, match=r"apply_updates: updates\['a'\] has shape \(3, 2\), "
                       r"params\['a'\] has shape \(2, 3\)$"):
        apply_updates({"a": torch.ones(2, 3)}, {"a": torch.ones(3, 2)})


def test_add_decayed_weights_refuses_params_unlike_the_updates():
    tx = add_decayed_weights(0.1)
    with pytest.raises(ValueError, match=r"add_decayed_weights: params lacks 'b', which updates "
                       r"has$"):
        tx.update(PARAMS, tx.init(PARAMS), {"a": torch.ones(2)})


def test_a_mask_pairs_its_flags_with_the_params_by_key():
    params = {"a": torch.ones(2), "b": torch.ones(3)}
    tx = add_decayed_weights(0.5, mask={"b": True, "a": False})  # another key order
    updates, _ = tx.update({k: torch.zeros_like(v) for k, v in params.items()},
                           tx.init(params), params)
    assert torch.equal(updates["a"], torch.zeros(2))
    assert torch.equal(updates["b"], torch.full((3,), 0.5))


def test_chain_refuses_a_state_that_is_not_its_tuple():
    tx = chain(add_decayed_weights(0.1), rmsprop(0.1))
    with pytest.raises(ValueError, match=r"^optbridge.compat.optax.chain: state is None, not the "
                       r"tuple of 2 states init returns$"):
        tx.update(PARAMS, None, PARAMS)
