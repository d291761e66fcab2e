"""The npu random stream is separate from the CPU one and reproducible."""

import pytest
import torch


def test_npu_draws_do_not_disturb_the_cpu_stream():
    torch.manual_seed(1)
    expected = torch.randn(3)
    torch.manual_seed(1)
    torch.randn(5, device="npu")
    torch.nn.functional.dropout(torch.ones(8, device="npu"), 0.5)
    assert torch.equal(torch.randn(3), expected)


def test_cpu_draws_do_not_disturb_the_npu_stream():
    torch.npu.manual_seed(3)
    first = torch.randn(4, device="npu").cpu()
    torch.npu.manual_seed(3)
    torch.randn(100)
    assert torch.equal(torch.randn(4, device="npu").cpu(), first)


def test_torch_manual_seed_seeds_the_npu_too_as_it_does_cuda():
    torch.manual_seed(5)
    first = torch.randn(4, device="npu").cpu()
    torch.npu.manual_seed(6)
    torch.manual_seed(5)
    assert torch.equal(torch.randn(4, device="npu").cpu(), first)


@pytest.mark.parametrize(
    "draw",
    [
        lambda: torch.randn(4, device="npu"),
        lambda: torch.rand(4, device="npu"),
        lambda: torch.randint(0, 100, (4,), device="npu"),
        lambda: torch.randperm(6, device="npu"),
        lambda: torch.nn.functional.dropout(torch.ones(16, device="npu"), 0.5),
        lambda: torch.empty(4, device="npu").uniform_(),
        lambda: torch.bernoulli(torch.full((8,), 0.5, device="npu")),
    ],
    ids=["randn", "rand", "randint", "randperm", "dropout", "uniform_", "bernoulli"],
)
def test_seeding_reproduces_and_rng_state_restores(draw):
    torch.npu.manual_seed_all(11)
    first = draw().cpu()
    state = torch.npu.get_rng_state()
    second = draw().cpu()
    torch.npu.manual_seed(11)
    assert torch.equal(draw().cpu(), first)
    torch.npu.set_rng_state(state)
    assert torch.equal(draw().cpu(), second)
    assert draw().device.type == "npu"


def test_initial_seed_reports_the_seed():
    torch.npu.manual_seed(1234)
    assert torch.npu.initial_seed() == 1234


def test_npu_generator_objects_are_a_documented_limitation():
    with pytest.raises(NotImplementedError, match="getNewGenerator"):
        torch.Generator(device="npu")
