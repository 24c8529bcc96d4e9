"""Byte-level byte-pair encoding (BPE): training the merges, encoding, decoding, special tokens.

Sennrich, Haddow and Birch (2016) learn a subword vocabulary by repeatedly merging the most
frequent adjacent pair of symbols; GPT-2 (Radford et al., 2019) runs it on the UTF-8 *bytes* of
the text, so every string can be encoded (no unknown token) with a base vocabulary of 256.

- **Pre-tokenisation.** The text is first split by a regular expression into pieces (words with
  their leading space, runs of digits, runs of punctuation, whitespace); merges never cross a piece
  boundary. GPT-2's pattern uses Unicode classes ``\\p{L}`` / ``\\p{N}`` of the third-party
  ``regex`` module (:data:`GPT2_SPLIT_PATTERN`); :data:`SPLIT_PATTERN` is our approximation with the
  standard library's ``re``: a letter is ``[^\\W\\d_]`` (a word character that is not a digit or
  ``_``), a number ``\\d`` (Unicode decimal digits; GPT-2's ``\\p{N}`` also counts e.g. ``²`` and
  ``Ⅻ``). They split English and Chinese text the same way.
- **Training** (:meth:`BPETokenizer.train`): count the pieces, then merge the most frequent pair of
  adjacent tokens (ties: the smallest pair of ids), ``vocab_size - 256 - len(special_tokens)``
  times. Each merge gets the next id, so the ids are the *ranks* of the merges.
- **Encoding** (:meth:`BPETokenizer.encode`): per piece, start from its bytes and repeatedly merge
  the adjacent pair whose concatenation has the lowest rank, as ``tiktoken`` does (its
  ``_educational.py``); so ``tiktoken.Encoding(name, pat_str=SPLIT_PATTERN, mergeable_ranks=tok.ranks,
  special_tokens=tok.special_tokens)`` gives the same ids (:meth:`to_tiktoken`; tests/test_bpe.py).
- **Special tokens** (``<|endoftext|>``) get the ids after the merges and are matched before
  pre-tokenisation; they never come out of ordinary text unless allowed.
"""

from __future__ import annotations

import heapq
import re
from collections import Counter
from collections.abc import Collection, Iterable, Sequence

__all__ = ["BPETokenizer", "GPT2_SPLIT_PATTERN", "SPLIT_PATTERN", "bytes_per_token", "pretokenize"]

#: GPT-2's pre-tokenisation pattern (needs the ``regex`` module or tiktoken; shown for reference).
GPT2_SPLIT_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
#: Our approximation of it with the standard library's ``re`` (also valid for tiktoken's engine).
SPLIT_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?[^\W\d_]+| ?\d+| ?(?:[^\s\w]|_)+|\s+(?!\S)|\s+"""

_SPLIT = re.compile(SPLIT_PATTERN)


def pretokenize(text: str) -> list[str]:
    """Split ``text`` into the pieces BPE works inside (:data:`SPLIT_PATTERN`); they concatenate back to ``text``."""
    return _SPLIT.findall(text)


class BPETokenizer:
    """A byte-level BPE tokenizer (Sennrich et al., 2016; Radford et al., 2019).

    Attributes:
        merges: ``[(left_id, right_id, new_id), ...]`` in the order they were learned.
        vocab: ``vocab[id]`` is the token's bytes, for the ``256 + len(merges)`` ordinary ids.
        ranks: ``{bytes: id}`` of the ordinary tokens (tiktoken's ``mergeable_ranks``).
        special_tokens: ``{text: id}``, ids after the ordinary ones.
    """

    def __init__(self, merges: Sequence[tuple[int, int, int]] = (), special_tokens: Iterable[str] = ()):
        self.merges = [tuple(m) for m in merges]
        self.vocab: list[bytes] = [bytes([b]) for b in range(256)]
        for a, b, new in self.merges:
            if new == len(self.vocab):
                self.vocab.append(self.vocab[a] + self.vocab[b])
            elif new >= len(self.vocab) or self.vocab[new] != self.vocab[a] + self.vocab[b]:
                raise ValueError(f"merge {(a, b, new)} does not fit the vocabulary of {len(self.vocab)} tokens")
        self.ranks = {t: i for i, t in enumerate(self.vocab)}
        self.special_tokens = {s: len(self.vocab) + i for i, s in enumerate(special_tokens)}
        self._inverse_special = {i: s for s, i in self.special_tokens.items()}
        self._cache: dict[str, list[int]] = {}

    @property
    def vocab_size(self) -> int:
        """Ordinary tokens plus special tokens."""
        return len(self.vocab) + len(self.special_tokens)

    def __repr__(self) -> str:
        return f"BPETokenizer(vocab_size={self.vocab_size}, merges={len(self.merges)}, special={list(self.special_tokens)})"

    # ------------------------------------------------------------------ training
    @classmethod
    def train(cls, text: str, vocab_size: int, special_tokens: Iterable[str] = ("<|endoftext|>",)) -> "BPETokenizer":
        """Learn merges on ``text`` until the vocabulary (256 bytes + merges + special tokens) has
        ``vocab_size`` entries, or no pair occurs twice.

        The pair counts are kept up to date incrementally (only the pieces that contain the merged
        pair are re-counted), so a few thousand merges on a few hundred KB take seconds.
        """
        special_tokens = list(special_tokens)
        n_merges = vocab_size - 256 - len(special_tokens)
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        if n_merges < 0:
            raise ValueError(f"vocab_size must be >= 256 + {len(special_tokens)} special tokens, got {vocab_size}")
        piece_counts = Counter(pretokenize(text))
        words = [list(p.encode("utf-8")) for p in piece_counts]     # each piece as a list of ids
        freqs = list(piece_counts.values())
        pair_counts: Counter = Counter()
        where: dict[tuple[int, int], set[int]] = {}
        for w, (ids, f) in enumerate(zip(words, freqs)):
            for p in zip(ids, ids[1:]):
                pair_counts[p] += f
                where.setdefault(p, set()).add(w)
        heap = [(-c, p) for p, c in pair_counts.items()]
        heapq.heapify(heap)
        vocab = [bytes([b]) for b in range(256)]
        known = {t: i for i, t in enumerate(vocab)}
        merges: list[tuple[int, int, int]] = []
        while len(vocab) < 256 + n_merges and heap:
            neg, pair = heapq.heappop(heap)
            if pair_counts.get(pair, 0) != -neg:
                continue                                            # a stale heap entry
            if -neg < 2:
                break
            a, b = pair
            merged = vocab[a] + vocab[b]
            new = known.get(merged)
            if new is None:                                         # (the same bytes may come from another pair)
                new = len(vocab)
                vocab.append(merged)
                known[merged] = new
            merges.append((a, b, new))
            changed = set()
            for w in where.pop(pair, ()):
                ids, f = words[w], freqs[w]
                if len(ids) < 2:
                    continue
                for p in zip(ids, ids[1:]):
                    pair_counts[p] -= f
                    changed.add(p)
                out, i = [], 0
                while i < len(ids):
                    if i + 1 < len(ids) and ids[i] == a and ids[i + 1] == b:
                        out.append(new)
                        i += 2
                    else:
                        out.append(ids[i])
                        i += 1
                words[w] = out
                for p in zip(out, out[1:]):
                    pair_counts[p] += f
                    changed.add(p)
                    where.setdefault(p, set()).add(w)
            pair_counts.pop(pair, None)
            for p in changed:
                c = pair_counts.get(p, 0)
                if c > 0:
                    heapq.heappush(heap, (-c, p))
                else:
                    pair_counts.pop(p, None)
        return cls(merges, special_tokens)

    def truncated(self, num_merges: int) -> "BPETokenizer":
        """The tokenizer of the first ``num_merges`` merges (what training would have given with a
        smaller vocabulary: training is greedy, so its first merges do not depend on the target size)."""
        if not 0 <= num_merges <= len(self.merges):
            raise ValueError(f"num_merges must be in [0, {len(self.merges)}], got {num_merges}")
        return BPETokenizer(self.merges[:num_merges], self.special_tokens)

    # ------------------------------------------------------------------ encoding
    def _encode_piece(self, piece: str) -> list[int]:
        ids = self._cache.get(piece)
        if ids is not None:
            return ids
        parts = [bytes([b]) for b in piece.encode("utf-8")]
        while len(parts) > 1:
            best_rank, best_i = None, -1
            for i in range(len(parts) - 1):
                r = self.ranks.get(parts[i] + parts[i + 1])
                if r is not None and (best_rank is None or r < best_rank):
                    best_rank, best_i = r, i
            if best_rank is None:
                break
            parts[best_i:best_i + 2] = [parts[best_i] + parts[best_i + 1]]
        ids = [self.ranks[p] for p in parts]
        self._cache[piece] = ids
        return ids

    def encode_ordinary(self, text: str) -> list[int]:
        """Ids of ``text``, special-token strings treated as ordinary text."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        return [i for piece in pretokenize(text) for i in self._encode_piece(piece)]

    def encode(self, text: str, allowed_special: Collection[str] | str = "all") -> list[int]:
        """Ids of ``text``. Special tokens in ``allowed_special`` (``"all"``, ``"none"`` or a set of
        strings) become their single id; others are encoded as ordinary text."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        if allowed_special == "all":
            allowed = set(self.special_tokens)
        elif allowed_special == "none":
            allowed = set()
        else:
            allowed = set(allowed_special)
            unknown = allowed - set(self.special_tokens)
            if unknown:
                raise ValueError(f"unknown special tokens {sorted(unknown)}; this tokenizer has {list(self.special_tokens)}")
        if not allowed:
            return self.encode_ordinary(text)
        ids, start = [], 0
        pattern = re.compile("|".join(re.escape(s) for s in sorted(allowed, key=len, reverse=True)))
        for m in pattern.finditer(text):
            ids += self.encode_ordinary(text[start:m.start()])
            ids.append(self.special_tokens[m.group()])
            start = m.end()
        return ids + self.encode_ordinary(text[start:])

    def decode_bytes(self, ids: Iterable[int]) -> bytes:
        """The bytes of ``ids`` (special tokens as their UTF-8 text)."""
        out = []
        for i in ids:
            i = int(i)
            if 0 <= i < len(self.vocab):
                out.append(self.vocab[i])
            elif i in self._inverse_special:
                out.append(self._inverse_special[i].encode("utf-8"))
            else:
                raise ValueError(f"id {i} is not in the vocabulary of {self.vocab_size} tokens")
        return b"".join(out)

    def decode(self, ids: Iterable[int], errors: str = "replace") -> str:
        """The text of ``ids``; a token sequence that ends inside a UTF-8 character decodes with
        U+FFFD unless ``errors="strict"``."""
        return self.decode_bytes(ids).decode("utf-8", errors=errors)

    def tokens(self, ids: Iterable[int]) -> list[bytes]:
        """Each id's bytes, to look at how a text was split."""
        return [self.decode_bytes([i]) for i in ids]

    def to_tiktoken(self, name: str = "dlbook-bpe"):
        """The same tokenizer as a ``tiktoken.Encoding`` (our ranks and pattern; nothing is downloaded)."""
        import tiktoken

        return tiktoken.Encoding(name=name, pat_str=SPLIT_PATTERN, mergeable_ranks=dict(self.ranks),
                                 special_tokens=dict(self.special_tokens))


def bytes_per_token(tokenizer: BPETokenizer, text: str) -> float:
    """Compression: UTF-8 bytes of ``text`` per token (1.0 with no merges)."""
    n = len(tokenizer.encode_ordinary(text))
    if n == 0:
        raise ValueError("text is empty")
    return len(text.encode("utf-8")) / n
