"""OneFlow (``oneflow.optim.RMSprop``)."""
