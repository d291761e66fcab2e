"""Keras 3 (``keras.optimizers.RMSprop``, which is ``tf.keras.optimizers.RMSprop``)."""

from pathlib import Path

from optbridge.frameworks import Framework

FRAMEWORK = Framework(
    key="keras",
    mapping_key="tensorflow",
    display_name="TensorFlow",
    facade="optbridge.frameworks.keras.facade",
    driver="optbridge.frameworks.keras.driver:KerasDriver",
    # Mapping tables name it as TensorFlow users write it; the recorder writes Keras's own name.
    api_aliases={"tf.keras.optimizers.RMSprop": "keras.optimizers.RMSprop"},
    import_aliases={"tf": "tensorflow"},
    data_dir=Path(__file__).parent / "data",
    recorder="optbridge.frameworks.keras.recorder",
    recorder_env="tensorflow",
)
