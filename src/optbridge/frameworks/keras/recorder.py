"""Record Keras 3 ``RMSprop`` (run inside build/goldens-envs/tensorflow)."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import numpy as np
import tensorflow as tf

from optbridge.frameworks.recording.cases import case, rmsprop_grid
from optbridge.frameworks.recording.common import (
    as_floats,
    document,
    gradient,
    probe,
    signature_of,
)


def run_keras(c: dict) -> dict:
    opt = keras.optimizers.RMSprop(**c["kwargs"])
    names = list(c["params"])
    variables = [keras.Variable(np.asarray(c["params"][n], np.float32), name=n.replace(".", "_"))
                 for n in names]
    traj = []
    for step in range(c["steps"]):
        if c["lr_schedule"] is not None:
            opt.learning_rate = float(c["lr_schedule"][step])
        grads = [tf.constant(gradient(c["grad"], step, n, np.asarray(v.numpy())))
                 for n, v in zip(names, variables)]
        opt.apply_gradients(zip(grads, variables))
        traj.append({n: as_floats(v.numpy()) for n, v in zip(names, variables)})
    return {**c, "trajectory": traj}


def keras_probes() -> list[dict]:
    make = keras.optimizers.RMSprop
    return [
        probe(make, {"learning_rate": 1}, label="int learning rate"),
        probe(make, {"learning_rate": "0.1"}, label="str learning rate"),
        probe(make, {"rho": -0.5}, label="negative rho accepted"),
        probe(make, {"epsilon": -1.0}, label="negative epsilon accepted"),
        probe(make, {"momentum": -0.5}, label="negative momentum accepted"),
        probe(make, {"weight_decay": -0.1}, label="negative weight decay accepted"),
        probe(make, {"clipnorm": 1.0, "clipvalue": 1.0}, label="two clip arguments"),
        probe(make, {"gradient_accumulation_steps": 1}, label="accumulation steps < 2"),
        probe(make, {"use_ema": True, "ema_momentum": 1.5}, label="ema momentum > 1"),
        probe(make, {"use_ema": True, "ema_overwrite_frequency": 0}, label="ema frequency 0"),
        probe(make, {"foo": 1}, label="unknown keyword"),
        probe(make, {"decay": 0.1}, label="legacy decay keyword is ignored with a warning"),
    ]


def record() -> dict[str, dict]:
    keras_grid = rmsprop_grid("learning_rate", "rho", "epsilon", weight_decay="weight_decay")
    keras_grid["defaults"] = case({})
    sig = signature_of(keras.optimizers.RMSprop.__init__)
    keras_notes = [
        (f"tf.keras.optimizers.RMSprop is keras.optimizers.RMSprop: "
        f"{tf.keras.optimizers.RMSprop is keras.optimizers.RMSprop}"),
        f"has minimize: {hasattr(keras.optimizers.RMSprop, 'minimize')}",
        "weight decay is decoupled and applied before the update with the current learning rate",
    ]
    extra = {"tensorflow_version": tf.__version__, "keras_version": keras.__version__,
             "backend": keras.backend.backend()}
    return {
        "keras.optimizers.RMSprop": document(
            "keras", keras.__version__, "keras.optimizers.RMSprop",
            cases={name: run_keras(c) for name, c in keras_grid.items()},
            signature=sig, probes=keras_probes(), notes=keras_notes, extra=extra),
    }
