"""Pre-training the course's mini BERT on :class:`~dlbook.bert.corpus.TopicLanguage`, and the
shipped weights (``mini_bert.pt``, made by ``tools/pretrain_mini_bert.py``, which a test re-runs).

The recipe is BERT's (Devlin et al., 2019) at a small scale: MLM (15%, 80/10/10) plus NSP on
sentence pairs, masks drawn afresh at every pass (RoBERTa's *dynamic* masking, Liu et al., 2019),
AdamW, linear warm-up then ``1/sqrt(step)`` decay, trained by :func:`dlbook.fit`.
"""

from __future__ import annotations

import copy
from pathlib import Path

import torch
import torch.nn.functional as F

from ..train import History, fit
from ..transformer import warmup_scheduler
from .corpus import PairBatch, TopicLanguage
from .masking import IGNORE_INDEX, mask_tokens
from .model import BertForPreTraining, BertModel, bert_config

__all__ = ["MINI_BERT", "MINI_BERT_TORCH", "WEIGHTS", "MaskedPairs", "load_pretrained", "masked_accuracy", "mini_bert", "mlm_loss",
           "mini_bert_language", "nsp_accuracy", "pretrain", "pretraining_loss"]

#: The PyTorch version that made the shipped weights (``tools/pretrain_mini_bert.py``, pinned
#: environment). A bit-for-bit rebuild is only expected with this version; others reach the same
#: quality with different last digits.
MINI_BERT_TORCH: str = "2.13.0"

#: The mini BERT's sizes and recipe (the shipped weights are ``pretrain(**MINI_BERT)``).
MINI_BERT: dict = dict(hidden=64, num_layers=2, num_heads=4, intermediate=128, max_len=32, dropout=0.1,
                       num_pairs=8192, epochs=4, batch_size=64, lr=3e-3, warmup_steps=100, weight_decay=0.01,
                       language_seed=0, seed=0)
#: Where the shipped weights live (inside the package, so an installed dlbook has them).
WEIGHTS = Path(__file__).with_name("mini_bert.pt")


def mini_bert_language(seed: int = 0) -> TopicLanguage:
    """The corpus the mini BERT was pre-trained on: ``TopicLanguage(seed=seed)`` with the defaults
    (32 words, 4 topics, 8-word sentences). Its ``tokens`` are the vocabulary (ids 0-3 are
    ``[PAD] [CLS] [SEP] [MASK]``), ``encode`` / ``decode`` the tokenizer."""
    return TopicLanguage(seed=seed)


def mini_bert(vocab_size: int, hidden: int = 64, num_layers: int = 2, num_heads: int = 4, intermediate: int = 128,
              max_len: int = 32, dropout: float = 0.1, pre_norm: bool = False, seed: int = 0) -> BertForPreTraining:
    """A freshly initialised (seeded) :class:`BertForPreTraining` of the mini sizes (post-LN like BERT
    unless ``pre_norm``)."""
    torch.manual_seed(seed)
    config = bert_config(hidden, num_layers, num_heads, intermediate, max_len, dropout, pre_norm)
    model = BertForPreTraining(BertModel(vocab_size, config))
    return model


class MaskedPairs:
    """Batches ``((inputs, segments), targets)`` of sentence pairs for :func:`dlbook.fit`.

    ``targets`` is ``(B, T + 1)``: the MLM labels (``-100`` where not selected), then the NSP label.
    With ``dynamic`` (RoBERTa) every pass draws new masks; otherwise (BERT's original data
    pipeline, with one copy) the masks are drawn once and reused at every pass.

    Args:
        pairs: the sentence pairs.
        language: gives the vocabulary size and the special ids.
        batch_size: pairs per batch.
        shuffle: a new order at every pass.
        dynamic: new masks at every pass.
        seed: seeds the order and the masks.
    """

    def __init__(self, pairs: PairBatch, language: TopicLanguage, batch_size: int = 64, shuffle: bool = True,
                 dynamic: bool = True, seed: int = 0):
        if batch_size < 1:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        self.pairs, self.language, self.batch_size = pairs, language, batch_size
        self.shuffle, self.dynamic = shuffle, dynamic
        self.generator = torch.Generator().manual_seed(seed)
        self._static = None if dynamic else self._mask()

    def _mask(self) -> tuple[torch.Tensor, torch.Tensor]:
        lang = self.language
        return mask_tokens(self.pairs.ids, lang.vocab_size, lang.mask_id, lang.special_ids, generator=self.generator)

    def __len__(self) -> int:
        return -(-len(self.pairs.ids) // self.batch_size)

    def __iter__(self):
        inputs, labels = self._mask() if self.dynamic else self._static
        targets = torch.cat([labels, self.pairs.is_next[:, None]], dim=1)  # (N, T + 1)
        n = len(inputs)
        order = torch.randperm(n, generator=self.generator) if self.shuffle else torch.arange(n)
        for start in range(0, n, self.batch_size):
            idx = order[start:start + self.batch_size]
            yield (inputs[idx], self.pairs.segments[idx]), targets[idx]


def pretraining_loss(outputs: tuple[torch.Tensor, torch.Tensor], targets: torch.Tensor) -> torch.Tensor:
    """MLM cross-entropy over the selected positions plus NSP cross-entropy.

    Args:
        outputs: ``(mlm_logits (B, T, V), nsp_logits (B, 2))``.
        targets: ``(B, T + 1)`` as yielded by :class:`MaskedPairs`.
    """
    mlm, nsp = outputs
    if targets.shape != (mlm.shape[0], mlm.shape[1] + 1):
        raise ValueError(f"targets must have shape {(mlm.shape[0], mlm.shape[1] + 1)}, got {tuple(targets.shape)}")
    return mlm_loss(outputs, targets) + F.cross_entropy(nsp, targets[:, -1])


def masked_accuracy(outputs: tuple[torch.Tensor, torch.Tensor], targets: torch.Tensor) -> torch.Tensor:
    """Fraction of selected positions whose original token is the MLM argmax."""
    labels = targets[:, :-1]                                         # (B, T)
    chosen = labels != IGNORE_INDEX
    return (outputs[0].argmax(-1)[chosen] == labels[chosen]).float().mean()


def mlm_loss(outputs: tuple[torch.Tensor, torch.Tensor], targets: torch.Tensor) -> torch.Tensor:
    """The MLM part of :func:`pretraining_loss`: cross-entropy over the selected positions."""
    mlm = outputs[0]
    return F.cross_entropy(mlm.reshape(-1, mlm.shape[-1]), targets[:, :-1].reshape(-1),  # (B T, V), (B T,)
                           ignore_index=IGNORE_INDEX)


def nsp_accuracy(outputs: tuple[torch.Tensor, torch.Tensor], targets: torch.Tensor) -> torch.Tensor:
    """Fraction of pairs whose NSP argmax is right."""
    return (outputs[1].argmax(-1) == targets[:, -1]).float().mean()


def pretrain(hidden: int = 64, num_layers: int = 2, num_heads: int = 4, intermediate: int = 128, max_len: int = 32,
             dropout: float = 0.1, pre_norm: bool = False, num_pairs: int = 8192, epochs: int = 4, batch_size: int = 64, lr: float = 3e-3,
             warmup_steps: int = 100, weight_decay: float = 0.01, language_seed: int = 0, seed: int = 0,
             dynamic: bool = True, val_pairs: int = 1024) -> tuple[BertForPreTraining, History]:
    """Pre-train a mini BERT by MLM + NSP on :func:`mini_bert_language` pairs (defaults = :data:`MINI_BERT`).

    Returns:
        The model (in eval mode) and its :class:`~dlbook.History` with ``train_loss``, ``val_loss``,
        ``{train,val}_mlm_loss``, ``{train,val}_mlm_acc`` (masked-token accuracy) and ``{train,val}_nsp_acc``.
    """
    language = mini_bert_language(language_seed)
    model = mini_bert(language.vocab_size, hidden, num_layers, num_heads, intermediate, max_len, dropout, pre_norm, seed)
    train = MaskedPairs(language.pairs(num_pairs, seed=seed + 1), language, batch_size, dynamic=dynamic, seed=seed + 2)
    val = MaskedPairs(language.pairs(val_pairs, seed=seed + 3), language, 512, shuffle=False, dynamic=False, seed=seed + 4)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    history = fit(model, pretraining_loss, optimizer, train, val, epochs=epochs,
                  metrics={"mlm_loss": mlm_loss, "mlm_acc": masked_accuracy, "nsp_acc": nsp_accuracy},
                  scheduler=warmup_scheduler(optimizer, warmup_steps), scheduler_interval="batch")
    return model.eval(), history


def load_pretrained(path: str | Path | None = None) -> BertForPreTraining:
    """The shipped pre-trained mini BERT (:data:`WEIGHTS`), in eval mode, with both heads; its
    encoder is ``.bert``. Its corpus and vocabulary: :func:`mini_bert_language`."""
    path = WEIGHTS if path is None else Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no weights at {path}; run tools/pretrain_mini_bert.py")
    state = torch.load(path, map_location="cpu", weights_only=True)
    sizes = {k: MINI_BERT[k] for k in ("hidden", "num_layers", "num_heads", "intermediate", "max_len", "dropout")}
    model = mini_bert(mini_bert_language(MINI_BERT["language_seed"]).vocab_size, **sizes)
    model.load_state_dict(state)
    return model.eval()


def state_for_saving(model: BertForPreTraining) -> dict[str, torch.Tensor]:
    """The state dict as saved: contiguous copies (no views into larger storages)."""
    return {k: v.detach().clone().contiguous() for k, v in copy.copy(model.state_dict()).items()}
