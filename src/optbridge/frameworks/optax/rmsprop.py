"""optax 0.2.8 ``rmsprop``: ``chain(scale_by_rms | scale_by_stddev, scale_by_learning_rate,
trace | identity)`` computed by the engine's RMSprop rule in one pass."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import torch
from torch import Tensor

from optbridge.engine import RMSPROP, Rule
from optbridge.frameworks.optax._flat import apply_rule_to_leaves
from optbridge.frameworks.optax._pytree import (
    UPDATE_HINT,
    Tree,
    flatten,
    require_match,
    tree_map,
)
from optbridge.frameworks.optax.transform import (
    EmptyState,
    GradientTransformation,
    full_like,
    number,
    require_number,
    require_state,
    safe_increment,
    truth,
)

Schedule = Callable[[int], float]


class ScaleByRmsState(NamedTuple):
    nu: Tree


class ScaleByRmsWithCountState(NamedTuple):
    count: Tensor
    nu: Tree


class ScaleByRStdDevState(NamedTuple):
    mu: Tree
    nu: Tree


class ScaleByRStdDevWithCountState(NamedTuple):
    count: Tensor
    mu: Tree
    nu: Tree


class ScaleByScheduleState(NamedTuple):
    count: Tensor


class TraceState(NamedTuple):
    trace: Tree


def stddev_bias_corrected_(param: Tensor, grad: Tensor, state: dict[str, Tensor], *,
                           lr: float, alpha: float, eps: float, eps_in_sqrt: bool,
                           momentum: float, nesterov: bool, step: int, **_: Any) -> None:
    """optax's centered RMSprop with bias correction, in place (``param -= update``).

    optax corrects both moments before combining them, ``nu/bc - (mu/bc)**2``; the engine's
    generic flag corrects the difference, ``(nu - mu**2)/bc``, which is another formula. So
    this one case is its own rule (plain torch ops, run by the engine's generic path).
    """
    nu, mu = state["square_avg"], state["grad_avg"]
    # optax's op order, float32 throughout: at the first step the corrected variance is
    # g*g - g*g, pure rounding, so only the same ops give the same (large) update.
    nu.mul_(alpha).add_(grad.square().mul_(1 - alpha))
    mu.mul_(alpha).add_(grad.mul(1 - alpha))
    decay = torch.tensor(alpha, dtype=nu.dtype, device=nu.device)
    correction = 1 - decay**step
    mu_hat = mu / correction
    variance = nu / correction - mu_hat * mu_hat
    if eps_in_sqrt:
        update = torch.rsqrt(variance + eps).mul_(grad).mul_(lr)
    else:
        update = (1 / (variance.sqrt() + eps)).mul_(grad).mul_(lr)
    if momentum > 0:
        buf = state["momentum_buffer"]
        buf.mul_(momentum).add_(update)
        update = buf.mul(momentum).add_(update) if nesterov else buf
    param.sub_(update)


STDDEV_BIAS_CORRECTED = Rule(
    name="optax_stddev_bias_corrected",  # no kernel: the engine's generic torch-ops path
    update=stddev_bias_corrected_,
    state=RMSPROP.state,
    options=RMSPROP.options,  # the facade passes RMSprop's options; the function takes its own
)


def rmsprop(learning_rate: float | Schedule | None, decay: float = 0.9, eps: float = 1e-8,
            initial_scale: float = 0.0, eps_in_sqrt: bool = True, centered: bool = False,
            momentum: float | None = None, nesterov: bool = False,
            bias_correction: bool = False) -> GradientTransformation:
    r"""optax's ``rmsprop`` (0.2.8) on torch tensors.

    Per leaf, with ``lr`` the learning rate (or ``learning_rate(count)``)::

        nu <- decay * nu + (1 - decay) * g**2                    # nu starts at initial_scale
        mu <- decay * mu + (1 - decay) * g                       # centered only
        u  = -lr * g * rsqrt(nu [- mu**2] + eps)                 # or 1 / (sqrt(.) + eps)
        t  <- u + momentum * t;  u = t  (or u + momentum * t with nesterov)   # momentum set

    Parameters
    ----------
    learning_rate : float, callable or None
        A constant or a schedule ``count -> lr`` (count starts at 0). None, as in optax,
        leaves the updates unscaled and unnegated (``u = g * rsqrt(...)``).
    decay : float, default 0.9
    eps : float, default 1e-8
    initial_scale : float, default 0.0
        Initial value of ``nu`` (PyTorch 0, TF1 1).
    eps_in_sqrt : bool, default True
        ``rsqrt(nu + eps)``; False gives PyTorch's ``1 / (sqrt(nu) + eps)``.
    centered : bool, default False
    momentum : float, optional
        ``None`` (no trace) or the trace decay; 0 keeps a trace equal to the updates.
    nesterov : bool, default False
    bias_correction : bool, default False
        Divide the moments by ``1 - decay**count``.

    Returns
    -------
    GradientTransformation
        ``init(params)`` gives ``(rms_state, schedule_state, trace_state)`` with optax's state
        classes (``EmptyState()`` for absent links); ``update(grads, state, params=None)``.

    Notes
    -----
    optax performs no validation; neither does this (a negative ``momentum`` is refused
    because the engine's rule treats momentum <= 0 as off).

    Examples
    --------
    >>> import torch
    >>> from optbridge.compat.optax import apply_updates, rmsprop
    >>> params = {"w": torch.tensor([1.0, 2.0, 3.0])}
    >>> tx = rmsprop(learning_rate=0.003)
    >>> state = tx.init(params)
    >>> grads = {"w": 2 * params["w"]}
    >>> updates, state = tx.update(grads, state, params)
    >>> params = apply_updates(params, updates)
    """
    momentum_number = number(momentum)  # anything else fails at the first update, as in optax
    if momentum_number is not None and momentum_number < 0:
        raise ValueError(f"optbridge.compat.optax.rmsprop: momentum={momentum_number} < 0 is not "
                         "supported")
    # each flag is tested where optax's Python ``if`` tests it: centered when constructed,
    # bias_correction at init, eps_in_sqrt and nesterov at each update
    centered = truth("rmsprop", "centered", centered)
    schedule = learning_rate if callable(learning_rate) else None

    def state_links(with_count: bool) -> tuple[type, ...]:
        if centered:
            rms_link: type = ScaleByRStdDevWithCountState if with_count else ScaleByRStdDevState
        else:
            rms_link = ScaleByRmsWithCountState if with_count else ScaleByRmsState
        return (rms_link, ScaleByScheduleState if schedule else EmptyState,
                TraceState if momentum is not None else EmptyState)

    def init_fn(params: Tree) -> tuple:
        truth("rmsprop", "bias_correction", bias_correction)
        nu = tree_map(lambda p: full_like("rmsprop", "initial_scale", p, initial_scale), params,
                      names=("params",), function="rmsprop")
        count = torch.zeros((), dtype=torch.int32)
        if centered:
            mu = tree_map(torch.zeros_like, params, names=("params",), function="rmsprop")
            rms: Any = (ScaleByRStdDevWithCountState(count, mu, nu) if bias_correction
                        else ScaleByRStdDevState(mu, nu))
        else:
            rms = ScaleByRmsWithCountState(count, nu) if bias_correction else ScaleByRmsState(nu)
        sched = ScaleByScheduleState(count.clone()) if schedule else EmptyState()
        trace = TraceState(tree_map(torch.zeros_like, params, names=("params",),
                                    function="rmsprop")) if momentum is not None \
            else EmptyState()
        return rms, sched, trace

    def update_fn(updates: Tree, state: tuple, params: Tree = None) -> tuple[Tree, tuple]:
        del params
        # optax does arithmetic with them at the first update, and fails there
        if not callable(learning_rate):
            require_number("rmsprop", "learning_rate", learning_rate, none_ok=True)
        for name, value in (("decay", decay), ("eps", eps)):
            require_number("rmsprop", name, value)
        require_number("rmsprop", "momentum", momentum, none_ok=True)
        # bias_correction is tested at init, as optax tests it; update follows init
        with_count = truth("rmsprop", "bias_correction", bias_correction)
        rule = STDDEV_BIAS_CORRECTED if centered and with_count else RMSPROP
        require_state("rmsprop", state, state_links(with_count))
        rms, sched, trace = state
        # every state tree must be the one init made for a tree shaped as ``updates``: a
        # partial or reshaped tree would otherwise drop or mix the leaves' state
        trees = {"state[0].nu": rms.nu}
        if centered:
            trees["state[0].mu"] = rms.mu
        if momentum is not None:
            trees["state[2].trace"] = trace.trace
        for name, tree in trees.items():
            require_match("rmsprop", updates, "updates", tree, name, UPDATE_HINT)
        grads, unflatten = flatten(updates, "updates", "rmsprop")
        buffers = {"square_avg": flatten(rms.nu)[0]}
        if centered:
            buffers["grad_avg"] = flatten(rms.mu)[0]
        use_trace = momentum_number is not None and momentum_number > 0
        # optax's trace is ``u + momentum * t``: a NaN momentum makes every update NaN. The
        # engine treats NaN as no momentum (as torch), so that outcome is written here.
        nan_trace = momentum_number is not None and math.isnan(momentum_number)
        if use_trace:  # the engine's buffer is the negated trace (b = -t, exactly)
            buffers["momentum_buffer"] = [-t for t in flatten(trace.trace)[0]]
        if learning_rate is None:  # optax skips scale_by_learning_rate: no scale, no sign flip
            lr = -1.0
        else:
            value = schedule(int(sched.count)) if schedule else learning_rate
            require_number("rmsprop", "learning_rate(count)" if schedule else "learning_rate",
                           value)
            lr = float(value)
        count = safe_increment(int(rms.count)) if with_count else 0
        in_sqrt = truth("rmsprop", "eps_in_sqrt", eps_in_sqrt)
        nesterov_on = momentum is not None and truth("rmsprop", "nesterov", nesterov)
        options = {"lr": lr, "alpha": number(decay), "eps": number(eps),
                   "momentum": momentum_number if use_trace else 0.0,
                   "centered": centered, "maximize": False, "eps_in_sqrt": in_sqrt,
                   "lr_in_momentum": True, "nesterov": nesterov_on and use_trace,
                   "bias_correction": with_count}
        if with_count:
            options["step"] = count
        new, new_buffers = apply_rule_to_leaves(rule, grads, buffers, options)
        if nan_trace:
            new = [torch.full_like(u, math.nan) for u in new]
        nu = unflatten(new_buffers["square_avg"])
        count_t = torch.tensor(count, dtype=torch.int32)
        if centered:
            mu = unflatten(new_buffers["grad_avg"])
            rms = (ScaleByRStdDevWithCountState(count_t, mu, nu) if with_count
                   else ScaleByRStdDevState(mu, nu))
        else:
            rms = ScaleByRmsWithCountState(count_t, nu) if with_count else ScaleByRmsState(nu)
        if schedule:
            sched = ScaleByScheduleState(torch.tensor(safe_increment(int(sched.count)),
                                                      dtype=torch.int32))
        if use_trace:
            trace = TraceState(unflatten([-b for b in new_buffers["momentum_buffer"]]))
        elif momentum is not None:  # decay 0: the trace is the update itself
            trace = TraceState(unflatten(list(new)))
        return unflatten(new), (rms, sched, trace)

    return GradientTransformation(init_fn, update_fn)


__all__ = ["rmsprop", "stddev_bias_corrected_"]
