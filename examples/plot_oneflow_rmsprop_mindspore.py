"""
oneflow.optim.RMSprop → mindspore.nn.RMSProp
============================================

The same model and data trained with OneFlow's ``optim.RMSprop`` and with MindSpore's
``nn.RMSProp`` semantics (both reproduced on PyTorch tensors by ``optbridge.compat``). Both put
eps inside the square root, but MindSpore starts its accumulator at one, supports momentum and,
without parameter groups, skips weight decay for parameters named ``beta`` or ``gamma``.
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
# OneFlow: gradients are read from ``param.grad`` in ``step()``.

# optbridge: source
from optbridge.compat import oneflow as optim  # stands for oneflow.optim

model = make_model()
optimizer = optim.RMSprop(model.parameters(), lr=0.01, alpha=0.9, eps=1e-10)
oneflow_losses = []
for _ in range(STEPS):
    optimizer.zero_grad()
    loss = loss_of(model)
    loss.backward()
    optimizer.step()
    oneflow_losses.append(loss.item())

# %%
# MindSpore: named parameters (``net.trainable_params()`` in MindSpore), and the optimizer is
# called with a tuple of gradients.

# optbridge: target
from optbridge.compat import mindspore as nn  # stands for mindspore.nn

model = make_model()
optimizer = nn.RMSProp(list(model.named_parameters()), learning_rate=0.01, decay=0.9,
                       epsilon=1e-10)
mindspore_losses = []
for _ in range(STEPS):
    model.zero_grad()
    loss = loss_of(model)
    loss.backward()
    optimizer(tuple(p.grad for p in optimizer.parameters))
    mindspore_losses.append(loss.item())


# %%
# MindSpore's ``mean_square`` starts at ones, OneFlow's ``square_avg`` at zeros. Seeding
# ``mean_square`` with zeros makes the two agree.
def largest_gap(a: list[float], b: list[float]) -> float:
    return max(abs(x - y) for x, y in zip(a, b, strict=True))


def train_oneflow(**options: object) -> list[float]:
    model = make_model()
    optimizer = optim.RMSprop(model.parameters(), **options)
    losses = []
    for _ in range(STEPS):
        optimizer.zero_grad()
        loss = loss_of(model)
        loss.backward()
        optimizer.step()
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


seeded_losses = train_mindspore(learning_rate=0.01, decay=0.9, epsilon=1e-10)

# %%
# Weight decay: without groups MindSpore leaves ``gamma`` undecayed, OneFlow decays it. With
# eps = 0.1 (so that RMSprop's normalisation does not hide the decay) the two differ, until a
# parameter group asks MindSpore to decay every parameter.
decayed = {"eps": 0.1, "weight_decay": 0.5}
oneflow_decay = train_oneflow(lr=0.01, alpha=0.9, **decayed)
mindspore_decay = train_mindspore(learning_rate=0.01, decay=0.9, epsilon=0.1, weight_decay=0.5)
mindspore_grouped = train_mindspore(groups=True, learning_rate=0.01, decay=0.9, epsilon=0.1,
                                    weight_decay=0.5)

print(f"device: {device}")
print("loss at steps 1, 10, 20, 30, 40")
for label, losses in (("OneFlow", oneflow_losses), ("MindSpore", mindspore_losses),
                      ("MindSpore, mean_square=0", seeded_losses),
                      ("OneFlow, weight decay", oneflow_decay),
                      ("MindSpore, weight decay", mindspore_decay),
                      ("MindSpore, decay grouped", mindspore_grouped)):
    print(f"  {label:<25}" + " ".join(f"{losses[i]:9.5f}" for i in (0, 9, 19, 29, 39)))
start_gap = largest_gap(oneflow_losses, mindspore_losses)
seeded_gap = largest_gap(oneflow_losses, seeded_losses)
name_gap = largest_gap(oneflow_decay, mindspore_decay)
grouped_gap = largest_gap(oneflow_decay, mindspore_grouped)
print(f"largest loss gap: accumulator from one {start_gap:.1e}, from zero {seeded_gap:.1e}")
print(f"largest loss gap with weight decay: by name {name_gap:.1e}, grouped {grouped_gap:.1e}")
assert start_gap > 1e-2, start_gap
assert seeded_gap < 1e-5, seeded_gap
assert name_gap > 1e-3, name_gap
assert grouped_gap < 1e-5, grouped_gap

# %%
# Momentum exists only in MindSpore: OneFlow raises ``AssertionError`` for any value but 0.
try:
    optim.RMSprop(make_model().parameters(), lr=0.01, momentum=0.9)
except AssertionError as error:
    print(f"OneFlow, momentum=0.9: AssertionError: {error}")
else:
    raise AssertionError("OneFlow accepted momentum=0.9")
nn.RMSProp(list(make_model().named_parameters()), learning_rate=0.01, momentum=0.9)
print("MindSpore, momentum=0.9: accepted")

from optbridge.plotting import plot_curves

plot_curves(
    {
        "oneflow.optim.RMSprop": oneflow_losses,
        "mindspore.nn.RMSProp": mindspore_losses,
        "mindspore.nn.RMSProp, mean_square = 0": seeded_losses,
    },
    title="Training loss per step: oneflow.optim.RMSprop and mindspore.nn.RMSProp",
    title_zh="每步训练损失：oneflow.optim.RMSprop 与 mindspore.nn.RMSProp",
    log=True,
)
plt.show()
