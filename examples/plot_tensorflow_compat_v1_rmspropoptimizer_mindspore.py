"""
tf.compat.v1.train.RMSPropOptimizer → mindspore.nn.RMSProp
==========================================================

The same model and data trained with TensorFlow 1's ``RMSPropOptimizer`` and with MindSpore's
``nn.RMSProp`` semantics (both reproduced on PyTorch tensors by ``optbridge.compat``). It is the
same algorithm, accumulator starting at one included, so the trajectories agree without any
adjustment. Keras' ``RMSprop``, which TF1's migration note calls equivalent, does not.
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
# TF1 (eager): ``minimize`` takes a loss function and the variables.

# optbridge: source
from optbridge.compat import tf1 as train  # stands for tf.compat.v1.train

model = make_model()
variables = list(model.parameters())
optimizer = train.RMSPropOptimizer(learning_rate=0.01)
tf1_losses = []


def loss_fn() -> torch.Tensor:
    loss = loss_of(model)
    tf1_losses.append(loss.item())
    return loss


for _ in range(STEPS):
    optimizer.minimize(loss_fn, var_list=variables)

# %%
# MindSpore: the parameters go to the constructor, and the optimizer is called with a tuple of
# gradients. The defaults of ``decay`` (0.9) and ``epsilon`` (1e-10) are TF1's.

# optbridge: target
from optbridge.compat import mindspore as nn  # stands for mindspore.nn

model = make_model()
variables = list(model.parameters())
optimizer = nn.RMSProp(variables, learning_rate=0.01)
mindspore_losses = []
for _ in range(STEPS):
    loss = loss_of(model)
    grads = torch.autograd.grad(loss, variables)
    optimizer(grads)
    mindspore_losses.append(loss.item())


# %%
# Both with momentum and an exponentially decaying learning rate (a function of
# ``global_step`` in TF1, a list of per-step values in MindSpore), and Keras with TF1's
# hyperparameters for comparison.
def largest_gap(a: list[float], b: list[float]) -> float:
    return max(abs(x - y) for x, y in zip(a, b, strict=True))


def train_tf1() -> list[float]:
    model = make_model()
    global_step = torch.zeros((), dtype=torch.int64)
    optimizer = train.RMSPropOptimizer(learning_rate=lambda: 0.01 * 0.9 ** int(global_step),
                                       momentum=0.9)
    losses = []
    for _ in range(STEPS):
        loss = loss_of(model)
        grads_and_vars = optimizer.compute_gradients(lambda loss=loss: loss,
                                                     var_list=list(model.parameters()))
        optimizer.apply_gradients(grads_and_vars, global_step=global_step)
        losses.append(loss.item())
    return losses


def train_mindspore() -> list[float]:
    model = make_model()
    variables = list(model.parameters())
    optimizer = nn.RMSProp(variables, learning_rate=[0.01 * 0.9**t for t in range(STEPS)],
                           momentum=0.9)
    losses = []
    for _ in range(STEPS):
        loss = loss_of(model)
        optimizer(torch.autograd.grad(loss, variables))
        losses.append(loss.item())
    return losses


def train_keras() -> list[float]:
    from optbridge.compat import keras

    model = make_model()
    variables = list(model.parameters())
    optimizer = keras.RMSprop(learning_rate=0.01, rho=0.9, epsilon=1e-10)
    losses = []
    for _ in range(STEPS):
        loss = loss_of(model)
        optimizer.apply_gradients(zip(torch.autograd.grad(loss, variables), variables))
        losses.append(loss.item())
    return losses


tf1_momentum, mindspore_momentum, keras_losses = train_tf1(), train_mindspore(), train_keras()

print(f"device: {device}")
print("loss at steps 1, 10, 20, 30, 40")
for label, losses in (("TF1", tf1_losses), ("MindSpore", mindspore_losses),
                      ("TF1, momentum + decay", tf1_momentum),
                      ("MindSpore, same", mindspore_momentum),
                      ("Keras 3, TF1's settings", keras_losses)):
    print(f"  {label:<24}" + " ".join(f"{losses[i]:9.5f}" for i in (0, 9, 19, 29, 39)))
matched_gap = largest_gap(tf1_losses, mindspore_losses)
momentum_gap = largest_gap(tf1_momentum, mindspore_momentum)
keras_gap = largest_gap(tf1_losses, keras_losses)
print(f"largest loss gap to TF1: MindSpore {matched_gap:.1e}, MindSpore with momentum and lr "
      f"decay {momentum_gap:.1e}, Keras {keras_gap:.1e}")
assert matched_gap < 1e-5, matched_gap
assert momentum_gap < 1e-5, momentum_gap
assert keras_gap > 1e-2, keras_gap

# %%
# TF1 accepts any value at construction; MindSpore checks types and ranges.
for options in ({"decay": 1}, {"momentum": -0.1}, {"epsilon": 0.0}):
    train.RMSPropOptimizer(learning_rate=0.01, **options)
    try:
        nn.RMSProp(list(make_model().parameters()), **options)
    except (TypeError, ValueError) as error:
        print(f"MindSpore {options}: {type(error).__name__}")
    else:
        raise AssertionError(f"MindSpore accepted {options}")

from optbridge.plotting import plot_curves

plot_curves(
    {
        "tf.compat.v1.train.RMSPropOptimizer": tf1_losses,
        "mindspore.nn.RMSProp": mindspore_losses,
        "TF1, momentum 0.9 and lr decay": tf1_momentum,
        "MindSpore, momentum 0.9 and lr decay": mindspore_momentum,
        "tf.keras.optimizers.RMSprop, same settings": keras_losses,
    },
    title="Training loss per step: tf.compat.v1.train.RMSPropOptimizer and mindspore.nn.RMSProp",
    title_zh="每步训练损失：tf.compat.v1.train.RMSPropOptimizer 与 mindspore.nn.RMSProp",
    labels_zh={
        "TF1, momentum 0.9 and lr decay": "TF1，momentum 0.9 并衰减学习率",
        "MindSpore, momentum 0.9 and lr decay": "MindSpore，momentum 0.9 并衰减学习率",
        "tf.keras.optimizers.RMSprop, same settings": "tf.keras.optimizers.RMSprop，相同设置",
    },
    log=True,
)
plt.show()
