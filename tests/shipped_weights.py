"""The one check behind every "the shipped weights are re-made bit for bit" test (the digit judge
and DCGAN, the mini BERT, the digit U-Net, the readers): run the tool that made the file in the
pinned environment and compare every tensor. Bit for bit is a stored-output check: it holds under
the pins and with the PyTorch version that made the file; with another version the test skips,
naming both."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Sequence

import pytest
import torch

from dlbook.runtime import REPRODUCIBLE_ENV

TOOLS = Path(__file__).resolve().parents[1] / "tools"


def assert_tool_rebuilds(tool: str, shipped: str | Path, made_with: str, what: str, out: Path,
                         timeout: int = 900, args: Sequence[str] = (), prefix: str = "") -> None:
    """Run ``tools/<tool> --out <out>`` pinned and assert its state dict equals ``shipped``'s exactly.

    Args:
        tool: the script's file name in ``tools/``.
        shipped: the weights file the package ships.
        made_with: the PyTorch version that made it (the package records it).
        what: how the skip message names the weights, e.g. ``"the shipped judge"``.
        out: where the fresh file goes (a temporary path).
        args: more arguments for the tool (e.g. to make a part of the file).
        prefix: compare only the shipped tensors whose names start with it (the part made).
    """
    here = torch.__version__.split("+")[0]
    if here != made_with:
        pytest.skip(f"{what} was made with torch {made_with}; this is torch {here}, "
                    "whose kernels may round differently (bit-for-bit rebuild not expected)")
    env = {**os.environ, **REPRODUCIBLE_ENV, "DLBOOK_PROGRESS": "0"}
    subprocess.run([sys.executable, str(TOOLS / tool), "--out", str(out), *args], env=env, check=True, timeout=timeout)
    fresh = torch.load(out, weights_only=True)
    reference = {k: v for k, v in torch.load(shipped, weights_only=True).items() if k.startswith(prefix)}
    assert fresh.keys() == reference.keys()
    for k in reference:
        assert torch.equal(fresh[k], reference[k]), k
