"""Byte-level mini LLaMAs at two widths that rewrite dates as year-month-day, shipped with the package.

Chapter 10's notebook 7 fine-tunes them, parameter-efficiently, to a date format they never wrote,
and compares the methods across the two sizes. Each model follows chapter 10's notebook 4: a
:class:`~dlbook.llm.Llama` reading bytes (ids 0-255, ``<eos>`` = 256) is pre-trained on the
course corpus (:func:`dlbook.llm.pretrain.pretrain`), then instruction-tuned (:mod:`dlbook.llm.sft`)
on date instructions, "rewrite this date (``Nov 22, 2026``, ``22 Nov 2026`` or ``22.11.2026``) as
``2026-11-22``". Training them costs minutes of CPU, so :func:`train_date_llama` holds the recipe,
``tools/train_date_llamas.py`` writes their weights to ``date_llamas.pt`` and a unit test re-makes
the smallest bit for bit in the pinned environment.

References: Touvron et al. (2023), "LLaMA: Open and Efficient Foundation Language Models";
Ouyang et al. (2022), "Training language models to follow instructions with human feedback"
(instruction tuning with the loss on the response).
"""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path
from typing import Sequence

import torch

from .. import seqdata
from ..runtime import set_seed
from ..train import fit
from . import pretrain as _pretrain
from . import sft
from .corpus import load_corpus
from .model import Llama, LlamaConfig

__all__ = [
    "DATE_FORMATS_SEEN",
    "DATE_LLAMA_RECIPE",
    "DATE_LLAMA_TORCH",
    "DATE_LLAMA_WEIGHTS",
    "DATE_TEMPLATES",
    "EOS_ID",
    "date_instructions",
    "date_llama_config",
    "decode_bytes",
    "encode_bytes",
    "load_date_llamas",
    "train_date_llama",
]

#: Where the shipped weights live (one state dict, names prefixed ``dim{width}.``).
DATE_LLAMA_WEIGHTS: Path = Path(__file__).with_name("date_llamas.pt")
#: The PyTorch version that made them (a bit-for-bit rebuild is only expected with it).
DATE_LLAMA_TORCH: str = "2.13.0"
#: The recipe: widths, 2 blocks of 4 heads; pre-training as in notebook 4 but for 100 steps;
#: instruction tuning on 3,000 date instructions for 4 epochs (notebook 4 stops at 3, where the
#: smaller of these models does not yet answer reliably).
DATE_LLAMA_RECIPE: dict = dict(dims=(32, 64), n_layers=2, n_heads=4, pretrain_steps=100, pretrain_lr=4e-3,
                               n_instructions=3000, sft_epochs=4, sft_lr=5e-3, batch_size=16, seed=0)
#: The formats the instructions are written in (names of :data:`dlbook.seqdata.DATE_FORMATS`).
DATE_FORMATS_SEEN: tuple[str, ...] = ("mon_day_year", "day_mon_year", "dd.mm.yyyy")
#: The three phrasings of the instruction.
DATE_TEMPLATES: tuple[str, ...] = ("Date {}?\n", "Normalise {}\n", "{} to Y-M-D:\n")
#: The id that ends an answer (the bytes are 0-255).
EOS_ID: int = 256


def encode_bytes(text: str) -> list[int]:
    """The UTF-8 bytes of ``text`` as ids."""
    return list(text.encode("utf-8"))


def decode_bytes(ids: Sequence[int]) -> str:
    """Text from byte ids; ids >= 256 (``<eos>``) are dropped."""
    return bytes(i for i in ids if i < 256).decode("utf-8", errors="replace")


def date_instructions(dates: Sequence[date], seed: int) -> list[tuple[str, str]]:
    """``(prompt, answer)`` pairs: each date in a random seen format and phrasing, answered in ISO
    (``"Date 22 Nov 2026?\\n"`` -> ``"2026-11-22"``), as in chapter 10's notebook 4."""
    rng = random.Random(seed)
    return [(rng.choice(DATE_TEMPLATES).format(seqdata.format_date(d, rng.choice(DATE_FORMATS_SEEN))),
             d.isoformat()) for d in dates]


def date_llama_config(dim: int, n_layers: int = 2, n_heads: int = 4) -> LlamaConfig:
    """The configuration of the shipped model of width ``dim``: 257 byte ids, 128 positions."""
    return LlamaConfig(dim=dim, n_layers=n_layers, n_heads=n_heads, vocab_size=EOS_ID + 1, max_seq_len=128,
                       multiple_of=8, fused=True)


def train_date_llama(dim: int, n_layers: int = 2, n_heads: int = 4, pretrain_steps: int = 100,
                     pretrain_lr: float = 4e-3, n_instructions: int = 3000, sft_epochs: int = 4,
                     sft_lr: float = 5e-3, batch_size: int = 16, seed: int = 0) -> Llama:
    """Pre-train and instruction-tune one model (defaults: :data:`DATE_LLAMA_RECIPE`).

    Pre-training: :func:`dlbook.llm.pretrain.pretrain` on windows of 64 bytes of the English
    training corpus. Instruction tuning: :func:`date_instructions` on the first ``n_instructions``
    training dates of ``seqdata.split_dates((0.05, 0.05), seed=0)`` (its test dates are held out),
    the loss on the response only, AdamW with a one-cycle schedule, gradients clipped to 1.

    Args:
        dim: the width ``E``.
        seed: the initialisation and the order of the data.

    Returns:
        The model, in eval mode, on the CPU.
    """
    corpus = torch.tensor(encode_bytes(load_corpus("en", "train")))
    X, Y = _pretrain.token_windows(corpus, 64)
    set_seed(seed)
    model = Llama(date_llama_config(dim, n_layers, n_heads))
    _pretrain.pretrain(model, X, Y, steps=pretrain_steps, batch_size=batch_size, lr=pretrain_lr, seed=seed)
    pairs = date_instructions(seqdata.split_dates((0.05, 0.05), seed=0).train[:n_instructions], seed + 1)
    data = sft.sft_tensors([encode_bytes(p) for p, _ in pairs], [encode_bytes(a) for _, a in pairs], eos_id=EOS_ID)
    loader = seqdata.TensorBatches((data.ids,), data.labels, batch_size=batch_size, shuffle=True, seed=seed)
    opt = torch.optim.AdamW(model.parameters(), lr=sft_lr, weight_decay=0.0)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=sft_lr, total_steps=sft_epochs * len(loader), pct_start=0.1)
    fit(model, sft.sft_loss, opt, loader, epochs=sft_epochs, scheduler=sched, scheduler_interval="batch",
        clip_grad=1.0, progress=False)
    return model.eval()


def load_date_llamas(path: str | Path | None = None, device: torch.device | str | None = None) -> dict[int, Llama]:
    """The shipped models (:data:`DATE_LLAMA_WEIGHTS`), ``{width: Llama}`` from the smallest, in eval mode.

    Each takes byte ids ``(B, T)`` (:func:`encode_bytes`) and returns logits ``(B, T, 257)``;
    it answers ``date_instructions`` prompts with an ISO date and ``<eos>`` (:data:`EOS_ID`).
    """
    path = DATE_LLAMA_WEIGHTS if path is None else Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no date LLaMA weights at {path}; run tools/train_date_llamas.py")
    state = torch.load(path, map_location="cpu", weights_only=True)
    r = DATE_LLAMA_RECIPE
    models = {}
    for dim in r["dims"]:
        prefix = f"dim{dim}."
        model = Llama(date_llama_config(dim, r["n_layers"], r["n_heads"]))
        model.load_state_dict({k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)})
        models[dim] = model.eval().to(device or "cpu")
    return models
