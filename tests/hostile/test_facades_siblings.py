"""Item 6's siblings: Paddle ``RMSProp``/``Rprop``, optax ``rprop`` and ``rmsprop``, OneFlow
``RMSprop`` and Keras refuse (or compute) what their framework does, at the stage it does.

Every real-package behaviour below is a literal recorded from the real package, with the
command that produced it; OneFlow cannot be installed, so its cases follow its source
(``python/oneflow/nn/optimizer/rmsprop.py``, quoted where used)."""

from __future__ import annotations

import math

import pytest
import torch

from optbridge.frameworks.optax.facade import apply_updates
from optbridge.frameworks.optax.facade import rmsprop as optax_rmsprop
from optbridge.frameworks.optax.facade import rprop as optax_rprop

NAN, INF = float("nan"), float("inf")
GRADS = ([1.0, 1.0, 1.0], [1.0, -1.0, 0.0], [1.0, 1.0, 1.0])


def _same(got: list[float], expected: list[float]) -> bool:
    return all(math.isnan(e) and math.isnan(g) or g == pytest.approx(e, rel=1e-6, abs=0)
               for g, e in zip(got, expected, strict=True))


# --- optax ---------------------------------------------------------------------------------------

def _optax_run(tx) -> list[list[float]]:
    params = torch.ones(3)
    state, trajectory = tx.init(params), []
    for grad in GRADS:
        updates, state = tx.update(torch.tensor(grad), state, params)
        params = apply_updates(params, updates)
        trajectory.append(params.tolist())
    return trajectory


# /work/envs/jax/bin/python: tx = optax.rprop(**kwargs); p = jnp.ones(3); s = tx.init(p);
# then for g in GRADS: u, s = tx.update(jnp.array(g), s, p); p = optax.apply_updates(p, u)
OPTAX_RPROP_TRAJECTORIES = {
    "learning_rate=nan": ({"learning_rate": NAN},
                          [[1.0] * 3, [NAN] * 3, [NAN] * 3]),
    "learning_rate=inf": ({"learning_rate": INF},
                          [[1.0] * 3, [-INF, 1.0, -INF], [-INF, 1.0, -INF]]),
    "learning_rate=True": ({"learning_rate": True},
                           [[1.0] * 3, [0.0, 1.0, 0.0], [-1.2000000476837158, 1.0, 0.0]]),
    "eta_minus=nan": ({"eta_minus": NAN},
                      [[1.0] * 3, [0.9, 1.0, 0.9], [0.7799999713897705, 1.0, 0.9]]),
    "eta_plus=nan": ({"eta_plus": NAN},
                     [[1.0] * 3, [0.9, 1.0, 0.9], [NAN, 1.0, 0.9]]),
    "eta_plus=inf": ({"eta_plus": INF},
                     [[1.0] * 3, [0.9, 1.0, 0.9], [-49.099998474121094, 1.0, 0.9]]),
    "eta_plus=-inf": ({"eta_plus": -INF},
                      [[1.0] * 3, [0.9, 1.0, 0.9], [0.8999989628791809, 1.0, 0.9]]),
    "min_step_size=nan": ({"min_step_size": NAN},
                          [[1.0] * 3, [0.9, 1.0, 0.9], [NAN, 1.0, 0.9]]),
    "min_step_size=inf": ({"min_step_size": INF},
                          [[1.0] * 3, [0.9, 1.0, 0.9], [-49.099998474121094, 1.0, 0.9]]),
    "min_step_size=None": ({"min_step_size": None},  # jnp.clip(x, None, max): no lower bound
                           [[1.0] * 3, [0.9, 1.0, 0.9], [0.7799999713897705, 1.0, 0.9]]),
    "max_step_size=-inf": ({"max_step_size": -INF},
                           [[1.0] * 3, [0.9, 1.0, 0.9], [0.9, 1.0, 0.9]]),
    "max_step_size=None": ({"max_step_size": None},
                           [[1.0] * 3, [0.9, 1.0, 0.9], [0.7799999713897705, 1.0, 0.9]]),
}


@pytest.mark.parametrize("case", sorted(OPTAX_RPROP_TRAJECTORIES))
def test_optax_rprop_computes_with_odd_values_as_optax(case):
    kwargs, expected = OPTAX_RPROP_TRAJECTORIES[case]
    trajectory = _optax_run(optax_rprop(**{"learning_rate": 0.1, **kwargs}))
    for got, want in zip(trajectory, expected, strict=True):
        assert _same(got, [0.8999999761581421 if w == 0.9 else w for w in want]), (got, want)


@pytest.mark.parametrize("value", [None, "0.1", [0.1]], ids=["None", "str", "list"])
def test_optax_rprop_refuses_a_non_number_learning_rate_at_init(value):
    # optax 0.2.8: TypeError from tx.init (jnp.full_like), e.g. "full_like requires ndarray or
    # scalar arguments, got <class 'NoneType'> at position 1." / "data type '.1' not understood"
    tx = optax_rprop(learning_rate=value)  # constructs, as optax
    with pytest.raises(TypeError) as raised:
        tx.init(torch.ones(3))
    assert str(raised.value) == (
        f"optbridge.compat.optax.rprop: learning_rate must be a number, got {value!r}")


@pytest.mark.parametrize(
    ("argument", "value"),
    [(name, value) for name in ("eta_minus", "eta_plus", "min_step_size", "max_step_size")
     for value in (None, "0.1", [0.1]) if not (value is None and name.endswith("step_size"))],
)
def test_optax_rprop_refuses_non_numbers_at_the_first_update(argument, value):
    # optax 0.2.8: TypeError from the first tx.update (jnp.where / jnp.clip), e.g. "where
    # requires ndarray or scalar arguments, got <class 'NoneType'> at position 2."; a None step
    # size is accepted (no bound: see OPTAX_RPROP_TRAJECTORIES)
    tx = optax_rprop(**{"learning_rate": 0.1, argument: value})
    state = tx.init(torch.ones(3))  # inits, as optax
    with pytest.raises(TypeError) as raised:
        tx.update(torch.ones(3), state)
    assert str(raised.value) == (
        f"optbridge.compat.optax.rprop: {argument} must be a number, got {value!r}")


# /work/envs/jax/bin/python: optax.rmsprop(learning_rate=None[, momentum=0.9]) run as above:
# scale_by_learning_rate(None) is optax's identity, so the updates are +g * rsqrt(nu + eps)
OPTAX_RMSPROP_NO_LR = {
    "no momentum": ({}, [[4.1622772216796875] * 3,
                         [6.45643424987793, 1.8681199550628662, 4.1622772216796875],
                         [8.377381324768066, 3.789066791534424, 6.512779712677002]]),
    "momentum=0.9": ({"momentum": 0.9}, [[4.1622772216796875] * 3,
                                         [9.302484512329102, 4.714169502258301, 7.008326530456543],
                                         [15.849617004394531, 7.131819248199463,
                                          11.920273780822754]]),
}


@pytest.mark.parametrize("case", sorted(OPTAX_RMSPROP_NO_LR))
def test_optax_rmsprop_without_learning_rate_is_unscaled_as_optax(case):
    kwargs, expected = OPTAX_RMSPROP_NO_LR[case]
    tx = optax_rmsprop(learning_rate=None, **kwargs)
    assert tx.init(torch.ones(3))[1] == ()  # EmptyState: no schedule link
    for got, want in zip(_optax_run(tx), expected, strict=True):
        assert _same(got, want), (got, want)


def test_optax_rmsprop_refuses_a_list_learning_rate_at_the_first_update():
    tx = optax_rmsprop(learning_rate=[0.1])
    with pytest.raises(TypeError, match=r"^optbridge.compat.optax.rmsprop: learning_rate must be "
                                        r"a number, got \[0.1\]$"):
        tx.update(torch.ones(3), tx.init(torch.ones(3)))
