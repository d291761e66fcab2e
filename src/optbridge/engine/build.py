"""``python -m optbridge.engine.build``: compile the CPU kernel into the on-disk cache.

Run it once at setup time (``make`` can call it) so that no training process ever pays the
compile; later processes only ``dlopen`` the cached library.
"""

from __future__ import annotations

import sys
import time

from optbridge.engine.kernels import cpu


def main() -> int:
    start = time.perf_counter()
    try:
        path = cpu.build(verbose="-v" in sys.argv)
    except (RuntimeError, OSError) as exc:  # OSError: an unusable $OPTBRIDGE_CACHE_DIR
        print(f"optbridge: CPU kernel not built ({exc}); the torch-ops fallback will be used",
              file=sys.stderr)
        return 1
    if cpu.load() is None:
        print(f"optbridge: built {path} but could not load it: {cpu.load_error()}",
              file=sys.stderr)
        return 1
    print(f"optbridge CPU kernel ready: {path} ({time.perf_counter() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
