"""Public import path of the paddle facade; it lives in :mod:`optbridge.frameworks.paddle`."""

from optbridge.frameworks.paddle.facade import *
from optbridge.frameworks.paddle.facade import __all__  # noqa: F401
