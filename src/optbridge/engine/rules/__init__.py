"""Update rules: plain in-place tensor functions, their typed options and their state."""

from optbridge.engine.rules.rmsprop import RMSPROP, RMSpropOptions, rmsprop_
from optbridge.engine.rules.rprop import RPROP, RpropOptions, rprop_
from optbridge.engine.rules.spec import Rule, StateBuffer, StateInit, as_kwargs, init_value

__all__ = [
           "RMSPROP",
           "RPROP",
           "RMSpropOptions",
           "RpropOptions",
           "Rule",
           "StateBuffer",
           "StateInit",
           "as_kwargs",
           "init_value",
           "rmsprop_",
           "rprop_",
]
