"""
torch.optim.Rprop → paddle.optimizer.Rprop
==========================================

The same model and data trained with PyTorch's ``Rprop`` and with Paddle's ``optimizer.Rprop``
semantics (reproduced on PyTorch tensors by ``optbridge.compat.paddle``). With the same
learning rate and step-size bounds the two agree step for step. Paddle's defaults differ: a ten
times smaller learning rate and a minimum step size of 1e-05 instead of 1e-06, and it refuses a
learning rate outside the step-size bounds.
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
# PyTorch: ``zero_grad()``, ``backward()``, ``step()``.

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
# Paddle: the parameters are a keyword argument, the bounds are called
# ``learning_rate_range``, and ``clear_grad()`` comes after ``step()``.

# optbridge: target
from optbridge.compat import paddle as optim  # stands for paddle.optimizer

model = make_model()
opt = optim.Rprop(learning_rate=0.01, learning_rate_range=(1e-6, 50.0),
                  parameters=model.parameters())
paddle_losses = []
for _ in range(STEPS):
    loss = loss_of(model)
    loss.backward()
    opt.step()
    opt.clear_grad()
    paddle_losses.append(loss.item())
paddle_weights = [p.detach().clone() for p in model.parameters()]


# %%
# With the same learning rate and bounds the trajectories are the same.
def largest_gap(a: list[float], b: list[float]) -> float:
    return max(abs(x - y) for x, y in zip(a, b, strict=True))


def weight_gap(a: list[torch.Tensor], b: list[torch.Tensor]) -> float:
    return max((x - y).abs().max().item() for x, y in zip(a, b, strict=True))


def train_paddle(**kwargs: object) -> list[float]:
    model = make_model()
    opt = optim.Rprop(parameters=model.parameters(), **kwargs)
    losses = []
    for _ in range(STEPS):
        loss = loss_of(model)
        loss.backward()
        opt.step()
        opt.clear_grad()
        losses.append(loss.item())
    return losses


print(f"device: {device}")
print("loss at steps 1, 10, 20, 30, 40")
paddle_default = train_paddle()
for label, losses in (("PyTorch, lr=0.01", torch_losses),
                      ("Paddle, same settings", paddle_losses),
                      ("Paddle, defaults", paddle_default)):
    print(f"  {label:<22}" + " ".join(f"{losses[i]:9.6f}" for i in (0, 9, 19, 29, 39)))
matched_gap = weight_gap(torch_weights, paddle_weights)
print(f"largest parameter difference after {STEPS} steps, same settings: {matched_gap:.1e}")
assert matched_gap < 1e-6, matched_gap

# %%
# Paddle's default learning rate (0.001) is ten times smaller than PyTorch's, so with all
# defaults Paddle is much slower here.
default_gap = largest_gap(torch_losses, paddle_default)
print(f"largest loss gap with the defaults: {default_gap:.3f}")
assert default_gap > 0.1, default_gap

# %%
# Paddle's smaller default range stops shrinking the step at 1e-05, PyTorch's at 1e-06. This
# shows once repeated sign flips have shrunk the steps: here one weight whose gradient changes
# sign at every step, for 30 steps, with the default bounds on both sides.


def oscillate(make_optimizer) -> tuple[float, float]:
    weight = torch.nn.Parameter(torch.zeros(1, device=device))
    optimizer = make_optimizer([weight])
    for step in range(30):
        weight.grad = torch.full_like(weight, (-1.0) ** step)
        optimizer.step()
    return weight.item(), optimizer.state[weight]["step_size"].item()


torch_weight, torch_step = oscillate(lambda params: torch.optim.Rprop(params, lr=0.01))
paddle_weight, paddle_step = oscillate(
    lambda params: optim.Rprop(learning_rate=0.01, parameters=params))
flip_gap = abs(torch_weight - paddle_weight)
print(f"after 30 sign flips: step size {torch_step:.0e} (PyTorch), {paddle_step:.0e} (Paddle); "
      f"weights differ by {flip_gap:.1e}")
assert abs(torch_step - 1e-6) < 1e-9 and abs(paddle_step - 1e-5) < 1e-8
assert 1e-5 < flip_gap < 1e-4, flip_gap

# %%
# PyTorch accepts a learning rate above the largest step size (the first step is clamped to
# it); Paddle refuses it.
torch.optim.Rprop(make_model().parameters(), lr=60.0)
try:
    optim.Rprop(learning_rate=60.0, parameters=make_model().parameters())
except ValueError as error:
    print(f"Paddle, learning_rate=60.0: ValueError: {error}")
else:
    raise AssertionError("Paddle accepted a learning rate above learning_rate_range")

from optbridge.plotting import plot_curves

plot_curves(
    {
        "torch.optim.Rprop, lr=0.01": torch_losses,
        "paddle.optimizer.Rprop, same settings": paddle_losses,
        "paddle.optimizer.Rprop, defaults": paddle_default,
    },
    title="Training loss per step: torch.optim.Rprop and paddle.optimizer.Rprop",
    title_zh="每步训练损失：torch.optim.Rprop 与 paddle.optimizer.Rprop",
    labels_zh={
        "paddle.optimizer.Rprop, same settings": "paddle.optimizer.Rprop，相同设置",
        "paddle.optimizer.Rprop, defaults": "paddle.optimizer.Rprop，默认值",
    },
    log=True,
)
plt.show()
