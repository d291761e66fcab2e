"""
optax.rmsprop → mindspore.nn.RMSProp
====================================

The same model and data trained with optax's ``rmsprop`` gradient transformation and with
MindSpore's ``nn.RMSProp`` semantics (both reproduced on PyTorch tensors by
``optbridge.compat``). optax's default rule is MindSpore's except for the accumulator start:
``initial_scale=1.0`` reproduces MindSpore. optax is functional; MindSpore owns the parameters.
"""

# %%
# A small least-squares problem, identical for both frameworks. optax code works on a dict of
# parameters and a loss function of them; ``value_and_grad`` stands in for JAX's.
from collections.abc import Callable

import matplotlib.pyplot as plt
import torch

from optbridge.devices import device_from_argv

device = device_from_argv()
STEPS = 40
Params = dict[str, torch.Tensor]
generator = torch.Generator().manual_seed(0)
features = torch.randn(64, 8, generator=generator).to(device)
targets = (features.cpu() @ torch.randn(8, 1, generator=generator)).to(device)


def make_model() -> torch.nn.Linear:
    torch.manual_seed(1)
    return torch.nn.Linear(8, 1).to(device)


def loss_fn(params: Params) -> torch.Tensor:
    predictions = features @ params["weight"].T + params["bias"]
    return torch.nn.functional.mse_loss(predictions, targets)


def value_and_grad(fn: Callable[[Params], torch.Tensor]) -> Callable:
    def wrapped(params: Params) -> tuple[torch.Tensor, Params]:
        watched = {name: value.detach().requires_grad_() for name, value in params.items()}
        value = fn(watched)
        grads = torch.autograd.grad(value, list(watched.values()))
        return value.detach(), dict(zip(watched, grads, strict=True))

    return wrapped


# %%
# optax: ``init`` builds the state, ``update`` turns gradients into updates, and
# ``apply_updates`` returns new parameters.

# optbridge: source
from optbridge.compat import optax

params = {name: p.detach() for name, p in make_model().named_parameters()}
tx = optax.rmsprop(learning_rate=0.01, decay=0.9, eps=1e-8)
opt_state = tx.init(params)
optax_losses = []
for _ in range(STEPS):
    loss, grads = value_and_grad(loss_fn)(params)
    updates, opt_state = tx.update(grads, opt_state, params)
    params = optax.apply_updates(params, updates)
    optax_losses.append(loss.item())

# %%
# MindSpore: the optimizer holds the parameters and its accumulators and updates both in place
# when called with a tuple of gradients.

# optbridge: target
from optbridge.compat import mindspore as nn  # stands for mindspore.nn

model = make_model()
optimizer = nn.RMSProp(model.parameters(), learning_rate=0.01, decay=0.9, epsilon=1e-8)
mindspore_losses = []
for _ in range(STEPS):
    model.zero_grad()
    loss = torch.nn.functional.mse_loss(model(features), targets)
    loss.backward()
    optimizer(tuple(p.grad for p in model.parameters()))
    mindspore_losses.append(loss.item())


# %%
# optax's ``nu`` starts at ``initial_scale`` (0 by default), MindSpore's ``mean_square`` at
# one. ``initial_scale=1.0`` in optax, or zeros in MindSpore's ``mean_square``, makes the two
# agree, with momentum and a learning-rate schedule too (both put the learning rate inside the
# momentum trace). ``eps_in_sqrt=False`` moves eps outside the root, as PyTorch does.
def largest_gap(a: list[float], b: list[float]) -> float:
    return max(abs(x - y) for x, y in zip(a, b, strict=True))


def train_optax(**options: object) -> list[float]:
    params = {name: p.detach() for name, p in make_model().named_parameters()}
    tx = optax.rmsprop(**options)
    opt_state = tx.init(params)
    losses = []
    for _ in range(STEPS):
        loss, grads = value_and_grad(loss_fn)(params)
        updates, opt_state = tx.update(grads, opt_state, params)
        params = optax.apply_updates(params, updates)
        losses.append(loss.item())
    return losses


def train_mindspore(mean_square: float | None = None, **options: object) -> list[float]:
    model = make_model()
    optimizer = nn.RMSProp(model.parameters(), **options)
    if mean_square is not None:
        for buffer in optimizer.ms:  # MindSpore: the `mean_square` parameters
            buffer.fill_(mean_square)
    losses = []
    for _ in range(STEPS):
        model.zero_grad()
        loss = torch.nn.functional.mse_loss(model(features), targets)
        loss.backward()
        optimizer(tuple(p.grad for p in model.parameters()))
        losses.append(loss.item())
    return losses


optax_scale_one = train_optax(learning_rate=0.01, decay=0.9, eps=1e-8, initial_scale=1.0)
mindspore_zero = train_mindspore(mean_square=0.0, learning_rate=0.01, decay=0.9, epsilon=1e-8)
optax_momentum = train_optax(learning_rate=lambda count: 0.01 * 0.9**count, decay=0.9,
                             eps=1e-8, momentum=0.9)
mindspore_momentum = train_mindspore(mean_square=0.0, decay=0.9, epsilon=1e-8, momentum=0.9,
                                     learning_rate=[0.01 * 0.9**t for t in range(STEPS)])
optax_eps_outside = train_optax(learning_rate=0.01, decay=0.9, eps=0.1, eps_in_sqrt=False)
mindspore_eps = train_mindspore(mean_square=0.0, learning_rate=0.01, decay=0.9, epsilon=0.1)

print(f"device: {device}")
print("loss at steps 1, 10, 20, 30, 40")
for label, losses in (("optax", optax_losses), ("MindSpore", mindspore_losses),
                      ("optax, initial_scale=1", optax_scale_one),
                      ("MindSpore, mean_square=0", mindspore_zero),
                      ("optax, momentum + schedule", optax_momentum),
                      ("MindSpore, same", mindspore_momentum),
                      ("optax, eps=0.1 outside", optax_eps_outside),
                      ("MindSpore, eps=0.1", mindspore_eps)):
    print(f"  {label:<27}" + " ".join(f"{losses[i]:9.5f}" for i in (0, 9, 19, 29, 39)))
start_gap = largest_gap(optax_losses, mindspore_losses)
scale_gap = largest_gap(optax_scale_one, mindspore_losses)
seeded_gap = largest_gap(optax_losses, mindspore_zero)
momentum_gap = largest_gap(optax_momentum, mindspore_momentum)
eps_gap = largest_gap(optax_eps_outside, mindspore_eps)
print(f"largest loss gap: defaults {start_gap:.1e}, initial_scale=1 {scale_gap:.1e}, "
      f"mean_square=0 {seeded_gap:.1e}, momentum and schedule {momentum_gap:.1e}, "
      f"eps outside the root {eps_gap:.1e}")
assert start_gap > 1e-2, start_gap
assert scale_gap < 1e-5, scale_gap
assert seeded_gap < 1e-5, seeded_gap
assert momentum_gap < 1e-5, momentum_gap
assert eps_gap > 1e-3, eps_gap

# %%
# optax checks nothing; MindSpore wants a ``float`` decay and a positive epsilon.
for optax_options, mindspore_options in (({"decay": 1}, {"decay": 1}),
                                         ({"eps": 0.0}, {"epsilon": 0.0})):
    optax.rmsprop(learning_rate=0.01, **optax_options)
    try:
        nn.RMSProp(make_model().parameters(), **mindspore_options)
    except (TypeError, ValueError) as error:
        print(f"MindSpore {mindspore_options}: {type(error).__name__}")
    else:
        raise AssertionError(f"MindSpore accepted {mindspore_options}")

from optbridge.plotting import plot_curves

plot_curves(
    {
        "optax.rmsprop": optax_losses,
        "mindspore.nn.RMSProp": mindspore_losses,
        "optax.rmsprop, initial_scale=1.0": optax_scale_one,
        "mindspore.nn.RMSProp, mean_square = 0": mindspore_zero,
    },
    title="Training loss per step: optax.rmsprop and mindspore.nn.RMSProp",
    title_zh="每步训练损失：optax.rmsprop 与 mindspore.nn.RMSProp",
    log=True,
)
plt.show()
