"""torch_npu.optim.NpuFusedRMSprop: the same model, data and weights on the NPU, 10 steps."""
import numpy as np
import torch
import torch_npu  # noqa: F401  (registers the npu device)
from torch_npu.optim import NpuFusedRMSprop

rng = np.random.default_rng(0)
x = rng.standard_normal((16, 3)).astype(np.float32)
y = (x @ np.array([[1.5], [-2.0], [0.5]]) + 0.3).astype(np.float32)

model = torch.nn.Linear(3, 1).npu()
with torch.no_grad():
    model.weight.copy_(torch.tensor([[0.1, -0.2, 0.3]]))
    model.bias.zero_()
loss_fn = torch.nn.MSELoss()
# Fused optimizers relayout the parameters: create them after the model is on the NPU.
optimizer = NpuFusedRMSprop(model.parameters(), lr=0.01)

inputs, targets = torch.from_numpy(x).npu(), torch.from_numpy(y).npu()
for step in range(1, 11):
    optimizer.zero_grad()
    loss = loss_fn(model(inputs), targets)
    loss.backward()
    optimizer.step()
    print(f"step {step:2d}  loss {loss.item():.6f}")

print("weight", model.weight.detach().cpu().numpy().ravel())
print("bias", model.bias.detach().cpu().numpy())
