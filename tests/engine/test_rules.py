"""The rule functions: torch's maths by default, each variant flag does what the docs say."""

from __future__ import annotations

import pytest
import torch

from optbridge.engine import RMSPROP, RPROP, rmsprop_, rprop_


def tensors(n=50, seed=0, dtype=torch.float64):
    gen = torch.Generator().manual_seed(seed)
    w = torch.randn(n, generator=gen, dtype=dtype)
    g = torch.randn(n, generator=gen, dtype=dtype)
    return w, g


def test_default_rmsprop_is_torchs_single_tensor_step():
    w, g = tensors(dtype=torch.float32)
    p = torch.nn.Parameter(w.clone())
    opt = torch.optim.RMSprop([p], lr=0.1, momentum=0.5, centered=True, weight_decay=0.2,
                              foreach=False)
    state = {"square_avg": torch.zeros_like(w), "momentum_buffer": torch.zeros_like(w),
             "grad_avg": torch.zeros_like(w)}
    for k in range(5):
        p.grad = g * (k + 1)
        opt.step()
        rmsprop_(w, g * (k + 1), state, lr=0.1, alpha=0.99, eps=1e-8, weight_decay=0.2,
                 momentum=0.5, centered=True)
    assert torch.equal(w, p.detach())


def reference_rmsprop(w, g, v, b, *, lr, alpha, eps, momentum, eps_in_sqrt, lr_in_momentum,
                      wd=0.0, decoupled=False):
    """Textbook formulas in float64 (optimizer-semantics.md)."""
    if decoupled:
        w = w - lr * wd * w
    elif wd:
        g = g + wd * w
    v = alpha * v + (1 - alpha) * g * g
    d = torch.sqrt(v + eps) if eps_in_sqrt else torch.sqrt(v) + eps
    if momentum > 0:
        if lr_in_momentum:
            b = momentum * b + lr * g / d
            w = w - b
        else:
            b = momentum * b + g / d
            w = w - lr * b
    else:
        w = w - lr * g / d
    return w, v, b


@pytest.mark.parametrize("eps_in_sqrt", [False, True])
@pytest.mark.parametrize("lr_in_momentum", [False, True])
@pytest.mark.parametrize("decoupled", [False, True])
@pytest.mark.parametrize("init", [0.0, 1.0])  # MindSpore / TF1 start the accumulator at ones
def test_rmsprop_variant_flags_follow_the_formulas(eps_in_sqrt, lr_in_momentum, decoupled, init):
    w, g = tensors()
    v0 = torch.full_like(w, init)
    state = {"square_avg": v0.clone(), "momentum_buffer": torch.zeros_like(w)}
    ref_w, ref_v, ref_b = w.clone(), v0.clone(), torch.zeros_like(w)
    kw = {"lr": 0.05, "alpha": 0.9, "eps": 0.1, "momentum": 0.7}
    for k in range(4):
        grad = g * (1 + k)
        rmsprop_(w, grad, state, weight_decay=0.3, eps_in_sqrt=eps_in_sqrt,
                 lr_in_momentum=lr_in_momentum, decoupled_weight_decay=decoupled, **kw)
        ref_w, ref_v, ref_b = reference_rmsprop(ref_w, grad, ref_v, ref_b, wd=0.3,
                                                decoupled=decoupled, eps_in_sqrt=eps_in_sqrt,
                                                lr_in_momentum=lr_in_momentum, **kw)
    torch.testing.assert_close(w, ref_w, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(state["square_avg"], ref_v, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(state["momentum_buffer"], ref_b, rtol=1e-12, atol=1e-12)


def test_rmsprop_nesterov_and_bias_correction_follow_optax():
    w, g = tensors()
    state = {"square_avg": torch.zeros_like(w), "momentum_buffer": torch.zeros_like(w)}
    ref_w, nu, trace = w.clone(), torch.zeros_like(w), torch.zeros_like(w)
    for step in range(1, 4):
        rmsprop_(w, g, state, lr=0.1, alpha=0.9, eps=1e-3, momentum=0.8, eps_in_sqrt=True,
                 lr_in_momentum=True, nesterov=True, bias_correction=True, step=step)
        nu = 0.9 * nu + 0.1 * g * g
        u = 0.1 * g / torch.sqrt(nu / (1 - 0.9**step) + 1e-3)
        trace = 0.8 * trace + u
        ref_w = ref_w - (0.8 * trace + u)
    torch.testing.assert_close(w, ref_w, rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="bias_correction=True needs step"):
        rmsprop_(w, g, state, lr=0.1, alpha=0.9, eps=1e-3, bias_correction=True)


def test_rmsprop_accepts_tensor_lr_and_leaves_grad_alone():
    w, g = tensors(dtype=torch.float32)
    w2, g_copy = w.clone(), g.clone()
    s1, s2 = {"square_avg": torch.zeros_like(w)}, {"square_avg": torch.zeros_like(w)}
    rmsprop_(w, g, s1, lr=torch.tensor(0.01), alpha=0.99, eps=1e-8, maximize=True,
             weight_decay=0.1)
    rmsprop_(w2, g, s2, lr=0.01, alpha=0.99, eps=1e-8, maximize=True, weight_decay=0.1)
    assert torch.equal(w, w2)
    assert torch.equal(g, g_copy)


def test_rprop_is_torchs_single_tensor_step_with_optional_weight_decay():
    w, g = tensors(dtype=torch.float32)
    p = torch.nn.Parameter(w.clone())
    opt = torch.optim.Rprop([p], lr=0.05, etas=(0.4, 1.3), step_sizes=(1e-3, 0.2), foreach=False)
    state = {"prev": torch.zeros_like(w), "step_size": torch.full_like(w, 0.05)}
    for k in range(6):
        grad = g * (-1) ** k + 0.1 * k
        p.grad = grad
        opt.step()
        rprop_(w, grad, state, lr=0.05, etas=(0.4, 1.3), step_sizes=(1e-3, 0.2))
    assert torch.equal(w, p.detach())
    # MindSpore nn.Rprop: the same rule after g <- g + wd * w
    w1, w2 = w.clone(), w.clone()
    s1 = {k: v.clone() for k, v in state.items()}
    s2 = {k: v.clone() for k, v in state.items()}
    rprop_(w1, g, s1, weight_decay=0.5)
    rprop_(w2, g + 0.5 * w2, s2)
    assert torch.equal(w1, w2)


def test_state_declarations():
    def names(options):
        return [b.name for b in RMSPROP.buffers(RMSPROP.make_options(options))]

    base = {"lr": 0.1, "alpha": 0.9, "eps": 1e-8}
    assert names({**base, "momentum": 0, "centered": False}) == ["square_avg"]
    assert names({**base, "momentum": 0.9, "centered": True}) == [
        "square_avg", "momentum_buffer", "grad_avg"]
    assert names({**base, "momentum": float("nan")}) == ["square_avg"]  # torch: no momentum
    assert [(b.name, b.init) for b in RPROP.buffers(RPROP.make_options({}))] == [
        ("prev", "zeros"), ("step_size", "lr")]


def test_a_rule_without_declared_options_gets_them_from_its_signature():
    from optbridge.engine import Rule

    def scale_(param, grad, state, *, lr, factor=2.0):
        param.sub_(grad * lr * factor)

    rule = Rule("scale", scale_)
    options = rule.make_options({"lr": 0.5})
    assert (options.lr, options.factor) == (0.5, 2.0)
    with pytest.raises(TypeError, match="rule 'scale' has no option.*factr"):
        rule.make_options({"lr": 0.5, "factr": 3.0})
