"""Generative adversarial networks: losses, the 2-D ring toy with its metrics, DCGAN blocks, the loop.

Modules: ``losses`` (the GAN value function's two players, both generator forms, WGAN's critic and
clipping, the optimal discriminator), ``toy`` (ring of Gaussians, small MLP players), ``metrics`` (mode coverage, Frechet distance),
``dcgan`` (convolutional generator and discriminator, optionally conditional), ``judge`` (the
shipped LeNet-5 that scores generated digits), ``digit_dcgan`` (the shipped unconditional DCGAN
of chapter 6) and ``train``
(``train_gan``, the alternating loop of Goodfellow et al. 2014, Algorithm 1).
"""

from __future__ import annotations

from .dcgan import SUPPORTED_SIZES, DCGANDiscriminator, DCGANGenerator, dcgan_discriminator, dcgan_generator
from .digit_dcgan import (
    DCGAN_RECIPE,
    DCGAN_RUNS,
    DCGAN_RUNS_WEIGHTS,
    DCGAN_TORCH,
    DCGAN_WEIGHTS,
    dcgan_run_name,
    load_digit_dcgan,
    load_digit_dcgan_run,
    train_digit_dcgan,
)
from .judge import (
    JUDGE_RECIPE,
    JUDGE_TORCH,
    JUDGE_WEIGHTS,
    JudgeData,
    judge_data,
    judge_features,
    load_digit_judge,
    to_judge,
    train_digit_judge,
)
from .losses import (
    clip_weights,
    critic_loss,
    discriminator_loss,
    generator_loss,
    optimal_discriminator,
    wgan_generator_loss,
)
from .metrics import Coverage, frechet_distance, mode_coverage
from .toy import make_ring, mlp_discriminator, mlp_generator, ring_centers
from .train import LOSSES, train_gan

__all__ = [
    "Coverage",
    "DCGAN_RECIPE",
    "DCGAN_RUNS",
    "DCGAN_RUNS_WEIGHTS",
    "DCGAN_TORCH",
    "DCGAN_WEIGHTS",
    "DCGANDiscriminator",
    "DCGANGenerator",
    "JUDGE_RECIPE",
    "JUDGE_TORCH",
    "JUDGE_WEIGHTS",
    "JudgeData",
    "LOSSES",
    "SUPPORTED_SIZES",
    "clip_weights",
    "critic_loss",
    "dcgan_discriminator",
    "dcgan_generator",
    "dcgan_run_name",
    "discriminator_loss",
    "frechet_distance",
    "generator_loss",
    "judge_data",
    "judge_features",
    "load_digit_dcgan",
    "load_digit_dcgan_run",
    "load_digit_judge",
    "make_ring",
    "mlp_discriminator",
    "mlp_generator",
    "mode_coverage",
    "optimal_discriminator",
    "ring_centers",
    "to_judge",
    "train_digit_dcgan",
    "train_digit_judge",
    "train_gan",
    "wgan_generator_loss",
]
