"""The alternating GAN training loop, as chapter 6 writes it out, for reuse.

Goodfellow et al. (2014), Algorithm 1: ``d_steps`` discriminator updates on fresh real and fake
batches, then one generator update on a fresh latent batch. ``loss="wgan"`` is Arjovsky et al.
(2017), Algorithm 1: the critic's loss without log or sigmoid, its weights clipped after every
update, RMSprop.
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn

from ..optim import fused_adam_supported
from ..train import History, _model_device
from ..utils import check_positive_int
from .losses import clip_weights, critic_loss, discriminator_loss, generator_loss, wgan_generator_loss

__all__ = ["LOSSES", "train_gan"]

LOSSES = ("saturating", "non-saturating", "wgan")

Sampler = Callable[[int], object]


def _call(model: nn.Module, x: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
    return model(x) if labels is None else model(x, labels)


def train_gan(
    generator: nn.Module,
    discriminator: nn.Module,
    sample_real: Sampler,
    sample_latent: Callable[[int], torch.Tensor],
    steps: int,
    loss: str = "non-saturating",
    batch_size: int = 64,
    d_steps: int = 1,
    lr_g: float = 2e-4,
    lr_d: float = 2e-4,
    betas: tuple[float, float] = (0.5, 0.999),
    clip: float = 0.01,
    log_every: int = 50,
    callback: Callable[[int, History], bool | None] | None = None,
    history: History | None = None,
    optimizers: tuple[torch.optim.Optimizer, torch.optim.Optimizer] | None = None,
    device: torch.device | str | None = None,
    fused: bool = False,
) -> History:
    """Train a GAN (or a WGAN) for ``steps`` generator updates.

    Args:
        generator: ``G(z)``, or ``G(z, labels)`` when ``sample_real`` returns labels.
        discriminator: ``D(x)`` (or ``D(x, labels)``) returning ``(B, 1)`` logits / critic scores.
        sample_real: ``n -> x`` real samples ``(n, ...)``, or ``n -> (x, labels)`` for a
            conditional GAN; fakes are then generated for the same labels.
        sample_latent: ``n -> z`` of shape ``(n, latent_dim)``.
        steps: generator updates.
        loss: ``"saturating"``, ``"non-saturating"`` (Adam) or ``"wgan"`` (RMSprop, clipping).
        d_steps: discriminator (critic) updates per generator update, the paper's k.
        lr_g, lr_d, betas: the optimisers' settings (betas for Adam only).
        clip: WGAN's clipping constant c.
        log_every: record the losses every this many generator steps (and at the last one).
        callback: called as ``callback(step, history)`` after each recorded step; return ``True``
            to stop (as with :func:`dlbook.fit`).
        history: a History from an earlier call, to continue it (steps count on from its last one).
        optimizers: ``(opt_g, opt_d)`` to use instead of new ones: pass the same pair again with
            ``history`` and a resumed run keeps Adam's moments, as one long run would. When None,
            Adam (or RMSprop for ``"wgan"``) is made from ``lr_g``, ``lr_d`` and ``betas``.
        device: where to train; the models are moved there and every sampled batch follows.
            Default: the generator's device (the samplers' tensors are moved to it).
        fused: make the two Adam optimisers with ``fused=True``: the same update, computed for
            all parameters at once instead of in a Python loop over them, which is faster for
            small networks such as the toy GANs' MLPs. It agrees with the default implementation
            to rounding (so long runs drift apart in their last digits). Used only where
            :func:`dlbook.optim.fused_adam_supported` says the device has torch's fused Adam (the
            default Adam elsewhere); ignored for ``"wgan"`` (torch's RMSprop has no fused
            implementation) and when ``optimizers`` is given.

    Returns:
        A :class:`dlbook.History` with one entry per record: ``step``, ``d_loss``, ``g_loss``,
        ``d_real`` and ``d_fake`` (mean sigmoid outputs; for a WGAN the mean critic scores).
        The losses are those of the last discriminator and generator update before the record.
    """
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
    for name, v in (("steps", steps), ("batch_size", batch_size), ("d_steps", d_steps), ("log_every", log_every)):
        check_positive_int(name, v, minimum=0 if name == "steps" else 1)
    device = torch.device(device) if device is not None else _model_device(generator)
    generator.to(device)
    discriminator.to(device)
    if optimizers is not None:
        if (len(optimizers) != 2 or not all(isinstance(o, torch.optim.Optimizer) for o in optimizers)):
            raise TypeError("optimizers must be a pair (opt_g, opt_d) of torch.optim.Optimizer")
        opt_g, opt_d = optimizers
    elif loss == "wgan":
        opt_g = torch.optim.RMSprop(generator.parameters(), lr=lr_g)
        opt_d = torch.optim.RMSprop(discriminator.parameters(), lr=lr_d)
    else:
        # default: torch's choice (a loop over parameters on a CPU)
        extra = {"fused": True} if fused and fused_adam_supported(device) else {}
        opt_g = torch.optim.Adam(generator.parameters(), lr=lr_g, betas=betas, **extra)
        opt_d = torch.optim.Adam(discriminator.parameters(), lr=lr_d, betas=betas, **extra)

    def on_device(batch):
        if isinstance(batch, tuple):
            return tuple(b.to(device) for b in batch)
        return batch.to(device)
    history = history if history is not None else History()
    start = int(history["step"][-1]) if "step" in history else 0
    generator.train()
    discriminator.train()
    for step in range(start + 1, start + steps + 1):
        for _ in range(d_steps):
            real = on_device(sample_real(batch_size))
            real, labels = real if isinstance(real, tuple) else (real, None)
            z = sample_latent(batch_size).to(device)
            with torch.no_grad():
                fake = _call(generator, z, labels)
            real_out, fake_out = _call(discriminator, real, labels), _call(discriminator, fake, labels)
            d_loss = critic_loss(real_out, fake_out) if loss == "wgan" else discriminator_loss(real_out, fake_out)
            opt_d.zero_grad(set_to_none=True)
            d_loss.backward()
            opt_d.step()
            if loss == "wgan":
                clip_weights(discriminator, clip)
        z = sample_latent(batch_size).to(device)
        # The generator's update needs the gradient through D's input, not D's own weight gradients
        # (the next discriminator update would discard them): switch those off for this pass. The
        # gradients that reach G are the same, computed with less work.
        trainable = [p for p in discriminator.parameters() if p.requires_grad]
        for p in trainable:
            p.requires_grad_(False)
        try:
            fake_out = _call(discriminator, _call(generator, z, labels), labels)
            if loss == "wgan":
                g_loss = wgan_generator_loss(fake_out)
            else:
                g_loss = generator_loss(fake_out, saturating=(loss == "saturating"))
            opt_g.zero_grad(set_to_none=True)
            g_loss.backward()
        finally:
            for p in trainable:
                p.requires_grad_(True)
        opt_g.step()
        if step % log_every == 0 or step == start + steps:
            squash = (lambda t: t.mean()) if loss == "wgan" else (lambda t: torch.sigmoid(t).mean())
            history.append({
                "step": step,
                "d_loss": d_loss.item(),
                "g_loss": g_loss.item(),
                "d_real": squash(real_out.detach()).item(),
                "d_fake": squash(fake_out.detach()).item(),
            })
            if callback is not None and callback(step, history):
                break
    return history
