"""``optbridge.compat.keras.schedules.ExponentialDecay`` and the Keras RMSprop facade taking it as
``learning_rate``, against values printed by the real Keras 3.15.1 (TensorFlow backend), from::

    KERAS_BACKEND=tensorflow /work/envs/tensorflow/bin/python -c '
    import numpy as np, keras
    S = keras.optimizers.schedules.ExponentialDecay
    s = S(0.1, decay_steps=2, decay_rate=0.5)
    print(float(s(3)), float(S(0.1, 2, 0.5, staircase=True)(3)), s.get_config())
    w = keras.Variable(np.array([1.0, -2.0, 0.5], dtype="float32"))
    opt = keras.optimizers.RMSprop(learning_rate=s, rho=0.9, momentum=0.5)
    for _ in range(5):
        opt.apply_gradients([(2.0 * w.value, w)])
    print([float(x) for x in w.numpy()], float(opt.learning_rate))
    print(opt.get_config()["learning_rate"])'
"""

from __future__ import annotations

import pytest
import torch

from optbridge.compat.keras import RMSprop, schedules

CONFIG = {"initial_learning_rate": 0.1, "decay_steps": 2, "decay_rate": 0.5,
          "staircase": False, "name": "ExponentialDecay"}
# Printed by the command above.
KERAS_AT_3 = 0.0353553406894207
KERAS_STAIRCASE_AT_3 = 0.05000000074505806
KERAS_FINAL = [0.014372751116752625, -0.8777323961257935, -0.1512710005044937]
KERAS_LR_AFTER_5 = 0.01767767034471035


def test_exponential_decay_matches_keras() -> None:
    schedule = schedules.ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5)
    value = schedule(3)
    assert value.dtype == torch.float32 and float(value) == KERAS_AT_3
    staircase = schedules.ExponentialDecay(0.1, 2, 0.5, staircase=True)
    assert float(staircase(3)) == KERAS_STAIRCASE_AT_3
    assert schedule.get_config() == CONFIG
    assert schedules.ExponentialDecay.from_config(CONFIG).get_config() == CONFIG


def test_exponential_decay_refuses_non_positive_decay_steps() -> None:
    with pytest.raises(ValueError, match="decay_steps` must be > 0. Received: decay_steps=0"):
        schedules.ExponentialDecay(0.1, 0, 0.5)


def test_rmsprop_takes_a_schedule_as_keras() -> None:
    schedule = schedules.ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5)
    w = torch.tensor([1.0, -2.0, 0.5])
    opt = RMSprop(learning_rate=schedule, rho=0.9, momentum=0.5)
    for _ in range(5):
        opt.apply_gradients([(2.0 * w, w)])
    torch.testing.assert_close(w, torch.tensor(KERAS_FINAL), rtol=16 * 2.0**-23, atol=1e-6)
    assert opt.learning_rate == pytest.approx(KERAS_LR_AFTER_5, rel=1e-7)
    assert opt.get_config()["learning_rate"] == {
        "module": "keras.optimizers.schedules", "class_name": "ExponentialDecay",
        "config": CONFIG, "registered_name": None}


def test_a_constant_rate_is_not_the_schedule() -> None:
    """Fixture: the same run at the schedule's first rate, 0.1, ends elsewhere."""
    w = torch.tensor([1.0, -2.0, 0.5])
    opt = RMSprop(learning_rate=0.1, rho=0.9, momentum=0.5)
    for _ in range(5):
        opt.apply_gradients([(2.0 * w, w)])
    assert not torch.allclose(w, torch.tensor(KERAS_FINAL), rtol=1e-3, atol=1e-3)
