"""OneFlow (``oneflow.optim.RMSprop``; its data is derived from OneFlow's source, see
recorder.py)."""

from pathlib import Path

from optbridge.frameworks import Framework

FRAMEWORK = Framework(
    key="oneflow",
    mapping_key="oneflow",
    display_name="OneFlow",
    facade="optbridge.frameworks.oneflow.facade",
    driver="optbridge.mappings.checks.drivers:Driver",
    data_dir=Path(__file__).parent / "data",
    recorder="optbridge.frameworks.oneflow.recorder",
    recorder_env=None,  # derived with numpy in this interpreter: OneFlow cannot be installed
)
