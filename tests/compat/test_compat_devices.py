"""Every facade runs through plain torch ops, so tensors on another device must just work.
The CUDA tests run where CUDA exists and skip cleanly elsewhere (CI has no GPU); the
simulated Ascend NPU (``optbridge.npu``) runs everywhere."""

from __future__ import annotations

import pytest
import torch

from optbridge.compat import keras, mindspore, oneflow, optax, paddle, tf1, torch_npu

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")


def _grad_step(opt, w):
    w.grad = torch.ones_like(w)
    opt.step()


STEPPERS = {
    "mindspore.RMSProp": lambda w: mindspore.RMSProp([w], learning_rate=0.1)((torch.ones_like(w),)),
    "mindspore.Rprop": lambda w: mindspore.Rprop([w], learning_rate=0.1)((torch.ones_like(w),)),
    "keras.RMSprop": lambda w: keras.RMSprop(0.1).apply_gradients([(torch.ones_like(w), w)]),
    "tf1.RMSPropOptimizer": lambda w: tf1.RMSPropOptimizer(0.1).apply_gradients(
        [(torch.ones_like(w), w)]),
    "oneflow.RMSprop": lambda w: _grad_step(oneflow.RMSprop([w], lr=0.1), w),
    "paddle.RMSProp": lambda w: _grad_step(paddle.RMSProp(0.1, parameters=[w]), w),
    "paddle.Rprop": lambda w: _grad_step(paddle.Rprop(0.1, parameters=[w]), w),
    "torch_npu.NpuFusedRMSprop": lambda w: _grad_step(torch_npu.NpuFusedRMSprop([w], lr=0.1), w),
}


@needs_cuda
@pytest.mark.parametrize("name", list(STEPPERS))
def test_facade_updates_a_cuda_tensor(name):
    w = torch.ones(4, device="cuda")
    STEPPERS[name](w)
    assert w.device.type == "cuda" and bool((w < 1).all())


@needs_cuda
@pytest.mark.parametrize("factory", [optax.rmsprop, optax.rprop])
def test_optax_on_cuda_pytrees(factory):
    params = {"w": torch.ones(4, device="cuda")}
    tx = factory(0.1)
    state = tx.init(params)
    for _ in range(2):
        updates, state = tx.update({"w": torch.ones(4, device="cuda")}, state)
        params = optax.apply_updates(params, updates)
    assert params["w"].device.type == "cuda" and bool((params["w"] < 1).all())


_NPU_SCRIPT = r"""
import json, torch, optbridge.npu as torch_npu
torch_npu.install()
from optbridge.compat import keras, mindspore, oneflow, optax, paddle, tf1, torch_npu as tnpu

def grad_step(make):
    def run(w):
        opt = make(w)
        for _ in range(3):
            w.grad = torch.linspace(-1, 1, 4, device=w.device) * w
            opt.step()
    return run

def call_step(make, call):
    def run(w):
        opt = make(w)
        for _ in range(3):
            call(opt, torch.linspace(-1, 1, 4, device=w.device) * w, w)
    return run

def optax_run(w):
    tx = optax.rmsprop(0.1, momentum=0.9)
    params = {"w": w.clone()}
    state = tx.init(params)
    for _ in range(3):
        updates, state = tx.update({"w": torch.linspace(-1, 1, 4, device=w.device) * params["w"]}, state)
        params = optax.apply_updates(params, updates)
    w.copy_(params["w"])

RUNS = {
    "mindspore": call_step(lambda w: mindspore.RMSProp([w], learning_rate=0.1, momentum=0.5),
                           lambda o, g, w: o((g,))),
    "keras": call_step(lambda w: keras.RMSprop(0.1, weight_decay=0.1),
                       lambda o, g, w: o.apply_gradients([(g, w)])),
    "tf1": call_step(lambda w: tf1.RMSPropOptimizer(0.1, centered=True),
                     lambda o, g, w: o.apply_gradients([(g, w)])),
    "oneflow": grad_step(lambda w: oneflow.RMSprop([w], lr=0.1)),
    "paddle": grad_step(lambda w: paddle.Rprop(0.1, parameters=[w])),
    "torch_npu": grad_step(lambda w: tnpu.NpuFusedRMSprop([w], lr=0.1, momentum=0.9)),
    "optax": optax_run,
}
out = {}
for name, run in RUNS.items():
    per_device = {}
    for device in ("cpu", "npu"):
        w = torch.tensor([1.0, -2.0, 3.0, 0.5], device=device)
        run(w)
        per_device[device] = [str(w.device), w.cpu().tolist()]
    out[name] = per_device
print(json.dumps(out))
"""


def test_facades_on_the_simulated_npu_match_cpu():
    """In a subprocess (installing the simulated backend is process-wide): every facade on
    ``npu:0`` tensors gives the CPU result."""
    import json
    import subprocess
    import sys

    pytest.importorskip("optbridge.npu")
    done = subprocess.run([sys.executable, "-c", _NPU_SCRIPT], capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(results) == {"mindspore", "keras", "tf1", "oneflow", "paddle", "torch_npu",
                            "optax"}
    for name, per_device in results.items():
        assert per_device["npu"][0] == "npu:0", name
        assert per_device["cpu"][1] != [1.0, -2.0, 3.0, 0.5], f"{name} did not move"
        # the CPU path may use the engine's compiled kernel, npu the torch ops: a few ulps
        torch.testing.assert_close(torch.tensor(per_device["npu"][1]),
                                   torch.tensor(per_device["cpu"][1]),
                                   rtol=8 * 2.0**-23, atol=1e-7, msg=name)
