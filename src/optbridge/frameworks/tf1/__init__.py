"""TensorFlow 1 (``tf.compat.v1.train.RMSPropOptimizer``)."""

from pathlib import Path

from optbridge.frameworks import Framework

FRAMEWORK = Framework(
    key="tf1",
    mapping_key="tensorflow",
    display_name="TensorFlow",
    facade="optbridge.frameworks.tf1.facade",
    driver="optbridge.frameworks.tf1.driver:Tf1Driver",
    import_aliases={"tf": "tensorflow"},
    data_dir=Path(__file__).parent / "data",
    recorder="optbridge.frameworks.tf1.recorder",
    recorder_env="tensorflow",
)
