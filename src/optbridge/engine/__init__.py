"""The fused flat-buffer optimizer engine shared by every optimizer in optbridge.

Public API (stable; the compat layer in ``optbridge.compat`` builds on it)
==========================================================================

Rules: the maths, as plain in-place functions (``optbridge.engine.rules``)
-------------------------------------------------------------------------
``rmsprop_(param, grad, state, *, lr, alpha, eps, weight_decay=0.0, momentum=0.0,
centered=False, maximize=False, eps_in_sqrt=False, lr_in_momentum=False,
decoupled_weight_decay=False, nesterov=False, bias_correction=False, step=None) -> None``
    One RMSprop step on tensors of the same shape. ``state`` maps buffer names to tensors and
    is updated in place, as is ``param``; ``grad`` is never modified. ``lr`` is a Python float
    or a 0-dim tensor. With every flag at its default the operations are exactly those of
    ``torch.optim.RMSprop(foreach=False)``, in the same order. Buffers: ``square_avg`` always,
    ``momentum_buffer`` when ``momentum > 0``, ``grad_avg`` when ``centered``.

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
    PyTorch's Rprop step (``torch.optim.Rprop(foreach=False)`` operations and order).
    Buffers: ``prev`` (zeros) and ``step_size`` (the lr). ``weight_decay`` > 0 applies
    coupled decay ``g += weight_decay*w`` first (MindSpore ``nn.Rprop``). ``lr`` is unused by
    the maths (it only seeds ``step_size``) and is accepted so every rule takes the same keys.

``Rule`` and ``StateBuffer`` (``optbridge.engine.rules``): the declaration the engine needs::

    Rule(name="rmsprop",                       # kernels are looked up by this name
         update=rmsprop_,                      # the function above
         state=(StateBuffer("square_avg", init="zeros"),
                StateBuffer("momentum_buffer", init="zeros", when=lambda o: o["momentum"] > 0),
                StateBuffer("grad_avg", init="zeros", when=lambda o: o["centered"])))

    ``StateBuffer.init`` is ``"zeros"``, ``"ones"``, ``"lr"`` (the group's lr value when the
    state is created) or a float constant (e.g. optax ``initial_scale``); ``when(options)``
    says whether the buffer exists for the rule options of a group. ``RMSPROP`` and ``RPROP``
    are the two predefined rules. To add a rule: write ``my_rule_(param, grad, state, *, lr,
    ...)`` with torch ops and declare ``Rule("my_rule", my_rule_, state=...)``. It runs on
    the generic torch-ops path automatically (no kernel needed). Kernels are found by rule
    name, so a rule with different maths must not reuse the names ``"rmsprop"``/``"rprop"``;
    variants of RMSprop/Rprop expressible by the flags above should use ``RMSPROP``/``RPROP``
    (and get the fused kernels).

The base class: ``optbridge.engine.FlatBufferOptimizer(torch.optim.Optimizer)``
-------------------------------------------------------------------------------
Owns: one flat contiguous buffer per (device, dtype) inside each param group for params,
grads and every state buffer (params become views of it, like ``torch_npu``'s combined
buffers); ``self.state[p]`` holds views into those buffers plus a ``step`` tensor (float32,
0-dim, as torch); ``step(closure=None)``; ``zero_grad(set_to_none=True)`` (both modes);
``state_dict()`` / ``load_state_dict()`` in torch's format (interchangeable with
``torch.optim``); step/state-dict hooks and lr schedulers (inherited from
``torch.optim.Optimizer``); detection of re-allocated params (``p.data = new``,
``model.double()``, ``model.to(...)``): the affected group is re-flattened transparently,
keeping the optimizer state; dispatch of each flat buffer to the fastest kernel for the rule
(CPU: compiled one-pass C/OpenMP kernel, cached on disk; CUDA: Triton; otherwise and for
any option a kernel does not cover: the rule function itself, run on the flat buffers,
cache-sized chunks on CPU).

A subclass declares::

    class MindSporeRMSProp(FlatBufferOptimizer):
        rule = RMSPROP                                   # a Rule

        def __init__(self, params, learning_rate=0.1, decay=0.9, momentum=0.0,
                     epsilon=1e-10, centered=False, weight_decay=0.0):
            ...validate, raising its own errors...
            super().__init__(params, dict(lr=learning_rate, decay=decay, ...))

        def rule_options(self, group: dict) -> dict:     # group -> keyword args of the rule
            return dict(lr=group["lr"], alpha=group["decay"], eps=group["eps"],
                        weight_decay=group["weight_decay"], momentum=group["momentum"],
                        centered=group["centered"], maximize=False,
                        eps_in_sqrt=True, lr_in_momentum=True)

        def state_init(self, group: dict) -> dict[str, str | float]:   # optional override
            return {"square_avg": "ones"}                # overrides Rule defaults by name

Optional hooks: ``validate_param_group(group)`` (called from ``add_param_group`` with the
defaults filled in; raise ``ValueError``/``TypeError`` naming the bad value; a rejected group
is not kept). ``options["lr"]`` may be a float or a 0-dim tensor. Class attributes:
``display_name`` (used in error messages, e.g. ``"RMSprop"``) and ``sparse_grad_message``
(the ``RuntimeError`` text for sparse grads, ``"{name} does not support sparse gradients"``).

``materialize_state() -> None`` creates every param's state (and the flat buffers) now, for
frameworks that allocate it at construction (MindSpore, TF1); torch.optim semantics create
it lazily at the first step in which a param has a grad. When ``options["bias_correction"]``
is true, the engine passes ``step`` (the step count after this step) to the rule.

State dicts: ``state_dict()`` returns torch's format (per-param ``step`` float32 0-dim
tensor plus one tensor per buffer, keyed by the names the rule declares);
``load_state_dict`` accepts this class's or ``torch.optim``'s and copies the tensors, so the
caller's objects are never shared. A subclass whose framework names its state differently
can rename keys in ``state_dict``/``load_state_dict`` overrides.

Driving the engine from a facade that is not torch-like
-------------------------------------------------------
- Keras-style ``apply_gradients(grads_and_vars)``: set ``var.grad = g`` for each pair (or
  copy into the existing ``var.grad``), then call ``optimizer.step()``.
- optax-style functional ``init``/``update``: use ``optbridge.engine.FlatState`` and
  ``optbridge.engine.apply_rule``::

      flat = FlatState.create(rule, params, options, state_init)   # flat buffers + views
      apply_rule(rule, flat.param, flat.grad, flat.state, options)   # fused, in place
  ``apply_rule(rule, param, grad, state, options, *, allow_kernel=True) -> str`` applies a
  rule in place to same-shaped tensors (flat or not, same device/dtype) through the fastest
  kernel, with the generic fallback, and returns the path taken (e.g. ``"cpu-rmsprop"``,
  ``"torch-ops"``). ``FlatState`` exposes ``param``, ``grad``, ``state`` (flat),
  ``load_grads(grads)`` (one foreach copy in) and ``views(name)`` (per-tensor views of
  ``"param"``, ``"grad"`` or a state buffer, in the order given).

Kernels and their cache
-----------------------
``python -m optbridge.engine.build`` compiles the CPU kernel into
``$OPTBRIDGE_CACHE_DIR`` (default ``~/.cache/optbridge/kernels``), keyed by a hash of the source,
the compiler flags and the CPU; later processes load it in milliseconds (the first use
compiles it if the cache is cold: ~5 s). Without a C compiler (or with
``OPTBRIDGE_DISABLE_CPU_KERNEL=1``) the generic chunked torch-ops path is used.

- ``optbridge.engine.kernels.available_kernels() -> dict[str, bool]``: what can run here.
- ``optbridge.engine.kernels.find_kernel(rule_name, device_type, dtype, options)`` and
  ``register_kernel(device_type, rule_name, Kernel(name, supports, run, available))``: add a
  fused kernel for a new rule or device; ``run(param, grad, state, options)`` works in place
  on contiguous flat tensors.
- CPU kernel coverage: ``rmsprop`` (float32/float64; all flags except ``nesterov`` and
  ``bias_correction``) and ``rprop`` (float32/float64, with ``weight_decay``). CUDA (Triton):
  the same, float32 only. Everything else runs the rule's torch ops on the flat buffers.
- ``optbridge.engine.kernels.cpu.set_exact_sqrt(True)`` (or ``OPTBRIDGE_EXACT_SQRT=1``): use
  torch's own MKL sqrt in the RMSprop kernel, bit-identical to ``torch.optim`` but ~3x slower;
  the default IEEE sqrt may differ from torch's by one ulp. ``OPTBRIDGE_CPU_THREADS``: kernel
  threads (default: ``torch.get_num_threads()``).
"""

from optbridge.engine.dispatch import apply_rule
from optbridge.engine.flat import FlatState
from optbridge.engine.optimizer import FlatBufferOptimizer
from optbridge.engine.rules import RMSPROP, RPROP, Rule, StateBuffer, rmsprop_, rprop_

__all__ = [
    "RMSPROP",
    "RPROP",
    "FlatBufferOptimizer",
    "FlatState",
    "Rule",
    "StateBuffer",
    "apply_rule",
    "rmsprop_",
    "rprop_",
]
