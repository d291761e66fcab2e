"""The CPU instruction sets a recorded run may meet on another machine.

The math libraries behind the frameworks pick their kernels by CPU at run time: MKL (torch's
BLAS, Paddle's), oneDNN (torch, TensorFlow, Paddle, MindSpore) and ATen's own vectorized loops.
An AVX-512 kernel sums in another order than an AVX2 one, so the last float32 bits of a run
depend on the machine. Each library can be limited to a smaller instruction set by a variable;
``make frameworks`` records every run limited to AVX2 (:data:`RECORDING`), which any x86-64
machine of the last decade runs exactly, and ``make frameworks-check`` re-runs each script once
per entry of :data:`CHECKED`, each of which must match the record within
:data:`optbridge.native.compare.RERUN_ULPS_PER_STEP`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

#: Every variable that limits a math library's instruction set, with its AVX2 value.
AVX2_LIMITS = {
    "MKL_ENABLE_INSTRUCTIONS": "AVX2",  # Intel MKL (BLAS, LAPACK)
    "ONEDNN_MAX_CPU_ISA": "AVX2",  # oneDNN, formerly MKL-DNN
    "ATEN_CPU_CAPABILITY": "avx2",  # PyTorch's own vectorized kernels
}
#: The environment ``make frameworks`` records with: every library limited to AVX2.
RECORDING: dict[str, str] = dict(AVX2_LIMITS)
#: The environments ``make frameworks-check`` re-runs every script in: the CPU's default, each
#: library limited alone (what a machine with AVX-512 in one library only sees), and all limited.
CHECKED: dict[str, dict[str, str]] = {
    "default": {},
    "MKL AVX2": {"MKL_ENABLE_INSTRUCTIONS": "AVX2"},
    "oneDNN AVX2": {"ONEDNN_MAX_CPU_ISA": "AVX2"},
    "AVX2": dict(AVX2_LIMITS),
}
#: CPU flags (``/proc/cpuinfo``) of each instruction set, best first.
_FLAGS = (("AVX-512", "avx512f"), ("AVX2", "avx2"), ("AVX", "avx"), ("SSE4.2", "sse4_2"))


def cpu_isa(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """The best vector instruction set this CPU has, e.g. ``AVX-512``; ``unknown`` where the
    system does not say (no ``/proc/cpuinfo``)."""
    try:
        text = cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "unknown"
    flags = next((line.split(":", 1)[1].split() for line in text.splitlines()
                  if line.startswith("flags")), [])
    return next((name for name, flag in _FLAGS if flag in flags), "unknown")


def label(environ: Mapping[str, str], cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """What a run was allowed to use, as a record states it: ``AVX-512`` (the CPU's default), or
    ``AVX2 (MKL_ENABLE_INSTRUCTIONS=AVX2, ...; CPU: AVX-512)`` when variables limited it."""
    cpu = cpu_isa(cpuinfo)
    limits = [f"{name}={environ[name]}" for name in AVX2_LIMITS if environ.get(name)]
    if not limits:
        return cpu
    every = all(environ.get(n, "").lower() == v.lower() for n, v in AVX2_LIMITS.items())
    return f"{'AVX2' if every else 'partly AVX2'} ({', '.join(limits)}; CPU: {cpu})"
