"""Build, cache and call the one-pass CPU kernels (C++/OpenMP through ctypes).

The shared library is compiled once with the system C++ compiler into a cache directory
keyed by a hash of the source, the flags, the compiler and the CPU, so a fresh process loads
it in milliseconds. ctypes keeps the kernel free of torch headers (a few seconds to compile,
no ninja needed). If anything fails the engine falls back to the generic torch-ops path.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import platform
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from optbridge.engine.kernels.cpu_source import CPU_KERNEL_SOURCE

CXX_FLAGS = ("-O3", "-march=native", "-fopenmp", "-ffp-contract=off", "-fno-math-errno",
             "-shared", "-fPIC", "-std=c++17")
_WD_MODES = {"none": 0, "coupled": 1, "decoupled": 2}
_MOM_MODES = {"none": 0, "torch": 1, "lr_inside": 2}
_DTYPE_SUFFIX = {torch.float32: "f32", torch.float64: "f64"}
# Below this many elements one thread is faster than waking the OpenMP team.
_PARALLEL_MIN_ELEMENTS = 1 << 15

_lock = threading.Lock()
_library: ctypes.CDLL | None = None
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


def library_path(compiler: str) -> Path:
    """The cache path of the library for this source, flags, compiler and CPU."""
    key = hashlib.sha256()
    for part in (CPU_KERNEL_SOURCE, " ".join(CXX_FLAGS), compiler, _cpu_fingerprint()):
        key.update(part.encode())
    return cache_dir() / f"optbridge_cpu_{key.hexdigest()[:20]}.so"


def build(verbose: bool = False) -> Path:
    """Compile the kernel library into the cache if it is not there; return its path."""
    compiler = _compiler()
    if compiler is None:
        raise RuntimeError("no C++ compiler found (set CXX or install g++)")
    target = library_path(compiler)
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        src = Path(tmp) / "kernels.cpp"
        src.write_text(CPU_KERNEL_SOURCE)
        out = Path(tmp) / target.name
        cmd = [compiler, *CXX_FLAGS, str(src), "-o", str(out)]
        if verbose:
            print(" ".join(cmd))
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"compiling the CPU kernel failed:\n{done.stderr[-2000:]}")
        os.replace(out, target)  # atomic: concurrent builders never see a partial file
    return target


def _declare(lib: ctypes.CDLL) -> None:
    p, i64, d, i = ctypes.c_void_p, ctypes.c_int64, ctypes.c_double, ctypes.c_int
    for suffix in ("f32", "f64"):
        fn = getattr(lib, f"rmsprop_{suffix}")
        fn.argtypes = [p, p, p, p, p, i64, d, d, d, d, d, i, i, i, i, i, p, i]
        fn.restype = None
        fn = getattr(lib, f"rprop_{suffix}")
        fn.argtypes = [p, p, p, p, i64, d, d, d, d, d, i, i]
        fn.restype = None


def load() -> ctypes.CDLL | None:
    """The loaded kernel library, building it on first use; None when unavailable."""
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
            lib = ctypes.CDLL(str(build()))
            _declare(lib)
            _SQRT.update(_torch_vml_sqrt())
            _library = lib
        except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
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


def _default_threads() -> int:
    # torch's thread count, like torch's own ops; the kernel hands out 64 Ki-element chunks
    # dynamically, so a thread whose vCPU is taken by a neighbour delays one chunk only.
    configured = os.environ.get("OPTBRIDGE_CPU_THREADS")
    if configured:
        return max(1, int(configured))
    return torch.get_num_threads()


def _threads(n: int) -> int:
    return _default_threads() if n >= _PARALLEL_MIN_ELEMENTS else 1


def _ptr(t: Tensor | None) -> int | None:
    return None if t is None else t.data_ptr()


def rmsprop_supports(options: dict[str, Any], dtype: torch.dtype) -> bool:
    """Whether the CPU kernel implements these RMSprop options for this dtype."""
    return (dtype in _DTYPE_SUFFIX and not options.get("nesterov", False)
            and not options.get("bias_correction", False))


def rmsprop(param: Tensor, grad: Tensor, state: dict[str, Tensor], options: dict[str, Any]) -> None:
    """RMSprop on contiguous CPU tensors in one pass (see ``rules.rmsprop_`` for the maths)."""
    lib = load()
    assert lib is not None
    n = param.numel()
    wd = float(options.get("weight_decay", 0.0))
    wd_mode = 0 if wd == 0 else (2 if options.get("decoupled_weight_decay") else 1)
    momentum = float(options.get("momentum", 0.0))
    mom_mode = 0 if momentum <= 0 else (2 if options.get("lr_in_momentum") else 1)
    centered = bool(options.get("centered", False))
    getattr(lib, "rmsprop_" + _DTYPE_SUFFIX[param.dtype])(
        param.data_ptr(), grad.data_ptr(), state["square_avg"].data_ptr(),
        _ptr(state.get("grad_avg")) if centered else None,
        _ptr(state.get("momentum_buffer")) if mom_mode else None,
        n, float(options["lr"]), float(options["alpha"]), float(options["eps"]), wd, momentum,
        wd_mode, int(centered), mom_mode, int(bool(options.get("eps_in_sqrt"))),
        int(bool(options.get("maximize"))), _SQRT.get(param.dtype) if _exact_sqrt else None,
        _threads(n),
    )


def rprop_supports(options: dict[str, Any], dtype: torch.dtype) -> bool:
    """Whether the CPU kernel implements these Rprop options for this dtype."""
    return dtype in _DTYPE_SUFFIX


def rprop(param: Tensor, grad: Tensor, state: dict[str, Tensor], options: dict[str, Any]) -> None:
    """Rprop on contiguous CPU tensors in one pass (see ``rules.rprop_`` for the maths)."""
    lib = load()
    assert lib is not None
    n = param.numel()
    etaminus, etaplus = options.get("etas", (0.5, 1.2))
    lo, hi = options.get("step_sizes", (1e-6, 50.0))
    getattr(lib, "rprop_" + _DTYPE_SUFFIX[param.dtype])(
        param.data_ptr(), grad.data_ptr(), state["prev"].data_ptr(),
        state["step_size"].data_ptr(), n, float(etaminus), float(etaplus), float(lo), float(hi),
        float(options.get("weight_decay", 0.0)), int(bool(options.get("maximize"))), _threads(n),
    )
