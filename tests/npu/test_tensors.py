"""Device strings, moves, printing and the errors a real device gives."""

import pytest
import torch

from optbridge.npu.tensor import NpuTensor


def test_device_strings_parse_and_compare():
    assert torch.device("npu").type == "npu"
    assert torch.device("npu:0") == torch.device("npu", 0)
    assert str(torch.ones(1, device="npu").device) == "npu:0"
    assert torch.ones(1, device="npu:0").device == torch.device("npu:0")


@pytest.mark.parametrize(
    "move",
    [
        lambda t: t.npu(),
        lambda t: t.npu(0),
        lambda t: t.to("npu"),
        lambda t: t.to("npu:0"),
        lambda t: t.to(torch.device("npu", 0)),
        lambda t: t.to(device="npu", dtype=torch.float64),
    ],
    ids=["npu()", "npu(0)", "to-npu", "to-npu:0", "to-device", "to-dtype"],
)
def test_moves_to_npu_and_back_keep_values(move):
    cpu = torch.randn(3, 4)
    moved = move(cpu)
    assert type(moved) is NpuTensor
    assert moved.device == torch.device("npu", 0)
    assert moved.is_npu and not cpu.is_npu
    back = moved.cpu()
    assert type(back) is torch.Tensor and back.device.type == "cpu"
    assert torch.equal(back, cpu.to(back.dtype))


def test_factories_on_npu():
    assert torch.zeros(2, 3, device="npu").cpu().eq(0).all()
    assert torch.full((2,), 7.0, device="npu").cpu().tolist() == [7.0, 7.0]
    assert torch.arange(4, device="npu").cpu().tolist() == [0, 1, 2, 3]
    assert torch.tensor([1, 2], device="npu").device.type == "npu"
    assert sorted(torch.randperm(5, device="npu").cpu().tolist()) == [0, 1, 2, 3, 4]
    like = torch.zeros_like(torch.ones(2, device="npu"))
    assert like.device.type == "npu"
    assert torch.ones(2, device="npu").new_zeros(3, device="cpu").device.type == "cpu"


def test_model_npu_moves_parameters_and_buffers():
    model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2)).npu()
    for tensor in list(model.parameters()) + list(model.buffers()):
        assert tensor.device == torch.device("npu", 0)
    assert isinstance(model[0].weight, torch.nn.Parameter)
    assert model(torch.randn(4, 3).npu()).device.type == "npu"


def test_printing_looks_like_a_device_tensor():
    t = torch.tensor([1.0, 2.0], device="npu")
    assert repr(t) == "tensor([1., 2.], device='npu:0')"
    assert repr(t.half()) == "tensor([1., 2.], device='npu:0', dtype=torch.float16)"
    grad = t.requires_grad_() * 2
    assert repr(grad) == "tensor([2., 4.], device='npu:0', grad_fn=<MulBackward0>)"
    assert f"{t.sum():.2f}" == "3.00"
    assert t.tolist() == [1.0, 2.0]
    assert t.sum().item() == 3.0


def test_numpy_raises_as_on_a_real_device():
    with pytest.raises(TypeError, match="can't convert npu:0 device type tensor to numpy"):
        torch.ones(2, device="npu").numpy()
    assert torch.ones(2, device="npu").cpu().numpy().tolist() == [1.0, 1.0]


@pytest.mark.parametrize(
    "mix",
    [
        lambda n, c: n + c,
        lambda n, c: c * n,
        lambda n, c: torch.cat([n, c]),
        lambda n, c: n.matmul(c.t()),
    ],
    ids=["add", "mul", "cat", "matmul"],
)
def test_mixing_npu_and_cpu_raises_device_mismatch(mix):
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        mix(torch.ones(2, 2, device="npu"), torch.ones(2, 2))


def test_cpu_scalars_mix_as_on_cuda():
    assert (torch.ones(2, device="npu") * torch.tensor(3.0)).cpu().tolist() == [3.0, 3.0]


def test_second_device_is_a_clear_error():
    with pytest.raises(RuntimeError, match="one device \\(npu:0\\); npu:1 does not exist"):
        torch.ones(2, device="npu:1")
    with pytest.raises(RuntimeError, match="npu:1 does not exist"):
        torch.ones(2).to("npu:1")


def test_in_place_metadata_changes_are_visible():
    t = torch.zeros(2, 3, device="npu")
    t.unsqueeze_(0)
    assert t.shape == (1, 2, 3) and t._cpu.shape == (1, 2, 3)
    out = torch.empty(0, device="npu")
    torch.add(torch.ones(4, 5, device="npu"), 1, out=out)
    assert out.shape == (4, 5) and out.cpu().eq(2).all()
    grown = torch.zeros(1, device="npu")
    grown.resize_(10)
    assert grown.shape == (10,)


def test_indexing_and_views_share_data():
    t = torch.zeros(3, 4, device="npu")
    t[1] = 5.0
    view = t[:, 2]
    view.add_(1.0)
    expected = torch.zeros(3, 4)
    expected[1] = 5.0
    expected[:, 2] += 1.0
    assert torch.equal(t.cpu(), expected)
    assert t[t > 2].cpu().tolist() == [5.0, 5.0, 6.0, 5.0]


def test_data_assignment_updates_the_values():
    p = torch.nn.Parameter(torch.zeros(3, device="npu"))
    p.data = torch.ones(3, device="npu")
    assert (p * 2).cpu().tolist() == [2.0, 2.0, 2.0]
    with pytest.raises(RuntimeError, match="cannot assign a tensor on cpu"):
        p.data = torch.ones(3)


def test_storage_and_pointers_come_from_host_memory():
    t = torch.arange(4.0, device="npu")
    assert t.data_ptr() != 0
    assert t.untyped_storage().nbytes() == 16
    assert t.pin_memory() is t and not t.is_pinned()


def test_swap_module_params_keeps_parameter_objects():
    torch.__future__.set_swap_module_params_on_conversion(True)
    try:
        model = torch.nn.Linear(2, 2)
        weight = model.weight
        model.to("npu")
        assert model.weight is weight and weight.device.type == "npu"
    finally:
        torch.__future__.set_swap_module_params_on_conversion(False)


def test_restriding_one_wrapper_leaves_its_detached_twin_alone():
    base = torch.arange(6.0, device="npu")
    twin = base.detach()
    twin.unsqueeze_(0)
    assert base.shape == (6,) and base._cpu.shape == (6,)
    assert twin.shape == (1, 6)
    twin.add_(1.0)  # still the same data
    assert base.cpu().tolist() == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    out = base.detach()
    with pytest.warns(UserWarning, match="resized"):  # as on CPU: out had 6 elements
        torch.mul(torch.ones(2, 2, device="npu"), 3, out=out)
    assert out.shape == (2, 2) and base.shape == (6,)
    p = torch.nn.Parameter(torch.zeros(3, device="npu"))
    source = torch.ones(3, device="npu")
    p.data = source
    source.t_()
    source.resize_(1, 3)
    assert p.shape == (3,) and p.cpu().tolist() == [1.0, 1.0, 1.0]


@pytest.mark.skipif(torch.cuda.is_available(), reason="with CUDA, pinning is CUDA's")
def test_pinned_host_memory_and_data_loader_pin_memory_work():
    host = torch.arange(4.0)
    pinned = host.pin_memory()
    assert torch.equal(pinned, host) and pinned is not host and not pinned.is_pinned()
    dataset = torch.utils.data.TensorDataset(torch.arange(8.0).reshape(4, 2))
    batches = [batch for (batch,) in torch.utils.data.DataLoader(dataset, 2, pin_memory=True)]
    assert [b.tolist() for b in batches] == [[[0.0, 1.0], [2.0, 3.0]], [[4.0, 5.0], [6.0, 7.0]]]
    assert batches[0].npu(non_blocking=True).device == torch.device("npu", 0)
