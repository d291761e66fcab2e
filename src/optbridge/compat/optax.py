"""Public import path of the optax facade; it lives in :mod:`optbridge.frameworks.optax`."""

from optbridge.frameworks.optax.facade import *
from optbridge.frameworks.optax.facade import __all__  # noqa: F401
