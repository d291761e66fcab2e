"""torch_npu (``torch_npu.optim.NpuFusedRMSprop``)."""

from optbridge.frameworks import Framework

FRAMEWORK = Framework(
    key="torch_npu",
    mapping_key="torch_npu",
    display_name="torch_npu",
    facade="optbridge.frameworks.torch_npu.facade",
    driver="optbridge.mappings.checks.drivers:Driver",
)
