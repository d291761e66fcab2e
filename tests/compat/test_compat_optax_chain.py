"""optax.chain and optax.add_decayed_weights in the simulation (the optax mapping page tells
readers to chain them; tests/native compares the chain with a real optax run)."""

from __future__ import annotations

import pytest
import torch

from optbridge.compat import optax


def test_add_decayed_weights_adds_wd_times_params_where_masked() -> None:
    params = {"w": torch.tensor([1.0, -2.0]), "b": torch.tensor([4.0])}
    grads = {"w": torch.tensor([0.5, 0.5]), "b": torch.tensor([1.0])}
    tx = optax.add_decayed_weights(weight_decay=0.1, mask={"w": True, "b": False})
    updates, _ = tx.update(grads, tx.init(params), params)
    assert torch.equal(updates["w"], torch.tensor([0.6, 0.3]))
    assert torch.equal(updates["b"], grads["b"])
    everything = optax.add_decayed_weights(weight_decay=0.1, mask=lambda p: {"w": True, "b": True})
    assert torch.allclose(everything.update(grads, (), params)[0]["b"], torch.tensor([1.4]))


def test_add_decayed_weights_rejects_a_mask_of_another_shape() -> None:
    params = {"w": torch.ones(2), "b": torch.ones(1)}
    tx = optax.add_decayed_weights(weight_decay=0.1, mask={"w": True})
    with pytest.raises(ValueError, match="mask has 1 leaves, the params 2"):
        tx.update(params, tx.init(params), params)


def test_chain_applies_links_in_order() -> None:
    params = {"w": torch.tensor([1.0, -2.0, 3.0])}
    grads = {"w": torch.tensor([0.2, 0.2, 0.2])}
    chained = optax.chain(optax.add_decayed_weights(weight_decay=0.5),
                          optax.rmsprop(learning_rate=0.01))
    state = chained.init(params)
    updates, state = chained.update(grads, state, params)
    alone = optax.rmsprop(learning_rate=0.01)
    expected, _ = alone.update({"w": grads["w"] + 0.5 * params["w"]}, alone.init(params), params)
    assert torch.equal(updates["w"], expected["w"])
    assert len(state) == 2
    with pytest.raises(ValueError, match=r"chain: state is a tuple of 1, not the tuple of 2 states"):
        chained.update(grads, state[:1], params)
