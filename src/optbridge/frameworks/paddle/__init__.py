"""Paddle (``paddle.optimizer.RMSProp``, ``paddle.optimizer.Rprop``)."""
