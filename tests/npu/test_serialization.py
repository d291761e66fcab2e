"""torch.save / torch.load round trips, tagged npu:0 like real torch_npu checkpoints."""

import io

import pytest
import torch

from optbridge.npu.tensor import NpuTensor


def _saved(obj) -> io.BytesIO:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    buffer.seek(0)
    return buffer


def _state():
    torch.manual_seed(0)
    return torch.nn.Linear(3, 2).npu().state_dict()


def test_storages_are_tagged_npu_0():
    locations = []

    def record(storage, location):
        locations.append(location)
        return storage

    torch.load(_saved(_state()), map_location=record, weights_only=True)
    assert locations and set(locations) == {"npu:0"}


@pytest.mark.parametrize("weights_only", [True, False])
@pytest.mark.parametrize(
    ("map_location", "device_type"),
    [
        (None, "npu"),
        ("npu", "npu"),
        ("npu:0", "npu"),
        ("torch.device('npu', 0)", "npu"),
        ({"npu:0": "npu:0"}, "npu"),
        ("cpu", "cpu"),
        (torch.device("cpu"), "cpu"),
        ({"npu:0": "cpu"}, "cpu"),
        (lambda storage, location: storage, "cpu"),
    ],
    ids=[
        "none",
        "npu",
        "npu:0",
        "device-npu",
        "dict-npu",
        "cpu",
        "device-cpu",
        "dict-cpu",
        "callable",
    ],
)
def test_round_trip_with_every_map_location(map_location, device_type, weights_only):
    if map_location == "torch.device('npu', 0)":  # "npu" parses only once installed
        map_location = torch.device("npu", 0)
    state = _state()
    loaded = torch.load(_saved(state), map_location=map_location, weights_only=weights_only)
    for name, tensor in state.items():
        assert loaded[name].device.type == device_type
        assert (type(loaded[name]) is NpuTensor) == (device_type == "npu")
        assert torch.equal(loaded[name].cpu(), tensor.cpu())


def test_cpu_checkpoint_loads_onto_npu():
    loaded = torch.load(_saved({"w": torch.arange(3.0)}), map_location="npu", weights_only=True)
    assert loaded["w"].device.type == "npu" and loaded["w"].cpu().tolist() == [0.0, 1.0, 2.0]


def test_views_keep_sharing_their_storage():
    base = torch.arange(6.0, device="npu")
    loaded = torch.load(_saved({"base": base, "view": base[2:4]}), weights_only=True)
    loaded["base"][2] = 100.0
    assert loaded["view"].cpu().tolist() == [100.0, 3.0]


def test_whole_module_keeps_parameters_on_npu():
    model = torch.nn.Linear(2, 2).npu()
    loaded = torch.load(_saved(model), weights_only=False)
    assert isinstance(loaded.weight, torch.nn.Parameter)
    assert loaded.weight.device.type == "npu" and loaded.weight.requires_grad
    assert torch.equal(loaded.weight.detach().cpu(), model.weight.detach().cpu())


def test_optimizer_state_round_trips():
    model = torch.nn.Linear(2, 1).npu()
    optimizer = torch.optim.RMSprop(model.parameters())
    model(torch.ones(1, 2, device="npu")).sum().backward()
    optimizer.step()
    state = torch.load(_saved(optimizer.state_dict()), weights_only=True)
    restored = torch.optim.RMSprop(model.parameters())
    restored.load_state_dict(state)
    square_avg = restored.state[model.weight]["square_avg"]
    assert square_avg.device.type == "npu"
    assert torch.equal(square_avg.cpu(), optimizer.state[model.weight]["square_avg"].cpu())


def test_second_npu_location_is_a_clear_error():
    with pytest.raises(RuntimeError, match="npu:1 does not exist"):
        torch.load(_saved(_state()), map_location="npu:1", weights_only=True)


def test_checkpoint_loads_in_plain_torch_with_map_location_cpu(tmp_path):
    """Like a real torch_npu checkpoint: a process without any npu backend reads it onto CPU."""
    import subprocess
    import sys

    path = tmp_path / "state.pt"
    torch.save({"w": torch.arange(4.0, device="npu")}, path)
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import torch; print(torch.load({str(path)!r}, map_location='cpu'))",
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "{'w': tensor([0., 1., 2., 3.])}" in done.stdout
