"""
FusedRMSprop with mixed precision and GradScaler
================================================

``optbridge.optim.FusedRMSprop`` is a drop-in replacement for ``torch.optim.RMSprop``, so it
works with automatic mixed precision exactly as torch's optimizer does: ``torch.autocast`` runs
the matrix products in float16, ``GradScaler`` scales the loss so that small float16 gradients
do not vanish, unscales them before the step and skips steps whose gradients overflowed. The
code is the same on every device: run it with ``--device npu`` for an Ascend NPU (optbridge's
simulated one without the hardware), ``--device cuda`` or ``--device cpu``. The output below
names the device this page was built with.
"""

# %%
# A small classifier on synthetic data, on the chosen device.
import matplotlib.pyplot as plt
import torch

from optbridge.devices import device_from_argv
from optbridge.optim import FusedRMSprop

device = device_from_argv(default="npu")  # unless --device or OPTBRIDGE_DEVICE says otherwise
STEPS = 40
generator = torch.Generator().manual_seed(0)
inputs = torch.randn(256, 32, generator=generator)
labels = (inputs @ torch.randn(32, 4, generator=generator)).argmax(dim=1)
inputs, labels = inputs.to(device), labels.to(device)


def make_model() -> torch.nn.Sequential:
    torch.manual_seed(1)
    return torch.nn.Sequential(
        torch.nn.Linear(32, 64), torch.nn.ReLU(), torch.nn.Linear(64, 4)
    ).to(device)


# %%
# Full precision: the reference.
model = make_model()
optimizer = FusedRMSprop(model.parameters(), lr=1e-3, alpha=0.9)
fp32_losses = []
for _ in range(STEPS):
    optimizer.zero_grad()
    loss = torch.nn.functional.cross_entropy(model(inputs), labels)
    loss.backward()
    optimizer.step()
    fp32_losses.append(loss.item())

# %%
# Mixed precision. The scaler starts at a deliberately large scale (2**24) so that the first
# float16 gradients overflow: those steps are skipped and the scale is halved until it fits.
# torch_npu code often spells these ``torch.npu.amp.autocast()`` and
# ``torch.npu.amp.GradScaler()``; they are ``torch.autocast("npu")`` and
# ``torch.amp.GradScaler("npu")`` with float16 as the default.
model = make_model()
optimizer = FusedRMSprop(model.parameters(), lr=1e-3, alpha=0.9)
scaler = torch.amp.GradScaler(device.type, init_scale=2.0**24)
amp_losses, scales, skipped = [], [], 0
for _ in range(STEPS):
    optimizer.zero_grad()
    with torch.autocast(device.type, dtype=torch.float16):
        logits = model(inputs)
        loss = torch.nn.functional.cross_entropy(logits, labels)
    scaler.scale(loss).backward()
    scale_before = scaler.get_scale()
    scaler.step(optimizer)  # unscales the gradients; skips the step if any is inf or nan
    scaler.update()
    skipped += scaler.get_scale() < scale_before
    amp_losses.append(loss.item())
    scales.append(scaler.get_scale())

print(f"device: {device}")
print(f"autocast: logits are {logits.dtype}, the loss is {loss.dtype}; parameters stay "
      f"{next(model.parameters()).dtype}, and so does the optimizer state "
      f"({optimizer.state[next(model.parameters())]['square_avg'].dtype})")
print(f"loss scale: {scales[0]:.0f} after the first step, {scales[-1]:.0f} at the end; "
      f"{skipped} steps skipped")
assert logits.dtype == torch.float16 and loss.dtype == torch.float32
assert all(p.dtype == torch.float32 for p in model.parameters())
assert skipped >= 1 and scales[-1] < 2.0**24
if device.type == "npu":  # torch_npu's spelling gives the same float16 matrix products
    with torch.npu.amp.autocast():
        assert model(inputs).dtype == torch.float16

# %%
# A skipped step leaves the model unchanged, so the mixed-precision curve is the full-precision
# one delayed by the skipped steps. Once aligned, the two agree to float16 rounding.
aligned = amp_losses[skipped:]
relative_gap = max(abs(a - b) / b for a, b in zip(aligned, fp32_losses, strict=False))
print("loss at steps 1, 10, 20, 30, 40")
for label, losses in (("float32", fp32_losses), ("mixed precision", amp_losses)):
    print(f"  {label:<16}" + " ".join(f"{losses[i]:8.5f}" for i in (0, 9, 19, 29, 39)))
print(f"largest relative gap once aligned by {skipped} skipped steps: {relative_gap:.1e}")
assert all(a == amp_losses[0] for a in amp_losses[:skipped + 1]), "a skipped step moved"
assert relative_gap < 1e-2, relative_gap

from optbridge.plotting import plot_curves

plot_curves(
    {
        "FusedRMSprop, float32": fp32_losses,
        "FusedRMSprop, autocast float16 + GradScaler": amp_losses,
    },
    title="Training loss per step of FusedRMSprop in float32 and in mixed precision",
    title_zh="FusedRMSprop 在 float32 与混合精度下的每步训练损失",
    ylabel="training loss (cross-entropy)",
)
plt.show()
