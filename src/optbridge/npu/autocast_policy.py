"""Autocast for the npu: torch registers nothing on the AutocastPrivateUse1 key, so every op
under `torch.autocast("npu")` would fail. This registers a pass-through for all ops and CUDA's
casting policy: lower precision for matrix products and convolutions, float32 for reductions,
softmax, norms and losses, the widest input type for ops that combine tensors.
"""

from __future__ import annotations

import torch

_KEY = torch._C.DispatchKey.AutocastPrivateUse1
_EXCLUDE = torch._C.DispatchKeySet(_KEY)
_library: torch.library.Library | None = None


def _names(text: str) -> tuple[str, ...]:
    return tuple(text.split())


LOWER_PRECISION = _names(
    """
    _convolution _convolution.deprecated conv1d conv1d.padding conv2d conv2d.padding conv3d
    conv3d.padding conv_tbc conv_transpose1d conv_transpose2d.input conv_transpose3d.input
    convolution prelu addmm addmv addr matmul einsum mm mv linalg_vecdot linear addbmm
    baddbmm bmm chain_matmul linalg_multi_dot _thnn_fused_lstm_cell _thnn_fused_gru_cell
    lstm_cell gru_cell rnn_tanh_cell rnn_relu_cell scaled_dot_product_attention
    """
)
FLOAT32 = _names(
    """
    acos asin cosh erfinv exp expm1 log log10 log2 log1p reciprocal rsqrt sinh tan
    pow.Tensor_Scalar pow.Tensor_Tensor pow.Scalar softplus layer_norm native_layer_norm
    group_norm frobenius_norm.dim nuclear_norm nuclear_norm.dim cosine_similarity
    poisson_nll_loss cosine_embedding_loss nll_loss nll_loss2d hinge_embedding_loss kl_div
    l1_loss smooth_l1_loss huber_loss mse_loss margin_ranking_loss multilabel_margin_loss
    soft_margin_loss triplet_margin_loss multi_margin_loss binary_cross_entropy_with_logits
    dist pdist cdist renorm logsumexp upsample_nearest1d upsample_nearest2d
    upsample_nearest3d upsample_linear1d upsample_bilinear2d upsample_trilinear3d
    upsample_bicubic2d prod prod.dim_int softmax.int log_softmax.int cumprod cumsum
    linalg_vector_norm linalg_matrix_norm sum sum.dim_IntList cross_entropy_loss norm.Scalar
    norm.ScalarOpt_dim
    """
)
PROMOTE = _names(
    """
    addcdiv addcmul atan2 bilinear cross dot grid_sampler index_put scatter_add tensordot cat
    stack index_copy
    """
)


def _eligible(t) -> bool:
    return isinstance(t, torch.Tensor) and t.is_floating_point() and t.device.type == "npu"


def _cast(value, dtype):
    if _eligible(value) and value.dtype != dtype and value.dtype != torch.float64:
        return value.to(dtype)
    if isinstance(value, (list, tuple)):
        return type(value)(_cast(v, dtype) for v in value)
    return value


def _widest(values, widest=None):
    for v in values:
        if isinstance(v, (list, tuple)):
            widest = _widest(v, widest)
        elif _eligible(v):
            widest = v.dtype if widest is None else torch.promote_types(widest, v.dtype)
    return widest


def _lower_precision_kernel(op):
    def kernel(*args, **kwargs):
        dtype = torch.get_autocast_dtype("npu")
        with torch._C._ExcludeDispatchKeyGuard(_EXCLUDE):
            return op(*_cast(args, dtype), **{k: _cast(v, dtype) for k, v in kwargs.items()})

    return kernel


def _float32_kernel(op):
    def kernel(*args, **kwargs):
        with torch._C._ExcludeDispatchKeyGuard(_EXCLUDE):
            return op(
                *_cast(args, torch.float32),
                **{k: _cast(v, torch.float32) for k, v in kwargs.items()},
            )

    return kernel


def _promote_kernel(op):
    def kernel(*args, **kwargs):
        widest = _widest(list(args) + list(kwargs.values()))
        with torch._C._ExcludeDispatchKeyGuard(_EXCLUDE):
            if widest is None:
                return op(*args, **kwargs)
            return op(*_cast(args, widest), **{k: _cast(v, widest) for k, v in kwargs.items()})

    return kernel


def _op(name: str):
    base, _, overload = name.partition(".")
    packet = getattr(torch.ops.aten, base, None)
    if packet is None:
        return None
    return getattr(packet, overload or "default", None)


def register() -> None:
    global _library
    if _library is not None:
        return
    _library = torch.library.Library("_", "IMPL", "AutocastPrivateUse1")
    _library.fallback(torch.library.fallthrough_kernel)
    ops_library = torch.library.Library("aten", "IMPL", "AutocastPrivateUse1")
    for names, make in (
        (LOWER_PRECISION, _lower_precision_kernel),
        (FLOAT32, _float32_kernel),
        (PROMOTE, _promote_kernel),
    ):
        for name in names:
            op = _op(name)
            if op is not None:
                ops_library.impl(name, make(op))
    _library_keepalive.append(ops_library)


_library_keepalive: list[torch.library.Library] = []
