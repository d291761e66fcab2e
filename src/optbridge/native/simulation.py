"""Our simulation of a native snippet: the same data, model and optimizer configuration, run
through the ``optbridge.compat`` counterpart on torch (float32).

Each mapping folder has a ``simulation.toml`` with one entry per snippet, named by its room::

    [[mindspore]]                      # the links of the chain, in order (usually one)
    api = "mindspore.nn.RMSProp"       # what the snippet calls ...
    counterpart = "optbridge.compat.mindspore:RMSProp"  # ... and what simulates it
    kwargs = { learning_rate = 0.01, decay = 0.9 }     # the snippet's keywords, as literals

Several links are chained with ``optbridge.compat.optax.chain``, as the snippet chains them.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import torch

from optbridge.mappings.checks.drivers import driver_for
from optbridge.mappings.checks.resolve import resolve_counterpart

from .snippets import Snippet, SnippetError

STEPS = 10


def problem() -> tuple[torch.Tensor, torch.Tensor, dict[str, torch.Tensor]]:
    """The data and initial weights every snippet uses (torch's layout: weight is (out, in))."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 3)).astype(np.float32)
    y = (x @ np.array([[1.5], [-2.0], [0.5]]) + 0.3).astype(np.float32)
    start = {"weight": torch.tensor([[0.1, -0.2, 0.3]]), "bias": torch.zeros(1)}
    return torch.from_numpy(x), torch.from_numpy(y), start


def links(snippet: Snippet) -> list[dict[str, Any]]:
    """The ``simulation.toml`` entry of ``snippet``, checked."""
    path = snippet.path.parent / "simulation.toml"
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SnippetError(f"{path}: {exc}") from None
    entry = table.get(snippet.room)
    if not isinstance(entry, list) or not entry:
        raise SnippetError(f"{path}: no [[{snippet.room}]] entry for {snippet.path.name}")
    for i, link in enumerate(entry):
        if set(link) != {"api", "counterpart", "kwargs"} or not isinstance(link["kwargs"], dict):
            raise SnippetError(f"{path}: {snippet.room}[{i}] needs exactly api, "
                               "counterpart and kwargs (a table)")
        # TOML has arrays only; the snippets pass tuples (MindSpore insists on them).
        link["kwargs"] = {k: tuple(v) if isinstance(v, list) else v
                          for k, v in link["kwargs"].items()}
    return entry


def _factory(entry: list[dict[str, Any]]) -> Any:
    if len(entry) == 1:
        return resolve_counterpart(entry[0]["counterpart"])
    from optbridge.compat.optax import chain

    parts = [resolve_counterpart(link["counterpart"])(**link["kwargs"]) for link in entry]
    return lambda **_: chain(*parts)


def simulate(snippet: Snippet) -> dict[str, Any]:
    """One run, in the shape of a recorded one: ``{losses, weight, bias}``."""
    entry = links(snippet)
    x, y, start = problem()
    driver = driver_for(entry[-1]["counterpart"])(
        _factory(entry), start, dict(entry[-1]["kwargs"]) if len(entry) == 1 else {},
        lr_gamma=1.0, steps=STEPS)
    losses = []
    for _ in range(STEPS):
        params = {n: v.clone().requires_grad_(True) for n, v in driver.values().items()}
        loss = torch.mean((x @ params["weight"].T + params["bias"] - y) ** 2)
        grads = torch.autograd.grad(loss, list(params.values()))
        driver.step(dict(zip(params, grads, strict=True)))
        losses.append(loss.item())
    final = driver.values()
    return {"losses": losses, "weight": final["weight"].flatten().tolist(),
            "bias": final["bias"].flatten().tolist()}


def simulation_path(snippet: Snippet) -> Path:
    return snippet.path.parent / "simulation.toml"
