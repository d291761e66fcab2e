"""
torch.optim.Rprop → mindspore.nn.Rprop
======================================

The same model and data trained with PyTorch's ``Rprop`` and with MindSpore's ``nn.Rprop``
semantics (reproduced on PyTorch tensors by ``optbridge.compat.mindspore``). With the same
learning rate the two follow the same trajectory step for step; the default learning rates
differ by a factor of ten, and MindSpore checks ``step_sizes`` where PyTorch does not.
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
optimizer = torch.optim.Rprop(model.parameters(), lr=0.01)
torch_losses = []
for _ in range(STEPS):
    optimizer.zero_grad()
    loss = loss_of(model)
    loss.backward()
    optimizer.step()
    torch_losses.append(loss.item())
torch_weights = [p.detach().clone() for p in model.parameters()]

# %%
# MindSpore: the optimizer is called with a tuple of gradients. ``step_sizes`` must be a
# tuple of floats, so PyTorch's default ``(1e-06, 50)`` is written ``(1e-06, 50.0)``.

# optbridge: target
from optbridge.compat import mindspore as nn  # stands for mindspore.nn

model = make_model()
optimizer = nn.Rprop(model.parameters(), learning_rate=0.01, step_sizes=(1e-6, 50.0))
mindspore_losses = []
for _ in range(STEPS):
    model.zero_grad()
    loss = loss_of(model)
    loss.backward()
    optimizer(tuple(p.grad for p in model.parameters()))
    mindspore_losses.append(loss.item())
mindspore_weights = [p.detach().clone() for p in model.parameters()]


# %%
# The same learning rate gives the same trajectory.
def largest_gap(a: list[float], b: list[float]) -> float:
    return max(abs(x - y) for x, y in zip(a, b, strict=True))


def weight_gap(a: list[torch.Tensor], b: list[torch.Tensor]) -> float:
    return max((x - y).abs().max().item() for x, y in zip(a, b, strict=True))


print(f"device: {device}")
print("loss at steps 1, 10, 20, 30, 40")
for label, losses in (("PyTorch", torch_losses), ("MindSpore", mindspore_losses)):
    print(f"  {label:<10}" + " ".join(f"{losses[i]:9.5f}" for i in (0, 9, 19, 29, 39)))
matched_gap = weight_gap(torch_weights, mindspore_weights)
print(f"largest parameter difference after {STEPS} steps, same lr: {matched_gap:.1e}")
assert matched_gap < 1e-6, matched_gap
assert largest_gap(torch_losses, mindspore_losses) < 1e-6

# %%
# With their defaults (PyTorch ``lr=0.01``, MindSpore ``learning_rate=0.1``) the first step
# moves every weight by the learning rate, so by 0.01 in PyTorch and by 0.1 in MindSpore.


def first_step_and_losses(make_optimizer, call_style: str) -> tuple[torch.Tensor, list[float]]:
    model = make_model()
    start = [p.detach().clone() for p in model.parameters()]
    optimizer = make_optimizer(model.parameters())
    losses, moved = [], torch.zeros(0)
    for step in range(STEPS):
        model.zero_grad()
        loss = loss_of(model)
        loss.backward()
        if call_style == "torch":
            optimizer.step()
        else:
            optimizer(tuple(p.grad for p in model.parameters()))
        losses.append(loss.item())
        if step == 0:  # how far each weight moved on the first step
            moved = torch.cat([(p.detach() - s).abs().flatten().cpu()
                               for p, s in zip(model.parameters(), start, strict=True)])
    return moved, losses


torch_moved, torch_default = first_step_and_losses(torch.optim.Rprop, "torch")
mindspore_moved, mindspore_default = first_step_and_losses(nn.Rprop, "mindspore")
default_gap = largest_gap(torch_default, mindspore_default)
print(f"defaults: first step moves each weight by {torch_moved.mean():.4f} (PyTorch) and "
      f"{mindspore_moved.mean():.4f} (MindSpore); largest loss gap {default_gap:.3f}")
assert (torch_moved - 0.01).abs().max() < 1e-6 and (mindspore_moved - 0.1).abs().max() < 1e-6
assert default_gap > 0.1, default_gap

# %%
# Both clamp the step size on every step, the first one included: a learning rate of 60 with
# a maximum step size of 50 moves every weight by 50 in both frameworks.
torch_moved, torch_clamped = first_step_and_losses(
    lambda params: torch.optim.Rprop(params, lr=60.0), "torch")
mindspore_moved, mindspore_clamped = first_step_and_losses(
    lambda params: nn.Rprop(params, learning_rate=60.0), "mindspore")
print(f"lr 60: first step {torch_moved.mean():.1f} (PyTorch), "
      f"{mindspore_moved.mean():.1f} (MindSpore)")
assert (torch_moved - 50).abs().max() < 1e-5 and (mindspore_moved - 50).abs().max() < 1e-5
assert largest_gap(torch_clamped, mindspore_clamped) <= 1e-5 * max(torch_clamped)

# %%
# MindSpore checks ``step_sizes``: the wrong order and integers are errors there, while
# PyTorch accepts both.
for step_sizes in ((50.0, 1e-6), (1e-6, 50)):
    torch.optim.Rprop(make_model().parameters(), step_sizes=step_sizes)  # accepted
    try:
        nn.Rprop(make_model().parameters(), step_sizes=step_sizes)
    except (TypeError, ValueError) as error:
        print(f"step_sizes={step_sizes}: MindSpore raises {type(error).__name__}")
    else:
        raise AssertionError(f"MindSpore accepted step_sizes={step_sizes}")

from optbridge.plotting import plot_curves

plot_curves(
    {
        "torch.optim.Rprop, lr=0.01": torch_losses,
        "mindspore.nn.Rprop, learning_rate=0.01": mindspore_losses,
        "mindspore.nn.Rprop, default learning_rate=0.1": mindspore_default,
    },
    title="Training loss per step: torch.optim.Rprop and mindspore.nn.Rprop",
    title_zh="每步训练损失：torch.optim.Rprop 与 mindspore.nn.Rprop",
    labels_zh={
        "mindspore.nn.Rprop, default learning_rate=0.1": "mindspore.nn.Rprop，默认 learning_rate=0.1",
    },
    log=True,
)
plt.show()
