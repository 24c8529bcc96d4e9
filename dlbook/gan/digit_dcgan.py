"""Chapter 6's unconditional DCGAN on the digits, trained once and shipped with the package.

Notebook 3 of chapter 6 trains it (watching its Frechet distance as it learns); notebook 4 needs the
same generator again, to measure how evenly an unconditional GAN spreads its samples over the ten
digits. Rather than train it twice, :func:`train_digit_dcgan` holds the recipe, ``tools/train_digit_dcgan.py``
writes the generator's weights to ``digit_dcgan.pt``, and a unit test re-makes them bit for bit in the
pinned environment (as for the digit judge, :mod:`dlbook.gan.judge`).

Reference: Radford, Metz & Chintala (2016), "Unsupervised Representation Learning with Deep
Convolutional Generative Adversarial Networks", ICLR (the architecture and Adam's settings).
"""

from __future__ import annotations

from pathlib import Path

import torch

from ..runtime import set_seed
from ..train import History
from .dcgan import DCGANGenerator, dcgan_discriminator, dcgan_generator
from .judge import judge_data
from .train import train_gan

__all__ = ["DCGAN_RECIPE", "DCGAN_TORCH", "DCGAN_WEIGHTS", "load_digit_dcgan", "train_digit_dcgan"]

#: Where the shipped generator's weights live.
DCGAN_WEIGHTS: Path = Path(__file__).with_name("digit_dcgan.pt")
#: The PyTorch version that made them (a bit-for-bit rebuild is only expected with it).
DCGAN_TORCH: str = "2.13.0"
#: The recipe of chapter 6, notebook 3: 16 x 16 digits in [-1, 1] (:func:`judge_data`), a 32-number
#: latent vector, width 16, non-saturating loss, Adam 2e-4 with beta_1 = 0.5, batches of 64, 1,000 generator steps.
DCGAN_RECIPE: dict = dict(size=16, latent_dim=32, width=16, steps=1000, batch_size=64, lr=2e-4, seed=0)


def train_digit_dcgan(size: int = 16, latent_dim: int = 32, width: int = 16, steps: int = 1000, batch_size: int = 64,
                      lr: float = 2e-4, seed: int = 0, log_every: int = 100) -> tuple[DCGANGenerator, History]:
    """Train the unconditional DCGAN from ``seed`` (defaults: :data:`DCGAN_RECIPE`) with :func:`train_gan`.

    The random draws come in the order chapter 6's notebook 3 makes them: ``set_seed(seed)``, the
    generator, the discriminator, then per step a real batch (``torch.randint``) and latent batches
    (``torch.randn``) from the global generator.

    Returns:
        ``(generator, history)``: the generator in eval mode (batch norm with its running statistics,
        as at sampling time), and the losses recorded every ``log_every`` steps.
    """
    X_train = judge_data(size).X_train  # (1079, 1, size, size) in [-1, 1]
    set_seed(seed)
    G = dcgan_generator(latent_dim=latent_dim, image_size=size, width=width)
    D = dcgan_discriminator(image_size=size, width=width)
    history = train_gan(G, D, lambda n: X_train[torch.randint(len(X_train), (n,))], lambda n: torch.randn(n, latent_dim),
                        steps, batch_size=batch_size, lr_g=lr, lr_d=lr, log_every=log_every)
    return G.eval(), history


def load_digit_dcgan(path: str | Path | None = None, device: torch.device | str | None = None) -> DCGANGenerator:
    """The shipped generator (:data:`DCGAN_WEIGHTS`), ``z (B, 32) -> images (B, 1, 16, 16)``, in eval mode."""
    path = DCGAN_WEIGHTS if path is None else Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no DCGAN weights at {path}; run tools/train_digit_dcgan.py")
    r = DCGAN_RECIPE
    G = DCGANGenerator(latent_dim=r["latent_dim"], image_size=r["size"], width=r["width"])
    G.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return G.eval().to(device or "cpu")
