"""Public import path of the torch_npu facade; it lives in :mod:`optbridge.frameworks.torch_npu`."""

from optbridge.frameworks.torch_npu.facade import *
from optbridge.frameworks.torch_npu.facade import __all__  # noqa: F401
