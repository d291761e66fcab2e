"""The simulated NPU holds dense (strided) tensors only; everything else is refused by name.

A sparse tensor cannot live in the wrapper (it has no strides), and an error raised while
autograd runs a backward node on the npu aborts the whole process (torch's Python device guard
cannot run once an exception is unwinding), so sparse gradients are refused in the forward pass.
"""

from __future__ import annotations

import torch

from optbridge.npu.backend import SimulatedNpuError

aten = torch.ops.aten


def unsupported_layout(what: str, layout: torch.layout) -> SimulatedNpuError:
    kind = "sparse tensors" if "sparse" in str(layout) else f"tensors with layout {layout}"
    return SimulatedNpuError(
        f"{kind} are not supported on the NPU ({what} would make a {layout} tensor on npu:0); "
        "the simulated NPU holds dense tensors only: keep sparse tensors on the CPU"
    )


def check_layout(what: str, layout: torch.layout | None) -> None:
    if layout is not None and layout != torch.strided:
        raise unsupported_layout(what, layout)


#: Ops whose backward makes a sparse gradient when their ``sparse`` argument (at this position)
#: is true.
SPARSE_GRADIENT_OPS = {aten.embedding.default: 4, aten._embedding_bag.default: 5}


def refusing_sparse_gradients(func, plan):
    """``plan`` for ``func``, refusing ``sparse=True`` when a gradient will be computed."""
    position = SPARSE_GRADIENT_OPS[func]

    def checked(func, args, kwargs):
        sparse = args[position] if len(args) > position else (kwargs or {}).get("sparse", False)
        if sparse and torch.is_grad_enabled() and args[0].requires_grad:
            raise SimulatedNpuError(
                f"{func}: sparse gradients are not supported on the NPU (sparse=True); "
                "use sparse=False, e.g. torch.nn.Embedding(..., sparse=False)"
            )
        return plan(func, args, kwargs)

    return checked
