"""The drop-in suites can fail: each check that our optimizers pass must fail for a mutant.

Every mutant is ``torch.optim.RMSprop``/``Rprop`` with one defect of the kind the suites
guard against (a replaced grad, a relayout, a kept grad buffer, a wrong message, a skipped
hook...). Each case runs a test of test_user_owned_tensors.py, test_torch_optim_db.py or
test_torch_optim_renewed.py with torch's own class in our place (it must pass: the test is
sound) and with the mutant (it must fail with an AssertionError).
"""

from __future__ import annotations

from collections import defaultdict

import pytest
import test_torch_optim_db as db
import test_torch_optim_renewed as renewed
import test_user_owned_tensors as owned
import torch
import torch_db

RMSprop, Rprop = torch.optim.RMSprop, torch.optim.Rprop


def mutant(base: type, name: str, **members) -> type:
    """A subclass of ``base`` whose name still ends with torch's (messages are compared with
    our class name replaced by torch's). Registered in this module, so that pickle finds it."""
    cls = type(f"{name}{base.__name__}", (base,), members)
    cls.__module__ = __name__
    globals()[cls.__name__] = cls
    return cls


def after_step(base: type, name: str, effect) -> type:
    def step(self, closure=None):
        loss = base.step(self, closure)
        effect(self)
        return loss

    return mutant(base, name, step=step)


def params_of(opt) -> list[torch.Tensor]:
    return [p for group in opt.param_groups for p in group["params"]]


def replace_grads(opt) -> None:
    for p in params_of(opt):
        if p.grad is not None:
            p.grad = p.grad.clone()


def relayout(opt) -> None:
    for p in params_of(opt):
        p.data = p.data.clone()


def keep_grads(opt) -> None:
    opt.kept = [p.grad for p in params_of(opt)]


def scaled_lr_step(base: type) -> type:
    def step(self, closure=None):
        for group in self.param_groups:
            group["lr"] = group["lr"] * 1.01
        try:
            return base.step(self, closure)
        finally:
            for group in self.param_groups:
                group["lr"] = group["lr"] / 1.01

    return mutant(base, "LrOff", step=step)


def strides_ignored(base: type) -> type:
    """Reads every grad in row-major order onto the param's own strides: the flat-buffer bug
    of ``w.data = w.data.t()``."""
    def step(self, closure=None):
        for p in params_of(self):
            if p.grad is not None:
                p.grad = torch.as_strided(p.grad.contiguous(), p.shape, p.stride())
        return base.step(self, closure)

    return mutant(base, "Strided", step=step)


def no_hooks(base: type) -> type:
    def step(self, closure=None):
        return base.step.__wrapped__(self, closure)

    step.hooked = True  # torch then does not wrap it with the hook-running step
    return mutant(base, "Unhooked", step=step)


def accepts_fused(base: type) -> type:
    def __init__(self, params, fused=None, **kwargs):
        base.__init__(self, params, **kwargs)

    return mutant(base, "Fusing", __init__=__init__)


def own_messages(base: type) -> type:
    def __init__(self, params, **kwargs):
        if isinstance(kwargs.get("lr"), torch.Tensor) and kwargs["lr"].numel() != 1:
            raise ValueError("lr must be a scalar tensor")
        base.__init__(self, params, **kwargs)

    return mutant(base, "Worded", __init__=__init__)


def drops_flags_on_load(base: type) -> type:
    def load_state_dict(self, state_dict):
        base.load_state_dict(self, state_dict)
        for key in [k for k in self.state if isinstance(k, str)]:
            del self.state[key]

    return mutant(base, "Forgetful", load_state_dict=load_state_dict)


def python_step_counts(base: type) -> type:
    def state_dict(self):
        saved = base.state_dict(self)
        for state in saved["state"].values():
            state["step"] = float(state["step"])
        return saved

    return mutant(base, "Floaty", state_dict=state_dict)


def touches_state_without_grads(base: type) -> type:
    def step(self, closure=None):
        loss = base.step(self, closure)
        for p in params_of(self):
            self.state[p]  # creates an empty entry, as a careless engine would
        return loss

    return mutant(base, "Eager", step=step)


def loses_state_when_copied(base: type) -> type:
    def __getstate__(self):
        return {**base.__getstate__(self), "state": defaultdict(dict)}

    return mutant(base, "Amnesic", __getstate__=__getstate__)


def other_repr(base: type) -> type:
    return mutant(base, "Terse", __repr__=lambda self: f"{type(self).__name__}()")


RMS_KW = {"lr": 0.05, "momentum": 0.5, "centered": True}
OWNED = [
    (owned.test_user_owned_flat_grad_buffer_refilled_in_place, (RMS_KW,), replace_grads),
    (owned.test_cached_grads_clipped_in_place, (RMS_KW,), replace_grads),
    (owned.test_grad_identity_preserved_across_step, (RMS_KW, False), replace_grads),
    (owned.test_params_that_are_slices_of_one_base_update_the_base, (RMS_KW,), relayout),
    (owned.test_overlapping_views_match_torch, (RMS_KW,), relayout),
    (owned.test_state_dict_taken_before_first_step_stays_live, (RMS_KW,), relayout),
    (owned.test_zero_grad_set_to_none_frees_every_grad, (RMS_KW,), keep_grads),
    (owned.test_zero_grad_leaves_no_grad_buffer_in_the_optimizer, (RMS_KW, True), keep_grads),
    (owned.test_zero_grad_leaves_no_grad_buffer_in_the_optimizer, (RMS_KW, False),
     lambda opt: setattr(opt, "kept", [p.grad.clone() for p in params_of(opt)])),
    (owned.test_param_data_replaced_by_a_new_tensor, (RMS_KW,), relayout),
]


@pytest.mark.parametrize("test,args,effect", OWNED, ids=lambda v: getattr(v, "__name__", ""))
def test_user_owned_checks_catch_their_mutant(test, args, effect):
    test(RMSprop, RMSprop, *args)
    with pytest.raises(AssertionError):
        test(after_step(RMSprop, "Mutant", effect), RMSprop, *args)


def test_transposed_param_check_catches_strides_ignored():
    owned.test_square_param_transposed_in_place_of_data(RMSprop, RMSprop, RMS_KW)
    with pytest.raises(AssertionError):
        owned.test_square_param_transposed_in_place_of_data(strides_ignored(RMSprop), RMSprop,
                                                            RMS_KW)


def case(name: str, desc: str, plain: bool = True) -> tuple[str, int]:
    inputs = torch_db.INFOS[name].optim_inputs_func("cpu") if plain else torch_db.optim_inputs(name)
    return name, [i.desc for i in inputs].index(desc)


MOMENTUM = case("RMSprop", "maximize, centered, weight_decay, w/ momentum")
DB = [
    ("forloop", lambda: db.test_optim_input_matches_torch_forloop(*MOMENTUM, torch.float32),
     scaled_lr_step),
    ("forloop-rprop", lambda: db.test_optim_input_matches_torch_forloop(
        *case("Rprop", "non-default etas"), torch.float64), scaled_lr_step),
    ("flags", lambda: db.test_flags_accepted_or_refused_like_torch(*MOMENTUM, {"fused": True}),
     accepts_fused),
    ("errors", lambda: db.test_error_input_raises_like_torch(
        "RMSprop", [e.optimizer_error_input.desc for e in torch_db.INFOS["RMSprop"]
                    .optim_error_inputs_func("cpu", torch.float32)].index(
            "Tensor lr must be 1-element"), torch.float32), own_messages),
    ("post-hook flag", lambda: renewed.test_load_state_dict_post_hook_may_store_a_flag_in_state(
        *case("RMSprop", "default", plain=False)), drops_flags_on_load),
    ("round trip", lambda: renewed.test_state_dict_round_trip_with_torch(*MOMENTUM, "torch_to_ours"),
     scaled_lr_step),
    ("group added", lambda: renewed.test_param_group_added_later(*MOMENTUM), scaled_lr_step),
    ("closure", lambda: renewed.test_closure_is_called_once_and_its_loss_returned("RMSprop"),
     scaled_lr_step),
    ("schedulers", lambda: renewed.test_lr_schedulers_of_the_database("Rprop"), scaled_lr_step),
    ("no grads", lambda: renewed.test_step_without_grads_changes_nothing(*MOMENTUM),
     touches_state_without_grads),
    ("zero_grad", lambda: renewed.test_zero_grad_like_torch("RMSprop", False),
     lambda base: after_step(base, "Mutant", replace_grads)),
    ("deepcopy", lambda: renewed.test_copied_optimizer_continues_like_torch("RMSprop", "deepcopy"),
     loses_state_when_copied),
    ("pickle", lambda: renewed.test_copied_optimizer_continues_like_torch("Rprop", "pickle"),
     loses_state_when_copied),
    ("maximize", lambda: renewed.test_maximize_climbs_like_torch("RMSprop"), scaled_lr_step),
    ("step hooks", lambda: renewed.test_step_hooks_like_torch("RMSprop"), no_hooks),
    ("mixed dtypes", lambda: renewed.test_mixed_dtypes_in_one_group("Rprop"), scaled_lr_step),
    ("repr", lambda: renewed.test_repr_like_torch(*MOMENTUM), other_repr),
    ("tensor lr", lambda: db.test_tensor_lr_matches_float_lr_and_torch(*MOMENTUM),
     scaled_lr_step),
    ("zero grads", lambda: db.test_zero_grads_step_like_torch(*MOMENTUM), scaled_lr_step),
    ("named params", lambda: renewed.test_named_parameters_and_their_state_dict("RMSprop"),
     scaled_lr_step),
    ("state keys", lambda: db.test_state_after_a_step_has_torchs_keys_and_is_deterministic(
        *MOMENTUM), python_step_counts),
    ("old state dict", lambda: renewed.test_loads_a_state_dict_from_before_the_newer_flags(
        "RMSprop"), scaled_lr_step),
]


@pytest.mark.parametrize("run,make_mutant", [pytest.param(r, m, id=i) for i, r, m in DB])
def test_optim_db_checks_catch_their_mutant(monkeypatch, run, make_mutant):
    for name in torch_db.OURS:
        monkeypatch.setitem(torch_db.OURS, name, torch_db.INFOS[name].optim_cls)
    run()  # torch's own class in our place passes
    for name in torch_db.OURS:
        monkeypatch.setitem(torch_db.OURS, name, make_mutant(torch_db.INFOS[name].optim_cls))
    with pytest.raises(AssertionError):
        run()
