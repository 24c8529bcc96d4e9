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
