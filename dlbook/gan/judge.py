"""The digit judge: chapter 3's LeNet-5, trained once on the digits and shipped with the package.

Chapter 6 scores generated digits with a classifier (which digit does it see? how far are its
features from the real digits'?), the way the Inception score and FID use an ImageNet network
(Salimans et al., 2016; Heusel et al., 2017). Several notebooks need the same judge, so it is
trained once by :func:`train_digit_judge` and its weights ship as ``digit_judge.pt`` (made by
``tools/train_digit_judge.py``; a unit test re-makes them bit for bit in the pinned environment).
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from ..cnn import lenet5
from ..data import load_digits
from ..runtime import set_seed
from ..train import accuracy, fit

__all__ = ["JUDGE_RECIPE", "JUDGE_TORCH", "JUDGE_WEIGHTS", "JudgeData", "judge_data", "judge_features",
           "load_digit_judge", "to_judge", "train_digit_judge"]

#: Where the shipped weights live.
JUDGE_WEIGHTS: Path = Path(__file__).with_name("digit_judge.pt")
#: The PyTorch version that made them (a bit-for-bit rebuild is only expected with it).
JUDGE_TORCH: str = "2.13.0"
#: The recipe: digits at ``size`` x ``size`` in [-1, 1] (the generators' resolution), shown to the
#: judge upsampled to 32 x 32; Adam, batch 64, validation on the held-out split after each epoch.
JUDGE_RECIPE: dict = dict(size=16, epochs=12, lr=3e-3, batch_size=64, seed=0)
_JUDGE_SIDE = 32


class JudgeData(NamedTuple):
    """The digits at the generators' resolution, scaled to [-1, 1] like a tanh generator's output."""

    X_train: torch.Tensor  # (1079, 1, size, size)
    y_train: torch.Tensor  # (1079,)
    X_val: torch.Tensor  # (359, 1, size, size)
    y_val: torch.Tensor
    X_test: torch.Tensor  # (359, 1, size, size)
    y_test: torch.Tensor


def judge_data(size: int = 16) -> JudgeData:
    """scikit-learn's digits at ``size`` x ``size`` in [-1, 1], split as :func:`dlbook.data.load_digits`."""
    splits = load_digits(size=size, normalize=False)
    parts = []
    for split in (splits.train, splits.val, splits.test):
        x, y = split.tensors
        parts += [x * 2 - 1, y]
    return JudgeData(*parts)


def to_judge(x: torch.Tensor) -> torch.Tensor:
    """Upsample images to the judge's input, ``(B, 1, H, W) -> (B, 1, 32, 32)`` (bilinear)."""
    if x.dim() != 4 or x.shape[1] != 1:
        raise ValueError(f"to_judge expects images of shape (B, 1, H, W), got {tuple(x.shape)}")
    return F.interpolate(x, size=_JUDGE_SIDE, mode="bilinear", align_corners=False)


def train_digit_judge(size: int = 16, epochs: int = 12, lr: float = 3e-3, batch_size: int = 64,
                      seed: int = 0) -> nn.Module:
    """Train the judge from ``seed`` (defaults: :data:`JUDGE_RECIPE`); returns it in eval mode.

    A LeNet-5 with ReLU and max pooling (:func:`dlbook.cnn.lenet5`), trained by :func:`dlbook.fit`.
    """
    data = judge_data(size)
    set_seed(seed)
    judge = lenet5(activation="relu", pooling="max")
    train = DataLoader(TensorDataset(to_judge(data.X_train), data.y_train), batch_size=batch_size, shuffle=True,
                       generator=torch.Generator().manual_seed(seed))
    val = DataLoader(TensorDataset(to_judge(data.X_val), data.y_val), batch_size=256)
    fit(judge, nn.CrossEntropyLoss(), torch.optim.Adam(judge.parameters(), lr=lr), train, val,
        epochs=epochs, metrics={"acc": accuracy})
    return judge.eval()


def load_digit_judge(path: str | Path | None = None, device: torch.device | str | None = None) -> nn.Module:
    """The shipped judge (:data:`JUDGE_WEIGHTS`), in eval mode, on ``device`` (default: the CPU)."""
    path = JUDGE_WEIGHTS if path is None else Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no judge weights at {path}; run tools/train_digit_judge.py")
    judge = lenet5(activation="relu", pooling="max")
    judge.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return judge.eval().to(device or "cpu")


@torch.no_grad()
def judge_features(judge: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The judge's 84 features (F6 before its ReLU) of images ``(B, 1, H, W)`` -> ``(B, 84)``."""
    return judge.classifier[:4](judge.features(to_judge(x)))
