"""MindSpore ``mindspore.nn.RMSProp`` and ``mindspore.nn.Rprop`` on torch tensors.

Called as in MindSpore: ``optimizer(grads)`` with a tuple of gradients, one per parameter in
``optimizer.parameters`` order. Parameters are torch tensors, ``(name, tensor)`` pairs (e.g.
``model.named_parameters()``; names matter for the weight-decay rule) or MindSpore group dicts.
torch's ``step()`` raises a ``TypeError`` saying so: it would skip what the call does (weight
decay, loss scale, gradient centralization, the learning-rate schedule).
"""

from optbridge.frameworks.mindspore.rmsprop import RMSProp
from optbridge.frameworks.mindspore.rprop import Rprop

__all__ = ["RMSProp", "Rprop"]
