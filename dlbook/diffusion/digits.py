"""A class-conditional DDPM for the 8x8 digits, trained once and shipped with the package.

Chapter 9's fast-and-guided sampling notebook needs a denoiser trained longer than a notebook's CPU
budget allows, so it is trained once by :func:`train_digit_diffusion` with :data:`DIGIT_DIFFUSION_RECIPE`
and its weights ship as ``digit_unet.pt`` (made by ``tools/train_digit_diffusion.py``; a ``slow`` unit
test re-makes them bit for bit in the pinned environment), the way ``dlbook.gan``'s digit judge ships.

References:
    Ho, Jain & Abbeel (2020), "Denoising Diffusion Probabilistic Models": the linear schedule, T = 1000.
    Ho & Salimans (2022), "Classifier-Free Diffusion Guidance": labels dropped with probability p_uncond.
"""

from __future__ import annotations

from pathlib import Path

import torch

from ..gan.judge import judge_data
from ..runtime import set_seed
from ..train import fit
from .models import UNet
from .objectives import DiffusionBatches, NoisePrediction, prediction_loss
from .schedule import DDPMSchedule, linear_betas

__all__ = ["DIGIT_DIFFUSION_RECIPE", "DIGIT_DIFFUSION_TORCH", "DIGIT_DIFFUSION_WEIGHTS", "digit_unet",
           "digit_schedule", "load_digit_diffusion", "train_digit_diffusion"]

#: Where the shipped weights live.
DIGIT_DIFFUSION_WEIGHTS: Path = Path(__file__).with_name("digit_unet.pt")
#: The PyTorch version that made them (a bit-for-bit rebuild is only expected with it).
DIGIT_DIFFUSION_TORCH: str = "2.13.0"
#: The recipe: 8x8 training digits in [-1, 1], DDPM's linear schedule with T = 1000, a U-Net of
#: width 16 conditioned on the digit (label 10 = none), labels dropped 15% of the time; Adam with a
#: one-cycle schedule.
DIGIT_DIFFUSION_RECIPE: dict = dict(T=1000, width=16, emb_dim=32, p_uncond=0.15, epochs=48, batch_size=32,
                                    lr=2e-3, seed=0)
NULL_LABEL = 10


def digit_schedule(T: int = 1000) -> DDPMSchedule:
    """DDPM's linear schedule (1e-4 to 0.02) with ``T`` steps."""
    return DDPMSchedule(linear_betas(T))


def digit_unet(width: int = 16, emb_dim: int = 32) -> UNet:
    """The conditional U-Net of the recipe: 10 digits plus the null label 10."""
    return UNet(channels=1, width=width, emb_dim=emb_dim, num_classes=10, groups=8)


def train_digit_diffusion(T: int = 1000, width: int = 16, emb_dim: int = 32, p_uncond: float = 0.15,
                          epochs: int = 48, batch_size: int = 32, lr: float = 2e-3, seed: int = 0) -> UNet:
    """Train the conditional denoiser from ``seed`` (defaults: :data:`DIGIT_DIFFUSION_RECIPE`), in eval mode.

    The 1,079 training digits of :func:`dlbook.gan.judge_data` at 8x8, ``L_simple`` with labels replaced
    by the null label with probability ``p_uncond``, trained by :func:`dlbook.fit` on the CPU.
    """
    data = judge_data(8)
    set_seed(seed)
    net = digit_unet(width, emb_dim)
    batches = DiffusionBatches(data.X_train, data.y_train, batch_size=batch_size, seed=seed)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, lr, total_steps=epochs * len(batches), pct_start=0.1)
    fit(NoisePrediction(net, digit_schedule(T), p_uncond=p_uncond, null_label=NULL_LABEL), prediction_loss, opt,
        batches, epochs=epochs, scheduler=sched, scheduler_interval="batch")
    return net.eval()


def load_digit_diffusion(path: str | Path | None = None, device: torch.device | str | None = None) -> UNet:
    """The shipped conditional denoiser (:data:`DIGIT_DIFFUSION_WEIGHTS`), in eval mode, on ``device`` (default CPU).

    Call it as ``net(x_t, t, labels)`` with ``x_t`` ``(B, 1, 8, 8)``, ``t`` ``(B,)`` long in ``[0, 1000)`` and
    ``labels`` ``(B,)`` long in ``[0, 10]`` (10 = no label); wrap it with :func:`classifier_free` for guidance.
    """
    path = DIGIT_DIFFUSION_WEIGHTS if path is None else Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no digit denoiser weights at {path}; run tools/train_digit_diffusion.py")
    net = digit_unet(DIGIT_DIFFUSION_RECIPE["width"], DIGIT_DIFFUSION_RECIPE["emb_dim"])
    net.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return net.eval().to(device or "cpu")
