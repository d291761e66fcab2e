"""torch_npu (``torch_npu.optim.NpuFusedRMSprop``; its signature is derived from the source,
since torch_npu cannot be installed without an Ascend NPU)."""

from pathlib import Path

from optbridge.frameworks import Framework

FRAMEWORK = Framework(
    key="torch_npu",
    mapping_key="torch_npu",
    display_name="torch_npu",
    facade="optbridge.frameworks.torch_npu.facade",
    driver="optbridge.mappings.checks.drivers:Driver",
    data_dir=Path(__file__).parent / "data",
)
