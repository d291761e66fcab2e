"""PyTorch, the reference every other framework is compared with (no facade: the real
``torch.optim`` and ``optbridge.optim`` are driven directly)."""

from optbridge.frameworks import Framework

FRAMEWORK = Framework(
    key="torch",
    mapping_key="pytorch",
    display_name="PyTorch",
    driver="optbridge.mappings.checks.drivers:Driver",
    modules=("torch", "optbridge.optim"),
)
