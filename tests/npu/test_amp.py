"""torch.autocast("npu") with CUDA's casting policy, and GradScaler on the npu."""

import pytest
import torch

import optbridge.npu as torch_npu


def test_autocast_casts_matrix_products_down_and_losses_up():
    a = torch.randn(4, 4, device="npu")
    with torch.autocast("npu"):
        product = a @ a
        linear = torch.nn.functional.linear(a, a)
        assert product.dtype == torch.float16 and product.device.type == "npu"
        assert linear.dtype == torch.float16
        assert torch.softmax(product, -1).dtype == torch.float32
        assert torch.nn.functional.mse_loss(product, product).dtype == torch.float32
        assert torch.cat([product, a]).dtype == torch.float32  # widest input type
        assert (a + a).dtype == torch.float32  # not in the policy: untouched


def test_autocast_bfloat16_and_the_torch_npu_amp_alias():
    a = torch.randn(2, 2, device="npu")
    with torch_npu.npu.amp.autocast(dtype=torch.bfloat16):
        assert torch.is_autocast_enabled("npu")
        assert (a @ a).dtype == torch.bfloat16
    with torch.npu.amp.autocast():
        assert (a @ a).dtype == torch.float16
    assert not torch.is_autocast_enabled("npu")
    assert torch.npu.is_bf16_supported()


def test_autocast_leaves_cpu_tensors_alone():
    a = torch.randn(2, 2)
    with torch.autocast("npu"):
        assert (a @ a).dtype == torch.float32


def test_autocast_training_step_gives_float32_gradients():
    model = torch.nn.Linear(4, 2).npu()
    with torch.autocast("npu"):
        loss = model(torch.randn(3, 4, device="npu")).float().sum()
    loss.backward()
    assert model.weight.grad.dtype == torch.float32
    assert model.weight.grad.device.type == "npu"


@pytest.mark.parametrize(
    "make_scaler",
    [
        lambda: torch.amp.GradScaler("npu", init_scale=1024.0),
        lambda: torch_npu.npu.amp.GradScaler(init_scale=1024.0),
    ],
    ids=["torch.amp", "torch_npu.npu.amp"],
)
def test_grad_scaler_steps_then_backs_off_after_an_inf(make_scaler):
    model = torch.nn.Linear(3, 1).npu()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scaler = make_scaler()
    inputs = torch.randn(4, 3, device="npu")

    scaler.scale(model(inputs).sum()).backward()
    before = model.weight.detach().cpu().clone()
    scaler.step(optimizer)
    scaler.update()
    assert not torch.equal(before, model.weight.detach().cpu())  # finite grads: a step
    assert scaler.get_scale() == 1024.0

    optimizer.zero_grad()
    scaler.scale(model(inputs).sum()).backward()
    model.weight.grad[0, 0] = float("inf")
    before = model.weight.detach().cpu().clone()
    scaler.step(optimizer)
    scaler.update()
    assert torch.equal(before, model.weight.detach().cpu())  # inf: the step is skipped
    assert scaler.get_scale() == 512.0  # and the scale backs off


def test_fixed_loss_scale_is_refused_clearly():
    with pytest.raises(NotImplementedError, match="dynamic=False"):
        torch_npu.npu.amp.GradScaler(dynamic=False)


def test_every_policy_entry_names_a_real_aten_op():
    from optbridge.npu import autocast_policy

    names = autocast_policy.LOWER_PRECISION + autocast_policy.FLOAT32 + autocast_policy.PROMOTE
    assert [name for name in names if autocast_policy._op(name) is None] == []
