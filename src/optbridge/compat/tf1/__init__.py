"""Public import path of the tf1 facade; it lives in :mod:`optbridge.frameworks.tf1`."""

from optbridge.frameworks.tf1.facade import *
from optbridge.frameworks.tf1.facade import __all__  # noqa: F401
