"""Public import path of the oneflow facade; it lives in :mod:`optbridge.frameworks.oneflow`."""

from optbridge.frameworks.oneflow.facade import *
from optbridge.frameworks.oneflow.facade import __all__  # noqa: F401
