"""Public import path of the keras facade; it lives in :mod:`optbridge.frameworks.keras`."""

from optbridge.frameworks.keras.facade import *
from optbridge.frameworks.keras.facade import __all__  # noqa: F401
