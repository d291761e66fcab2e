"""Public import path of the mindspore facade; it lives in :mod:`optbridge.frameworks.mindspore`."""

from optbridge.frameworks.mindspore.facade import *
from optbridge.frameworks.mindspore.facade import __all__  # noqa: F401
