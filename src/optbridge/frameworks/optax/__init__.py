"""optax (``optax.rmsprop``, ``optax.rprop``)."""
