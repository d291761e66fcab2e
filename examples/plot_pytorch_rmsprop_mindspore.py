"""
torch.optim.RMSprop → mindspore.nn.RMSProp
==========================================

The same model, data and hyperparameters trained with PyTorch's ``RMSprop`` and with MindSpore's
``nn.RMSProp`` semantics (reproduced on PyTorch tensors by ``optbridge.compat.mindspore``).
MindSpore starts its accumulator at one, so with matched hyperparameters its first steps are much
smaller; seeding the accumulator with zeros makes the two agree.
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
# PyTorch: gradients are read from ``param.grad`` in ``step()``.

# optbridge: source
model = make_model()
optimizer = torch.optim.RMSprop(model.parameters(), lr=0.01, alpha=0.9)
torch_losses = []
for _ in range(STEPS):
    optimizer.zero_grad()
    loss = loss_of(model)
    loss.backward()
    optimizer.step()
    torch_losses.append(loss.item())

# %%
# MindSpore: the optimizer is called with a tuple of gradients.

# optbridge: target
from optbridge.compat import mindspore as nn  # stands for mindspore.nn

model = make_model()
optimizer = nn.RMSProp(model.parameters(), learning_rate=0.01, decay=0.9)
mindspore_losses = []
for _ in range(STEPS):
    model.zero_grad()
    loss = loss_of(model)
    loss.backward()
    optimizer(tuple(p.grad for p in model.parameters()))
    mindspore_losses.append(loss.item())

# %%
# The accumulator is the difference: seeded with zeros, MindSpore's rule follows PyTorch's
# (eps sits inside the root there, which is negligible at this scale).
model = make_model()
optimizer = nn.RMSProp(model.parameters(), learning_rate=0.01, decay=0.9)
for buffer in optimizer.ms:  # MindSpore: the `mean_square` parameters
    buffer.zero_()
seeded_losses = []
for _ in range(STEPS):
    model.zero_grad()
    loss = loss_of(model)
    loss.backward()
    optimizer(tuple(p.grad for p in model.parameters()))
    seeded_losses.append(loss.item())

print(f"device: {device}")
print(f"loss after {STEPS} steps  PyTorch {torch_losses[-1]:.6f}  "
      f"MindSpore {mindspore_losses[-1]:.6f}  MindSpore, zero-seeded {seeded_losses[-1]:.6f}")
gap = max(abs(a - b) for a, b in zip(torch_losses, mindspore_losses, strict=True))
seeded_gap = max(abs(a - b) for a, b in zip(torch_losses, seeded_losses, strict=True))
print(f"largest loss gap: defaults {gap:.3e}, zero-seeded accumulator {seeded_gap:.3e}")
# What the mapping page states: the accumulator start alone separates the two.
assert gap > 1e-2, gap
assert seeded_gap < 1e-4, seeded_gap

from optbridge.plotting import plot_curves

plot_curves(
    {
        "torch.optim.RMSprop": torch_losses,
        "mindspore.nn.RMSProp": mindspore_losses,
        "mindspore.nn.RMSProp, mean_square = 0": seeded_losses,
    },
    title="Training loss per step: torch.optim.RMSprop and mindspore.nn.RMSProp",
    title_zh="每步训练损失：torch.optim.RMSprop 与 mindspore.nn.RMSProp",
    log=True,
)
plt.show()
