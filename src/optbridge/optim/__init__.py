"""Fused drop-in replacements for ``torch.optim.RMSprop`` and ``torch.optim.Rprop``."""

from optbridge.optim.rmsprop import FusedRMSprop
from optbridge.optim.rprop import FusedRprop

__all__ = ["FusedRMSprop", "FusedRprop"]
