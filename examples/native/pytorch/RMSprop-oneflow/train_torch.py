"""torch.optim.RMSprop: a linear model trained for 10 steps on seeded data."""
import numpy as np
import torch

rng = np.random.default_rng(0)
x = rng.standard_normal((16, 3)).astype(np.float32)
y = (x @ np.array([[1.5], [-2.0], [0.5]]) + 0.3).astype(np.float32)

model = torch.nn.Linear(3, 1)
with torch.no_grad():
    model.weight.copy_(torch.tensor([[0.1, -0.2, 0.3]]))
    model.bias.zero_()
loss_fn = torch.nn.MSELoss()
optimizer = torch.optim.RMSprop(model.parameters(), lr=0.01)

inputs, targets = torch.from_numpy(x), torch.from_numpy(y)
for step in range(1, 11):
    optimizer.zero_grad()
    loss = loss_fn(model(inputs), targets)
    loss.backward()
    optimizer.step()
    print(f"step {step:2d}  loss {loss.item():.6f}")

print("weight", model.weight.detach().cpu().numpy().ravel())
print("bias", model.bias.detach().cpu().numpy())
