"""oneflow.optim.RMSprop: the same linear model, data and initial weights, 10 steps."""
import numpy as np
import oneflow as flow

rng = np.random.default_rng(0)
x = rng.standard_normal((16, 3)).astype(np.float32)
y = (x @ np.array([[1.5], [-2.0], [0.5]]) + 0.3).astype(np.float32)

model = flow.nn.Linear(3, 1)
with flow.no_grad():
    model.weight.copy_(flow.tensor([[0.1, -0.2, 0.3]]))
    model.bias.zero_()
loss_fn = flow.nn.MSELoss()
optimizer = flow.optim.RMSprop(model.parameters(), lr=0.01)

inputs, targets = flow.from_numpy(x), flow.from_numpy(y)
for step in range(1, 11):
    optimizer.zero_grad()
    loss = loss_fn(model(inputs), targets)
    loss.backward()
    optimizer.step()
    print(f"step {step:2d}  loss {loss.item():.6f}")

print("weight", model.weight.detach().cpu().numpy().ravel())
print("bias", model.bias.detach().cpu().numpy())
