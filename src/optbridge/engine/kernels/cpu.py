"""Build, cache and call the one-pass CPU kernels (a C++/OpenMP Python extension).

The update loops are compiled once per CPU capability (``DEFAULT``, and on x86 ``AVX2`` and
``AVX512``, with the flags torch compiles its own kernels with), each into its own library,
plus one binding extension; at load the loops of the capability torch itself dispatches to
(``torch.backends.cpu.get_cpu_capability()``) are used, so the binaries are portable between
CPUs, not bound to the building one. ``pip install`` compiles them into the package
(``setup.py``), so a user's first step loads them; otherwise (an editable install, a package
built without a compiler) they are compiled on first use into a directory keyed by a hash of the
sources, the flags, the compiler, torch's version and Python's, so a later process imports
them in milliseconds. The extension reads ``p.grad`` and the optimizer state of every param
itself, so a step costs no Python work per tensor. If anything fails the engine falls back to
the rule's torch ops, and says so once.
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
import time
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any

import torch
from torch import Tensor

from optbridge import environment
from optbridge.engine.kernels.cpu_math_source import COMMON_HEADER, MATH_SOURCE
from optbridge.engine.kernels.cpu_source import BINDING_SOURCE
from optbridge.engine.rules.rmsprop import RMSpropOptions
from optbridge.engine.rules.rprop import RpropOptions

# -ffp-contract=off: a multiply-add is fused exactly where torch's kernels fuse it, no more.
CXX_FLAGS = ("-O3", "-ffp-contract=off", "-fno-math-errno", "-shared", "-fPIC", "-std=c++20",
             "-w")
#: The CPU capabilities torch compiles its kernels for (cmake/Codegen.cmake) and their flags.
CAPABILITY_FLAGS = {
    "DEFAULT": (),
    "AVX2": ("-mavx2", "-mfma", "-mf16c"),
    "AVX512": ("-mavx512f", "-mavx512bw", "-mavx512vl", "-mavx512dq", "-mfma", "-mf16c"),
}
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
_variant: ctypes.CDLL | None = None  # the loops' library, kept loaded while the binding is


def cache_dir() -> Path:
    """Where compiled kernels live: ``$OPTBRIDGE_CACHE_DIR`` or ``~/.cache/optbridge/kernels``."""
    root = environment.directory("OPTBRIDGE_CACHE_DIR", "the CPU kernel cannot be built or cached "
                                 "there, so the optimizers use their slower torch-ops path")
    return root or Path.home() / ".cache" / "optbridge" / "kernels"


def _compiler() -> str | None:
    return os.environ.get("CXX") or shutil.which("c++") or shutil.which("g++")


def capabilities() -> tuple[str, ...]:
    """The capability variants built here: torch's x86 set, or only DEFAULT elsewhere."""
    if platform.machine().lower() in ("x86_64", "amd64"):
        return ("DEFAULT", "AVX2", "AVX512")
    return ("DEFAULT",)


def capability() -> str:
    """The variant this process runs: the capability torch's own CPU kernels dispatch to."""
    torch_capability = torch.backends.cpu.get_cpu_capability()
    for name in ("AVX512", "AVX2"):
        if name in torch_capability and name in capabilities():
            return name
    return "DEFAULT"


def _torch_includes() -> list[str]:
    from torch.utils import cpp_extension

    return [*(f"-I{d}" for d in cpp_extension.include_paths()),
            f"-I{sysconfig.get_paths()['include']}",
            f"-D_GLIBCXX_USE_CXX11_ABI={int(torch.compiled_with_cxx11_abi())}"]


def _torch_libs(*names: str) -> list[str]:
    from torch.utils import cpp_extension

    lib = cpp_extension.library_paths()[0]
    return [f"-L{lib}", f"-Wl,-rpath,{lib}", *(f"-l{n}" for n in names)]


def _binding_name(*key_parts: str) -> str:
    """The binding extension's file name: a hash of the sources, the flags, torch's version,
    Python's and ``key_parts``, so a change to any of them never loads a stale binary."""
    key = hashlib.sha256()
    for part in (COMMON_HEADER, MATH_SOURCE, BINDING_SOURCE, " ".join(CXX_FLAGS),
                 repr(sorted(CAPABILITY_FLAGS.items())), torch.__version__, sys.version,
                 *key_parts):
        key.update(part.encode())
    suffix = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
    return f"optbridge_cpu_{key.hexdigest()[:20]}{suffix}"


def library_path(compiler: str) -> Path:
    """The cache path of the binding extension for these sources, flags, compiler, torch and
    Python; each capability's loops lie beside it (``variant_path``)."""
    return cache_dir() / _binding_name(compiler)


def installed_path(package_dir: Path | None = None) -> Path:
    """Where ``pip install`` puts the binding extension inside the package (``package_dir``: the
    ``optbridge`` folder being built; default: the one imported). Keyed without the compiler:
    the user running it may have none."""
    root = package_dir if package_dir is not None else Path(__file__).parents[2]
    return root / "engine" / "kernels" / "compiled" / _binding_name()


def variant_path(binding: Path, name: str) -> Path:
    """The library of one capability's loops, beside the binding ``binding``."""
    return binding.with_name(f"{binding.name.split('.')[0]}_{name.lower()}.so")


def build(verbose: bool = False, target: Path | None = None) -> Path:
    """Compile the binding and every capability's loops (concurrently) to ``target`` (default:
    the cache) if they are not there; return the binding's path."""
    compiler = _compiler()
    if compiler is None:
        raise RuntimeError("no C++ compiler found (set CXX or install g++)")
    target = target if target is not None else library_path(compiler)
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    module = target.name.split(".")[0]
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        work = Path(tmp)
        (work / "optbridge_kernels.h").write_text(COMMON_HEADER)
        (work / "math.cpp").write_text(MATH_SOURCE)
        (work / "binding.cpp").write_text(BINDING_SOURCE)
        jobs = {variant_path(target, name): [
            compiler, *CXX_FLAGS, *flags, f"-DCPU_CAPABILITY={name}",
            f"-DCPU_CAPABILITY_{name}", f"-I{work}", str(work / "math.cpp"), "-o",
            str(work / variant_path(target, name).name), *_torch_includes(),
            *_torch_libs("c10")] for name, flags in CAPABILITY_FLAGS.items()
            if name in capabilities()}
        jobs[target] = [compiler, *CXX_FLAGS, "-fopenmp", f"-DOPTBRIDGE_MODULE={module}",
                        f"-I{work}", str(work / "binding.cpp"), "-o", str(work / target.name),
                        *_torch_includes(),
                        *_torch_libs("torch", "torch_cpu", "c10", "torch_python")]
        running = {}
        for out, cmd in jobs.items():
            if verbose:
                print(" ".join(cmd))
            running[out] = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                                            stderr=subprocess.PIPE, text=True)
        failures = []
        for out, proc in running.items():
            _, err = proc.communicate(timeout=900)
            if proc.returncode != 0:
                failures.append(f"{out.name}: {err[-2000:]}")
        if failures:
            raise RuntimeError("compiling the CPU kernel failed:\n" + "\n".join(failures))
        # the binding last, atomically: whoever sees it finds every variant beside it
        for out in sorted(jobs, key=lambda p: p == target):
            os.replace(work / out.name, out)
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
    """The loaded kernel extension, building it on first use; None when unavailable (the
    first failure warns once: the optimizers then run the rule's slower torch ops)."""
    global _library, _load_error, _variant
    if _library is not None or _load_error is not None:
        return _library
    with _lock:
        if _library is not None or _load_error is not None:
            return _library
        if environment.flag("OPTBRIDGE_DISABLE_CPU_KERNEL"):
            _load_error = "disabled by OPTBRIDGE_DISABLE_CPU_KERNEL"
            return None
        try:
            lib = _import(_build_announced())
            _variant = ctypes.CDLL(str(variant_path(Path(lib.__file__), capability())))
            table = _variant.optbridge_table
            table.restype = ctypes.c_void_p
            lib.set_table(table())
            _SQRT.update(_torch_vml_sqrt())
            _library = lib
        except (OSError, ImportError, RuntimeError, subprocess.SubprocessError) as exc:
            _load_error = str(exc)
            warnings.warn(f"optbridge: the CPU kernel is unavailable ({_load_error.strip()}); "
                          "the fused optimizers run the rule's torch ops instead, several times "
                          "slower", RuntimeWarning, stacklevel=3)
    return _library


def _build_announced() -> Path:
    """The binding ``pip install`` compiled, else ``build()``'s, saying on stderr that it
    compiles and how long it took, when it does."""
    if installed_path().exists():
        return installed_path()
    compiler = _compiler()
    if compiler is not None and library_path(compiler).exists():
        return library_path(compiler)
    print("optbridge: compiling the CPU kernel (once; later processes load it from "
          f"{cache_dir()}). This takes a minute or two...", file=sys.stderr, flush=True)
    start = time.perf_counter()
    path = build()
    print(f"optbridge: CPU kernel compiled in {time.perf_counter() - start:.1f} s",
          file=sys.stderr, flush=True)
    return path


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
_exact_sqrt = environment.flag("OPTBRIDGE_EXACT_SQRT")


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
    count = environment.positive_integer(THREADS_VARIABLE, "the CPU kernel's thread count")
    if count is None:
        return torch.get_num_threads()
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


# The kernel's buffer slots, from the same predicates that create the buffers. The same
# tuple objects every step: the plan compares them by identity.
_RMSPROP_SLOTS = {(c, m): ("square_avg", "grad_avg" if c else None, "momentum_buffer" if m else None)
                  for c in (False, True) for m in (False, True)}
_RPROP_SLOTS = ("prev", "step_size")


def _rmsprop_slots(options: RMSpropOptions) -> tuple[str | None, str | None, str | None]:
    return _RMSPROP_SLOTS[bool(options.centered), options.uses_momentum]


def new_plan() -> Any:
    """An empty plan for one param group: the step's pointers, cached between steps."""
    lib = load()
    assert lib is not None
    return lib.Plan()


def rmsprop_group(params: list[Tensor], state: dict, options: RMSpropOptions,
                  plan: Any) -> tuple[Any, ...]:
    """RMSprop on a param group in place; returns what ``kernels.GroupFn`` describes."""
    lib = load()
    assert lib is not None
    return lib.rmsprop_group(plan, params, state, _rmsprop_slots(options), "step",
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


def rprop_group(params: list[Tensor], state: dict, options: RpropOptions,
                plan: Any) -> tuple[Any, ...]:
    """Rprop on a param group in place; returns what ``kernels.GroupFn`` describes."""
    lib = load()
    assert lib is not None
    return lib.rprop_group(plan, params, state, _RPROP_SLOTS, "step", *_rprop_args(options))


def rprop_lists(params: list[Tensor], grads: list[Tensor], state: dict[str, list[Tensor]],
                steps: list[Tensor] | None, options: RpropOptions) -> list[int]:
    """Rprop on explicit tensor lists in place; returns the indices it did not take."""
    lib = load()
    assert lib is not None
    buffers = [state["prev"], state["step_size"]]
    return lib.rprop_lists(params, grads, buffers, steps, *_rprop_args(options))[0]
