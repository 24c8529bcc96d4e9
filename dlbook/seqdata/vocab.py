"""Character vocabularies, padding and length masks for batches of sequences.

Conventions used throughout the course's sequence models:

- ids 0-3 are the special tokens ``<pad>``, ``<bos>`` (begin of sequence), ``<eos>`` (end of
  sequence) and ``<unk>`` (a character the vocabulary does not know);
- a padded batch is ``(B, T)`` of ids with a boolean mask ``(B, T)`` where True marks a real token;
- label positions a loss must skip hold ``-100`` (``nn.CrossEntropyLoss(ignore_index=-100)``).
"""

from __future__ import annotations

from typing import Iterable, Sequence

import torch

__all__ = [
    "BOS",
    "EOS",
    "IGNORE_INDEX",
    "PAD",
    "SPECIALS",
    "UNK",
    "Vocab",
    "length_mask",
    "pad_sequences",
]

PAD, BOS, EOS, UNK = "<pad>", "<bos>", "<eos>", "<unk>"
SPECIALS: tuple[str, ...] = (PAD, BOS, EOS, UNK)
IGNORE_INDEX = -100


class Vocab:
    """A character-level vocabulary: ids 0-3 are ``<pad> <bos> <eos> <unk>``, then the characters.

    Args:
        chars: the characters, in the order they get ids 4, 5, ... (duplicates are ignored; use
            :meth:`from_texts` to collect them from a corpus in sorted order).

    Example::

        v = Vocab.from_texts(["2026-11-22"])
        v.decode(v.encode("2026", eos=True))  # '2026'
    """

    def __init__(self, chars: Iterable[str]):
        itos = list(SPECIALS)
        for ch in chars:
            if not isinstance(ch, str) or len(ch) != 1:
                raise ValueError(f"a Vocab holds single characters, got {ch!r}")
            if ch not in itos:
                itos.append(ch)
        self.itos: list[str] = itos
        self.stoi: dict[str, int] = {s: i for i, s in enumerate(itos)}

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> "Vocab":
        """The vocabulary of every character that occurs in ``texts``, sorted by code point."""
        return cls(sorted(set("".join(texts))))

    pad_id, bos_id, eos_id, unk_id = 0, 1, 2, 3

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, ch: object) -> bool:
        return ch in self.stoi

    def __repr__(self) -> str:
        return f"Vocab({len(self)} tokens: 4 specials + {''.join(self.itos[4:])!r})"

    def encode(self, text: str, bos: bool = False, eos: bool = False, unknown: str = "error") -> list[int]:
        """Ids of the characters of ``text``.

        Args:
            text: the string to encode.
            bos, eos: prepend ``<bos>`` / append ``<eos>``.
            unknown: ``"error"`` raises a ValueError on a character outside the vocabulary,
                ``"unk"`` maps it to ``<unk>``.
        """
        if not isinstance(text, str):
            raise TypeError(f"encode expects a str, got {type(text).__name__}")
        if unknown not in ("error", "unk"):
            raise ValueError(f"unknown must be 'error' or 'unk', got {unknown!r}")
        ids = []
        for ch in text:
            i = self.stoi.get(ch)
            if i is None or i < len(SPECIALS):
                if unknown == "error":
                    raise ValueError(f"character {ch!r} is not in the vocabulary ({len(self)} tokens); "
                                     "pass unknown='unk' to map it to <unk>")
                i = self.unk_id
            ids.append(i)
        return [self.bos_id] * bos + ids + [self.eos_id] * eos

    def decode(self, ids: Iterable[int] | torch.Tensor, stop_at_eos: bool = True) -> str:
        """The string of ``ids``: ``<pad>`` and ``<bos>`` are dropped, ``<unk>`` shows as ``?``,
        and decoding stops at the first ``<eos>`` unless ``stop_at_eos`` is False."""
        if isinstance(ids, torch.Tensor):
            if ids.dim() != 1:
                raise ValueError(f"decode expects one sequence of ids (T,), got shape {tuple(ids.shape)}")
            ids = ids.tolist()
        out = []
        for i in ids:
            i = int(i)
            if not 0 <= i < len(self):
                raise ValueError(f"id {i} is outside the vocabulary (0..{len(self) - 1})")
            if i == self.eos_id and stop_at_eos:
                break
            if i in (self.pad_id, self.bos_id, self.eos_id):
                continue
            out.append("?" if i == self.unk_id else self.itos[i])
        return "".join(out)

    def encode_batch(
        self, texts: Sequence[str], bos: bool = False, eos: bool = False, max_len: int | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Encode and pad a batch: ids ``(B, T)`` (``<pad>`` after the end) and mask ``(B, T)``
        (True = real token), with ``T`` the longest sequence or ``max_len``."""
        return pad_sequences([self.encode(t, bos=bos, eos=eos) for t in texts], self.pad_id, max_len)


def length_mask(lengths: torch.Tensor | Sequence[int], max_len: int | None = None) -> torch.Tensor:
    """Boolean mask ``(B, T)`` with ``mask[b, t] = t < lengths[b]`` (True = real token).

    Args:
        lengths: ``(B,)`` sequence lengths.
        max_len: ``T``; the longest length when None.
    """
    lengths = torch.as_tensor(lengths)
    if lengths.dim() != 1:
        raise ValueError(f"lengths must have shape (B,), got {tuple(lengths.shape)}")
    if len(lengths) and lengths.min() < 0:
        raise ValueError("lengths must be non-negative")
    longest = int(lengths.max()) if len(lengths) else 0
    T = longest if max_len is None else max_len
    if T < longest:
        raise ValueError(f"max_len={max_len} is shorter than the longest sequence ({longest})")
    return torch.arange(T, device=lengths.device)[None, :] < lengths[:, None]  # (B, T)


def pad_sequences(
    seqs: Sequence[Sequence[int]], pad_id: int = 0, max_len: int | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-pad lists of ids into a ``(B, T)`` LongTensor and its boolean mask ``(B, T)``."""
    lengths = torch.tensor([len(s) for s in seqs], dtype=torch.long)
    mask = length_mask(lengths, max_len)
    ids = torch.full(mask.shape, pad_id, dtype=torch.long)
    for b, s in enumerate(seqs):
        ids[b, : len(s)] = torch.as_tensor(list(s), dtype=torch.long)
    return ids, mask
