"""Paddle's optimizers are torch-like but take their parameters as ``parameters=``."""

from optbridge.mappings.checks.drivers import Driver


class PaddleDriver(Driver):
    params_keyword = "parameters"
