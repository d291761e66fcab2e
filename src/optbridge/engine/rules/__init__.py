"""Update rules: plain in-place tensor functions plus the state each one declares."""

from optbridge.engine.rules.rmsprop import RMSPROP, rmsprop_
from optbridge.engine.rules.rprop import RPROP, rprop_
from optbridge.engine.rules.spec import Rule, StateBuffer, StateInit, init_value

__all__ = ["RMSPROP", "RPROP", "Rule", "StateBuffer", "StateInit", "init_value", "rmsprop_", "rprop_"]
