"""
torch.optim.RMSprop → oneflow.optim.RMSprop
===========================================

The same model and data trained with PyTorch's ``RMSprop`` and with OneFlow's ``optim.RMSprop``
semantics (reproduced on PyTorch tensors by ``optbridge.compat.oneflow``). The argument names
are the same; OneFlow adds eps inside the square root, defaults to a ten times smaller learning
rate, has no momentum and checks its arguments with ``assert``.
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
# PyTorch, with the learning rate written out.

# optbridge: source
model = make_model()
optimizer = torch.optim.RMSprop(model.parameters(), lr=0.01)
torch_losses = []
for _ in range(STEPS):
    optimizer.zero_grad()
    loss = loss_of(model)
    loss.backward()
    optimizer.step()
    torch_losses.append(loss.item())

# %%
# OneFlow: the same code. Pass ``lr`` explicitly: OneFlow's default is 0.001, not the 1e-2 its
# docs print.

# optbridge: target
from optbridge.compat import oneflow as optim  # stands for oneflow.optim

model = make_model()
optimizer = optim.RMSprop(model.parameters(), lr=0.01)
oneflow_losses = []
for _ in range(STEPS):
    optimizer.zero_grad()
    loss = loss_of(model)
    loss.backward()
    optimizer.step()
    oneflow_losses.append(loss.item())


# %%
# With the default eps (1e-08) the placement of eps is below float32 resolution: the curves
# agree. With eps = 0.1, ``√v + ε`` and ``√(v + ε)`` give visibly different steps, and with
# both defaults the learning rates differ tenfold.
def largest_gap(a: list[float], b: list[float]) -> float:
    return max(abs(x - y) for x, y in zip(a, b, strict=True))


def train(optimizer_class: type, **options: object) -> list[float]:
    model = make_model()
    optimizer = optimizer_class(model.parameters(), **options)
    losses = []
    for _ in range(STEPS):
        optimizer.zero_grad()
        loss = loss_of(model)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


torch_eps, oneflow_eps = (train(cls, lr=0.01, eps=0.1) for cls in (torch.optim.RMSprop,
                                                                    optim.RMSprop))
torch_default, oneflow_default = (train(cls) for cls in (torch.optim.RMSprop, optim.RMSprop))

print(f"device: {device}")
print("loss at steps 1, 10, 20, 30, 40")
for label, losses in (("PyTorch, lr=0.01", torch_losses), ("OneFlow, lr=0.01", oneflow_losses),
                      ("PyTorch, eps=0.1", torch_eps), ("OneFlow, eps=0.1", oneflow_eps),
                      ("PyTorch, defaults", torch_default),
                      ("OneFlow, defaults", oneflow_default)):
    print(f"  {label:<18}" + " ".join(f"{losses[i]:9.5f}" for i in (0, 9, 19, 29, 39)))
matched_gap = largest_gap(torch_losses, oneflow_losses)
eps_gap = largest_gap(torch_eps, oneflow_eps)
default_gap = largest_gap(torch_default, oneflow_default)
print(f"largest loss gap: lr=0.01 {matched_gap:.1e}, eps=0.1 {eps_gap:.1e}, "
      f"defaults {default_gap:.1e}")
assert matched_gap < 1e-5, matched_gap
assert eps_gap > 1e-3, eps_gap
assert default_gap > 0.1, default_gap

# %%
# OneFlow rejects momentum (its docs describe Nesterov momentum all the same), and its argument
# checks raise ``AssertionError`` where PyTorch raises ``ValueError``.
expected = {"momentum": ["accepted", "AssertionError"], "lr": ["ValueError", "AssertionError"]}
for options in ({"momentum": 0.9}, {"lr": -0.1}):
    outcomes = []
    for cls in (torch.optim.RMSprop, optim.RMSprop):
        try:
            cls(make_model().parameters(), **options)
            outcomes.append("accepted")
        except (AssertionError, ValueError) as error:
            outcomes.append(type(error).__name__)
    print(f"{options}: PyTorch {outcomes[0]}, OneFlow {outcomes[1]}")
    assert outcomes == expected[next(iter(options))], outcomes

from optbridge.plotting import plot_curves

plot_curves(
    {
        "torch.optim.RMSprop, lr=0.01": torch_losses,
        "oneflow.optim.RMSprop, lr=0.01": oneflow_losses,
        "torch.optim.RMSprop, eps=0.1": torch_eps,
        "oneflow.optim.RMSprop, eps=0.1": oneflow_eps,
        "oneflow.optim.RMSprop, defaults (lr=0.001)": oneflow_default,
    },
    title="Training loss per step: torch.optim.RMSprop and oneflow.optim.RMSprop",
    title_zh="每步训练损失：torch.optim.RMSprop 与 oneflow.optim.RMSprop",
    labels_zh={
        "oneflow.optim.RMSprop, defaults (lr=0.001)": "oneflow.optim.RMSprop，默认值（lr=0.001）",
    },
    log=True,
)
plt.show()
