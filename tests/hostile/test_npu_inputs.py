"""Item 3: sparse tensors and storage formats on the simulated NPU.

Sparse tensors once aborted the interpreter (a sparse gradient made in backward, rc 134) or
failed deep inside the memory counter; each case runs in a child and must exit normally with a
one-line error that names the limitation.
"""

from __future__ import annotations

import pytest

from optbridge import npu

pytestmark = pytest.mark.skipif(
    npu.real_torch_npu_available(), reason="the real torch_npu is installed: no simulation"
)

SPARSE_MESSAGE = "sparse tensors are not supported on the NPU"
SPARSE_GRADIENT_MESSAGE = "sparse gradients are not supported on the NPU (sparse=True)"

PRELUDE = """
import torch
import optbridge.npu as torch_npu
torch_npu.install()
"""
CASE = """
try:
{body}
except torch_npu.SimulatedNpuError as error:
    print({name!r}, "REFUSED:", error)
else:
    print({name!r}, "ACCEPTED")
"""


def _case(name: str, body: str) -> str:
    indented = "\n".join("    " + line for line in body.strip().splitlines())
    return CASE.format(name=name, body=indented)


# Backward passes that once aborted the interpreter (rc 134): one child each.
SPARSE_GRADIENT_CASES = {
    "embedding": (
        ("e = torch.nn.Embedding(10, 3, sparse=True).npu()\n"
         "e(torch.tensor([1, 2]).npu()).sum().backward()"),
        "aten.embedding.default: " + SPARSE_GRADIENT_MESSAGE,
    ),
    "embedding_bag": (
        ("bag = torch.nn.EmbeddingBag(10, 3, sparse=True).npu()\n"
         "bag(torch.tensor([[1, 2]]).npu()).sum().backward()"),
        "aten._embedding_bag.default: " + SPARSE_GRADIENT_MESSAGE,
    ),
}

# Sparse tensors made on (or moved to) the npu: one child for all.
SPARSE_TENSOR_CASES = {
    "to_sparse": (
        "torch.ones(3).npu().to_sparse()",
        SPARSE_MESSAGE + " (aten._to_sparse.default would make a torch.sparse_coo tensor",
    ),
    "to_sparse_csr": (
        "torch.ones(3, 3).npu().to_sparse_csr()",
        SPARSE_MESSAGE + " (aten._to_sparse_csr.default would make a torch.sparse_csr tensor",
    ),
    "sparse_cpu_tensor_to_npu": (
        "torch.ones(3).to_sparse().npu()",
        SPARSE_MESSAGE + " (aten._sparse_coo_tensor_unsafe.default would make",
    ),
    "sparse_coo_tensor_of_npu_parts": (
        "torch.sparse_coo_tensor(torch.tensor([[0]]).npu(), torch.ones(1).npu(), (3,))",
        SPARSE_MESSAGE,
    ),
    "sparse_factory_on_npu": (
        "torch.zeros(3, layout=torch.sparse_coo, device='npu')",
        SPARSE_MESSAGE + " (a sparse factory would make a torch.sparse_coo tensor",
    ),
}


@pytest.mark.parametrize("case", sorted(SPARSE_GRADIENT_CASES))
def test_sparse_gradients_are_refused_in_the_forward_pass(case, python):
    body, expected = SPARSE_GRADIENT_CASES[case]
    result = python(PRELUDE + _case(case, body))
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"{case} REFUSED: {expected}" in result.stdout, result.stdout + result.stderr[-2000:]


def test_sparse_tensors_are_refused_by_name(python):
    code = PRELUDE + "".join(_case(name, body) for name, (body, _) in SPARSE_TENSOR_CASES.items())
    result = python(code)
    assert result.returncode == 0, result.stderr[-2000:]
    for name, (_, expected) in SPARSE_TENSOR_CASES.items():
        assert f"{name} REFUSED: {expected}" in result.stdout, (name, result.stdout)


def test_sparse_embedding_without_gradient_still_runs(python):
    # Inference with sparse=True makes no sparse tensor: nothing to refuse.
    result = python(PRELUDE + _case("inference", (
        "e = torch.nn.Embedding(10, 3, sparse=True).npu()\n"
        "with torch.no_grad():\n"
        "    assert e(torch.tensor([1, 2]).npu()).shape == (2, 3)"
    )))
    assert result.returncode == 0, result.stderr[-2000:]
    assert "inference ACCEPTED" in result.stdout


def test_uncaught_sparse_error_is_one_line_and_exit_1(python):
    # What a user sees: the error as the last line, a normal failing exit, no abort.
    result = python(
        "import torch, optbridge.npu as torch_npu\n"
        "torch_npu.install()\n"
        "e = torch.nn.Embedding(10, 3, sparse=True).npu()\n"
        "e(torch.tensor([1]).npu()).sum().backward()\n"
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "optbridge.npu.backend.SimulatedNpuError: aten.embedding.default: "
        + SPARSE_GRADIENT_MESSAGE + "; use sparse=False, e.g. torch.nn.Embedding(..., sparse=False)"
    )


# --- npu_format_cast: a format tag --------------------------------------------------------

@pytest.fixture
def npu_device():
    return "npu"  # installed by the suite's conftest


def test_npu_format_cast_tags_a_copy_with_the_same_values_and_gradient(npu_device):
    import torch

    x = torch.arange(6.0).reshape(2, 3).to(npu_device).requires_grad_()
    y = npu.npu_format_cast(x, 29)
    assert (npu.get_npu_format(x), npu.get_npu_format(y)) == (2, 29)
    assert y is not x and torch.equal(y.cpu(), x.detach().cpu())
    assert npu.npu_format_cast(y, 29) is y  # already in that format
    (y * 2).sum().backward()
    assert torch.equal(x.grad.cpu(), torch.full((2, 3), 2.0))
    assert npu.npu_format_cast_(x.detach(), 0) is not None


@pytest.mark.parametrize(
    ("tensor", "acl_format", "error", "message"),
    [
        ("cpu", 2, RuntimeError, "npu_format_cast: expected an npu tensor, got a tensor on cpu"),
        ("npu", 7, ValueError, "npu_format_cast: unknown acl_format 7; known formats: 0 (NCHW)"),
        ("npu", "29", TypeError, "npu_format_cast: acl_format must be an int, got str"),
        ("npu", True, TypeError, "npu_format_cast: acl_format must be an int, got bool"),
        ([1.0], 2, TypeError, "npu_format_cast: expected a Tensor, got list"),
    ],
)
def test_npu_format_cast_refuses_by_name(npu_device, tensor, acl_format, error, message):
    import torch

    if isinstance(tensor, str):
        tensor = torch.ones(2, device=tensor)
    with pytest.raises(error) as raised:
        npu.npu_format_cast(tensor, acl_format)
    assert str(raised.value).startswith(message)


def test_torch_npu_alias_has_npu_format_cast(python):
    # Unmodified scripts reach it as `torch_npu.npu_format_cast` through optbridge.run.
    script = (
        "import torch, torch_npu\n"
        "x = torch_npu.npu_format_cast(torch.ones(2).npu(), 29)\n"
        "print('format', torch_npu.get_npu_format(x))\n"
    )
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "uses_format_cast.py")
        path.write_text(script, encoding="utf-8")
        result = python(["-m", "optbridge.run", str(path)])
    assert result.returncode == 0, result.stderr[-2000:]
    assert "format 29" in result.stdout
