"""Chapter 6's unconditional DCGAN on the digits, trained once and shipped with the package.

Notebook 3 of chapter 6 trains it (watching its Frechet distance as it learns); notebook 4 needs the
same generator again, to measure how evenly an unconditional GAN spreads its samples over the ten
digits. Rather than train it twice, :func:`train_digit_dcgan` holds the recipe, ``tools/train_digit_dcgan.py``
writes the generator's weights to ``digit_dcgan.pt``, and a unit test re-makes them bit for bit in the
pinned environment (as for the digit judge, :mod:`dlbook.gan.judge`).

Notebook 3 also compares this DCGAN with DCGANs trained without batch normalisation, over three
seeds. Those five further generators (seeds 1 and 2 with batch norm, seeds 0 to 2 without) come from
the same function with another ``seed`` and ``batch_norm``; they ship in ``digit_dcgan_runs.pt``
(:data:`DCGAN_RUNS`, :func:`load_digit_dcgan_run`), made by the same tool with ``--runs``.

References: Radford, Metz & Chintala (2016), "Unsupervised Representation Learning with Deep
Convolutional Generative Adversarial Networks", ICLR (the architecture and Adam's settings);
Arjovsky, Chintala & Bottou (2017), "Wasserstein GAN", ICML, figure 6 (a DCGAN generator without
batch normalization).
"""

from __future__ import annotations

from pathlib import Path

import torch

from ..runtime import set_seed
from ..train import History
from .dcgan import DCGANGenerator, dcgan_discriminator, dcgan_generator
from .judge import judge_data
from .train import train_gan

__all__ = ["DCGAN_RECIPE", "DCGAN_RUNS", "DCGAN_RUNS_WEIGHTS", "DCGAN_TORCH", "DCGAN_WEIGHTS", "dcgan_run_name",
           "load_digit_dcgan", "load_digit_dcgan_run", "train_digit_dcgan"]

#: Where the shipped generator's weights live.
DCGAN_WEIGHTS: Path = Path(__file__).with_name("digit_dcgan.pt")
#: The PyTorch version that made them (a bit-for-bit rebuild is only expected with it).
DCGAN_TORCH: str = "2.13.0"
#: The recipe of chapter 6, notebook 3: 16 x 16 digits in [-1, 1] (:func:`judge_data`), a 32-number
#: latent vector, width 16, non-saturating loss, Adam 2e-4 with beta_1 = 0.5, batches of 64, 1,000 generator steps.
DCGAN_RECIPE: dict = dict(size=16, latent_dim=32, width=16, steps=1000, batch_size=64, lr=2e-4, seed=0)
#: Where the five further generators live (:data:`DCGAN_RUNS`), one file, their tensors' names
#: prefixed with :func:`dcgan_run_name` and a dot.
DCGAN_RUNS_WEIGHTS: Path = Path(__file__).with_name("digit_dcgan_runs.pt")
#: ``(batch_norm, seed)`` of each generator in :data:`DCGAN_RUNS_WEIGHTS`: :data:`DCGAN_RECIPE` with
#: another seed and/or without batch norm (in G and D). ``(True, 0)`` is the shipped DCGAN itself.
DCGAN_RUNS: tuple[tuple[bool, int], ...] = ((True, 1), (True, 2), (False, 0), (False, 1), (False, 2))


def dcgan_run_name(batch_norm: bool, seed: int) -> str:
    """The name of one run, e.g. ``"bn_seed1"`` or ``"nobn_seed0"`` (the prefix of its tensors)."""
    return f"{'bn' if batch_norm else 'nobn'}_seed{seed}"


def train_digit_dcgan(size: int = 16, latent_dim: int = 32, width: int = 16, steps: int = 1000, batch_size: int = 64,
                      lr: float = 2e-4, seed: int = 0, log_every: int = 100,
                      batch_norm: bool = True) -> tuple[DCGANGenerator, History]:
    """Train the unconditional DCGAN from ``seed`` (defaults: :data:`DCGAN_RECIPE`) with :func:`train_gan`.

    With ``batch_norm=False`` neither network has batch norm (G's hidden transposed convolutions and
    D's hidden convolution get a bias instead); everything else is the same.

    The random draws come in the order chapter 6's notebook 3 makes them: ``set_seed(seed)``, the
    generator, the discriminator, then per step a real batch (``torch.randint``) and latent batches
    (``torch.randn``) from the global generator.

    Returns:
        ``(generator, history)``: the generator in eval mode (batch norm with its running statistics,
        as at sampling time), and the losses recorded every ``log_every`` steps.
    """
    X_train = judge_data(size).X_train  # (1079, 1, size, size) in [-1, 1]
    set_seed(seed)
    G = dcgan_generator(latent_dim=latent_dim, image_size=size, width=width, batch_norm=batch_norm)
    D = dcgan_discriminator(image_size=size, width=width, batch_norm=batch_norm)
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


def load_digit_dcgan_run(batch_norm: bool, seed: int, path: str | Path | None = None,
                         device: torch.device | str | None = None) -> DCGANGenerator:
    """One generator of :data:`DCGAN_RUNS` (or the shipped DCGAN for ``(True, 0)``), in eval mode.

    It is ``train_digit_dcgan(**{**DCGAN_RECIPE, "seed": seed}, batch_norm=batch_norm)[0]``, made
    once by ``tools/train_digit_dcgan.py --runs`` and read from :data:`DCGAN_RUNS_WEIGHTS`
    (or ``path``), ``z (B, 32) -> images (B, 1, 16, 16)``.
    """
    if (batch_norm, seed) == (True, DCGAN_RECIPE["seed"]):
        return load_digit_dcgan(device=device)
    if (batch_norm, seed) not in DCGAN_RUNS:
        raise ValueError(f"no shipped DCGAN with batch_norm={batch_norm!r}, seed={seed!r}: "
                         f"the shipped ones are (True, 0) and {list(DCGAN_RUNS)}")
    path = DCGAN_RUNS_WEIGHTS if path is None else Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no DCGAN runs at {path}; run tools/train_digit_dcgan.py --runs")
    prefix = dcgan_run_name(batch_norm, seed) + "."
    state = {k[len(prefix):]: v for k, v in torch.load(path, map_location="cpu", weights_only=True).items()
             if k.startswith(prefix)}
    r = DCGAN_RECIPE
    G = DCGANGenerator(latent_dim=r["latent_dim"], image_size=r["size"], width=r["width"], batch_norm=batch_norm)
    G.load_state_dict(state)
    return G.eval().to(device or "cpu")
