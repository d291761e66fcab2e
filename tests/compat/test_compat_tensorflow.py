"""optbridge.compat.keras and optbridge.compat.tf1 against goldens recorded from
tensorflow-cpu 2.21 / keras 3.15."""

from __future__ import annotations

import pytest
import torch
from compat_goldens import (
    assert_probe,
    assert_trajectory,
    cases,
    decode,
    gradient,
    initial_params,
    load,
    probe_params,
)

from optbridge.compat.keras import RMSprop
from optbridge.compat.tf1 import RMSPropOptimizer

KERAS, TF1 = "keras.optimizers.RMSprop", "tf.compat.v1.train.RMSPropOptimizer"


@pytest.mark.parametrize(("name", "case"), cases(KERAS))
def test_keras_matches_golden(name, case):
    params = initial_params(case)
    opt = RMSprop(**decode(case["kwargs"]))
    trajectory = []
    for step in range(case["steps"]):
        if case["lr_schedule"] is not None:
            opt.learning_rate = float(case["lr_schedule"][step])
        opt.apply_gradients([(gradient(case, step, n, p), p) for n, p in params.items()])
        trajectory.append({n: p.clone() for n, p in params.items()})
    assert int(opt.iterations) == case["steps"]
    assert_trajectory(trajectory, case, f"keras[{name}]")


@pytest.mark.parametrize(("name", "case"), cases(TF1))
def test_tf1_matches_golden(name, case):
    params = initial_params(case)
    kwargs = decode(case["kwargs"])
    counter = {"step": 0}
    if case["lr_schedule"] is not None:
        kwargs["learning_rate"] = lambda: case["lr_schedule"][counter["step"]]
    opt = RMSPropOptimizer(**kwargs)
    trajectory = []
    for step in range(case["steps"]):
        if case.get("call") == "minimize":
            coeffs = {n: torch.tensor(c) for n, c in case["grad"]["c"].items()}
            opt.minimize(lambda k=coeffs: sum((k[n] * p * p).sum() for n, p in params.items()),
                         var_list=list(params.values()))
        else:
            opt.apply_gradients([(gradient(case, step, n, p), p) for n, p in params.items()])
        counter["step"] += 1
        trajectory.append({n: p.detach().clone() for n, p in params.items()})
    assert_trajectory(trajectory, case, f"tf1[{name}]")


@pytest.mark.parametrize("probe", probe_params(KERAS))
def test_keras_validation_matches_real_api(probe):
    with pytest.warns(UserWarning) if "decay" in probe["kwargs"] else _no_warning_check():
        assert_probe(RMSprop, probe)


@pytest.mark.parametrize("probe", probe_params(TF1))
def test_tf1_validation_matches_real_api(probe):
    assert_probe(RMSPropOptimizer, probe)


def test_keras_has_no_minimize_like_the_real_one():
    notes = load(KERAS)["notes"]
    assert "has minimize: False" in notes
    assert not hasattr(RMSprop, "minimize")


def test_keras_unknown_variable_is_refused():
    a, b = torch.ones(2), torch.ones(2)
    opt = RMSprop()
    opt.apply_gradients([(torch.ones(2), a)])
    with pytest.raises(ValueError, match="Unknown variable"):
        opt.apply_gradients([(torch.ones(2), b)])


def test_keras_clipnorm_limits_the_gradient_norm():
    w, v = torch.zeros(2), torch.zeros(2)
    RMSprop(learning_rate=0.1, rho=0.0, epsilon=0.0, clipnorm=1.0).apply_gradients(
        [(torch.tensor([3.0, 4.0]), w)])
    RMSprop(learning_rate=0.1, rho=0.0, epsilon=0.0).apply_gradients(
        [(torch.tensor([0.6, 0.8]), v)])
    torch.testing.assert_close(w, v)  # the clipped gradient is [0.6, 0.8]


def test_tf1_slots_follow_tf_names():
    w = torch.tensor([1.0, -2.0])
    opt = RMSPropOptimizer(learning_rate=0.01, centered=True)
    opt.apply_gradients([(torch.tensor([1.0, 1.0]), w)])
    torch.testing.assert_close(opt.get_slot(w, "rms"), torch.tensor([1.0, 1.0]))
    torch.testing.assert_close(opt.get_slot(w, "mg"), torch.tensor([0.1, 0.1]))
    torch.testing.assert_close(opt.get_slot(w, "momentum"), torch.zeros(2))


class _no_warning_check:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
