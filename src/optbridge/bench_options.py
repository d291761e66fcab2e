"""``make bench``, every option combination: bytes moved and bandwidth of each on 25 x 1M fp32.

Every RMSprop and Rprop option combination of the drop-ins is timed interleaved with the
streaming reference (``a.add_(b)``) and with ``torch.optim.Adam(fused=True)``, torch's own
vectorized CPU kernel moving four streams; each line gives the bytes one step must move, the %
of streaming bandwidth, the % of the plain RMSprop step's bytes per second (target >= 90%) and
the load average when measured.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from dataclasses import dataclass

import torch

from optbridge.bench import (
    STREAM_ELEMENTS,
    Timed,
    interleaved_rounds,
    make_params,
    paired_fraction,
    streaming_entries,
)

ELEMENT_BYTES = 4  # float32
PLAIN = "RMSprop plain"
RELATIVE_TARGET = 0.90


@dataclass
class OptionRow:
    """One option combination: its step time and where that puts it."""

    name: str
    bytes_per_step: int
    step_s: float
    bw_fraction: float
    load: float


def rmsprop_streams(momentum: bool, centered: bool) -> int:
    """Tensors read plus written per element: param, grad, square_avg read; param and
    square_avg written; each extra buffer read and written."""
    return 5 + 2 * (momentum + centered)


def option_entries() -> dict[str, tuple[Callable[[], object], int]]:
    """Each combination's step function and the bytes it moves per step (workload c)."""
    from optbridge.optim import FusedRMSprop, FusedRprop

    elements = sum(p.numel() for p in make_params("c"))
    entries: dict[str, tuple[Callable[[], object], int]] = {}
    for momentum, centered, decay, maximize in itertools.product((False, True), repeat=4):
        flags = [name for name, on in (("momentum", momentum), ("centered", centered),
                                       ("weight_decay", decay), ("maximize", maximize)) if on]
        opt = FusedRMSprop(make_params("c"), momentum=0.9 if momentum else 0.0,
                           centered=centered, weight_decay=0.01 if decay else 0.0,
                           maximize=maximize)
        name = "RMSprop " + ("+".join(flags) or "plain")
        entries[name] = (opt.step, rmsprop_streams(momentum, centered) * ELEMENT_BYTES * elements)
    for maximize in (False, True):
        opt = FusedRprop(make_params("c"), maximize=maximize)
        # param, grad, prev, step_size read; param, prev, step_size written
        entries["Rprop " + ("maximize" if maximize else "plain")] = (
            opt.step, 7 * ELEMENT_BYTES * elements)
    adam = torch.optim.Adam(make_params("c"), fused=True)
    # param, grad, exp_avg, exp_avg_sq read; param, exp_avg, exp_avg_sq written
    entries["torch.optim.Adam(fused=True) (reference)"] = (adam.step, 7 * ELEMENT_BYTES * elements)
    return entries


def measure(budget_s: float = 40.0) -> list[OptionRow]:
    """Time every combination interleaved with the streaming reference."""
    steps = option_entries()
    entries = streaming_entries(STREAM_ELEMENTS)
    entries.update({name: Timed(step) for name, (step, _) in steps.items()})
    rounds = interleaved_rounds(entries, budget_s=budget_s, batch_s=0.3)
    load = os.getloadavg()[0]
    return [OptionRow(name, moved, min(rounds[name]),
                      paired_fraction(rounds, name, moved, 12 * STREAM_ELEMENTS), load)
            for name, (_, moved) in steps.items()]


def format_rows(rows: list[OptionRow]) -> str:
    """Markdown table and the verdict of the >= 90%-of-plain target for each combination."""
    plain = next(r for r in rows if r.name == PLAIN)
    plain_rate = plain.bytes_per_step / plain.step_s
    title = ("Every option combination, 25 x 1M float32 (bytes per step, % of a.add_(b) "
             "streaming bandwidth, % of the plain RMSprop step's bytes/s, target >= 90%):")
    head = ("| combination | MB moved | step (ms) | % of stream BW | % of plain | target "
            "| load 1m |")
    lines = [title, head, "|---|---:|---:|---:|---:|---|---:|"]
    for r in rows:
        relative = r.bytes_per_step / r.step_s / plain_rate
        verdict = ("reference" if "reference" in r.name
                   else "met" if relative >= RELATIVE_TARGET else "MISSED")
        lines.append(f"| {r.name} | {r.bytes_per_step / 1e6:.0f} | {r.step_s * 1e3:.2f} "
                     f"| {100 * r.bw_fraction:.0f}% | {100 * relative:.0f}% | {verdict} "
                     f"| {r.load:.2f} |")
    return "\n".join(lines)
