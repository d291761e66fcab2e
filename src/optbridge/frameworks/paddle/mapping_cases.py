"""Record Paddle's parameter-group behaviour for the mapping checks (the facade has no groups).

``PYTHONPATH=src build/frameworks/paddle/bin/python -m optbridge.frameworks.paddle.mapping_cases``
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import paddle

from optbridge.frameworks.recording.mapping_cases import Gradient, case, record

DATA = Path(__file__).parent / "data"
CASES = {
    "paddle.optimizer.RMSProp": {
        # A group's learning_rate multiplies the optimizer's: 0.5 x 0.02 = 0.01 for dense.weight.
        "group_learning_rate_factor": case(
            "named_params", 5, {"learning_rate": 0.02, "rho": 0.9, "epsilon": 1e-6},
            [{"params": ["dense.weight"], "learning_rate": 0.5}, {"params": ["bn.gamma"]}]),
    },
    "paddle.optimizer.Rprop": {
        # Rprop ignores a group's learning_rate: every step size starts at 0.01.
        "group_learning_rate_ignored": case(
            "named_sign_flip", 5, {"learning_rate": 0.01},
            [{"params": ["dense.weight"], "learning_rate": 0.5}, {"params": ["bn.gamma"]}]),
    },
}


def run(cls: type, c: dict[str, Any], start: dict[str, np.ndarray],
        gradient: Gradient) -> dict[str, np.ndarray]:
    params = {n: paddle.create_parameter(list(v.shape), "float32",
                                         default_initializer=paddle.nn.initializer.Assign(v))
              for n, v in start.items()}
    groups = [{**g, "params": [params[n] for n in g.get("params", list(params))]}
              for g in c["groups"]] or list(params.values())
    optimizer = cls(parameters=groups, **c["kwargs"])
    for step in range(c["steps"]):
        grads = gradient({n: p.numpy() for n, p in params.items()}, step)
        for n, p in params.items():
            (p * paddle.to_tensor(grads[n])).sum().backward()  # d/dp = the gradient
        optimizer.step()
        optimizer.clear_grad()
    return {n: p.numpy() for n, p in params.items()}


def main() -> None:
    for api, cases in CASES.items():
        cls = getattr(paddle.optimizer, api.rsplit(".", 1)[1])
        print(record(api, paddle.__version__, __spec__.name, cases,
                     lambda c, s, g, cls=cls: run(cls, c, s, g), DATA))


if __name__ == "__main__":
    main()
