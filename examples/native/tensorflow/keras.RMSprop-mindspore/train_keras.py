"""keras.optimizers.RMSprop: a linear model, 10 steps on seeded data, with model.fit and with a
tf.GradientTape loop, both from the same initial weights."""
import keras
import numpy as np
import tensorflow as tf

rng = np.random.default_rng(0)
x = rng.standard_normal((16, 3)).astype(np.float32)
y = (x @ np.array([[1.5], [-2.0], [0.5]]) + 0.3).astype(np.float32)


def make_model():
    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(1)])
    model.set_weights([np.array([[0.1], [-0.2], [0.3]], np.float32), np.zeros(1, np.float32)])
    return model


# 1. compile / fit: one full batch per epoch, so each epoch is one step.
model = make_model()
model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=0.01, rho=0.9), loss="mse")
history = model.fit(x, y, batch_size=16, epochs=10, shuffle=False, verbose=0)
print("model.fit")
for step, loss in enumerate(history.history["loss"], start=1):
    print(f"step {step:2d}  loss {loss:.6f}")
weight, bias = model.get_weights()
print("weight", weight.ravel())
print("bias", bias)

# 2. A custom training loop: tf.GradientTape and apply_gradients.
model = make_model()
optimizer = keras.optimizers.RMSprop(learning_rate=0.01, rho=0.9)
loss_fn = keras.losses.MeanSquaredError()
print("GradientTape")
for step in range(1, 11):
    with tf.GradientTape() as tape:
        loss = loss_fn(y, model(x, training=True))
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    print(f"step {step:2d}  loss {float(loss):.6f}")
weight, bias = model.get_weights()
print("weight", weight.ravel())
print("bias", bias)
