"""CPU reference versions of the fused LSTM/GRU cell kernels.

`nn.LSTM` and `nn.GRU` call `_thnn_fused_*_cell` on accelerator devices (the npu included), and
torch has no CPU kernel for them. These follow CUDA's kernels (RNN.cu): the same workspace layout,
so the backward ops can be fed what the forward saved.
"""

from __future__ import annotations

import torch


def lstm_cell(input_gates, hidden_gates, cx, input_bias=None, hidden_bias=None):
    gates = input_gates + hidden_gates
    if input_bias is not None:
        gates = gates + input_bias + hidden_bias
    i, f, g, o = gates.chunk(4, 1)
    i, f, g, o = i.sigmoid(), f.sigmoid(), g.tanh(), o.sigmoid()
    cy = f * cx + i * g
    hy = o * cy.tanh()
    workspace = torch.cat([i, f, g, o], 1)  # activated gates, as CUDA saves them
    return hy, cy, workspace


def lstm_cell_backward(grad_hy, grad_cy, cx, cy, workspace, has_bias):
    i, f, g, o = workspace.chunk(4, 1)
    tanh_cy = cy.tanh()
    grad_c = torch.zeros_like(cy) if grad_cy is None else grad_cy.clone()
    if grad_hy is not None:
        grad_c = grad_c + grad_hy * o * (1 - tanh_cy * tanh_cy)
        grad_o = grad_hy * tanh_cy * o * (1 - o)
    else:
        grad_o = torch.zeros_like(o)
    grad_i = grad_c * g * i * (1 - i)
    grad_f = grad_c * cx * f * (1 - f)
    grad_g = grad_c * i * (1 - g * g)
    grad_gates = torch.cat([grad_i, grad_f, grad_g, grad_o], 1)
    grad_bias = grad_gates.sum(0) if has_bias else None
    return grad_gates, grad_c * f, grad_bias


def gru_cell(input_gates, hidden_gates, hx, input_bias=None, hidden_bias=None):
    if input_bias is not None:
        input_gates = input_gates + input_bias
        hidden_gates = hidden_gates + hidden_bias
    ir, ii, in_ = input_gates.chunk(3, 1)
    hr, hi, hn = hidden_gates.chunk(3, 1)
    r = (ir + hr).sigmoid()
    z = (ii + hi).sigmoid()
    n = (in_ + r * hn).tanh()
    hy = n + z * (hx - n)
    workspace = torch.cat([r, z, n, hx, hn], 1)  # CUDA's layout
    return hy, workspace


def gru_cell_backward(grad_hy, workspace, has_bias):
    r, z, n, hx, hn = workspace.chunk(5, 1)
    grad_n = grad_hy * (1 - z) * (1 - n * n)
    grad_z = grad_hy * (hx - n) * z * (1 - z)
    grad_r = grad_n * hn * r * (1 - r)
    grad_input_gates = torch.cat([grad_r, grad_z, grad_n], 1)
    grad_hidden_gates = torch.cat([grad_r, grad_z, grad_n * r], 1)
    grad_hx = grad_hy * z
    if has_bias:
        return (
            grad_input_gates,
            grad_hidden_gates,
            grad_hx,
            grad_input_gates.sum(0),
            grad_hidden_gates.sum(0),
        )
    return grad_input_gates, grad_hidden_gates, grad_hx, None, None


def special_ops() -> dict:
    """Dispatch handlers: unwrap, run the reference on CPU, wrap."""
    from optbridge.npu.tensor import NpuTensor, wrap

    def unwrap(a):
        return a._cpu if type(a) is NpuTensor else a

    def handler(reference):
        def run(func, args, kwargs):
            out = reference(
                *[unwrap(a) for a in args], **{k: unwrap(v) for k, v in (kwargs or {}).items()}
            )
            return tuple(wrap(o) if isinstance(o, torch.Tensor) else o for o in out)

        return run

    aten = torch.ops.aten
    return {
        aten._thnn_fused_lstm_cell.default: handler(lstm_cell),
        aten._thnn_fused_lstm_cell_backward_impl.default: handler(lstm_cell_backward),
        aten._thnn_fused_gru_cell.default: handler(gru_cell),
        aten._thnn_fused_gru_cell_backward.default: handler(gru_cell_backward),
    }
