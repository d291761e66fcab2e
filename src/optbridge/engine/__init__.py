"""The fused optimizer engine shared by every optimizer in optbridge.

Public API (the compat layer in ``optbridge.compat`` builds on it)
==================================================================

Rules: the maths, as plain in-place functions (``optbridge.engine.rules``)
-------------------------------------------------------------------------
``rmsprop_(param, grad, state, *, lr, alpha, eps, weight_decay=0.0, momentum=0.0,
centered=False, maximize=False, eps_in_sqrt=False, lr_in_momentum=False,
decoupled_weight_decay=False, nesterov=False, bias_correction=False, step=None) -> None``
    One RMSprop step on tensors of the same shape. ``state`` maps buffer names to tensors and
    is updated in place, as is ``param``; ``grad`` is never modified. ``lr`` is a Python float
    or a 0-dim tensor. With every flag at its default the operations are exactly those of
    ``torch.optim.RMSprop(foreach=False)``, in the same order. Buffers: ``square_avg`` always,
    ``momentum_buffer`` when ``momentum > 0`` (NaN is no momentum, as in torch), ``grad_avg``
    when ``centered``.

    - ``eps_in_sqrt``: ``d = sqrt(v + eps)`` (MindSpore, TF1, Keras, OneFlow, Paddle, optax
      default) instead of ``d = sqrt(v) + eps`` (PyTorch).
    - ``lr_in_momentum``: ``b = momentum*b + lr*g/d; w -= b`` (MindSpore, TF1, Keras, Paddle,
      optax) instead of ``b = momentum*b + g/d; w -= lr*b`` (PyTorch). Without momentum both
      give ``w -= lr*g/d``.
    - ``decoupled_weight_decay``: ``w -= lr*weight_decay*w`` before the update (Keras 3);
      otherwise weight decay is coupled: ``g += weight_decay*w`` (PyTorch, MindSpore).
    - ``nesterov``: optax's Nesterov trace, ``b = momentum*b + u; u = momentum*b + u`` where
      ``u`` is the (lr-scaled) update.
    - ``bias_correction``: optax's ``v_hat = v / (1 - alpha**step)``; needs ``step`` (int or
      0-dim tensor, the step count after this step, starting at 1).

``rprop_(param, grad, state, *, lr, etas=(0.5, 1.2), step_sizes=(1e-6, 50.0),
maximize=False, weight_decay=0.0) -> None``
    PyTorch's Rprop step (``torch.optim.Rprop(foreach=False)`` operations and order, NaN and
    inf included). Buffers: ``prev`` (zeros) and ``step_size`` (the lr). ``weight_decay`` > 0
    applies coupled decay ``g += weight_decay*w`` first (MindSpore ``nn.Rprop``). ``lr`` only
    seeds ``step_size``.

Typed options. Each rule has a frozen dataclass of its options (``RMSpropOptions``,
``RpropOptions``); ``Rule.make_options(mapping)`` builds it (once per param group and step)
and refuses unknown keys. A rule declared without one gets a dataclass of its function's
keyword-only parameters.

``Rule`` and ``StateBuffer`` (``optbridge.engine.rules``): the declaration the engine needs::

    Rule(name="rmsprop",                       # kernels are looked up by this name
         update=rmsprop_,                      # the function above
         options=RMSpropOptions,               # its typed options
         state=(StateBuffer("square_avg", init="zeros"),
                StateBuffer("momentum_buffer", when=lambda o: o.uses_momentum),
                StateBuffer("grad_avg", when=lambda o: o.centered)))

    ``StateBuffer.init`` is ``"zeros"``, ``"ones"``, ``"lr"`` (the group's lr when the state
    is created) or a float constant (e.g. optax ``initial_scale``); ``when(options)`` says
    whether the buffer exists for a group's typed options. ``RMSPROP`` and ``RPROP`` are the
    two predefined rules. To add a rule: write ``my_rule_(param, grad, state, *, lr, ...)``
    with torch ops and declare ``Rule("my_rule", my_rule_, state=...)``. It runs on the
    torch-ops path automatically (no kernel needed). Kernels are found by rule name, so a rule
    with different maths must not reuse the names ``"rmsprop"``/``"rprop"``.

The base class: ``optbridge.engine.FusedOptimizer(torch.optim.Optimizer)``
--------------------------------------------------------------------------
Params and grads stay where the user put them: each step hands the group's params, their
current ``p.grad`` and their state to a kernel that updates every param in place, one pass
per tensor. State is torch's (``self.state[p]``: a ``step`` float32 0-dim tensor plus one
tensor per buffer, created at the first step in which ``p`` has a grad), so ``p.grad``
identity, views and aliasing, ``zero_grad`` (both modes), ``state_dict`` /
``load_state_dict`` (interchangeable with ``torch.optim``), hooks and lr schedulers are
``torch.optim.Optimizer``'s own. Paths: CPU, a compiled C++/OpenMP kernel that reads every
``p.grad`` and state tensor itself (float32/64, float16, bfloat16); CUDA, Triton kernels on
tensor lists; anything else (another device, non-dense or re-strided params, an option a
kernel does not implement, ``differentiable=True``): the rule's torch ops, per param. DTensor
params (FSDP2) are updated on their local shards; complex params as (real, imag) pairs.

A subclass declares::

    class MindSporeRMSProp(FusedOptimizer):
        rule = RMSPROP                                   # a Rule

        def __init__(self, params, learning_rate=0.1, decay=0.9, momentum=0.0,
                     epsilon=1e-10, centered=False, weight_decay=0.0):
            ...validate, raising its own errors...
            super().__init__(params, dict(lr=learning_rate, decay=decay, ...))

        def rule_options(self, group: dict) -> dict:     # group -> the rule's options
            return dict(lr=group["lr"], alpha=group["decay"], eps=group["eps"],
                        weight_decay=group["weight_decay"], momentum=group["momentum"],
                        centered=group["centered"], maximize=False,
                        eps_in_sqrt=True, lr_in_momentum=True)

        def state_init(self, group: dict) -> dict[str, str | float]:   # optional override
            return {"square_avg": "ones"}                # overrides Rule defaults by name

Optional hooks: ``validate_param_group(group)`` (called from ``add_param_group`` with the
defaults filled in; raise ``ValueError``/``TypeError`` naming the bad value; a rejected group
is not kept). ``lr`` may be a float or a 0-dim tensor. Class attributes: ``display_name``
(used in error messages, e.g. ``"RMSprop"``) and ``sparse_grad_message`` (the
``RuntimeError`` text for sparse grads, ``"{name} does not support sparse gradients"``).

``materialize_state() -> None`` creates every param's state now, for frameworks that allocate
it at construction (MindSpore, TF1). When the options ask for ``bias_correction``, the engine
passes each param's ``step`` (the count after this step) to the rule.

Driving the engine from a facade that is not torch-like
-------------------------------------------------------
- Keras-style ``apply_gradients(grads_and_vars)``: set ``var.grad = g`` for each pair (or
  copy into the existing ``var.grad``), then call ``optimizer.step()``.
- optax-style functional ``init``/``update``: ``apply_rule(rule, param, grad, state,
  options, *, allow_kernel=True) -> str`` applies a rule in place to same-shaped tensors
  through the fastest kernel, with the torch-ops fallback, and returns the path taken (e.g.
  ``"cpu-rmsprop"``, ``"torch-ops"``); ``options`` is a mapping or the typed value.

Kernels and their cache
-----------------------
``python -m optbridge.engine.build`` compiles the CPU kernel (a Python extension built against
torch's headers, plus its explicitly vectorized ``at::vec`` loops once per CPU capability torch
dispatches between: DEFAULT, AVX2, AVX512, each its own library) into ``$OPTBRIDGE_CACHE_DIR``
(default ``~/.cache/optbridge/kernels``), keyed by a hash of the sources, the flags, the
compiler, torch and Python; later processes import it in milliseconds and run the loops of
``torch.backends.cpu.get_cpu_capability()``. A cold cache compiles it at the first step and
says so on stderr, with the time it took (about a minute). Without a C++ compiler the torch-ops
path is used and a RuntimeWarning says so once (``OPTBRIDGE_DISABLE_CPU_KERNEL=1``: silently).
Each param group keeps a plan of its pointers between steps (never part of ``state_dict``),
checked against the params list, the state dicts' versions and the data pointers each step.

- ``optbridge.engine.kernels.available_kernels() -> dict[str, bool]``: what can run here.
- ``optbridge.engine.kernels.find_kernel(rule_name, device_type, options, dtype=None)``: the
  kernel for a rule, or None. A ``Kernel`` declares the option fields it implements and its
  dtypes; any other option must hold its default or the kernel is not used, so a new flag is
  never silently ignored.
- CPU kernel coverage: ``rmsprop`` (all flags except ``nesterov`` and ``bias_correction``)
  and ``rprop`` (with ``weight_decay``), float32/float64/float16/bfloat16 (the half types
  computed in float32). CUDA (Triton): the same.
- ``optbridge.engine.kernels.cpu.set_exact_sqrt(True)`` (or ``OPTBRIDGE_EXACT_SQRT=1``): use
  torch's own MKL sqrt in the RMSprop kernel, bit-identical to ``torch.optim`` but ~3x slower;
  the default IEEE sqrt may differ from torch's by one ulp. ``OPTBRIDGE_CPU_THREADS``: kernel
  threads (default: ``torch.get_num_threads()``; clamped to the CPU count; anything but a
  positive integer raises ``ValueError`` naming the variable at the first step).
"""

from optbridge.engine.dispatch import apply_rule
from optbridge.engine.optimizer import FusedOptimizer
from optbridge.engine.rules import (
    RMSPROP,
    RPROP,
    RMSpropOptions,
    RpropOptions,
    Rule,
    StateBuffer,
    rmsprop_,
    rprop_,
)

__all__ = [
    "RMSPROP",
    "RPROP",
    "FusedOptimizer",
    "RMSpropOptions",
    "RpropOptions",
    "Rule",
    "StateBuffer",
    "apply_rule",
    "rmsprop_",
    "rprop_",
]
