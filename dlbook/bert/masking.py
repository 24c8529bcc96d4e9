"""The masked-language-model (MLM) corruption of BERT (Devlin et al., 2019, section 3.1).

Each token that is not special is *selected* with probability ``p`` (15% in BERT). A selected token
is replaced by ``[MASK]`` with probability 0.8, by a random token with probability 0.1, and left
unchanged with probability 0.1; the model must predict the original token at every selected
position, and nowhere else. The unchanged 10% keep the model from learning that only ``[MASK]``
positions matter; the random 10% keep it from trusting the visible token blindly.
"""

from __future__ import annotations

from typing import Iterable

import torch

# The label of a position where no prediction is asked (``nn.CrossEntropyLoss``'s default
# ``ignore_index``): one constant for the package, re-exported here as dlbook.bert.IGNORE_INDEX.
from ..seqdata.vocab import IGNORE_INDEX

__all__ = ["IGNORE_INDEX", "mask_tokens"]


def mask_tokens(ids: torch.Tensor, vocab_size: int, mask_id: int, special_ids: Iterable[int] = (),
                p: float = 0.15, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """BERT's 15% / 80-10-10 masking of a batch of token ids.

    Padding is identified by its id: pass the padding id among ``special_ids`` (with ``[CLS]``,
    ``[SEP]``, ...). Positions holding a special id or ``mask_id`` are never selected, and a random
    replacement is drawn uniformly from the ids that are neither special nor ``mask_id`` (it may
    happen to equal the original token, as in BERT).

    The random numbers are drawn in a fixed order from ``generator`` (or torch's global generator):
    ``u = rand(ids.shape)`` selects (``u < p``), ``r = rand(ids.shape)`` picks the action
    (``r < 0.8`` mask, ``0.8 <= r < 0.9`` random, else keep), ``k = randint(n_ordinary, ids.shape)``
    indexes the ordinary ids for the random replacements. Same generator state, same result.

    Args:
        ids: integer token ids, any shape, e.g. ``(B, T)``; not modified.
        vocab_size: ``V``; every id must lie in ``[0, V)``.
        mask_id: the id of ``[MASK]``.
        special_ids: ids never selected nor used as random replacements (``[PAD]``, ``[CLS]``, ``[SEP]``...).
        p: the selection probability, in ``(0, 1]``.
        generator: the source of randomness (for reproducible masks).

    Returns:
        ``(inputs, labels)``, both shaped like ``ids``: ``inputs`` the corrupted ids, ``labels`` the
        original id at selected positions and :data:`IGNORE_INDEX` (-100) elsewhere.
    """
    if not isinstance(ids, torch.Tensor) or ids.dtype not in (torch.int64, torch.int32, torch.int16, torch.uint8, torch.int8):
        raise TypeError(f"ids must be an integer tensor, got {type(ids).__name__}"
                        f"{'' if not isinstance(ids, torch.Tensor) else ' of dtype ' + str(ids.dtype)}")
    if not 0 < p <= 1:
        raise ValueError(f"p must be in (0, 1], got {p}")
    if not 0 <= mask_id < vocab_size:
        raise ValueError(f"mask_id must be in [0, {vocab_size}), got {mask_id}")
    special = sorted({int(s) for s in special_ids} | {int(mask_id)})
    if any(not 0 <= s < vocab_size for s in special):
        raise ValueError(f"special_ids must be in [0, {vocab_size}), got {special}")
    if ids.numel() and (int(ids.min()) < 0 or int(ids.max()) >= vocab_size):
        raise ValueError(f"ids must be in [0, {vocab_size}), got values in [{int(ids.min())}, {int(ids.max())}]")
    is_special = torch.zeros(vocab_size, dtype=torch.bool)
    is_special[special] = True
    ordinary = (~is_special).nonzero().squeeze(1)                    # (n_ordinary,)
    if len(ordinary) == 0:
        raise ValueError("every id is special: nothing can be masked")
    ids = ids.long()
    u = torch.rand(ids.shape, generator=generator)
    selected = (u < p) & ~is_special[ids]
    r = torch.rand(ids.shape, generator=generator)
    k = torch.randint(len(ordinary), ids.shape, generator=generator)
    inputs = ids.clone()
    inputs[selected & (r < 0.8)] = mask_id
    to_random = selected & (r >= 0.8) & (r < 0.9)
    inputs[to_random] = ordinary[k[to_random]]
    labels = torch.where(selected, ids, torch.full_like(ids, IGNORE_INDEX))
    return inputs, labels
