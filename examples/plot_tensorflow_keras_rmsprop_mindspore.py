"""
tf.keras.optimizers.RMSprop → mindspore.nn.RMSProp
==================================================

The same model and data trained with Keras 3's ``RMSprop`` (``tf.keras`` in TensorFlow 2.21)
and with MindSpore's ``nn.RMSProp`` semantics (both reproduced on PyTorch tensors by
``optbridge.compat``). The update formulas are the same; MindSpore starts its accumulator at
one, and its weight decay is added to the gradient where Keras shrinks the weights directly.
"""

# %%
# A small least-squares problem, identical for both frameworks.
import matplotlib.pyplot as plt
import torch

from optbridge.devices import device_from_argv

device = device_from_argv()
STEPS = 40
generator = torch.Generator().manual_seed(0)
features = torch.randn(64, 8, generator=generator).to(device)
targets = (features.cpu() @ torch.randn(8, 1, generator=generator)).to(device)


def make_model() -> torch.nn.Linear:
    torch.manual_seed(1)
    return torch.nn.Linear(8, 1).to(device)


def loss_of(model: torch.nn.Module) -> torch.Tensor:
    return torch.nn.functional.mse_loss(model(features), targets)


# %%
# Keras: gradients of the variables (``tape.gradient`` in TensorFlow), then
# ``apply_gradients`` with ``(gradient, variable)`` pairs.

# optbridge: source
from optbridge.compat import keras as optimizers  # stands for tf.keras.optimizers

model = make_model()
variables = list(model.parameters())
optimizer = optimizers.RMSprop(learning_rate=0.01, rho=0.9)
keras_losses = []
for _ in range(STEPS):
    loss = loss_of(model)
    grads = torch.autograd.grad(loss, variables)
    optimizer.apply_gradients(zip(grads, variables))
    keras_losses.append(loss.item())

# %%
# MindSpore: the parameters go to the constructor, and the optimizer is called with a tuple of
# gradients. Keras' default epsilon (1e-07) is written out; MindSpore's is 1e-10.

# optbridge: target
from optbridge.compat import mindspore as nn  # stands for mindspore.nn

model = make_model()
variables = list(model.parameters())
optimizer = nn.RMSProp(variables, learning_rate=0.01, decay=0.9, epsilon=1e-7)
mindspore_losses = []
for _ in range(STEPS):
    loss = loss_of(model)
    grads = torch.autograd.grad(loss, variables)
    optimizer(grads)
    mindspore_losses.append(loss.item())


# %%
# MindSpore's ``mean_square`` starts at ones, Keras' ``velocity`` at zeros. Seeded with zeros,
# MindSpore follows Keras, with momentum and a decaying learning rate too: both multiply the
# learning rate into the momentum buffer (Keras' docstring says ``1 - momentum``; its code uses
# ``momentum``).
def largest_gap(a: list[float], b: list[float]) -> float:
    return max(abs(x - y) for x, y in zip(a, b, strict=True))


def train_keras(**options: object) -> list[float]:
    model = make_model()
    variables = list(model.parameters())
    optimizer = optimizers.RMSprop(**options)
    losses = []
    for _ in range(STEPS):
        loss = loss_of(model)
        optimizer.apply_gradients(zip(torch.autograd.grad(loss, variables), variables))
        losses.append(loss.item())
    return losses


def train_mindspore(**options: object) -> list[float]:
    model = make_model()
    variables = list(model.parameters())
    optimizer = nn.RMSProp(variables, **options)
    for buffer in optimizer.ms:  # MindSpore: the `mean_square` parameters
        buffer.zero_()
    losses = []
    for _ in range(STEPS):
        loss = loss_of(model)
        optimizer(torch.autograd.grad(loss, variables))
        losses.append(loss.item())
    return losses


seeded_losses = train_mindspore(learning_rate=0.01, decay=0.9, epsilon=1e-7)
# The same exponential decay: a schedule called with the step count in Keras, a list of
# per-step values (MindSpore's dynamic learning rate) in MindSpore.
keras_momentum = train_keras(learning_rate=lambda step: 0.01 * 0.9**step, rho=0.9, momentum=0.9)
mindspore_momentum = train_mindspore(learning_rate=[0.01 * 0.9**t for t in range(STEPS)],
                                     decay=0.9, epsilon=1e-7, momentum=0.9)

# %%
# Weight decay: Keras shrinks the weights by ``lr·wd·w`` (decoupled), MindSpore adds ``wd·w``
# to the gradient before the normalisation (coupled). The same value has different effects.
keras_decay = train_keras(learning_rate=0.01, rho=0.9, weight_decay=0.1)
mindspore_decay = train_mindspore(learning_rate=0.01, decay=0.9, epsilon=1e-7,
                                  weight_decay=0.1)

print(f"device: {device}")
print("loss at steps 1, 10, 20, 30, 40")
for label, losses in (("Keras", keras_losses), ("MindSpore", mindspore_losses),
                      ("MindSpore, mean_square=0", seeded_losses),
                      ("Keras, momentum + decay", keras_momentum),
                      ("MindSpore, same", mindspore_momentum),
                      ("Keras, weight_decay=0.1", keras_decay),
                      ("MindSpore, same", mindspore_decay)):
    print(f"  {label:<25}" + " ".join(f"{losses[i]:9.5f}" for i in (0, 9, 19, 29, 39)))
start_gap = largest_gap(keras_losses, mindspore_losses)
seeded_gap = largest_gap(keras_losses, seeded_losses)
momentum_gap = largest_gap(keras_momentum, mindspore_momentum)
decay_gap = largest_gap(keras_decay, mindspore_decay)
print(f"largest loss gap: accumulator from one {start_gap:.1e}, from zero {seeded_gap:.1e}, "
      f"momentum and lr decay {momentum_gap:.1e}, weight decay {decay_gap:.1e}")
assert start_gap > 1e-2, start_gap
assert seeded_gap < 1e-5, seeded_gap
assert momentum_gap < 1e-5, momentum_gap
assert decay_gap > 1e-3, decay_gap

# %%
# MindSpore checks its arguments; Keras accepts these values.
for keras_options, mindspore_options in (({"rho": 1}, {"decay": 1}),
                                         ({"momentum": -0.1}, {"momentum": -0.1}),
                                         ({"epsilon": 0.0}, {"epsilon": 0.0})):
    optimizers.RMSprop(**keras_options)
    try:
        nn.RMSProp(list(make_model().parameters()), **mindspore_options)
    except (TypeError, ValueError) as error:
        print(f"MindSpore {mindspore_options}: {type(error).__name__}")
    else:
        raise AssertionError(f"MindSpore accepted {mindspore_options}")

from optbridge.plotting import plot_curves

plot_curves(
    {
        "tf.keras.optimizers.RMSprop": keras_losses,
        "mindspore.nn.RMSProp": mindspore_losses,
        "mindspore.nn.RMSProp, mean_square = 0": seeded_losses,
        "Keras, weight_decay=0.1 (decoupled)": keras_decay,
        "MindSpore, mean_square = 0, weight_decay=0.1": mindspore_decay,
    },
    title="Training loss per step: tf.keras.optimizers.RMSprop and mindspore.nn.RMSProp",
    title_zh="每步训练损失：tf.keras.optimizers.RMSprop 与 mindspore.nn.RMSProp",
    labels_zh={
        "Keras, weight_decay=0.1 (decoupled)": "Keras, weight_decay=0.1（解耦）",
    },
    log=True,
)
plt.show()
