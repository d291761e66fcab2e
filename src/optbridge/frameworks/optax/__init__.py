"""optax 0.2.8 (``optax.rmsprop``, ``optax.rprop``)."""

from pathlib import Path

from optbridge.frameworks import Framework

FRAMEWORK = Framework(
    key="optax",
    mapping_key="optax",
    display_name="optax",
    facade="optbridge.frameworks.optax.facade",
    driver="optbridge.frameworks.optax.driver:OptaxDriver",
    data_dir=Path(__file__).parent / "data",
    recorder="optbridge.frameworks.optax.recorder",
    recorder_env="optax",
)
