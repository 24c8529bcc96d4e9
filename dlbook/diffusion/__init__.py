"""Diffusion models: noise schedules, the forward chain's Gaussian algebra, denoisers, samplers.

Modules: ``schedule`` (linear and cosine schedules, :class:`DDPMSchedule` with ``q_sample`` and the
posterior), ``models`` (the time embedding, an MLP denoiser for points, a two-level U-Net),
``objectives`` (``L_simple`` and flow matching as modules that :func:`dlbook.fit` trains),
``sampling`` (DDPM, DDIM, classifier-free guidance, RePaint), ``metrics`` (energy distance) and ``digits``
(a class-conditional digit denoiser, trained once and shipped).

References: Ho, Jain & Abbeel (2020), DDPM; Song, Meng & Ermon (2021), DDIM; Nichol & Dhariwal
(2021), improved DDPM; Ho & Salimans (2022), classifier-free guidance; Lugmayr et al. (2022),
RePaint; Lipman et al. (2023), flow matching.
"""

from __future__ import annotations

from .digits import (
    DIGIT_DIFFUSION_RECIPE,
    DIGIT_DIFFUSION_TORCH,
    DIGIT_DIFFUSION_WEIGHTS,
    load_digit_diffusion,
    train_digit_diffusion,
)
from .metrics import energy_distance
from .models import MLPDenoiser, UNet, timestep_embedding
from .objectives import DiffusionBatches, FlowMatching, NoisePrediction, flow_sample, prediction_loss
from .sampling import (
    EpsModel,
    classifier_free,
    ddim_sample,
    ddim_step,
    ddim_timesteps,
    ddpm_sample,
    ddpm_step,
    repaint_sample,
)
from .schedule import DDPMSchedule, cosine_betas, linear_betas

__all__ = [
    "DIGIT_DIFFUSION_RECIPE",
    "DIGIT_DIFFUSION_TORCH",
    "DIGIT_DIFFUSION_WEIGHTS",
    "DDPMSchedule",
    "DiffusionBatches",
    "EpsModel",
    "FlowMatching",
    "MLPDenoiser",
    "NoisePrediction",
    "UNet",
    "classifier_free",
    "cosine_betas",
    "ddim_sample",
    "ddim_step",
    "ddim_timesteps",
    "ddpm_sample",
    "ddpm_step",
    "energy_distance",
    "flow_sample",
    "linear_betas",
    "load_digit_diffusion",
    "prediction_loss",
    "repaint_sample",
    "timestep_embedding",
    "train_digit_diffusion",
]
