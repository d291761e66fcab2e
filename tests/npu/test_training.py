"""Autograd and optimizers on the simulated NPU give the CPU's results."""

import copy
import subprocess
import sys

import pytest
import torch

from optbridge.compat.torch_npu import NpuFusedRMSprop
from optbridge.optim import FusedRMSprop, FusedRprop


def _train(model, optimizer, inputs, targets, steps=5):
    for _ in range(steps):
        optimizer.zero_grad()
        torch.nn.functional.mse_loss(model(inputs), targets).backward()
        optimizer.step()
    return [p.detach().cpu() for p in model.parameters()]


def _models():
    torch.manual_seed(0)
    cpu = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.Tanh(), torch.nn.Linear(16, 4))
    return cpu, copy.deepcopy(cpu).npu()


def _data():
    generator = torch.Generator().manual_seed(1)
    return torch.randn(6, 8, generator=generator), torch.randn(6, 4, generator=generator)


def test_gradients_are_npu_tensors_equal_to_cpu():
    cpu, npu = _models()
    inputs, targets = _data()
    torch.nn.functional.mse_loss(cpu(inputs), targets).backward()
    torch.nn.functional.mse_loss(npu(inputs.npu()), targets.npu()).backward()
    for p, q in zip(cpu.parameters(), npu.parameters(), strict=True):
        assert q.grad.device.type == "npu"
        assert torch.equal(p.grad, q.grad.cpu())


@pytest.mark.parametrize("foreach", [False, True])
@pytest.mark.parametrize(
    ("optimizer_class", "options"),
    [
        (torch.optim.RMSprop, {"lr": 1e-2}),
        (torch.optim.RMSprop, {"lr": 1e-2, "momentum": 0.9, "centered": True, "weight_decay": 0.1}),
        (torch.optim.Rprop, {"lr": 1e-2}),
    ],
    ids=["rmsprop", "rmsprop-centered-momentum", "rprop"],
)
def test_torch_optim_on_npu_matches_cpu_exactly(optimizer_class, options, foreach):
    cpu, npu = _models()
    inputs, targets = _data()
    expected = _train(
        cpu, optimizer_class(cpu.parameters(), foreach=foreach, **options), inputs, targets
    )
    got = _train(
        npu,
        optimizer_class(npu.parameters(), foreach=foreach, **options),
        inputs.npu(),
        targets.npu(),
    )
    for e, g in zip(expected, got, strict=True):
        assert torch.equal(e, g)


def test_optimizer_state_lives_on_npu():
    _, npu = _models()
    inputs, targets = _data()
    optimizer = torch.optim.RMSprop(npu.parameters(), momentum=0.5)
    _train(npu, optimizer, inputs.npu(), targets.npu(), steps=1)
    state = optimizer.state[next(npu.parameters())]
    assert state["square_avg"].device.type == "npu"
    assert state["momentum_buffer"].device.type == "npu"


@pytest.mark.parametrize("cell", [torch.nn.LSTM, torch.nn.GRU])
@pytest.mark.parametrize("bias", [True, False])
def test_recurrent_layers_use_reference_fused_cells(cell, bias):
    torch.manual_seed(0)
    cpu = cell(4, 8, bias=bias)
    npu = copy.deepcopy(cpu).npu()
    inputs = torch.randn(5, 3, 4)
    expected = cpu(inputs)[0]
    got = npu(inputs.npu())[0]
    expected.square().sum().backward()
    got.square().sum().backward()
    torch.testing.assert_close(got.cpu(), expected, rtol=1e-5, atol=1e-6)
    for p, q in zip(cpu.parameters(), npu.parameters(), strict=True):
        torch.testing.assert_close(q.grad.cpu(), p.grad, rtol=1e-5, atol=1e-5)


def test_convolution_and_normalisation_train():
    torch.manual_seed(0)
    cpu = torch.nn.Sequential(
        torch.nn.Conv2d(2, 3, 3),
        torch.nn.BatchNorm2d(3),
        torch.nn.Flatten(),
        torch.nn.LayerNorm(12),
    )
    npu = copy.deepcopy(cpu).npu()
    inputs = torch.randn(2, 2, 4, 4)
    cpu(inputs).sum().backward()
    npu(inputs.npu()).sum().backward()
    for p, q in zip(cpu.parameters(), npu.parameters(), strict=True):
        torch.testing.assert_close(q.grad.cpu(), p.grad)
    assert torch.equal(cpu[1].running_mean, npu[1].running_mean.cpu())


@pytest.mark.parametrize(
    ("optimizer_class", "torch_class"),
    [(FusedRMSprop, torch.optim.RMSprop), (FusedRprop, torch.optim.Rprop)],
    ids=["FusedRMSprop", "FusedRprop"],
)
def test_optbridge_fused_optimizers_on_npu_match_torch_optim_on_cpu(optimizer_class, torch_class):
    """On the npu the engine runs plain torch ops on flat buffers, documented bit-identical to
    torch.optim (its CPU kernel may differ by one ulp in the square root, so CPU is the
    reference through torch.optim)."""
    cpu, npu = _models()
    inputs, targets = _data()
    options = {"lr": 1e-2}
    expected = _train(cpu, torch_class(cpu.parameters(), **options), inputs, targets)
    got = _train(npu, optimizer_class(npu.parameters(), **options), inputs.npu(), targets.npu())
    for e, g in zip(expected, got, strict=True):
        assert torch.equal(e, g)
    assert all(p.device.type == "npu" for p in npu.parameters())


# The call example of torch_npu's NpuFusedRMSprop page (Ascend/op-plugin,
# docs/context/torch_npu-optim-NpuFusedRMSprop.md), unchanged: it runs under optbridge.run.
DOCUMENTATION_EXAMPLE = """
import torch
from torch_npu.npu.amp import GradScaler, autocast
from torch_npu.optim import NpuFusedRMSprop

def _create_simple_params_and_grads():
    params = [
        torch.arange(6).reshape(2, 3).float().npu(),
        torch.arange(12).reshape(4, 3).float().npu(),
        torch.arange(6).reshape(2, 3).half().npu(),
        torch.arange(12).reshape(4, 3).half().npu(),
        torch.arange(15).reshape(5, 3).float().npu(),
        torch.arange(18).reshape(6, 3).half().npu(),
        torch.arange(6).reshape(2, 3).float().npu()
    ]

    for i, p in enumerate(params):
        if i < len(params) - 1:
            p.requires_grad = True
            p.grad = p.clone().detach() / 100.

    return params

opt_kwargs = dict(eps=0.001, lr=0.01, weight_decay=1e-5)
params = _create_simple_params_and_grads()
fused_opt = NpuFusedRMSprop(params, **opt_kwargs)
with torch.no_grad():
    fused_opt.step()
"""


def test_npu_fused_rmsprop_documentation_example_runs_unchanged(tmp_path):
    script = tmp_path / "example.py"
    script.write_text(
        DOCUMENTATION_EXAMPLE
        + "\nprint('devices', sorted({str(p.device) for p in params}))"
        + "\nprint('moved', [bool((p.detach().cpu() != b).any()) for p, b in"
        + " zip(params, [q.cpu() for q in _create_simple_params_and_grads()])])\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "optbridge.run", str(script)],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "devices ['npu:0']" in done.stdout
    assert "moved [True, True, True, True, True, True, False]" in done.stdout


def test_npu_fused_rmsprop_matches_torch_rmsprop_on_npu():
    """The example in-process, imports changed to `import optbridge.npu as torch_npu`; the
    fused step must give torch.optim.RMSprop's result on the same npu params (fp32)."""
    import optbridge.npu as torch_npu

    assert torch_npu.optim.NpuFusedRMSprop is NpuFusedRMSprop
    options = {"eps": 0.001, "lr": 0.01, "weight_decay": 1e-5}
    fused = [torch.arange(6.0).reshape(2, 3).npu(), torch.arange(12.0).reshape(4, 3).npu()]
    plain = [p.clone() for p in fused]
    for group in (fused, plain):
        for p in group:
            p.requires_grad = True
            p.grad = p.clone().detach() / 100.0
    with torch.no_grad():
        torch_npu.optim.NpuFusedRMSprop(fused, **options).step()
    torch.optim.RMSprop(plain, **options).step()
    for f, p in zip(fused, plain, strict=True):
        assert f.device.type == "npu"
        torch.testing.assert_close(f.detach().cpu(), p.detach().cpu())


def test_packed_sequences_keep_their_lengths_on_the_cpu():
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    torch.manual_seed(0)
    cpu = torch.nn.LSTM(3, 4, batch_first=True)
    npu = copy.deepcopy(cpu).npu()
    inputs, lengths = torch.randn(2, 5, 3), torch.tensor([5, 3])
    results = []
    for model, x in ((cpu, inputs), (npu, inputs.npu())):
        packed = pack_padded_sequence(x, lengths, batch_first=True)
        assert packed.batch_sizes.device.type == "cpu"
        padded, padded_lengths = pad_packed_sequence(model(packed)[0], batch_first=True)
        padded.sum().backward()
        results.append((padded, padded_lengths, model.weight_ih_l0.grad))
    (expected, expected_lengths, expected_grad), (got, got_lengths, got_grad) = results
    assert got.device.type == "npu" and got_lengths.device.type == "cpu"
    assert torch.equal(got_lengths, expected_lengths)
    torch.testing.assert_close(got.cpu(), expected, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(got_grad.cpu(), expected_grad, rtol=1e-5, atol=1e-5)
