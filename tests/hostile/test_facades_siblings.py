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


# --- Paddle -------------------------------------------------------------------------------------

def _paddle_run(cls, **kwargs) -> list[float]:
    """Two steps of grad ones on w = ones(3)."""
    w = torch.ones(3, requires_grad=True)
    optimizer = cls(parameters=[w], **kwargs)
    for _ in range(2):
        w.sum().backward()
        optimizer.step()
        optimizer.clear_grad()
    return w.detach().tolist()


# /work/envs/paddle/bin/python: p = paddle.create_parameter([3], "float32",
#   default_initializer=paddle.nn.initializer.Constant(1.0));
#   o = paddle.optimizer.RMSProp(parameters=[p], learning_rate=0.1, **kwargs);
#   twice: p.sum().backward(); o.step(); o.clear_grad();  print(p.numpy().tolist())
PADDLE_RMSPROP_VALUES = {
    "learning_rate=nan": ({"learning_rate": NAN}, NAN),
    "learning_rate=inf": ({"learning_rate": INF}, NAN),  # momentum 0 * inf buffer at step 2
    "learning_rate=-inf": ({"learning_rate": -INF}, NAN),
    "rho=inf": ({"rho": INF}, NAN),
    "rho=True": ({"rho": True}, -199.0),
    "rho=1": ({"rho": 1}, -199.0),
    "epsilon=inf": ({"epsilon": INF}, 1.0),
    "epsilon=True": ({"epsilon": True}, 0.8069551587104797),
    "momentum=inf": ({"momentum": INF}, NAN),
    "momentum=True": ({"momentum": True}, -0.21467280387878418),
    "centered=None": ({"centered": None}, 0.23253625631332397),
    "centered=True": ({"centered": True}, 0.20406344532966614),
    "weight_decay=nan": ({"weight_decay": NAN}, NAN),
    "weight_decay=inf": ({"weight_decay": INF}, NAN),
    "weight_decay=True": ({"weight_decay": True}, 0.2741495668888092),
}


@pytest.mark.parametrize("case", sorted(PADDLE_RMSPROP_VALUES))
def test_paddle_rmsprop_computes_with_odd_values_as_paddle(case):
    kwargs, expected = PADDLE_RMSPROP_VALUES[case]
    from optbridge.frameworks.paddle.facade import RMSProp
    assert _same(_paddle_run(RMSProp, **{"learning_rate": 0.1, **kwargs}), [expected] * 3)


def test_paddle_rmsprop_infinite_lr_poisons_the_next_step_without_momentum():
    # Paddle 3.3.1, learning_rate=inf, steps of grad ones: [-inf]*3, then [nan]*3, and
    # [nan]*3 after set_lr(0.1); with momentum=0.5: [-inf]*3 twice
    from optbridge.frameworks.paddle.facade import RMSProp
    w = torch.ones(3, requires_grad=True)
    optimizer = RMSProp(learning_rate=INF, parameters=[w])
    trajectory = []
    for lr in (INF, INF, 0.1):
        optimizer.set_lr(lr)
        w.sum().backward()
        optimizer.step()
        optimizer.clear_grad()
        trajectory.append(w.detach().tolist())
    assert trajectory[0] == [-INF] * 3
    assert _same(trajectory[1], [NAN] * 3) and _same(trajectory[2], [NAN] * 3)
    assert _paddle_run(RMSProp, learning_rate=INF, momentum=0.5) == [-INF] * 3


# Same Paddle recipe; the constructor raises (Paddle's messages, verbatim)
PADDLE_RMSPROP_REFUSED = [
    ({"learning_rate": None}, ValueError, "learning_rate is not set."),
    ({"learning_rate": "0.1"}, TypeError,
     "learning rate should be float or LRScheduler, got <class 'str'> here"),
    ({"learning_rate": True}, TypeError,
     "learning rate should be float or LRScheduler, got <class 'bool'> here"),
    ({"learning_rate": 1}, TypeError,
     "learning rate should be float or LRScheduler, got <class 'int'> here"),
    ({"rho": NAN}, ValueError, "Invalid value of rho, expect rho >= 0."),
    ({"rho": -INF}, ValueError, "Invalid value of rho, expect rho >= 0."),
    ({"rho": None}, ValueError, "rho is not set."),
    ({"epsilon": NAN}, ValueError, "Invalid value of epsilon, expect epsilon >= 0."),
    ({"epsilon": None}, ValueError, "epsilon is not set."),
    ({"momentum": NAN}, ValueError, "Invalid value of momentum, expect momentum >= 0."),
    ({"momentum": -INF}, ValueError, "Invalid value of momentum, expect momentum >= 0."),
    ({"momentum": None}, ValueError, "momentum is not set."),
    # Paddle: TypeError "'<=' not supported between instances of 'float' and 'str'"; ours
    # names the argument
    ({"rho": "0.1"}, TypeError,
     "Argument `rho`: '<=' not supported between instances of 'float' and 'str'"),
    ({"epsilon": [0.1]}, TypeError,
     "Argument `epsilon`: '<=' not supported between instances of 'float' and 'list'"),
    ({"momentum": "0.1"}, TypeError,
     "Argument `momentum`: '<=' not supported between instances of 'float' and 'str'"),
]


@pytest.mark.parametrize(("kwargs", "error", "message"), PADDLE_RMSPROP_REFUSED,
                         ids=[str(k) for k, _, _ in PADDLE_RMSPROP_REFUSED])
def test_paddle_rmsprop_refuses_at_construction_as_paddle(kwargs, error, message):
    from optbridge.frameworks.paddle.facade import RMSProp
    with pytest.raises(error) as raised:
        RMSProp(parameters=[torch.ones(3, requires_grad=True)], **{"learning_rate": 0.1, **kwargs})
    assert str(raised.value) == message


@pytest.mark.parametrize(("value", "type_name"),
                         [(NAN, "float"), ("x", "str"), (1, "int"), ([True], "list"),
                          (torch.tensor([True, False]), "Tensor")])
def test_paddle_rmsprop_refuses_a_non_bool_centered_at_the_first_step(value, type_name):
    # Paddle 3.3.1 (same recipe, centered=nan/"0.1"/1/[0.1]): constructs, then step() raises
    # TypeError "(InvalidType) rmsprop_(): argument (position 11) must be bool, but got float"
    from optbridge.frameworks.paddle.facade import RMSProp
    w = torch.ones(3, requires_grad=True)
    optimizer = RMSProp(learning_rate=0.1, parameters=[w], centered=value)
    w.sum().backward()
    with pytest.raises(TypeError) as raised:
        optimizer.step()
    assert str(raised.value) == ("(InvalidType) rmsprop_(): argument 'centered' (position 11) "
                                 f"must be bool, but got {type_name}")
    assert w.detach().tolist() == [1.0] * 3


@pytest.mark.parametrize("value", ["0.1", [0.1]], ids=["str", "list"])
def test_paddle_rmsprop_refuses_a_non_float_weight_decay_at_the_first_step(value):
    # Paddle 3.3.1 (same recipe, weight_decay="0.1"): constructs, step() raises TypeError
    # "'str' object is not callable" (it calls a non-float weight_decay as a regularizer)
    from optbridge.frameworks.paddle.facade import RMSProp
    w = torch.ones(3, requires_grad=True)
    optimizer = RMSProp(learning_rate=0.1, parameters=[w], weight_decay=value)
    w.sum().backward()
    with pytest.raises(TypeError) as raised:
        optimizer.step()
    assert str(raised.value) == (
        f"optbridge.compat.paddle.RMSProp: weight_decay {value!r} is neither a float nor a "
        f"regularizer: '{type(value).__name__}' object is not callable")


# /work/envs/paddle/bin/python: paddle.optimizer.Rprop(parameters=[p], learning_rate=0.1,
#   **kwargs), two steps as above
PADDLE_RPROP_VALUES = {
    "learning_rate_range=(1e-5, inf)": ({"learning_rate_range": (1e-5, INF)}, 0.7799999713897705),
    "etas=(0.5, inf)": ({"etas": (0.5, INF)}, -49.099998474121094),
    "multi_precision='x'": ({"multi_precision": "x"}, 0.7799999713897705),
}


@pytest.mark.parametrize("case", sorted(PADDLE_RPROP_VALUES))
def test_paddle_rprop_computes_with_odd_values_as_paddle(case):
    kwargs, expected = PADDLE_RPROP_VALUES[case]
    from optbridge.frameworks.paddle.facade import Rprop
    assert _same(_paddle_run(Rprop, **{"learning_rate": 0.1, **kwargs}), [expected] * 3)


LR_RANGE = "'0.0 < learning_rate_range[0] <= learning_rate <= learning_rate_range[1]' must be true"
ETAS = "'0.0 < etas[0] < 1.0 < etas[1]' must be true"
BOTH = "Argument `learning_rate, learning_rate_range`: "
# Same Rprop recipe; the constructor raises. Paddle's messages; where Paddle's does not name
# the argument (a bare TypeError/IndexError), ours prefixes "Argument `...`: " to it
PADDLE_RPROP_REFUSED = [
    ({"learning_rate": NAN}, ValueError, LR_RANGE),
    ({"learning_rate": INF}, ValueError, LR_RANGE),
    ({"learning_rate": -INF}, ValueError, LR_RANGE),
    ({"learning_rate": None}, ValueError, "learning_rate is not set"),
    ({"learning_rate": True}, TypeError,
     "learning rate should be float or LRScheduler, got <class 'bool'> here"),
    ({"learning_rate": "0.1"}, TypeError,
     BOTH + "'<=' not supported between instances of 'float' and 'str'"),
    ({"learning_rate_range": (NAN, 50.0)}, ValueError, LR_RANGE),
    ({"learning_rate_range": (1e-5, NAN)}, ValueError, LR_RANGE),
    ({"learning_rate_range": None}, TypeError, BOTH + "'NoneType' object is not subscriptable"),
    ({"learning_rate_range": NAN}, TypeError, BOTH + "'float' object is not subscriptable"),
    ({"learning_rate_range": [0.1]}, IndexError, BOTH + "list index out of range"),
    ({"learning_rate_range": ("a", "b")}, TypeError,
     BOTH + "'<' not supported between instances of 'float' and 'str'"),
    ({"etas": (NAN, 1.2)}, ValueError, ETAS),
    ({"etas": (0.5, NAN)}, ValueError, ETAS),
    ({"etas": None}, TypeError, "Argument `etas`: 'NoneType' object is not subscriptable"),
    ({"etas": True}, TypeError, "Argument `etas`: 'bool' object is not subscriptable"),
    ({"etas": [0.5]}, IndexError, "Argument `etas`: list index out of range"),
    ({"etas": "0.1"}, TypeError,
     "Argument `etas`: '<' not supported between instances of 'float' and 'str'"),
]


@pytest.mark.parametrize(("kwargs", "error", "message"), PADDLE_RPROP_REFUSED,
                         ids=[str(k) for k, _, _ in PADDLE_RPROP_REFUSED])
def test_paddle_rprop_refuses_at_construction_as_paddle(kwargs, error, message):
    from optbridge.frameworks.paddle.facade import Rprop
    with pytest.raises(error) as raised:
        Rprop(parameters=[torch.ones(3, requires_grad=True)], **{"learning_rate": 0.1, **kwargs})
    assert str(raised.value) == message


# --- OneFlow (not installable: from python/oneflow/nn/optimizer/rmsprop.py) ---------------------
# Its constructor runs, in order:
#   assert lr >= 0.0, f"Invalid learning rate: {lr}"
#   assert alpha >= 0.0, f"Invalid alpha value: {alpha}"
#   assert eps >= 0.0, f"Invalid epsilon value: {eps}"
#   assert weight_decay >= 0.0, f"Invalid weight_decay value: {weight_decay}"
#   assert momentum == 0.0, "Not support momentum greater than zeros now!"
# so NaN and -inf fail the assert, None and strings fail the comparison with Python's TypeError
# (ours names the argument), and +inf passes; step() tests ``if param_group["centered"]:``.
ONEFLOW_REFUSED = [
    ({"lr": NAN}, AssertionError, "Invalid learning rate: nan"),
    ({"lr": -INF}, AssertionError, "Invalid learning rate: -inf"),
    ({"alpha": NAN}, AssertionError, "Invalid alpha value: nan"),
    ({"eps": -INF}, AssertionError, "Invalid epsilon value: -inf"),
    ({"weight_decay": NAN}, AssertionError, "Invalid weight_decay value: nan"),
    ({"momentum": NAN}, AssertionError, "Not support momentum greater than zeros now!"),
    ({"momentum": INF}, AssertionError, "Not support momentum greater than zeros now!"),
    ({"momentum": None}, AssertionError, "Not support momentum greater than zeros now!"),
    ({"momentum": "0"}, AssertionError, "Not support momentum greater than zeros now!"),
    ({"lr": None}, TypeError,
     "Argument `lr`: '>=' not supported between instances of 'NoneType' and 'float'"),
    ({"alpha": "0.9"}, TypeError,
     "Argument `alpha`: '>=' not supported between instances of 'str' and 'float'"),
    ({"eps": [1e-8]}, TypeError,
     "Argument `eps`: '>=' not supported between instances of 'list' and 'float'"),
    ({"weight_decay": None}, TypeError,
     "Argument `weight_decay`: '>=' not supported between instances of 'NoneType' and 'float'"),
]


@pytest.mark.parametrize(("kwargs", "error", "message"), ONEFLOW_REFUSED,
                         ids=[str(k) for k, _, _ in ONEFLOW_REFUSED])
def test_oneflow_refuses_at_construction_as_its_asserts(kwargs, error, message):
    from optbridge.frameworks.oneflow.facade import RMSprop
    with pytest.raises(error) as raised:
        RMSprop([torch.ones(3, requires_grad=True)], **kwargs)
    assert str(raised.value) == message


def _oneflow_run(**kwargs) -> list[float]:
    from optbridge.frameworks.oneflow.facade import RMSprop
    w = torch.ones(3, requires_grad=True)
    optimizer = RMSprop([w], **kwargs)
    w.grad = torch.ones(3)
    optimizer.step()
    return w.detach().tolist()


@pytest.mark.parametrize(("kwargs", "expected"), [
    # derived by hand from OneFlow's RmsPropUpdateFunctor, one step of grad 1 on w = 1:
    # v = (1-alpha)*g*g + alpha*0;  w -= lr * g * rsqrt(v + eps)
    ({"lr": INF}, -INF),
    ({"eps": INF}, 1.0),            # rsqrt(inf) = 0
    ({"alpha": INF}, NAN),          # (1 - inf)*1 + inf*0
    ({"weight_decay": INF}, NAN),   # g = inf: inf * rsqrt(inf)
], ids=["lr=inf", "eps=inf", "alpha=inf", "weight_decay=inf"])
def test_oneflow_accepts_positive_infinity_and_computes_it(kwargs, expected):
    assert _same(_oneflow_run(**kwargs), [expected] * 3)


def test_oneflow_tests_centered_for_truth_at_the_step():
    truthy, plain = _oneflow_run(centered="x"), _oneflow_run(centered=True)
    assert truthy == plain and _oneflow_run(centered=None) == _oneflow_run(centered=False)
    from optbridge.frameworks.oneflow.facade import RMSprop
    w = torch.ones(3, requires_grad=True)
    optimizer = RMSprop([w], centered=torch.tensor([True, False]))  # constructs, as OneFlow
    w.grad = torch.ones(3)
    with pytest.raises(RuntimeError, match="^Argument `centered`: Boolean value of Tensor with "
                                           "more than one value is ambiguous"):
        optimizer.step()
    assert w.detach().tolist() == [1.0] * 3


@pytest.mark.parametrize(("argument", "stage", "extra"), [
    # /work/envs/jax/bin/python: optax.rmsprop(0.1, **{argument: np.array([True, False])}),
    # then tx.init(jnp.ones(3)), tx.update(jnp.ones(3), s): ValueError "The truth value of an
    # array with more than one element is ambiguous. Use a.any() or a.all()" raised when
    # constructed (centered), at init (bias_correction), at update (eps_in_sqrt, nesterov)
    ("centered", "construct", {}),
    ("bias_correction", "init", {}),
    ("eps_in_sqrt", "update", {}),
    ("nesterov", "update", {"momentum": 0.9}),
])
def test_optax_rmsprop_tests_each_flag_where_optax_does(argument, stage, extra):
    import numpy as np
    flag = np.array([True, False])
    message = (f"^optbridge.compat.optax.rmsprop: {argument}: The truth value of an array with "
               "more than one element is ambiguous")
    reached = "construct"
    with pytest.raises(ValueError, match=message):
        tx = optax_rmsprop(0.1, **{argument: flag}, **extra)
        reached = "init"
        state = tx.init(torch.ones(3))
        reached = "update"
        tx.update(torch.ones(3), state)
    assert reached == stage
