"""Chapter 11's reader recipe, and the three readers it made, shipped with the package.

Notebook 11/03 fine-tunes the mini BERT into an extractive reader on :class:`FactReading`, one
reader per seed; notebook 11/04 attacks those same readers. Rather than fine-tune them twice,
the package ships them (``fact_readers.pt``, made by ``tools/fine_tune_readers.py`` in the
pinned numeric environment): 11/04 loads them with :func:`load_readers`, and 11/03 checks that
its own fine-tuning gives the shipped weights (bit for bit when pinned, the same quality
anywhere), as 05_transformer/06 does for the mini BERT itself.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import torch

from ..bert.corpus import TopicLanguage
from ..bert.model import BertForPreTraining
from ..bert.pretrain import load_pretrained, mini_bert_language
from ..seqdata import TensorBatches
from ..train import fit
from ..runtime import set_seed
from ..utils import check_positive_int
from .facts import FactReading
from .model import SpanQA, match_segments, span_loss

#: The recipe of chapter 11's readers: passages of two facts about two entities, 2,000 training
#: questions drawn with seed ``100 + seed``, AdamW at 3e-3 (weight decay 0.01), batches of 32, six
#: passes, the exact-match flag on.
READER_RECIPE: dict[str, Any] = {"facts": 2, "entities_per_passage": 2, "train_size": 2000, "data_seed": 100,
                                 "lr": 3e-3, "weight_decay": 0.01, "batch_size": 32, "epochs": 6}
#: The seeds of the shipped readers, in the order :func:`load_readers` returns them.
READER_SEEDS: tuple[int, ...] = (0, 1, 2)
#: The PyTorch version that made :data:`READERS_WEIGHTS` (a bit-for-bit rebuild needs the same).
READERS_TORCH: str = "2.13.0"
#: The shipped readers' state dicts, keyed ``"seed<k>.<name>"``.
READERS_WEIGHTS: Path = Path(__file__).with_name("fact_readers.pt")


def fact_reading_task(language: TopicLanguage | None = None) -> FactReading:
    """The reading task of chapter 11 (:data:`READER_RECIPE`'s passage sizes) in ``language``
    (default: the mini BERT's, :func:`~dlbook.bert.mini_bert_language`)."""
    return FactReading(language or mini_bert_language(), facts=READER_RECIPE["facts"],
                       entities_per_passage=READER_RECIPE["entities_per_passage"])


def fine_tune_reader(pretrained: BertForPreTraining, task: FactReading, seed: int,
                     device: torch.device | str = "cpu") -> SpanQA:
    """Fine-tune a copy of ``pretrained``'s encoder into a :class:`SpanQA` reader with the exact-match
    flag, by :data:`READER_RECIPE` (data drawn with seed ``data_seed + seed``, then
    :func:`~dlbook.utils.set_seed` ``(seed)`` before the head is made). ``pretrained`` is not changed.

    Returns:
        The reader, in eval mode, on ``device``.
    """
    check_positive_int("seed", seed, minimum=0)
    r = READER_RECIPE
    data = task.sample(r["train_size"], seed=r["data_seed"] + seed)
    data.segments = match_segments(data.ids, data.segments)
    set_seed(seed)
    model = SpanQA(copy.deepcopy(pretrained.bert), match_feature=True).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=r["lr"], weight_decay=r["weight_decay"])
    loader = TensorBatches((data.ids, data.segments), data.spans, batch_size=r["batch_size"], shuffle=True, seed=seed)
    fit(model, span_loss, opt, loader, epochs=r["epochs"])
    return model.eval()


def load_readers(path: str | Path | None = None, device: torch.device | str = "cpu") -> list[SpanQA]:
    """The shipped readers, one per seed of :data:`READER_SEEDS`, in eval mode on ``device``.

    Loading leaves PyTorch's global random stream as it was."""
    path = READERS_WEIGHTS if path is None else Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no readers at {path}; run tools/fine_tune_readers.py")
    state = torch.load(path, map_location="cpu", weights_only=True)
    readers = []
    with torch.random.fork_rng(devices=[]):  # building the modules draws initial weights: not from the caller's stream
        encoder = load_pretrained().bert  # the architecture, read once; every weight is then replaced
        for seed in READER_SEEDS:
            prefix = f"seed{seed}."
            model = SpanQA(copy.deepcopy(encoder), match_feature=True)
            model.load_state_dict({k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)})
            readers.append(model.to(device).eval())
    return readers
