"""Activation in fresh interpreters (a failure there could abort, so each runs in a subprocess)
and `python -m optbridge.run` for unmodified `import torch_npu` scripts."""

import subprocess
import sys
import textwrap

import pytest


def _python(code: str, *args: str, env_path: str | None = None, timeout: int = 120):
    import os

    env = dict(os.environ)
    if env_path is not None:
        env["PYTHONPATH"] = env_path + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run(
        [sys.executable, *args, "-c", textwrap.dedent(code)] if code else [sys.executable, *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


def test_install_is_explicit_idempotent_and_autograd_does_not_abort():
    done = _python("""
        import torch
        import optbridge.npu as torch_npu
        assert torch._C._get_privateuse1_backend_name() == "privateuseone", "import activated"
        assert not torch_npu.is_installed()
        torch_npu.install()
        torch_npu.install()
        assert torch_npu.is_installed()
        model = torch.nn.Linear(4, 2).npu()
        loss = model(torch.randn(3, 4, device="npu")).square().sum()
        loss.backward()
        torch.optim.RMSprop(model.parameters()).step()
        print("trained on", model.weight.device, model.weight.grad.device)
    """)
    assert done.returncode == 0, done.stderr
    assert "trained on npu:0 npu:0" in done.stdout


def test_install_after_a_backward_pass_is_a_clear_error():
    # Autograd sizes its per-device queues on its first run; a later device cannot be reached.
    done = _python("""
        import torch
        torch.nn.Linear(4, 2)(torch.randn(3, 4)).sum().backward()
        import optbridge.npu as torch_npu
        for attempt in range(2):
            try:
                torch_npu.install()
            except torch_npu.SimulatedNpuError as exc:
                print("refused:", exc)
    """)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("refused: the simulated NPU was installed after autograd") == 2
    assert "before the first backward pass" in done.stdout


def test_install_refuses_when_the_real_torch_npu_is_importable(tmp_path):
    (tmp_path / "torch_npu").mkdir()
    (tmp_path / "torch_npu" / "__init__.py").write_text("")
    done = _python(
        """
        import optbridge.npu as simulated
        from optbridge.devices import DeviceNotAvailableError, select_device
        assert simulated.real_torch_npu_available()
        try:
            simulated.install()
        except simulated.SimulatedNpuError as error:
            print("refused:", error)
        try:
            select_device("npu")
        except DeviceNotAvailableError as error:
            print("select:", error)
    """,
        env_path=str(tmp_path),
    )
    assert done.returncode == 0, done.stderr
    assert "refused: the real torch_npu package is installed" in done.stdout
    assert "select: asked for npu: torch_npu is installed but reports no device" in done.stdout


SCRIPT = """
import sys
import torch
import torch_npu
from torch_npu.npu.amp import GradScaler, autocast

torch_npu.npu.set_device("npu:0")
model = torch.nn.Linear(4, 2).npu()
optimizer = torch.optim.RMSprop(model.parameters())
scaler = GradScaler()
with autocast():
    loss = model(torch.randn(8, 4).npu()).float().sum()
scaler.scale(loss).backward()
scaler.step(optimizer)
scaler.update()
torch.npu.synchronize()
print("args", sys.argv[1:], "device", model.weight.device, "count", torch.npu.device_count())
"""


def test_runner_runs_an_unmodified_torch_npu_script(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    done = _python("", "-m", "optbridge.run", str(script), "--epochs", "1")
    assert done.returncode == 0, done.stderr
    assert "args ['--epochs', '1'] device npu:0 count 1" in done.stdout


def test_runner_runs_modules_with_dash_m(tmp_path):
    (tmp_path / "npu_job.py").write_text(SCRIPT)
    done = _python("", "-m", "optbridge.run", "-m", "npu_job", "x", env_path=str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "args ['x'] device npu:0" in done.stdout


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ([], "usage: python -m optbridge.run"),
        (["missing_script.py"], "cannot open script 'missing_script.py'"),
        (["-m"], "-m needs a module name"),
    ],
    ids=["no-arguments", "missing-script", "dash-m-alone"],
)
def test_runner_usage_errors_exit_2(arguments, message):
    from optbridge import run

    done = subprocess.run(
        [sys.executable, "-m", "optbridge.run", *arguments],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert message in done.stderr
    assert run.USAGE.startswith("usage:")


def test_torch_npu_npu_needs_install_first():
    done = _python("""
        import optbridge.npu as torch_npu
        assert not hasattr(torch_npu, "npu")
        try:
            torch_npu.npu
        except AttributeError as error:
            print("error:", error)
        torch_npu.install()
        import torch
        assert torch_npu.npu is torch.npu
        print("after install:", torch_npu.npu.is_available())
    """)
    assert done.returncode == 0, done.stderr
    assert "error: optbridge.npu.npu (torch_npu.npu) exists once" in done.stdout
    assert "after install: True" in done.stdout
