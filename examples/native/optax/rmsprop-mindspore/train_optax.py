"""optax.rmsprop with weight decay (optax.chain): a linear model, 10 steps on seeded data."""
import jax
import jax.numpy as jnp
import numpy as np
import optax

rng = np.random.default_rng(0)
x = rng.standard_normal((16, 3)).astype(np.float32)
y = (x @ np.array([[1.5], [-2.0], [0.5]]) + 0.3).astype(np.float32)

params = {"weight": jnp.array([[0.1], [-0.2], [0.3]]), "bias": jnp.zeros(1)}


def loss_fn(params, inputs, targets):
    predictions = inputs @ params["weight"] + params["bias"]
    return jnp.mean((predictions - targets) ** 2)


# Coupled weight decay, as MindSpore's weight_decay: add wd * w to the gradient first.
optimizer = optax.chain(
    optax.add_decayed_weights(weight_decay=1e-2),
    optax.rmsprop(learning_rate=0.01, decay=0.9, eps=1e-8),
)
opt_state = optimizer.init(params)

inputs, targets = jnp.asarray(x), jnp.asarray(y)
for step in range(1, 11):
    loss, grads = jax.value_and_grad(loss_fn)(params, inputs, targets)
    updates, opt_state = optimizer.update(grads, opt_state, params)
    params = optax.apply_updates(params, updates)
    print(f"step {step:2d}  loss {float(loss):.6f}")

print("weight", np.asarray(params["weight"]).ravel())
print("bias", np.asarray(params["bias"]))
