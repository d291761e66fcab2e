"""MindSpore (``mindspore.nn.RMSProp``, ``mindspore.nn.Rprop``)."""
