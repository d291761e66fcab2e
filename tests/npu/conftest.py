import pytest
import torch

from optbridge import npu


@pytest.fixture(scope="session", autouse=True)
def simulated_npu():
    if npu.real_torch_npu_available():
        pytest.skip("the real torch_npu is installed: the simulation refuses to install")
    npu.install()
    return torch.device("npu", 0)
