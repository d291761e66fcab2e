"""
torch.optim.RMSprop → torch_npu.optim.NpuFusedRMSprop
=====================================================

The same model and data trained with PyTorch's ``RMSprop`` and with Ascend's
``NpuFusedRMSprop`` (reproduced by ``optbridge.compat.torch_npu``, which runs on any device).
The fused optimizer applies PyTorch's maths once per combined flat buffer, so the two follow the
same trajectory with the defaults and with every option. What changes is the API around it:
fewer arguments and ``zero_grad(set_to_none=False)``.
"""

# %%
# A small regression network, identical for both optimizers.
import matplotlib.pyplot as plt
import torch

from optbridge.devices import device_from_argv

device = device_from_argv()
STEPS = 40
generator = torch.Generator().manual_seed(0)
features = torch.randn(64, 8, generator=generator).to(device)
targets = torch.sin(features.cpu() @ torch.randn(8, 1, generator=generator)).to(device)


def make_model() -> torch.nn.Sequential:
    torch.manual_seed(1)
    return torch.nn.Sequential(
        torch.nn.Linear(8, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1)
    ).to(device)


def loss_of(model: torch.nn.Module) -> torch.Tensor:
    return torch.nn.functional.mse_loss(model(features), targets)


# %%
# PyTorch, with its defaults.

# optbridge: source
model = make_model()
optimizer = torch.optim.RMSprop(model.parameters())
torch_losses = []
for _ in range(STEPS):
    optimizer.zero_grad()
    loss = loss_of(model)
    loss.backward()
    optimizer.step()
    torch_losses.append(loss.item())
torch_weights = [p.detach().clone() for p in model.parameters()]

# %%
# torch_npu, with its defaults: the same values (``lr=1e-2``, although older torch_npu docs say
# 1e-3). ``zero_grad()`` keeps the gradients as views of the combined buffer.

# optbridge: target
from optbridge.compat.torch_npu import NpuFusedRMSprop  # stands for torch_npu.optim

model = make_model()
optimizer = NpuFusedRMSprop(model.parameters())
npu_losses = []
for _ in range(STEPS):
    optimizer.zero_grad()  # set_to_none=False, the only mode the fused optimizer allows
    loss = loss_of(model)
    loss.backward()
    optimizer.step()
    npu_losses.append(loss.item())
npu_weights = [p.detach().clone() for p in model.parameters()]


# %%
# Both with the defaults, then both with momentum, centering, weight decay and a decaying
# learning rate: the trajectories agree to float32 rounding (1e-5 after 40 steps).
def weight_gap(a: list[torch.Tensor], b: list[torch.Tensor]) -> float:
    return max((x - y).abs().max().item() for x, y in zip(a, b, strict=True))


def train(optimizer_class: type, **options: object) -> tuple[list[float], list[torch.Tensor]]:
    model = make_model()
    optimizer = optimizer_class(model.parameters(), **options)
    schedule = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.9)
    losses = []
    for _ in range(STEPS):
        optimizer.zero_grad(set_to_none=False)
        loss = loss_of(model)
        loss.backward()
        optimizer.step()
        schedule.step()
        losses.append(loss.item())
    return losses, [p.detach().clone() for p in model.parameters()]


every_option = {"lr": 0.01, "alpha": 0.9, "eps": 1e-8, "weight_decay": 0.01, "momentum": 0.9,
                "centered": True}
torch_all, torch_all_weights = train(torch.optim.RMSprop, **every_option)
npu_all, npu_all_weights = train(NpuFusedRMSprop, **every_option)

print(f"device: {device}")
print("loss at steps 1, 10, 20, 30, 40")
for label, losses in (("PyTorch, defaults", torch_losses), ("torch_npu, defaults", npu_losses),
                      ("PyTorch, every option", torch_all),
                      ("torch_npu, every option", npu_all)):
    print(f"  {label:<24}" + " ".join(f"{losses[i]:9.6f}" for i in (0, 9, 19, 29, 39)))
default_gap = weight_gap(torch_weights, npu_weights)
option_gap = weight_gap(torch_all_weights, npu_all_weights)
print(f"largest parameter difference after {STEPS} steps: defaults {default_gap:.1e}, "
      f"every option {option_gap:.1e}")
assert default_gap < 1e-5, default_gap
assert option_gap < 1e-5, option_gap

# %%
# What torch_npu refuses: ``set_to_none=True`` (the gradients must stay in the combined
# buffer) and PyTorch-only arguments such as ``maximize``.
try:
    optimizer.zero_grad(set_to_none=True)
except ValueError as error:
    print(f"zero_grad(set_to_none=True): ValueError: {error}")
else:
    raise AssertionError("NpuFusedRMSprop accepted zero_grad(set_to_none=True)")
try:
    NpuFusedRMSprop(model.parameters(), maximize=True)
except TypeError as error:
    print(f"maximize=True: TypeError: {error}")
else:
    raise AssertionError("NpuFusedRMSprop accepted maximize=True")

from optbridge.plotting import plot_curves

plot_curves(
    {
        "torch.optim.RMSprop, defaults": torch_losses,
        "NpuFusedRMSprop, defaults": npu_losses,
        "torch.optim.RMSprop, every option": torch_all,
        "NpuFusedRMSprop, every option": npu_all,
    },
    title="Training loss per step: torch.optim.RMSprop and NpuFusedRMSprop",
    title_zh="每步训练损失：torch.optim.RMSprop 与 NpuFusedRMSprop",
    labels_zh={
        "torch.optim.RMSprop, defaults": "torch.optim.RMSprop，默认值",
        "NpuFusedRMSprop, defaults": "NpuFusedRMSprop，默认值",
        "torch.optim.RMSprop, every option": "torch.optim.RMSprop，启用全部选项",
        "NpuFusedRMSprop, every option": "NpuFusedRMSprop，启用全部选项",
    },
    log=True,
)
plt.show()
