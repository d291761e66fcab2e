"""mindspore.nn.RMSProp (TF1's defaults): the same linear model, data and weights, 10 steps."""
import mindspore as ms
import numpy as np
from mindspore import nn

ms.set_device("CPU")

rng = np.random.default_rng(0)
x = rng.standard_normal((16, 3)).astype(np.float32)
y = (x @ np.array([[1.5], [-2.0], [0.5]]) + 0.3).astype(np.float32)

net = nn.Dense(3, 1, weight_init=ms.Tensor([[0.1, -0.2, 0.3]], ms.float32), bias_init="zeros")
loss_fn = nn.MSELoss()
optimizer = nn.RMSProp(net.trainable_params(), learning_rate=0.01)


def forward_fn(inputs, targets):
    return loss_fn(net(inputs), targets)


grad_fn = ms.value_and_grad(forward_fn, None, optimizer.parameters)

inputs, targets = ms.Tensor(x), ms.Tensor(y)
for step in range(1, 11):
    loss, grads = grad_fn(inputs, targets)
    optimizer(grads)
    print(f"step {step:2d}  loss {loss.asnumpy():.6f}")

print("weight", net.weight.asnumpy().ravel())
print("bias", net.bias.asnumpy())
