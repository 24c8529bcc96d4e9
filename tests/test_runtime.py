import pytest
import torch

import dlbook
from dlbook.runtime import progress_enabled


def test_set_seed_makes_torch_and_numpy_repeat():
    import numpy as np

    dlbook.set_seed(123)
    a, na = torch.rand(5), np.random.rand(3)
    dlbook.set_seed(123)
    b, nb = torch.rand(5), np.random.rand(3)
    assert torch.equal(a, b)
    assert (na == nb).all()
    dlbook.set_seed(124)
    assert not torch.equal(a, torch.rand(5))


@pytest.mark.parametrize("bad", [-1, 1.5, "3", None, True])
def test_set_seed_rejects_bad_seeds(bad):
    with pytest.raises((TypeError, ValueError), match="seed"):
        dlbook.set_seed(bad)


def test_device_prefers_cuda_then_cpu(monkeypatch):
    monkeypatch.delenv("DLBOOK_DEVICE", raising=False)
    expected = "cuda" if torch.cuda.is_available() else ("mps" if dlbook.runtime._mps_available() else "cpu")
    assert dlbook.device().type == expected
    assert dlbook.device("cpu") == torch.device("cpu")


def test_device_env_override_and_errors(monkeypatch):
    monkeypatch.setenv("DLBOOK_DEVICE", "cpu")
    assert dlbook.device().type == "cpu"
    with pytest.raises(ValueError, match="unknown device"):
        dlbook.device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="not available"):
            dlbook.device("cuda")


def test_progress_switch(monkeypatch):
    monkeypatch.setenv("DLBOOK_PROGRESS", "0")
    assert progress_enabled() is False
    assert progress_enabled(True) is True
    monkeypatch.setenv("DLBOOK_PROGRESS", "1")
    assert progress_enabled() is True


def _makefile_repro_env() -> dict[str, str]:
    from pathlib import Path

    makefile = (Path(__file__).resolve().parents[1] / "Makefile").read_text(encoding="utf-8")
    line = next(line for line in makefile.splitlines() if line.startswith("REPRO_ENV :="))
    return dict(item.split("=", 1) for item in line.split(":=", 1)[1].split())


def test_makefile_pins_the_environment_dlbook_documents():
    from dlbook.runtime import REPRODUCIBLE_ENV

    assert _makefile_repro_env() == REPRODUCIBLE_ENV


@pytest.mark.slow
def test_numeric_environment_in_a_pinned_subprocess():
    """A process started with the pinned variables reads exactly the expected environment."""
    import json
    import os
    import subprocess
    import sys

    from dlbook.runtime import REPRODUCIBLE_ENV

    code = "import json, dlbook; from dlbook.runtime import expected_numeric_environment as e; " \
        "print(json.dumps([dlbook.numeric_environment(), e()]))"
    env = {**os.environ, **REPRODUCIBLE_ENV}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    got, expected = json.loads(out.stdout)
    if "AVX2" not in str(torch.backends.cpu.get_cpu_capability()) and "AVX512" not in str(
        torch.backends.cpu.get_cpu_capability()
    ):
        pytest.skip("this CPU has no AVX2: the pinned environment needs it")
    assert got == expected
    # and a process without the variables is left alone (oneDNN on, as PyTorch ships it)
    plain = {k: v for k, v in os.environ.items() if k not in REPRODUCIBLE_ENV}
    out = subprocess.run([sys.executable, "-c", code], env=plain, capture_output=True, text=True, check=True)
    got, _ = json.loads(out.stdout)
    assert got["onednn"] == torch.backends.mkldnn.is_available()
    assert got["nnpack"] == torch.backends.nnpack.is_available()
    assert got["DLBOOK_REPRODUCIBLE"] is None
