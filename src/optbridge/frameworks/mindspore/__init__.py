"""MindSpore (``mindspore.nn.RMSProp``, ``mindspore.nn.Rprop``)."""

from pathlib import Path

from optbridge.frameworks import Framework

FRAMEWORK = Framework(
    key="mindspore",
    mapping_key="mindspore",
    display_name="MindSpore",
    facade="optbridge.frameworks.mindspore.facade",
    driver="optbridge.frameworks.mindspore.driver:MindSporeDriver",
    # Where the facade keeps each state: the optimizer attribute, a tuple with one per param.
    state_names={"mean_square": "ms", "moment": "moment", "mean_grad": "mg"},
    data_dir=Path(__file__).parent / "data",
    recorder="optbridge.frameworks.mindspore.recorder",
    recorder_env="mindspore",
)
