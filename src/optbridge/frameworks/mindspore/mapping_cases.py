"""Record ``mindspore.experimental.optim`` (the PyTorch-compatible optimizers, which the facade
does not model) for the mapping checks.

``PYTHONPATH=src build/frameworks/mindspore/bin/python -m optbridge.frameworks.mindspore.mapping_cases``
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mindspore as ms
import numpy as np
from mindspore import Parameter, Tensor
from mindspore.experimental import optim

from optbridge.frameworks.recording.mapping_cases import Gradient, case, record

ms.set_context(mode=ms.PYNATIVE_MODE)
ms.set_device("CPU")

DATA = Path(__file__).parent / "data"
CASES = {
    "mindspore.experimental.optim.RMSprop": {
        "matched_all": case("sign_flip", 20, {"lr": 0.01, "alpha": 0.9, "eps": 1e-8,
                                              "weight_decay": 0.5, "momentum": 0.9,
                                              "centered": True}),
        "eps_small_gradient": case("small_gradient", 5, {"lr": 0.01, "alpha": 0.9, "eps": 1e-8}),
    },
    "mindspore.experimental.optim.Rprop": {
        "matched": case("sign_flip", 20, {"lr": 0.01}),
        "clamp_first_step": case("sign_flip", 5, {"lr": 60.0}),
    },
}


def run(cls: type, c: dict[str, Any], start: dict[str, np.ndarray],
        gradient: Gradient) -> dict[str, np.ndarray]:
    params = {n: Parameter(Tensor(v), name=n) for n, v in start.items()}
    optimizer = cls(list(params.values()), **c["kwargs"])
    for step in range(c["steps"]):
        grads = gradient({n: p.asnumpy() for n, p in params.items()}, step)
        optimizer(tuple(Tensor(grads[n]) for n in params))
    return {n: p.asnumpy() for n, p in params.items()}


def main() -> None:
    for api, cases in CASES.items():
        cls = getattr(optim, api.rsplit(".", 1)[1])
        print(record(api, ms.__version__, __spec__.name, cases,
                     lambda c, s, g, cls=cls: run(cls, c, s, g), DATA))


if __name__ == "__main__":
    main()
