"""How each framework spells an optimizer construction and a complete, runnable training script.

The recipe says *what* to pass; this module writes it the way the framework's users do: the
parameter list (``model.trainable_params()`` in MindSpore, ``parameters=`` in Paddle, nothing for
Keras, TF1 and optax), state overwritten after construction, and, for the page and the runs on
the real frameworks, a whole script training ``w = (1, -2, 3)`` on the check's problem.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

#: Where MindSpore keeps each state, as the attribute of its optimizer (a tuple per parameter).
MINDSPORE_STATE = {"mean_square": "ms", "moment": "moment", "mean_grad": "mg"}
START = [1.0, -2.0, 3.0]

#: The gradient of the problem at step ``t``, as a Python expression of ``t`` (sign_flip) or of
#: the weights (quadratic: the loss is ``sum(w * w)``).
SIGN_FLIP = "[(-1.0) ** t, 2.0 * (-1.0) ** (t // 2), 0.0 if t % 3 == 2 else 3.0]"


def flavour(api: str) -> str:
    """The script style of an API: its framework, with TensorFlow split into Keras and TF1."""
    top = api.split(".")[0]
    if top in ("tf", "tensorflow", "keras"):
        return "tf1" if ".compat.v1." in api else "keras"
    return {"torch": "pytorch", "flow": "oneflow"}.get(top, top)


def literal(value: Any) -> str:
    """``value`` as Python source (floats keep their shortest exact spelling)."""
    if isinstance(value, tuple | list):
        inner = ", ".join(literal(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    return repr(value)


def params_argument(style: str, params: str | None) -> str | None:
    """The target's parameter argument, from the source's (``model.parameters()``)."""
    if style in ("keras", "tf1", "optax"):
        return None
    params = params or "net.parameters()"
    if style == "mindspore":
        params = re.sub(r"\.(named_)?parameters\(\)$", ".trainable_params()", params)
    if style == "paddle":
        return f"parameters={params}"
    return params


def construction(api: str, params: str | None, arguments: list[tuple[str, Any, str]],
                 state: dict[str, Any], optimizer: str = "optimizer") -> str:
    """``optimizer = api(params, k=v, ...)`` plus any state overwritten after it.

    ``arguments`` are ``(name, value, expression)``; a computed value carries its expression as
    a comment so the reader sees where it came from.
    """
    style = flavour(api)
    first = params_argument(style, params)
    items = ([] if first is None else [(first, "")]) + [
        (f"{name}={literal(value)}", _origin(expression)) for name, value, expression in arguments
    ]
    one_line = f"{optimizer} = {api}({', '.join(text for text, _ in items)})"
    if len(one_line) <= 88 and not any(comment for _, comment in items):
        lines = [one_line]
    else:
        lines = [f"{optimizer} = {api}("]
        lines += [f"    {text},{comment and '  # ' + comment}" for text, comment in items]
        lines.append(")")
    for name, value in state.items():
        if style != "mindspore":
            raise ValueError(f"cannot overwrite state {name!r} of {api}")
        lines += [
            f"for buffer in {optimizer}.{MINDSPORE_STATE[name]}:  # {name}",
            f"    buffer.set_data(mindspore.ops.full_like(buffer, {literal(float(value))}))",
        ]
    return "\n".join(lines)


def _origin(expression: str) -> str:
    """The recipe's expression when it computes more than a renamed argument or its float."""
    bare = expression.removeprefix("float(").removesuffix(")")
    return "" if bare.isidentifier() else expression


def imports(api: str) -> str:
    style = flavour(api)
    return {
        "pytorch": "import torch",
        "torch_npu": "import torch\nimport torch_npu",
        "oneflow": "import oneflow",
        "mindspore": "import mindspore",
        "paddle": "import paddle",
        "keras": "import tensorflow as tf",
        "tf1": "import tensorflow as tf",
        "optax": "import jax\nimport jax.numpy as jnp\nimport optax",
    }[style]


@dataclass(frozen=True)
class Script:
    """A complete program: weights, the optimizer, ``steps`` steps, the final weights printed."""

    text: str
    style: str


def _loss(style: str, problem: str) -> str:
    if problem == "quadratic":
        return {"keras": "tf.reduce_sum(w * w)", "optax": "jnp.sum(w * w)"}.get(
            style, "(w * w).sum()"
        )
    tensor = {
        "pytorch": "torch.tensor(c)", "torch_npu": "torch.tensor(c).npu()",
        "oneflow": "oneflow.tensor(c)", "mindspore": "mindspore.Tensor(c, mindspore.float32)",
        "paddle": "paddle.to_tensor(c)", "keras": "tf.constant(c)", "optax": "jnp.array(c)",
    }[style]
    total = {"keras": "tf.reduce_sum", "optax": "jnp.sum"}.get(style)
    return f"{total}(w * {tensor})" if total else f"(w * {tensor}).sum()"


def script(api: str, arguments: list[tuple[str, Any, str]], state: dict[str, Any],
           problem: str, steps: int) -> Script:
    """The whole program for ``api`` constructed with ``arguments`` on ``problem``."""
    style = flavour(api)
    if style == "tf1" and problem != "quadratic":
        raise ValueError("the TF1 script is written for the quadratic problem only")
    start = literal(START).replace("(", "[").replace(")", "]")
    loss = _loss(style, problem)
    coefficients = f"    c = {SIGN_FLIP}\n" if problem == "sign_flip" else ""
    head = f"import json\n\n{imports(api)}\n\n"
    build = construction(api, "[w]", arguments, state)
    body = {
        "pytorch": (
            f"w = torch.nn.Parameter(torch.tensor({start}))\n{build}\n"
            f"for t in range({steps}):\n{coefficients}    loss = {loss}\n"
            "    optimizer.zero_grad()\n    loss.backward()\n    optimizer.step()\n"
            "print(json.dumps(w.tolist()))\n"
        ),
        "torch_npu": (
            f"w = torch.nn.Parameter(torch.tensor({start}).npu())\n{build}\n"
            f"for t in range({steps}):\n{coefficients}    loss = {loss}\n"
            "    optimizer.zero_grad()\n    loss.backward()\n    optimizer.step()\n"
            "print(json.dumps(w.cpu().tolist()))\n"
        ),
        "oneflow": (
            f"w = oneflow.nn.Parameter(oneflow.tensor({start}))\n{build}\n"
            f"for t in range({steps}):\n{coefficients}    loss = {loss}\n"
            "    optimizer.zero_grad()\n    loss.backward()\n    optimizer.step()\n"
            "print(json.dumps(w.tolist()))\n"
        ),
        "mindspore": (
            'mindspore.set_context(device_target="CPU")\n'
            f"w = mindspore.Parameter(mindspore.Tensor({start}, mindspore.float32), name=\"w\")\n"
            f"{build}\n\n\ndef loss_fn(t):\n{coefficients}    return {loss}\n\n\n"
            "grad_fn = mindspore.value_and_grad(loss_fn, None, optimizer.parameters)\n"
            f"for t in range({steps}):\n    loss, grads = grad_fn(t)\n    optimizer(grads)\n"
            "print(json.dumps(w.asnumpy().tolist()))\n"
        ),
        "paddle": (
            f"w = paddle.create_parameter([3], \"float32\", default_initializer="
            f"paddle.nn.initializer.Assign({start}))\n{build}\n"
            f"for t in range({steps}):\n{coefficients}    loss = {loss}\n"
            "    loss.backward()\n    optimizer.step()\n    optimizer.clear_grad()\n"
            "print(json.dumps(w.numpy().tolist()))\n"
        ),
        "keras": (
            f"w = tf.Variable({start})\n{build}\n"
            f"for t in range({steps}):\n{coefficients}"
            f"    with tf.GradientTape() as tape:\n        loss = {loss}\n"
            "    optimizer.apply_gradients([(tape.gradient(loss, w), w)])\n"
            "print(json.dumps(w.numpy().tolist()))\n"
        ),
        "tf1": (
            "tf.compat.v1.disable_eager_execution()\n"
            f"w = tf.compat.v1.Variable({start})\nloss = tf.reduce_sum(w * w)\n{build}\n"
            "train = optimizer.minimize(loss)\n"
            "with tf.compat.v1.Session() as session:\n"
            "    session.run(tf.compat.v1.global_variables_initializer())\n"
            f"    for t in range({steps}):\n        session.run(train)\n"
            "    print(json.dumps(session.run(w).tolist()))\n"
        ),
        "optax": (
            f"w = jnp.array({start})\n{build}\nstate = optimizer.init(w)\n\n\n"
            f"def loss_fn(w, t):\n{coefficients}    return {loss}\n\n\n"
            f"for t in range({steps}):\n    grads = jax.grad(loss_fn)(w, t)\n"
            "    updates, state = optimizer.update(grads, state, w)\n"
            "    w = optax.apply_updates(w, updates)\n"
            "print(json.dumps(w.tolist()))\n"
        ),
    }[style]
    return Script(head + body, style)
