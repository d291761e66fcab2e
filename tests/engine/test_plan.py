"""The CPU kernel's cached plan follows every change between steps, and the kernel's build
says what it does: compiling (and how long), or running without it (once)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import torch

from optbridge.engine.kernels import cpu
from optbridge.optim import FusedRMSprop, FusedRprop

needs_cpu_kernel = pytest.mark.skipif(cpu.load() is None,
                                      reason=f"CPU kernel unavailable: {cpu.load_error()}")


def change_state(opt, params, key):
    opt.state[params[1]][key] = opt.state[params[1]][key].clone() + 0.5


def change_data(opt, params, key):
    params[0].data = params[0].data.clone() * 2


def change_grad_object(opt, params, key):
    params[2].grad = params[2].grad.clone()


def drop_a_param_from_the_list(opt, params, key):
    opt.param_groups[0]["params"].pop()


def load_a_state_dict(opt, params, key):
    opt.load_state_dict(opt.state_dict())


CHANGES = [change_state, change_data, change_grad_object, drop_a_param_from_the_list,
           load_a_state_dict]


@needs_cpu_kernel
@pytest.mark.parametrize("change", CHANGES, ids=lambda f: f.__name__)
@pytest.mark.parametrize("fused_cls,torch_cls,key", [
    (FusedRMSprop, torch.optim.RMSprop, "square_avg"), (FusedRprop, torch.optim.Rprop, "prev")])
def test_a_change_between_steps_is_seen_as_torch_sees_it(fused_cls, torch_cls, key, change):
    results = []
    for cls in (fused_cls, torch_cls):
        gen = torch.Generator().manual_seed(0)
        params = [torch.nn.Parameter(torch.randn(n, generator=gen)) for n in (7, 300, 40_000)]
        opt = cls(params, lr=0.01)
        for k in range(4):
            for p in params:
                p.grad = torch.randn(p.shape, generator=gen)
            if k == 2:
                change(opt, params, key)
            opt.step()
        results.append([p.detach().clone() for p in params])
    for ours, ref in zip(*results):
        torch.testing.assert_close(ours, ref, rtol=1e-6, atol=1e-7)


@needs_cpu_kernel
def test_the_plan_is_not_part_of_the_state_dict_or_a_pickle():
    import pickle

    p = torch.nn.Parameter(torch.ones(3))
    opt = FusedRMSprop([p])
    p.grad = torch.ones(3)
    opt.step()
    assert opt.__dict__.get("_kernel_plans")  # the kernel made one
    assert "_kernel_plans" not in str(opt.state_dict())
    pickle.loads(pickle.dumps(opt)).step()


FALLBACK = """
import warnings, torch
from optbridge.optim import FusedRMSprop
warnings.simplefilter("always")
w = torch.nn.Parameter(torch.ones(4)); ref = torch.nn.Parameter(torch.ones(4))
ours, theirs = FusedRMSprop([w]), torch.optim.RMSprop([ref])
for _ in range(3):
    w.grad = torch.ones(4); ref.grad = torch.ones(4)
    ours.step(); theirs.step()
print(torch.equal(w, ref))
"""


def test_no_compiler_says_it_compiles_then_warns_once_and_trains_as_torch(tmp_path):
    done = subprocess.run([sys.executable, "-c", FALLBACK], capture_output=True, text=True,
                          timeout=300, check=False,
                          env={**os.environ, "CXX": str(tmp_path / "no-such-compiler"),
                               "OPTBRIDGE_CACHE_DIR": str(tmp_path / "cache")})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True"
    assert done.stderr.count("optbridge: compiling the CPU kernel") == 1
    assert done.stderr.count("the CPU kernel is unavailable") == 1
