"""
paddle.optimizer.RMSProp → mindspore.nn.RMSProp
===============================================

The same model and data trained with Paddle's ``optimizer.RMSProp`` and with MindSpore's
``nn.RMSProp`` semantics (both reproduced on PyTorch tensors by ``optbridge.compat``). The update
formulas are the same; MindSpore starts its accumulator at one and, without parameter groups,
skips weight decay for parameters named ``beta`` or ``gamma``.
"""

# %%
# A small least-squares problem. The model has a scale parameter named ``gamma``, as MindSpore
# names the scales of its normalisation layers.
import matplotlib.pyplot as plt
import torch

from optbridge.devices import device_from_argv

device = device_from_argv()
STEPS = 40
generator = torch.Generator().manual_seed(0)
features = torch.randn(64, 8, generator=generator).to(device)
targets = (features.cpu() @ torch.randn(8, 1, generator=generator)).to(device)


class ScaledLinear(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.dense = torch.nn.Linear(8, 1)
        self.gamma = torch.nn.Parameter(torch.ones(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.gamma * self.dense(x)


def make_model() -> ScaledLinear:
    torch.manual_seed(1)
    return ScaledLinear().to(device)


def loss_of(model: torch.nn.Module) -> torch.Tensor:
    return torch.nn.functional.mse_loss(model(features), targets)


# %%
# Paddle: ``backward()``, ``step()``, ``clear_grad()``.

# optbridge: source
from optbridge.compat import paddle as optim  # stands for paddle.optimizer

model = make_model()
opt = optim.RMSProp(learning_rate=0.01, rho=0.9, epsilon=1e-6, parameters=model.parameters())
paddle_losses = []
for _ in range(STEPS):
    loss = loss_of(model)
    loss.backward()
    opt.step()
    opt.clear_grad()
    paddle_losses.append(loss.item())

# %%
# MindSpore: named parameters (``net.trainable_params()`` in MindSpore), and the optimizer is
# called with a tuple of gradients. ``rho`` is called ``decay`` (default 0.9, not 0.95).

# optbridge: target
from optbridge.compat import mindspore as nn  # stands for mindspore.nn

model = make_model()
optimizer = nn.RMSProp(list(model.named_parameters()), learning_rate=0.01, decay=0.9,
                       epsilon=1e-6)
mindspore_losses = []
for _ in range(STEPS):
    model.zero_grad()
    loss = loss_of(model)
    loss.backward()
    optimizer(tuple(p.grad for p in optimizer.parameters))
    mindspore_losses.append(loss.item())


# %%
# MindSpore's ``mean_square`` starts at ones, Paddle's at zeros. Seeded with zeros, MindSpore
# follows Paddle, with momentum and a decaying learning rate too: both use plain momentum with
# the learning rate inside the buffer (Paddle's docs say Nesterov; its kernel is plain).
def largest_gap(a: list[float], b: list[float]) -> float:
    return max(abs(x - y) for x, y in zip(a, b, strict=True))


def train_paddle(lr_decay: float = 1.0, **options: object) -> list[float]:
    model = make_model()
    opt = optim.RMSProp(parameters=model.parameters(), **options)
    losses = []
    for _ in range(STEPS):
        loss = loss_of(model)
        loss.backward()
        opt.step()
        opt.clear_grad()
        opt.set_lr(opt.get_lr() * lr_decay)
        losses.append(loss.item())
    return losses


def train_mindspore(groups: bool = False, **options: object) -> list[float]:
    model = make_model()
    params = list(model.named_parameters())
    if groups:  # one group that sets weight_decay explicitly for every parameter
        params = [{"params": params, "weight_decay": options.pop("weight_decay")}]
    optimizer = nn.RMSProp(params, **options)
    for buffer in optimizer.ms:  # MindSpore: the `mean_square` parameters
        buffer.zero_()
    losses = []
    for _ in range(STEPS):
        model.zero_grad()
        loss = loss_of(model)
        loss.backward()
        optimizer(tuple(p.grad for p in optimizer.parameters))
        losses.append(loss.item())
    return losses


seeded_losses = train_mindspore(learning_rate=0.01, decay=0.9, epsilon=1e-6)
paddle_momentum = train_paddle(lr_decay=0.9, learning_rate=0.01, rho=0.9, momentum=0.9)
mindspore_momentum = train_mindspore(learning_rate=[0.01 * 0.9**t for t in range(STEPS)],
                                     decay=0.9, epsilon=1e-6, momentum=0.9)

# %%
# Weight decay: without groups MindSpore leaves ``gamma`` undecayed, Paddle decays it. With
# epsilon = 0.1 (so that RMSprop's normalisation does not hide the decay) the two differ, until
# a parameter group asks MindSpore to decay every parameter.
paddle_decay = train_paddle(learning_rate=0.01, rho=0.9, epsilon=0.1, weight_decay=0.5)
decayed = {"learning_rate": 0.01, "decay": 0.9, "epsilon": 0.1, "weight_decay": 0.5}
mindspore_decay = train_mindspore(**decayed)
mindspore_grouped = train_mindspore(groups=True, **decayed)

print(f"device: {device}")
print("loss at steps 1, 10, 20, 30, 40")
for label, losses in (("Paddle", paddle_losses), ("MindSpore", mindspore_losses),
                      ("MindSpore, mean_square=0", seeded_losses),
                      ("Paddle, momentum + decay", paddle_momentum),
                      ("MindSpore, same", mindspore_momentum),
                      ("Paddle, weight decay", paddle_decay),
                      ("MindSpore, same", mindspore_decay),
                      ("MindSpore, decay grouped", mindspore_grouped)):
    print(f"  {label:<25}" + " ".join(f"{losses[i]:9.5f}" for i in (0, 9, 19, 29, 39)))
start_gap = largest_gap(paddle_losses, mindspore_losses)
seeded_gap = largest_gap(paddle_losses, seeded_losses)
momentum_gap = largest_gap(paddle_momentum, mindspore_momentum)
name_gap = largest_gap(paddle_decay, mindspore_decay)
grouped_gap = largest_gap(paddle_decay, mindspore_grouped)
print(f"largest loss gap: accumulator from one {start_gap:.1e}, from zero {seeded_gap:.1e}, "
      f"momentum and lr decay {momentum_gap:.1e}")
print(f"largest loss gap with weight decay: by name {name_gap:.1e}, grouped {grouped_gap:.1e}")
assert start_gap > 1e-2, start_gap
assert seeded_gap < 1e-5, seeded_gap
assert momentum_gap < 1e-5, momentum_gap
assert name_gap > 1e-3, name_gap
assert grouped_gap < 1e-5, grouped_gap

# %%
# MindSpore wants ``float`` arguments and a positive epsilon; Paddle accepts these values.
for options in ({"decay": 1}, {"momentum": 0}, {"epsilon": 0.0}):
    paddle_options = {"rho" if key == "decay" else key: value for key, value in options.items()}
    optim.RMSProp(learning_rate=0.01, parameters=make_model().parameters(), **paddle_options)
    try:
        nn.RMSProp(list(make_model().named_parameters()), **options)
    except (TypeError, ValueError) as error:
        print(f"MindSpore {options}: {type(error).__name__}")
    else:
        raise AssertionError(f"MindSpore accepted {options}")

from optbridge.plotting import plot_curves

plot_curves(
    {
        "paddle.optimizer.RMSProp": paddle_losses,
        "mindspore.nn.RMSProp": mindspore_losses,
        "mindspore.nn.RMSProp, mean_square = 0": seeded_losses,
        "Paddle, weight_decay=0.5": paddle_decay,
        "MindSpore, weight_decay=0.5, no decay for gamma": mindspore_decay,
    },
    title="Training loss per step: paddle.optimizer.RMSProp and mindspore.nn.RMSProp",
    title_zh="每步训练损失：paddle.optimizer.RMSProp 与 mindspore.nn.RMSProp",
    labels_zh={
        "MindSpore, weight_decay=0.5, no decay for gamma": "MindSpore, weight_decay=0.5，gamma 不衰减",
    },
    log=True,
)
plt.show()
