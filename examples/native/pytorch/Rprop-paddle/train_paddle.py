"""paddle.optimizer.Rprop: the same linear model, data and initial weights, 10 steps."""
import numpy as np
import paddle

rng = np.random.default_rng(0)
x = rng.standard_normal((16, 3)).astype(np.float32)
y = (x @ np.array([[1.5], [-2.0], [0.5]]) + 0.3).astype(np.float32)

model = paddle.nn.Linear(3, 1)  # weight shape (in, out)
model.weight.set_value(np.array([[0.1], [-0.2], [0.3]], np.float32))
model.bias.set_value(np.zeros(1, np.float32))
loss_fn = paddle.nn.MSELoss()
optimizer = paddle.optimizer.Rprop(
    learning_rate=0.01, learning_rate_range=(1e-6, 50.0), parameters=model.parameters()
)

inputs, targets = paddle.to_tensor(x), paddle.to_tensor(y)
for step in range(1, 11):
    loss = loss_fn(model(inputs), targets)
    loss.backward()
    optimizer.step()
    optimizer.clear_grad()
    print(f"step {step:2d}  loss {loss.item():.6f}")

print("weight", model.weight.numpy().ravel())
print("bias", model.bias.numpy())
