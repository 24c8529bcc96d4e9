"""Decoding (解码): turning a language model's next-token logits into text, for the whole course.

One sampling loop, :func:`generate`, serves every causal LM of the course whose forward pass maps
ids ``(B, T)`` to logits ``(B, T, V)``: chapter 4's :class:`dlbook.rnn.CharLM`, chapter 5's
:class:`dlbook.transformer.DecoderOnlyLM` and chapter 10's :class:`dlbook.llm.Llama`. Each step
feeds only the newest token when the model can carry what it has read: a recurrent state
(``forward_with_state(ids, state) -> (logits, state)``) or a key/value cache (``new_caches()``
and ``model(ids, caches, start)``, or ``new_cache(batch, max_len)``), the start/step protocol of
nanoGPT's ``generate`` and Hugging Face's ``GenerationMixin``. ``dlbook.rnn.generate`` and
``dlbook.transformer.generate`` are this loop with their chapters' arguments. One greedy loop,
:func:`greedy_decode`, serves the sequence-to-sequence models (chapter 4's ``Seq2Seq``, chapter 5's
``EncoderDecoder``) through a start/step protocol.

What each strategy does to the next-token scores is a small *logits processor*, a callable
``(ids (B, T), logits (B, V)) -> logits (B, V)``; processors are applied in order, then the next id
is the argmax (greedy decoding, 贪心解码) or a draw from the softmax:

- :class:`Temperature`: ``logits / tau`` (tau < 1 sharpens, tau > 1 flattens);
- :class:`TopK`: keep the ``k`` largest logits (Fan et al., 2018);
- :class:`TopP`: nucleus sampling (核采样), keep the smallest set of ids whose probability mass is
  at least ``p`` (Holtzman et al., 2020, *The curious case of neural text degeneration*);
- :class:`RepetitionPenalty`: CTRL's penalty on ids already in the sequence (Keskar et al., 2019):
  a positive logit is divided by ``theta``, a negative one multiplied by it.

They follow the semantics of Hugging Face ``transformers``' ``TemperatureLogitsWarper``,
``TopKLogitsWarper``, ``TopPLogitsWarper`` and ``RepetitionPenaltyLogitsProcessor`` (the tests
compare them when ``transformers`` is installed). Removed ids get the logit ``-inf``.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Callable, Iterable, Sequence

import torch
from torch import nn

from .utils import check_positive_int

__all__ = [
    "LogitsProcessor",
    "RepetitionPenalty",
    "Temperature",
    "TopK",
    "TopP",
    "complete",
    "distinct_n",
    "generate",
    "greedy_decode",
    "next_token",
]

LogitsProcessor = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def _check_scores(ids: torch.Tensor, logits: torch.Tensor, who: str) -> None:
    if logits.dim() != 2:
        raise ValueError(f"{who} expects logits (B, V), got shape {tuple(logits.shape)}")
    if ids.dim() != 2 or ids.shape[0] != logits.shape[0]:
        raise ValueError(f"{who} expects ids (B, T) with B = {logits.shape[0]}, got shape {tuple(ids.shape)}")


class Temperature:
    """Divide the logits by ``tau`` > 0: ``softmax(z / tau)`` is sharper for tau < 1, flatter for tau > 1."""

    def __init__(self, tau: float):
        if not tau > 0:
            raise ValueError(f"temperature must be > 0, got {tau}")
        self.tau = float(tau)

    def __call__(self, ids: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
        _check_scores(ids, logits, "Temperature")
        return logits / self.tau

    def __repr__(self) -> str:
        return f"Temperature({self.tau:g})"


class TopK:
    """Keep the ``k`` largest logits of each row, set the others to ``-inf``.

    Ties with the ``k``-th largest value are all kept (as ``transformers``' ``TopKLogitsWarper``).
    ``k = 1`` leaves only the argmax: sampling becomes greedy decoding.
    """

    def __init__(self, k: int):
        if not isinstance(k, int) or isinstance(k, bool) or k < 1:
            raise ValueError(f"top-k needs an integer k >= 1, got {k!r}")
        self.k = k

    def __call__(self, ids: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
        _check_scores(ids, logits, "TopK")
        k = min(self.k, logits.shape[-1])
        kth = torch.topk(logits, k, dim=-1).values[:, -1:]          # (B, 1): the k-th largest logit
        return logits.masked_fill(logits < kth, float("-inf"))

    def __repr__(self) -> str:
        return f"TopK({self.k})"


class TopP:
    """Nucleus sampling (Holtzman et al., 2020): keep the smallest set of most likely ids whose
    probabilities sum to at least ``p``; the others get ``-inf``.

    Sorted by probability (descending), id ``i`` is kept when the mass of the ids *before* it is
    still below ``p``; so the most likely id is always kept, and ``p = 1`` keeps every id.
    """

    def __init__(self, p: float):
        if not 0 < p <= 1:
            raise ValueError(f"top-p needs 0 < p <= 1, got {p}")
        self.p = float(p)

    def __call__(self, ids: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
        _check_scores(ids, logits, "TopP")
        sorted_logits, order = torch.sort(logits, dim=-1, descending=True)  # (B, V)
        probs = sorted_logits.softmax(dim=-1)                       # (B, V)
        mass_before = probs.cumsum(dim=-1) - probs                  # (B, V): mass of the more likely ids
        drop_sorted = mass_before >= self.p                         # (B, V), never the first column
        drop = drop_sorted.scatter(-1, order, drop_sorted)          # back to vocabulary order
        return logits.masked_fill(drop, float("-inf"))

    def __repr__(self) -> str:
        return f"TopP({self.p:g})"


class RepetitionPenalty:
    """CTRL's repetition penalty (Keskar et al., 2019, section 4.1) with ``theta`` >= 1 (1.2 in the paper).

    For every id that already occurs in ``ids`` (prompt included) the logit ``z`` becomes ``z / theta``
    when ``z > 0`` and ``z * theta`` when ``z <= 0``: both make the id less likely, whatever the
    sign (dividing a negative logit would make it *more* likely). Counts do not matter, only
    presence.
    """

    def __init__(self, theta: float):
        if not theta > 0:
            raise ValueError(f"repetition penalty must be > 0, got {theta}")
        self.theta = float(theta)

    def __call__(self, ids: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
        _check_scores(ids, logits, "RepetitionPenalty")
        seen = logits.gather(-1, ids)                               # (B, T): the logits of the ids seen
        penalised = torch.where(seen > 0, seen / self.theta, seen * self.theta)
        return logits.scatter(-1, ids, penalised)

    def __repr__(self) -> str:
        return f"RepetitionPenalty({self.theta:g})"


def next_token(ids: torch.Tensor, logits: torch.Tensor, processors: Sequence[LogitsProcessor] = (),
               greedy: bool = False, generator: torch.Generator | None = None) -> torch.Tensor:
    """One decoding step: apply ``processors`` in order to ``logits`` ``(B, V)``, then take the
    argmax (``greedy``) or draw from the softmax. ``ids`` ``(B, T)`` is the sequence so far.

    Returns the next ids ``(B,)``.
    """
    _check_scores(ids, logits, "next_token")
    for proc in processors:
        logits = proc(ids, logits)
    if greedy:
        return logits.argmax(dim=-1)                                # (B,)
    probs = torch.softmax(logits.float(), dim=-1)                   # (B, V); removed ids have probability 0
    return torch.multinomial(probs, 1, generator=generator)[:, 0]   # (B,)


def _max_len(model: nn.Module) -> int | None:
    """The longest sequence a model with learned or tabulated positions can read (None: no limit
    known; RoPE has none, a Llama's cache is sized for the request)."""
    config = getattr(model, "config", None)
    for name in ("max_len", "context_length", "max_position_embeddings"):
        value = getattr(config, name, None)
        if isinstance(value, int):
            return value
    return None


class _Cached:
    """One interface over the three ways the course's LMs carry what they have read: a recurrent
    state, and the two key/value cache conventions."""

    def __init__(self, model: nn.Module, batch_size: int, max_len: int):
        self.model = model
        self.recurrent = callable(getattr(model, "forward_with_state", None))
        if self.recurrent:                                          # CharLM: the RNN's state, None at first
            self.cache = None
        elif callable(getattr(model, "new_cache", None)):           # dlbook.llm.Llama: one preallocated cache
            self.cache = model.new_cache(batch_size, max_len)
        else:                                                       # DecoderOnlyLM: a growing dict per layer
            self.cache = model.new_caches()

    def __call__(self, ids: torch.Tensor, start: int) -> torch.Tensor:
        if self.recurrent:                                          # the state knows where it is
            logits, self.cache = self.model.forward_with_state(ids, self.cache)
            return logits                                           # (B, T, V)
        # both caches take (ids, cache, position of ids[:, 0])
        return self.model(ids, self.cache, start)                   # (B, T, V)


def _has_cache(model: nn.Module) -> bool:
    return any(callable(getattr(model, name, None)) for name in ("forward_with_state", "new_cache", "new_caches"))


@torch.no_grad()
def generate(model: nn.Module, ids: torch.Tensor, max_new_tokens: int,
             processors: Sequence[LogitsProcessor] = (), greedy: bool = False,
             generator: torch.Generator | None = None, eos_id: int | None = None,
             use_cache: bool = True) -> torch.Tensor:
    """Continue each row of ``ids`` ``(B, T0)`` by ``max_new_tokens`` ids, one step at a time.

    At each step the model's logits at the last position go through ``processors`` (e.g.
    ``[RepetitionPenalty(1.2), Temperature(0.7), TopP(0.9)]``) and the next id is their argmax
    (``greedy=True``) or a draw from their softmax (with ``generator`` for reproducible draws).

    Args:
        model: a causal LM, ``model(ids (B, T)) -> logits (B, T, V)``. If it carries a state or a
            key/value cache and ``use_cache`` is True, the prompt is run once and each later step
            feeds only the newest token; the result is the same as re-running the whole sequence.
            Three interfaces are understood: a recurrent model's ``forward_with_state(ids, state)
            -> (logits, state)`` (chapter 4's ``CharLM``), :class:`dlbook.llm.Llama`'s
            ``new_cache(batch_size, max_len)`` with ``model(ids, cache)``, and chapter 5's
            ``DecoderOnlyLM``'s ``new_caches()`` with ``model(ids, caches, start)`` (``start`` = the
            number of earlier tokens).
        ids: the prompts ``(B, T0)``, all of the same length (see :func:`complete` for prompts
            of different lengths); ``T0 >= 1``.
        max_new_tokens: how many ids to add.
        processors: logits processors, applied in order.
        greedy: argmax instead of sampling.
        generator: the random generator of the draws.
        eos_id: once a row has produced this id, it keeps producing it (the row is done; the
            loop stops early when every row is).
        use_cache: use the model's key/value cache when it has one.

    Returns:
        The new ids ``(B, max_new_tokens)`` (fewer columns only if every row stopped early: the
        rest would all be ``eos_id``, so they are filled with it).
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(ids, torch.Tensor) or ids.dim() != 2 or ids.shape[1] == 0 or ids.dtype != torch.long:
        desc = f"{ids.dtype} {tuple(ids.shape)}" if isinstance(ids, torch.Tensor) else type(ids).__name__
        raise ValueError(f"ids must be a non-empty (B, T0) LongTensor of prompts, got {desc}")
    if max_new_tokens < 0:
        raise ValueError(f"max_new_tokens must be >= 0, got {max_new_tokens}")
    limit = _max_len(model)
    if limit is not None and ids.shape[1] + max_new_tokens > limit:
        raise ValueError(f"prompt length {ids.shape[1]} + max_new_tokens {max_new_tokens} exceeds the "
                         f"model's context of {limit} positions")
    was_training = model.training
    model.eval()
    try:
        B = ids.shape[0]
        seq = ids
        cached = _Cached(model, B, ids.shape[1] + max_new_tokens) if use_cache and _has_cache(model) else None
        logits = cached(seq, 0) if cached is not None else model(seq)  # (B, T0, V)
        done = torch.zeros(B, dtype=torch.bool, device=ids.device)
        new = []
        for _ in range(max_new_tokens):
            last = logits[:, -1]                                     # (B, V)
            nxt = next_token(seq, last, processors, greedy, generator)  # (B,)
            if eos_id is not None:
                nxt = nxt.masked_fill(done, eos_id)
                done |= nxt == eos_id
            new.append(nxt)
            seq = torch.cat([seq, nxt[:, None]], dim=1)              # (B, T + 1)
            if eos_id is not None and bool(done.all()):
                break
            if len(new) == max_new_tokens:
                break                                                # no forward pass for an id never used
            if cached is not None:
                logits = cached(nxt[:, None], seq.shape[1] - 1)      # (B, 1, V)
            else:
                logits = model(seq)                                  # (B, T + 1, V)
        out = torch.stack(new, dim=1) if new else ids.new_zeros(B, 0)  # (B, n)
        if out.shape[1] < max_new_tokens:
            out = torch.cat([out, out.new_full((B, max_new_tokens - out.shape[1]), eos_id)], dim=1)
        return out
    finally:
        model.train(was_training)


@torch.no_grad()
def greedy_decode(step: Callable[[torch.Tensor, Any], tuple[torch.Tensor, Any]], state: Any, batch_size: int,
                  max_len: int, bos_id: int, eos_id: int, device: torch.device | str | None = None) -> torch.Tensor:
    """Greedy decoding (贪心解码) of a sequence-to-sequence model: start every row from ``bos_id``,
    feed back the argmax at each step, ``max_len`` steps.

    The model enters through a start/step protocol: it encodes its source and builds the first
    ``state`` (the start), and ``step(prev (B,), state) -> (logits (B, V), new_state)`` runs its
    decoder one step from the previous tokens. The state is whatever the decoder carries: the GRU's
    hidden state (:meth:`dlbook.rnn.Seq2Seq.greedy_decode`), the target prefix or the position of
    the key/value cache (:meth:`dlbook.transformer.EncoderDecoder.greedy_decode`). Once a row has
    produced ``eos_id``, it keeps ``eos_id`` (the step still runs for the whole batch).

    Args:
        step: the decoder's step.
        state: the state after the start.
        batch_size: ``B``.
        max_len: the number of steps, >= 1.
        bos_id, eos_id: the start and end ids.
        device: where the ids live (the model's device).

    Returns:
        The chosen ids ``(B, max_len)``, without ``bos_id``.
    """
    check_positive_int("batch_size", batch_size)
    check_positive_int("max_len", max_len)
    prev = torch.full((batch_size,), bos_id, dtype=torch.long, device=device)  # (B,)
    done = torch.zeros(batch_size, dtype=torch.bool, device=device)  # (B,)
    out = []
    for _ in range(max_len):
        logits, state = step(prev, state)                            # (B, V)
        if logits.shape[0] != batch_size or logits.dim() != 2:
            raise ValueError(f"step must return logits ({batch_size}, V), got {tuple(logits.shape)}")
        prev = logits.argmax(dim=-1).masked_fill(done, eos_id)       # (B,)
        done |= prev == eos_id
        out.append(prev)
    return torch.stack(out, dim=1)                                   # (B, max_len)


def complete(model: nn.Module, prompts: Sequence[Sequence[int]], max_new_tokens: int,
             processors: Sequence[LogitsProcessor] = (), greedy: bool = False,
             generator: torch.Generator | None = None, eos_id: int | None = None,
             use_cache: bool = True, device: torch.device | str | None = None) -> list[list[int]]:
    """:func:`generate` for prompts of different lengths: prompts of equal length are decoded
    together in one batch (no padding, so positions and masks need no care).

    Args:
        prompts: lists of ids.
        device: where to put the ids (the model's device by default).
        others: as for :func:`generate`.

    Returns:
        For each prompt, in the input order, its new ids, cut after the first ``eos_id``
        (which is kept).
    """
    if device is None:
        device = next(iter(model.parameters())).device
    groups: dict[int, list[int]] = defaultdict(list)
    for i, p in enumerate(prompts):
        if len(p) == 0:
            raise ValueError(f"prompt {i} is empty; every prompt needs at least one id")
        groups[len(p)].append(i)
    out: list[list[int]] = [[] for _ in prompts]
    for length in sorted(groups):
        idx = groups[length]
        batch = torch.tensor([list(prompts[i]) for i in idx], dtype=torch.long, device=device)  # (b, length)
        new = generate(model, batch, max_new_tokens, processors, greedy, generator, eos_id, use_cache)
        for row, i in zip(new.tolist(), idx):
            if eos_id is not None and eos_id in row:
                row = row[:row.index(eos_id) + 1]
            out[i] = row
    return out


def distinct_n(sequences: Iterable[Sequence], n: int) -> float:
    """Distinct-n (Li et al., 2016): the number of distinct n-grams over all ``sequences`` divided
    by the number of n-grams; 1 when no n-gram repeats, small for repetitive text.

    Args:
        sequences: token lists or strings (a string's n-grams are of characters).
        n: the n-gram length, >= 1.
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    grams = [tuple(s[i:i + n]) for s in sequences for i in range(len(s) - n + 1)]
    if not grams:
        raise ValueError(f"no sequence is at least {n} long: distinct-{n} is undefined")
    return len(set(grams)) / len(grams)
