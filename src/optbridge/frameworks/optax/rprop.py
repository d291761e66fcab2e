"""optax 0.2.8 ``rprop`` (``chain(scale_by_rprop, scale(-1))``), including its stale update.

optax's ``scale_by_rprop`` returns ``state.prev_updates``, the update computed at the
*previous* call: the first update is zero and every later one is a step late (open upstream
bug, optax PR #1725). The facade reproduces it by default; ``fix_stale_update=True`` returns
the update of the current step instead.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor

from optbridge.engine import Rule, StateBuffer
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
    require_number,
    require_state,
)


class ScaleByRpropState(NamedTuple):
    step_sizes: Tree
    prev_updates: Tree


def _in_dtype(value: float, like: Tensor) -> Tensor:
    return torch.tensor(float(value), dtype=torch.float64).to(like.dtype)


def optax_rprop_(param: Tensor, grad: Tensor, state: dict[str, Tensor], *, lr: float,
                 eta_minus: float, eta_plus: float, min_step_size: float,
                 max_step_size: float, fix_stale_update: bool = False) -> None:
    """optax's Rprop step, in place: ``param -= update``; ``state`` is ``step_sizes`` and
    ``prev_updates``.

    Unlike PyTorch, the step size is left alone (not clamped) where the sign product is 0,
    and the update applied is ``prev_updates`` from the previous call unless
    ``fix_stale_update``.
    """
    del lr  # it only seeds step_sizes
    step_sizes, prev_updates = state["step_sizes"], state["prev_updates"]
    # JAX rounds a Python scalar to the array's dtype (beyond its range: +-inf); torch refuses
    eta_plus, eta_minus = (_in_dtype(v, grad) for v in (eta_plus, eta_minus))
    min_step_size, max_step_size = (None if v is None else _in_dtype(v, grad)
                                    for v in (min_step_size, max_step_size))
    sign = grad * prev_updates  # optax compares the product, not its sign
    grown = torch.clamp(step_sizes * torch.where(sign > 0, eta_plus, eta_minus),
                        min_step_size, max_step_size)
    new_step_sizes = torch.where(sign == 0, step_sizes, grown)
    flipped = sign < 0
    new_prev = torch.where(flipped, 0.0, new_step_sizes * torch.sign(grad))
    update = new_prev if fix_stale_update else torch.where(flipped, 0.0, prev_updates)
    param.sub_(update)
    step_sizes.copy_(new_step_sizes)
    prev_updates.copy_(new_prev)


OPTAX_RPROP = Rule(
    name="optax_rprop",  # no kernel: the engine's generic torch-ops path
    update=optax_rprop_,
    state=(StateBuffer("step_sizes", "lr"), StateBuffer("prev_updates", "zeros")),
)


def rprop(learning_rate: float, eta_minus: float = 0.5, eta_plus: float = 1.2,
          min_step_size: float = 1e-6, max_step_size: float = 50.0, *,
          fix_stale_update: bool = False) -> GradientTransformation:
    r"""optax's ``rprop`` (0.2.8) on torch tensors, stale update included.

    Per leaf, with ``s = g * prev_updates``::

        step  <- step                         where s == 0 (no clamp, unlike PyTorch)
              <- clip(step * (eta_plus if s > 0 else eta_minus), min_step_size, max_step_size)
        new   =  0 where s < 0 else step * sign(g)
        out   = -(0 where s < 0 else prev_updates)     # optax 0.2.8: the PREVIOUS update
        prev_updates <- new

    Parameters
    ----------
    learning_rate : float
        Initial step size (a schedule is not supported by optax's ``rprop`` either).
    eta_minus, eta_plus : float, defaults 0.5, 1.2
    min_step_size, max_step_size : float, defaults 1e-6, 50.0
    fix_stale_update : bool, keyword-only, default False
        Not in optax. True returns ``-new`` (the current step's update), the corrected rule.

    Returns
    -------
    GradientTransformation
        ``init(params)`` gives ``(ScaleByRpropState(step_sizes, prev_updates), EmptyState())``.

    Notes
    -----
    The stale update is a bug of optax 0.2.8 (PR #1725): the first call returns zeros and
    every later update lags one step. The migration pages must say so.

    Examples
    --------
    >>> import torch
    >>> from optbridge.compat.optax import rprop
    >>> tx = rprop(learning_rate=0.1)
    >>> params = {"w": torch.tensor([1.0, -2.0])}
    >>> state = tx.init(params)
    >>> updates, state = tx.update({"w": torch.tensor([1.0, -1.0])}, state)
    >>> updates["w"]  # optax 0.2.8: nothing on the first call
    tensor([0., 0.])
    """

    def init_fn(params: Tree) -> tuple:
        # optax's full_like fails here on a non-number
        steps = tree_map(lambda p: full_like("rprop", "learning_rate", p, learning_rate), params,
                         names=("params",), function="rprop")
        zeros = tree_map(torch.zeros_like, params, names=("params",), function="rprop")
        return ScaleByRpropState(steps, zeros), EmptyState()

    def update_fn(updates: Tree, state: tuple, params: Tree = None) -> tuple[Tree, tuple]:
        del params
        # optax uses these at the first update (jnp.where, jnp.clip): a step size of None
        # is no bound there, an eta of None fails
        for name, value in (("eta_minus", eta_minus), ("eta_plus", eta_plus)):
            require_number("rprop", name, value)
        for name, value in (("min_step_size", min_step_size), ("max_step_size", max_step_size)):
            require_number("rprop", name, value, none_ok=True)
        require_state("rprop", state, (ScaleByRpropState, EmptyState))
        rp, empty = state
        # a partial or reshaped tree would otherwise drop or mix the leaves' state
        require_match("rprop", updates, "updates", rp.step_sizes, "state[0].step_sizes",
                      UPDATE_HINT)
        require_match("rprop", updates, "updates", rp.prev_updates,
                      "state[0].prev_updates", UPDATE_HINT)
        grads, unflatten = flatten(updates, "updates", "rprop")
        buffers = {"step_sizes": flatten(rp.step_sizes)[0],
                   "prev_updates": flatten(rp.prev_updates)[0]}
        options = {"lr": learning_rate, "eta_minus": eta_minus, "eta_plus": eta_plus,
                       "min_step_size": min_step_size, "max_step_size": max_step_size,
                       "fix_stale_update": fix_stale_update}
        new, new_buffers = apply_rule_to_leaves(OPTAX_RPROP, grads, buffers, options)
        state = ScaleByRpropState(unflatten(new_buffers["step_sizes"]),
                                  unflatten(new_buffers["prev_updates"]))
        return unflatten(new), (state, empty)

    return GradientTransformation(init_fn, update_fn)
