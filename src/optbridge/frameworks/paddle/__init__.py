"""PaddlePaddle (``paddle.optimizer.RMSProp``, ``paddle.optimizer.Rprop``)."""

from pathlib import Path

from optbridge.frameworks import Framework

FRAMEWORK = Framework(
    key="paddle",
    mapping_key="paddle",
    display_name="PaddlePaddle",
    facade="optbridge.frameworks.paddle.facade",
    driver="optbridge.frameworks.paddle.driver:PaddleDriver",
    data_dir=Path(__file__).parent / "data",
    recorder="optbridge.frameworks.paddle.recorder",
    recorder_env="paddle",
)
