"""FusedRMSprop / FusedRprop behave like torch.optim.RMSprop / Rprop through the public API."""

from __future__ import annotations

import copy
import inspect
import io

import pytest
import torch
from optim_problems import clone_params, make_params, quadratic_loss

from optbridge.optim import FusedRMSprop, FusedRprop

PAIRS = [(FusedRMSprop, torch.optim.RMSprop), (FusedRprop, torch.optim.Rprop)]


def train(opt, params, steps, closure=False):
    for _ in range(steps):
        opt.zero_grad()
        if closure:
            opt.step(lambda: quadratic_loss(params).backward() or quadratic_loss(params))
        else:
            quadratic_loss(params).backward()
            opt.step()


@pytest.mark.parametrize("fused_cls,torch_cls", PAIRS)
def test_signature_and_defaults_match_torch(fused_cls, torch_cls):
    ours = inspect.signature(fused_cls.__init__).parameters
    theirs = inspect.signature(torch_cls.__init__).parameters
    assert list(ours) == list(theirs)
    for name, p in theirs.items():
        assert ours[name].default == p.default, name
        assert ours[name].kind == p.kind, name
    params = make_params([torch.float32])
    assert fused_cls(params).defaults == torch_cls(clone_params(params)).defaults


BAD_RMSPROP = [
    {"lr": -1.0}, {"eps": -1e-8}, {"momentum": -0.1}, {"weight_decay": -1.0},
    {"alpha": -0.5}, {"lr": torch.tensor([0.1, 0.2])},
]
BAD_RPROP = [
    {"lr": -1.0}, {"etas": (1.5, 1.2)}, {"etas": (0.5, 0.9)}, {"etas": (0.0, 1.2)},
    {"lr": torch.tensor([0.1, 0.2])},
]


@pytest.mark.parametrize(
    "fused_cls,torch_cls,bad",
    [(FusedRMSprop, torch.optim.RMSprop, b) for b in BAD_RMSPROP]
    + [(FusedRprop, torch.optim.Rprop, b) for b in BAD_RPROP],
    ids=str,
)
def test_bad_values_raise_torchs_error(fused_cls, torch_cls, bad):
    params = make_params([torch.float32])
    with pytest.raises(Exception) as theirs:
        torch_cls(params, **bad)
    with pytest.raises(type(theirs.value)) as ours:
        fused_cls(params, **bad)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("fused_cls,torch_cls", PAIRS)
def test_accepts_what_torch_accepts(fused_cls, torch_cls):
    params = make_params([torch.float32])
    extra = {"alpha": 1.5, "eps": 0.0} if fused_cls is FusedRMSprop else {"step_sizes": (5, 1)}
    # Values torch accepts without complaint (alpha > 1, eps = 0, inverted step sizes) must be
    # accepted, and kept, the same way.
    fused = fused_cls(params, foreach=True, capturable=False, maximize=True, **extra)
    reference = torch_cls(clone_params(params), foreach=True, maximize=True, **extra)
    for key, value in extra.items():
        assert fused.param_groups[0][key] == reference.param_groups[0][key] == value
    assert fused.param_groups[0]["maximize"] is reference.param_groups[0]["maximize"] is True


@pytest.mark.parametrize("fused_cls,torch_cls", PAIRS)
def test_complex_params_update_as_real_pairs_like_torch(exact_sqrt, fused_cls, torch_cls):
    gen = torch.Generator().manual_seed(0)
    params = [torch.nn.Parameter(torch.randn(5, 3, dtype=torch.complex64, generator=gen)),
              torch.nn.Parameter(torch.randn(4, dtype=torch.float32, generator=gen))]
    ref = clone_params(params)
    opts = [fused_cls(params), torch_cls(ref, foreach=False)]
    for _ in range(4):
        for ps, opt in zip((params, ref), opts):
            opt.zero_grad()
            sum((p * p.conj()).real.sum() + p.abs().sum() for p in ps).backward()
            opt.step()
    for p, r in zip(params, ref):
        assert torch.equal(p, r)


@pytest.mark.parametrize("fused_cls,torch_cls", PAIRS)
def test_sparse_grads_raise_torchs_error(fused_cls, torch_cls):
    messages = []
    for cls in (torch_cls, fused_cls):
        emb = torch.nn.Embedding(10, 3, sparse=True)
        opt = cls(emb.parameters())
        emb(torch.tensor([1, 2])).sum().backward()
        with pytest.raises(RuntimeError) as err:
            opt.step()
        messages.append(str(err.value))
    assert messages[0] == messages[1]


@pytest.mark.parametrize("fused_cls,torch_cls", PAIRS)
def test_capturable_on_cpu_raises_like_torch(fused_cls, torch_cls):
    errors = []
    for cls in (torch_cls, fused_cls):
        params = make_params([torch.float32])
        opt = cls(params, capturable=True)
        quadratic_loss(params).backward()
        with pytest.raises(AssertionError) as err:
            opt.step()
        errors.append(str(err.value))
    assert errors[0] == errors[1]


@pytest.mark.parametrize("fused_cls,torch_cls", PAIRS)
@pytest.mark.parametrize("set_to_none", [True, False])
def test_closure_groups_none_grads_and_zero_grad(exact_sqrt, fused_cls, torch_cls, set_to_none):
    params = make_params([torch.float32, torch.float64])
    ref = clone_params(params)
    opts = [cls([{"params": ps[:4]}, {"params": ps[4:6], "lr": 0.03}], lr=0.02)
            for cls, ps in ((fused_cls, params), (torch_cls, ref))]
    frozen = {1, 5}  # these never get a grad: no state, never move
    for step in range(12):
        for ps, opt in zip((params, ref), opts):
            opt.zero_grad(set_to_none=set_to_none)
            live = [p for i, p in enumerate(ps) if i not in frozen]

            def closure(live=live):
                loss = quadratic_loss(live)
                loss.backward()
                return loss

            loss = opt.step(closure)
            assert isinstance(loss, torch.Tensor)
        if step == 5:  # a group added mid-training
            for ps, opt in zip((params, ref), opts):
                opt.add_param_group({"params": ps[6:], "lr": 0.005})
    for i, (p, r) in enumerate(zip(params, ref)):
        assert torch.equal(p, r), i
    for opt, ps in zip(opts, (params, ref)):
        for i in frozen:
            assert len(opt.state[ps[i]]) == 0
    opts[0].zero_grad(set_to_none=set_to_none)
    for p in params:
        if set_to_none:
            assert p.grad is None
        elif p.grad is not None:
            assert not p.grad.any()
    assert (params[1].grad is None) and (params[5].grad is None)


@pytest.mark.parametrize("fused_cls,torch_cls", PAIRS)
def test_zero_grad_false_keeps_accumulating_into_the_same_grads(fused_cls, torch_cls):
    params = make_params([torch.float32])
    opt = fused_cls(params)
    quadratic_loss(params).backward()
    opt.step()
    grads = [p.grad for p in params]
    opt.zero_grad(set_to_none=False)
    quadratic_loss(params).backward()
    quadratic_loss(params).backward()  # accumulates twice, like torch
    assert all(p.grad is g for p, g in zip(params, grads))
    expected = clone_params(params)
    quadratic_loss(expected).backward()
    for p, e in zip(params, expected):
        torch.testing.assert_close(p.grad, 2 * e.grad)


@pytest.mark.parametrize("fused_cls,torch_cls", PAIRS)
def test_lr_scheduler_and_tensor_lr(exact_sqrt, fused_cls, torch_cls):
    params = make_params([torch.float32])
    ref = clone_params(params)
    opts = [cls(ps, lr=torch.tensor(0.02)) for cls, ps in ((fused_cls, params), (torch_cls, ref))]
    scheds = [torch.optim.lr_scheduler.StepLR(o, step_size=3, gamma=0.5) for o in opts]
    for _ in range(10):
        for ps, opt, sched in zip((params, ref), opts, scheds):
            opt.zero_grad()
            quadratic_loss(ps).backward()
            opt.step()
            sched.step()
    assert float(opts[0].param_groups[0]["lr"]) == float(opts[1].param_groups[0]["lr"]) < 0.02
    for p, r in zip(params, ref):
        assert torch.equal(p, r)


@pytest.mark.parametrize("fused_cls,_", PAIRS)
def test_step_hooks_run(fused_cls, _):
    params = make_params([torch.float32])
    opt = fused_cls(params)
    calls = []
    opt.register_step_pre_hook(lambda o, a, k: calls.append(("pre", o)))
    opt.register_step_post_hook(lambda o, a, k: calls.append(("post", o)))
    quadratic_loss(params).backward()
    opt.step()
    assert calls == [("pre", opt), ("post", opt)]


def roundtrip(state_dict):
    buf = io.BytesIO()
    torch.save(state_dict, buf)
    buf.seek(0)
    return torch.load(buf, weights_only=True)


@pytest.mark.parametrize("fused_cls,torch_cls", PAIRS)
@pytest.mark.parametrize("direction", ["torch_to_fused", "fused_to_torch"])
def test_state_dict_interchange_continues_same_trajectory(exact_sqrt, fused_cls, torch_cls,
                                                          direction):
    kw = {"momentum": 0.9, "centered": True} if fused_cls is FusedRMSprop else {"etas": (0.4, 1.3)}
    first, second = ((torch_cls, fused_cls) if direction == "torch_to_fused"
                     else (fused_cls, torch_cls))
    params = make_params([torch.float32, torch.float64])
    opt = first(params, **kw)
    train(opt, params, 7)
    saved = roundtrip(opt.state_dict())
    saved_params = clone_params(params)

    continued = second(saved_params, **kw)  # fresh optimizer, then load
    continued.load_state_dict(saved)
    train(opt, params, 8)
    train(continued, saved_params, 8)
    for p, q in zip(params, saved_params):
        assert torch.equal(p, q)
    assert continued.state_dict()["param_groups"] == opt.state_dict()["param_groups"]
    steps = {float(s["step"]) for s in continued.state_dict()["state"].values()}
    assert steps == {15.0}


@pytest.mark.parametrize("fused_cls,torch_cls", PAIRS)
def test_load_state_dict_into_already_stepped_optimizer(exact_sqrt, fused_cls, torch_cls):
    params = make_params([torch.float32])
    ref = clone_params(params)
    ours, theirs = fused_cls(params), torch_cls(ref)
    train(ours, params, 3)  # ours has state already
    train(theirs, ref, 5)
    with torch.no_grad():
        for p, r in zip(params, ref):
            p.copy_(r)
    ours.load_state_dict(copy.deepcopy(theirs.state_dict()))
    train(ours, params, 4)
    train(theirs, ref, 4)
    for p, r in zip(params, ref):
        assert torch.equal(p, r)


@pytest.mark.parametrize("fused_cls,_", PAIRS)
def test_deepcopy_of_optimizer_and_model(exact_sqrt, fused_cls, _):
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 1))
    opt = fused_cls(model.parameters())
    x = torch.randn(5, 3)
    model(x).sum().backward()
    opt.step()
    model2, opt2 = copy.deepcopy((model, opt))
    for m, o in ((model, opt), (model2, opt2)):
        o.zero_grad()
        m(x).pow(2).sum().backward()
        o.step()
    for p, q in zip(model.parameters(), model2.parameters()):
        assert torch.equal(p, q)
        assert p.data_ptr() != q.data_ptr()
