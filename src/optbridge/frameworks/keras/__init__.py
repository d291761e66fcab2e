"""Keras 3 (``keras.optimizers.RMSprop``)."""
