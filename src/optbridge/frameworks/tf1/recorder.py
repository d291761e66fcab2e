"""Record ``tf.compat.v1.train.RMSPropOptimizer`` (run inside build/goldens-envs/tensorflow)."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

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


def run_tf1(c: dict) -> dict:
    kwargs = dict(c["kwargs"])
    if c["lr_schedule"] is not None:
        counter = {"step": 0}
        kwargs["learning_rate"] = lambda: c["lr_schedule"][counter["step"]]
    opt = tf.compat.v1.train.RMSPropOptimizer(**kwargs)
    names = list(c["params"])
    variables = [tf.Variable(np.asarray(c["params"][n], np.float32), name=n.replace(".", "_"))
                 for n in names]
    traj = []
    for step in range(c["steps"]):
        grads = [tf.constant(gradient(c["grad"], step, n, v.numpy()))
                 for n, v in zip(names, variables)]
        opt.apply_gradients(list(zip(grads, variables)))
        if c["lr_schedule"] is not None:
            counter["step"] += 1
        traj.append({n: as_floats(v.numpy()) for n, v in zip(names, variables)})
    return {**c, "trajectory": traj}


def run_tf1_minimize(c: dict) -> dict:
    """The same problem through ``minimize`` with a loss callable (eager mode)."""
    opt = tf.compat.v1.train.RMSPropOptimizer(**c["kwargs"])
    names = list(c["params"])
    variables = [tf.Variable(np.asarray(c["params"][n], np.float32)) for n in names]
    coeffs = [tf.constant(np.asarray(c["grad"]["c"][n], np.float32)) for n in names]

    def loss():
        return tf.add_n([tf.reduce_sum(k * v * v) for k, v in zip(coeffs, variables)])

    traj = []
    for _ in range(c["steps"]):
        opt.minimize(loss, var_list=variables)
        traj.append({n: as_floats(v.numpy()) for n, v in zip(names, variables)})
    return {**c, "trajectory": traj}


def tf1_probes() -> list[dict]:
    make = tf.compat.v1.train.RMSPropOptimizer
    return [
        probe(make, {}, label="learning_rate required"),
        probe(make, {"learning_rate": -1.0}, label="negative lr accepted"),
        probe(make, {"learning_rate": 0.1, "decay": -1.0}, label="negative decay accepted"),
        probe(make, {"learning_rate": 0.1, "epsilon": -1.0}, label="negative epsilon accepted"),
        probe(make, {"learning_rate": 0.1, "momentum": -1.0}, label="negative momentum accepted"),
    ]


def record() -> dict[str, dict]:
    import keras  # only its version goes into the document, as it always has

    tf1_grid = rmsprop_grid("learning_rate", "decay", "epsilon")
    tf1_grid["defaults"] = case({"learning_rate": 0.01})
    tf1_cases = {name: run_tf1(c) for name, c in tf1_grid.items()}
    tf1_cases["minimize_momentum"] = run_tf1_minimize(
        case({"learning_rate": 0.01, "momentum": 0.9, "epsilon": 1e-7}, call="minimize"))
    extra = {"tensorflow_version": tf.__version__, "keras_version": keras.__version__,
             "backend": keras.backend.backend()}
    return {
        "tf.compat.v1.train.RMSPropOptimizer": document(
            "tensorflow", tf.__version__, "tf.compat.v1.train.RMSPropOptimizer",
            cases=tf1_cases,
            signature=signature_of(tf.compat.v1.train.RMSPropOptimizer.__init__),
            probes=tf1_probes(),
            notes=["rms slot starts at ones; the momentum slot exists even with momentum 0"],
            extra=extra),
    }
