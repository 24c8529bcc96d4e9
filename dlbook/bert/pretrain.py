"""Pre-training the course's mini BERT on :class:`~dlbook.bert.corpus.TopicLanguage`, and the
shipped weights (``mini_bert.pt``, made by ``tools/pretrain_mini_bert.py``, which a test re-runs).

The recipe is BERT's (Devlin et al., 2019) at a small scale: MLM (15%, 80/10/10) plus NSP on
sentence pairs, masks drawn afresh at every pass (RoBERTa's *dynamic* masking, Liu et al., 2019),
AdamW, linear warm-up then ``1/sqrt(step)`` decay, trained by :func:`dlbook.fit`.
"""

from __future__ import annotations

import copy
import dataclasses
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from ..train import History, fit
from ..transformer import warmup_scheduler
from .corpus import PairBatch, TopicLanguage
from .masking import IGNORE_INDEX, mask_tokens
from ..utils import check_number, check_positive_int
from .model import BertConfig, BertForPreTraining, BertModel

__all__ = ["MINI_BERT", "MINI_BERT_CONFIG", "MINI_BERT_RECIPE", "MINI_BERT_TORCH", "WEIGHTS", "MaskedPairs",
           "PretrainingRecipe", "load_pretrained", "masked_accuracy", "mini_bert", "mlm_loss", "mini_bert_language",
           "nsp_accuracy", "pretrain", "pretraining_loss"]

#: The PyTorch version that made the shipped weights (``tools/pretrain_mini_bert.py``, pinned
#: environment). A bit-for-bit rebuild is only expected with this version; others reach the same
#: quality with different last digits.
MINI_BERT_TORCH: str = "2.13.0"

@dataclass(frozen=True)
class PretrainingRecipe:
    """How :func:`pretrain` trains (the model's sizes are a :class:`~dlbook.bert.BertConfig`).

    Args:
        num_pairs: training sentence pairs drawn from the corpus.
        epochs: passes over them.
        batch_size: pairs per batch.
        lr: AdamW's peak learning rate.
        warmup_steps: linear warm-up steps, then ``1 / sqrt(step)`` decay.
        weight_decay: AdamW's decoupled weight decay.
        language_seed: the corpus (:func:`mini_bert_language`).
        seed: seeds the initialisation, the pairs, the order and the masks.
        dynamic: new masks at every pass (RoBERTa) rather than once (BERT).
        val_pairs: validation pairs.
    """

    num_pairs: int = 8192
    epochs: int = 4
    batch_size: int = 64
    lr: float = 3e-3
    warmup_steps: int = 100
    weight_decay: float = 0.01
    language_seed: int = 0
    seed: int = 0
    dynamic: bool = True
    val_pairs: int = 1024

    def __post_init__(self) -> None:
        for name in ("num_pairs", "epochs", "batch_size", "warmup_steps", "val_pairs"):
            check_positive_int(name, getattr(self, name))
        for name in ("language_seed", "seed"):
            check_positive_int(name, getattr(self, name), minimum=0)
        check_number("lr", self.lr, "a number > 0", lambda v: v > 0)
        check_number("weight_decay", self.weight_decay, "a number >= 0", lambda v: v >= 0)
        if not isinstance(self.dynamic, bool):
            raise TypeError(f"dynamic must be a bool, got {type(self.dynamic).__name__}")


#: The mini BERT's sizes (the shipped weights are ``pretrain(config=MINI_BERT_CONFIG, recipe=MINI_BERT_RECIPE)``).
MINI_BERT_CONFIG: BertConfig = BertConfig(hidden=64, num_layers=2, num_heads=4, intermediate=128, max_len=32, dropout=0.1)
#: The mini BERT's pre-training recipe.
MINI_BERT_RECIPE: PretrainingRecipe = PretrainingRecipe()

_SIZES = ("hidden", "num_layers", "num_heads", "intermediate", "max_len", "dropout", "pre_norm")
_RECIPE = tuple(f.name for f in dataclasses.fields(PretrainingRecipe))
#: A flat summary of :data:`MINI_BERT_CONFIG`'s sizes and :data:`MINI_BERT_RECIPE` (a copy, for
#: printing; as in earlier versions). ``pretrain(**MINI_BERT)`` still works but is deprecated.
MINI_BERT: dict = {**{k: getattr(MINI_BERT_CONFIG, k) for k in _SIZES if k != "pre_norm"},
                   **{k: getattr(MINI_BERT_RECIPE, k) for k in _RECIPE if k not in ("dynamic", "val_pairs")}}
#: Where the shipped weights live (inside the package, so an installed dlbook has them).
WEIGHTS = Path(__file__).with_name("mini_bert.pt")


def mini_bert_language(seed: int = 0) -> TopicLanguage:
    """The corpus the mini BERT was pre-trained on: ``TopicLanguage(seed=seed)`` with the defaults
    (32 words, 4 topics, 8-word sentences). Its ``tokens`` are the vocabulary (ids 0-3 are
    ``[PAD] [CLS] [SEP] [MASK]``), ``encode`` / ``decode`` the tokenizer."""
    return TopicLanguage(seed=seed)


def _legacy(who: str, new: str, names: tuple[str, ...], args: tuple, kwargs: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments of a deprecated call (positional ``args`` in the order ``names``), with a warning."""
    if len(args) > len(names):
        raise TypeError(f"{who} takes at most {len(names)} positional size/recipe arguments, got {len(args)}")
    unknown = sorted(set(kwargs) - set(names))
    if unknown:
        raise TypeError(f"{who} got unexpected keyword arguments {unknown}")
    given = dict(zip(names, args))
    twice = sorted(set(given) & set(kwargs))
    if twice:
        raise TypeError(f"{who} got multiple values for {twice}")
    warnings.warn(f"{who} with sizes/recipe as separate arguments is deprecated: use {new}",
                  FutureWarning, stacklevel=3)
    return {**given, **kwargs}


def mini_bert(vocab_size: int, config: BertConfig | None = None, *args: Any, seed: int = 0,
              **kwargs: Any) -> BertForPreTraining:
    """A freshly initialised (seeded) :class:`BertForPreTraining` of the sizes ``config``
    (:data:`MINI_BERT_CONFIG` when None).

    The old form, sizes as arguments (``mini_bert(V, 64, 2, 4, 128, 32, 0.1, False, 0)`` or
    ``mini_bert(V, hidden=64, ...)``), still works and warns (deprecated).
    """
    if not isinstance(config, (BertConfig, type(None))) or args or kwargs:
        legacy = _legacy("mini_bert", "mini_bert(vocab_size, BertConfig(...), seed=...)", _SIZES + ("seed",),
                         (config, *args) if config is not None else args, kwargs)
        if "seed" in legacy and seed != 0:
            raise TypeError("mini_bert got multiple values for ['seed']")
        seed = legacy.pop("seed", seed)
        config = dataclasses.replace(MINI_BERT_CONFIG, **legacy)
    config = MINI_BERT_CONFIG if config is None else config
    torch.manual_seed(seed)
    return BertForPreTraining(BertModel(vocab_size, config))


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


def pretrain(*args: Any, config: BertConfig | None = None, recipe: PretrainingRecipe | None = None,
             **kwargs: Any) -> tuple[BertForPreTraining, History]:
    """Pre-train a mini BERT by MLM + NSP on :func:`mini_bert_language` pairs.

    Args:
        config: the model's sizes (:data:`MINI_BERT_CONFIG` when None).
        recipe: how to train (:data:`MINI_BERT_RECIPE` when None).

    The old flat form, ``pretrain(**MINI_BERT)`` or ``pretrain(hidden=64, ..., seed=0)`` with the
    sizes and the recipe mixed, still works and warns (deprecated).

    Returns:
        The model (in eval mode) and its :class:`~dlbook.History` with ``train_loss``, ``val_loss``,
        ``{train,val}_mlm_loss``, ``{train,val}_mlm_acc`` (masked-token accuracy) and ``{train,val}_nsp_acc``.
    """
    if args or kwargs:
        if config is not None or recipe is not None:
            raise TypeError("pretrain takes config= and recipe=, or the deprecated flat arguments, not both")
        legacy = _legacy("pretrain", "pretrain(config=BertConfig(...), recipe=PretrainingRecipe(...))",
                         _SIZES + _RECIPE, args, kwargs)
        config = dataclasses.replace(MINI_BERT_CONFIG, **{k: v for k, v in legacy.items() if k in _SIZES})
        recipe = dataclasses.replace(MINI_BERT_RECIPE, **{k: v for k, v in legacy.items() if k in _RECIPE})
    config = MINI_BERT_CONFIG if config is None else config
    recipe = MINI_BERT_RECIPE if recipe is None else recipe
    if not isinstance(config, BertConfig):
        raise TypeError(f"config must be a BertConfig, got {type(config).__name__}")
    if not isinstance(recipe, PretrainingRecipe):
        raise TypeError(f"recipe must be a PretrainingRecipe, got {type(recipe).__name__}")
    r = recipe
    language = mini_bert_language(r.language_seed)
    model = mini_bert(language.vocab_size, config, seed=r.seed)
    train = MaskedPairs(language.pairs(r.num_pairs, seed=r.seed + 1), language, r.batch_size, dynamic=r.dynamic,
                        seed=r.seed + 2)
    val = MaskedPairs(language.pairs(r.val_pairs, seed=r.seed + 3), language, 512, shuffle=False, dynamic=False,
                      seed=r.seed + 4)
    optimizer = torch.optim.AdamW(model.parameters(), lr=r.lr, weight_decay=r.weight_decay)
    history = fit(model, pretraining_loss, optimizer, train, val, epochs=r.epochs,
                  metrics={"mlm_loss": mlm_loss, "mlm_acc": masked_accuracy, "nsp_acc": nsp_accuracy},
                  scheduler=warmup_scheduler(optimizer, r.warmup_steps), scheduler_interval="batch")
    return model.eval(), history


def load_pretrained(path: str | Path | None = None) -> BertForPreTraining:
    """The shipped pre-trained mini BERT (:data:`WEIGHTS`), in eval mode, with both heads; its
    encoder is ``.bert``. Its corpus and vocabulary: :func:`mini_bert_language`."""
    path = WEIGHTS if path is None else Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no weights at {path}; run tools/pretrain_mini_bert.py")
    state = torch.load(path, map_location="cpu", weights_only=True)
    model = mini_bert(mini_bert_language(MINI_BERT_RECIPE.language_seed).vocab_size, MINI_BERT_CONFIG)
    model.load_state_dict(state)
    return model.eval()


def state_for_saving(model: BertForPreTraining) -> dict[str, torch.Tensor]:
    """The state dict as saved: contiguous copies (no views into larger storages)."""
    return {k: v.detach().clone().contiguous() for k, v in copy.copy(model.state_dict()).items()}
