"""Build, cache and call the one-pass CPU kernels (a C++/OpenMP Python extension).

The extension is compiled once with the system C++ compiler against torch's headers into a
cache directory keyed by a hash of the source, the flags, the compiler, torch's version and
the CPU, so a later process imports it in milliseconds. It reads ``p.grad`` and the optimizer
state of every param itself, so a step costs no Python work per tensor. If anything fails the
engine falls back to the rule's torch ops.
"""

from __future__ import annotations

import ctypes
import hashlib
import importlib.machinery
import importlib.util
import os
import platform
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import threading
from pathlib import Path
from types import ModuleType
from typing import Any

import torch
from torch import Tensor

from optbridge.engine.kernels.cpu_source import CPU_KERNEL_SOURCE
from optbridge.engine.rules.rmsprop import RMSpropOptions
from optbridge.engine.rules.rprop import RpropOptions

CXX_FLAGS = ("-O3", "-march=native", "-fopenmp", "-ffp-contract=off", "-fno-math-errno",
             "-shared", "-fPIC", "-std=c++20", "-w")
#: The dtypes the kernels take (the extension checks each tensor against the same set).
DTYPES = frozenset({torch.float32, torch.float64, torch.float16, torch.bfloat16})
#: The options each kernel implements; any other field must hold its default.
RMSPROP_IMPLEMENTS = frozenset({"lr", "alpha", "eps", "weight_decay", "momentum", "centered",
                                "maximize", "eps_in_sqrt", "lr_in_momentum",
                                "decoupled_weight_decay"})
RPROP_IMPLEMENTS = frozenset({"lr", "etas", "step_sizes", "maximize", "weight_decay"})
THREADS_VARIABLE = "OPTBRIDGE_CPU_THREADS"

_lock = threading.Lock()
_library: ModuleType | None = None
_load_error: str | None = None


def cache_dir() -> Path:
    """Where compiled kernels live: ``$OPTBRIDGE_CACHE_DIR`` or ``~/.cache/optbridge/kernels``."""
    root = os.environ.get("OPTBRIDGE_CACHE_DIR")
    return Path(root) if root else Path.home() / ".cache" / "optbridge" / "kernels"


def _compiler() -> str | None:
    return os.environ.get("CXX") or shutil.which("c++") or shutil.which("g++")


def _cpu_fingerprint() -> str:
    # -march=native binds the binary to this CPU model: key the cache by it.
    model = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith(("model name", "flags")):
                    model += line
                    if line.startswith("flags"):
                        break
    except OSError:
        pass
    return model


def _torch_flags() -> list[str]:
    from torch.utils import cpp_extension

    includes = [f"-I{d}" for d in cpp_extension.include_paths()]
    includes.append(f"-I{sysconfig.get_paths()['include']}")
    lib = cpp_extension.library_paths()[0]
    abi = int(torch.compiled_with_cxx11_abi())
    return [*includes, f"-D_GLIBCXX_USE_CXX11_ABI={abi}", "-DTORCH_API_INCLUDE_EXTENSION_H",
            f"-L{lib}", f"-Wl,-rpath,{lib}", "-ltorch", "-ltorch_cpu", "-lc10", "-ltorch_python"]


def library_path(compiler: str) -> Path:
    """The cache path of the extension for this source, flags, compiler, torch and CPU."""
    key = hashlib.sha256()
    for part in (CPU_KERNEL_SOURCE, " ".join(CXX_FLAGS), compiler, _cpu_fingerprint(),
                 torch.__version__, sys.version):
        key.update(part.encode())
    suffix = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
    return cache_dir() / f"optbridge_cpu_{key.hexdigest()[:20]}{suffix}"


def build(verbose: bool = False) -> Path:
    """Compile the kernel extension into the cache if it is not there; return its path."""
    compiler = _compiler()
    if compiler is None:
        raise RuntimeError("no C++ compiler found (set CXX or install g++)")
    target = library_path(compiler)
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    module = target.name.split(".")[0]
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        src = Path(tmp) / "kernels.cpp"
        src.write_text(CPU_KERNEL_SOURCE)
        out = Path(tmp) / target.name
        cmd = [compiler, *CXX_FLAGS, f"-DTORCH_EXTENSION_NAME={module}", str(src), "-o",
               str(out), *_torch_flags()]
        if verbose:
            print(" ".join(cmd))
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=900, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"compiling the CPU kernel failed:\n{done.stderr[-2000:]}")
        os.replace(out, target)  # atomic: concurrent builders never see a partial file
    return target


def _import(path: Path) -> ModuleType:
    name = path.name.split(".")[0]
    loader = importlib.machinery.ExtensionFileLoader(name, str(path))
    spec = importlib.util.spec_from_file_location(name, path, loader=loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def load() -> ModuleType | None:
    """The loaded kernel extension, building it on first use; None when unavailable."""
    global _library, _load_error
    if _library is not None or _load_error is not None:
        return _library
    with _lock:
        if _library is not None or _load_error is not None:
            return _library
        if os.environ.get("OPTBRIDGE_DISABLE_CPU_KERNEL") == "1":
            _load_error = "disabled by OPTBRIDGE_DISABLE_CPU_KERNEL=1"
            return None
        try:
            lib = _import(build())
            _SQRT.update(_torch_vml_sqrt())
            _library = lib
        except (OSError, ImportError, RuntimeError, subprocess.SubprocessError) as exc:
            _load_error = str(exc)
    return _library


def _torch_vml_sqrt() -> dict[torch.dtype, int | None]:
    """Pointers to the MKL VML sqrt that torch's own CPU ``sqrt`` uses, when torch has MKL.

    VML's sqrt differs from IEEE sqrt by one ulp on some inputs; calling the same routine
    keeps the kernel bit-identical to ``torch.optim``. Without MKL torch uses IEEE sqrt, and
    so does the kernel (null pointer).
    """
    found: dict[torch.dtype, int | None] = {torch.float32: None, torch.float64: None}
    if not torch.backends.mkl.is_available():
        return found
    try:
        torch_cpu = ctypes.CDLL(str(Path(torch.__file__).parent / "lib" / "libtorch_cpu.so"))
        for dtype, name in ((torch.float32, "vsSqrt"), (torch.float64, "vdSqrt")):
            found[dtype] = ctypes.cast(getattr(torch_cpu, name), ctypes.c_void_p).value
    except (OSError, AttributeError):
        pass
    return found


_SQRT: dict[torch.dtype, int | None] = {}
# IEEE sqrt is ~3x faster than VML's, but VML's is what torch's own CPU sqrt returns (it
# differs by one ulp on ~20% of inputs). Exact mode trades that speed for bit-identity.
_exact_sqrt = os.environ.get("OPTBRIDGE_EXACT_SQRT") == "1"


def set_exact_sqrt(enabled: bool) -> None:
    """Use torch's own (MKL VML) sqrt in the RMSprop kernel: bit-identical, slower.

    Also set by ``OPTBRIDGE_EXACT_SQRT=1``. Off by default: the IEEE sqrt keeps the kernel at
    memory speed and stays within one ulp of torch's square root.
    """
    global _exact_sqrt
    _exact_sqrt = bool(enabled)


def load_error() -> str | None:
    """Why the kernel is unavailable, if it is."""
    load()
    return _load_error


def threads() -> int:
    """Kernel threads: ``$OPTBRIDGE_CPU_THREADS`` clamped to the CPUs there are, else torch's
    count. A value that is not a positive integer raises ``ValueError`` naming the variable."""
    configured = os.environ.get(THREADS_VARIABLE)
    if not configured:
        return torch.get_num_threads()
    try:
        count = int(configured)
    except ValueError:
        count = 0
    if count < 1:
        raise ValueError(f"{THREADS_VARIABLE}={configured!r}: expected a positive integer "
                         "(the CPU kernel's thread count)")
    # Each thread is an OpenMP worker with its own stack: more than the CPUs there are only
    # costs memory (100,000 exhausted it), so the count is clamped.
    return min(count, os.cpu_count() or 1)


def _sqrt_pointers() -> tuple[int, int]:
    if not _exact_sqrt:
        return 0, 0
    return _SQRT.get(torch.float32) or 0, _SQRT.get(torch.float64) or 0


def _rmsprop_args(options: RMSpropOptions) -> tuple[Any, ...]:
    wd = float(options.weight_decay)
    wd_mode = 0 if wd == 0 else (2 if options.decoupled_weight_decay else 1)
    mom_mode = 0 if not options.uses_momentum else (2 if options.lr_in_momentum else 1)
    return (float(options.lr), float(options.alpha), float(options.eps), wd,
            float(options.momentum), wd_mode, mom_mode, bool(options.centered),
            bool(options.eps_in_sqrt), bool(options.maximize), *_sqrt_pointers(), threads())


def _rmsprop_slots(options: RMSpropOptions) -> tuple[str | None, str | None, str | None]:
    # The kernel's buffer slots, from the same predicates that create the buffers.
    return ("square_avg", "grad_avg" if options.centered else None,
            "momentum_buffer" if options.uses_momentum else None)


def rmsprop_group(params: list[Tensor], state: dict, options: RMSpropOptions) -> tuple[Any, ...]:
    """RMSprop on a param group in place; returns what ``kernels.GroupFn`` describes."""
    lib = load()
    assert lib is not None
    return lib.rmsprop_group(params, state, _rmsprop_slots(options), "step",
                             *_rmsprop_args(options))


def rmsprop_lists(params: list[Tensor], grads: list[Tensor], state: dict[str, list[Tensor]],
                  steps: list[Tensor] | None, options: RMSpropOptions) -> list[int]:
    """RMSprop on explicit tensor lists in place; returns the indices it did not take."""
    lib = load()
    assert lib is not None
    buffers = [None if name is None else state[name] for name in _rmsprop_slots(options)]
    return lib.rmsprop_lists(params, grads, buffers, steps, *_rmsprop_args(options))[0]


def _rprop_args(options: RpropOptions) -> tuple[Any, ...]:
    etaminus, etaplus = options.etas
    lo, hi = options.step_sizes
    return (float(etaminus), float(etaplus), float(lo), float(hi),
            float(options.weight_decay), bool(options.maximize), threads())


def rprop_group(params: list[Tensor], state: dict, options: RpropOptions) -> tuple[Any, ...]:
    """Rprop on a param group in place; returns what ``kernels.GroupFn`` describes."""
    lib = load()
    assert lib is not None
    return lib.rprop_group(params, state, ("prev", "step_size"), "step", *_rprop_args(options))


def rprop_lists(params: list[Tensor], grads: list[Tensor], state: dict[str, list[Tensor]],
                steps: list[Tensor] | None, options: RpropOptions) -> list[int]:
    """Rprop on explicit tensor lists in place; returns the indices it did not take."""
    lib = load()
    assert lib is not None
    buffers = [state["prev"], state["step_size"]]
    return lib.rprop_lists(params, grads, buffers, steps, *_rprop_args(options))[0]
