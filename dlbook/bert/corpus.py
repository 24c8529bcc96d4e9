"""A synthetic corpus for pre-training a mini BERT, whose sentences carry a latent *topic*.

Words follow a first-order Markov chain, but each topic ``k`` has its own transition matrix over
the same words: ``P_k = (1 - b) 1 pi_k^T + b sum_j w_j Perm_kj``, a mix of the topic's own word
distribution ``pi_k`` (drawn from a sparse Dirichlet, so topics prefer different, overlapping
words) and a few random permutations (each word has a few likely successors). A downstream task
asks for a sentence's topic.

A document is one run of a topic's chain cut into sentences of ``sentence_len`` words. Masked
language modelling on such text pays for knowing the topic (the masked word depends on its
neighbours through the topic's matrix), and next-sentence prediction does too (a random second
sentence usually comes from another topic and breaks the chain). Because the model is known,
the Bayes-optimal topic classifier is computed exactly (:meth:`TopicLanguage.posterior`): the
ceiling of any classifier.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

__all__ = ["PAD", "CLS", "SEP", "MASK", "SPECIAL_TOKENS", "PairBatch", "TopicLanguage"]

PAD, CLS, SEP, MASK = "[PAD]", "[CLS]", "[SEP]", "[MASK]"
#: The special tokens, ids 0-3 of every :class:`TopicLanguage` vocabulary.
SPECIAL_TOKENS = (PAD, CLS, SEP, MASK)

_CONSONANTS = "bdfgklmnprstvz"
_VOWELS = "aeiou"


@dataclass
class PairBatch:
    """Sentence pairs for BERT's pre-training, ``[CLS] A [SEP] B [SEP]``, all of length ``T = 2 n + 3``.

    Attributes:
        ids: ``(N, T)`` token ids.
        segments: ``(N, T)`` 0 for ``[CLS] A [SEP]``, 1 for ``B [SEP]``.
        is_next: ``(N,)`` 1 when B is the sentence that follows A in its document, 0 when B is a
            sentence of another, random document.
        topics: ``(N,)`` the topic of A.
    """

    ids: torch.Tensor
    segments: torch.Tensor
    is_next: torch.Tensor
    topics: torch.Tensor


class TopicLanguage:
    """Topic-dependent Markov chains over one word list.

    Args:
        num_words: words in the vocabulary (besides the 4 special tokens).
        num_topics: ``K``.
        perms_per_topic: each topic's matrix mixes this many random permutation matrices (each
            word has this many likely successors).
        bigram_weight: ``b``, the weight of the permutations (0: the words of a sentence are
            independent draws from ``pi_k``).
        concentration: of the Dirichlet that draws each ``pi_k`` (small: topics with few favourite words).
        sentence_len: words per sentence ``n``.
        seed: the seed of the words and the matrices.

    Attributes:
        tokens: the vocabulary: the 4 special tokens, then the words; a token's id is its index.
        word_probs: ``(K, W)`` each topic's ``pi_k``; a document's first word is drawn from it.
        transition: ``(K, W, W)`` row-stochastic matrices, ``transition[k, i, j] = P(j | i, topic k)``.
    """

    def __init__(self, num_words: int = 64, num_topics: int = 4, perms_per_topic: int = 3, bigram_weight: float = 0.3,
                 concentration: float = 0.3,
                 sentence_len: int = 8, seed: int = 0):
        if num_words < 2 or num_topics < 1 or perms_per_topic < 1 or not 0 <= bigram_weight <= 1 or concentration <= 0 or sentence_len < 1:
            raise ValueError(f"need num_words >= 2, num_topics >= 1, perms_per_topic >= 1, 0 <= bigram_weight <= 1, "
                             f"concentration > 0, sentence_len >= 1; got {num_words}, {num_topics}, {perms_per_topic}, "
                             f"{bigram_weight}, {concentration}, {sentence_len}")
        rng = np.random.default_rng(seed)
        words: list[str] = []
        while len(words) < num_words:  # distinct pseudo-words of 1-2 consonant-vowel syllables
            w = "".join(rng.choice(list(_CONSONANTS)) + rng.choice(list(_VOWELS)) for _ in range(int(rng.integers(1, 3))))
            if w not in words:
                words.append(w)
        self.words = words
        self.tokens = [*SPECIAL_TOKENS, *words]
        self.index = {t: i for i, t in enumerate(self.tokens)}
        W, K = num_words, num_topics
        self.num_words = W
        # each topic: a word distribution pi_k (Dirichlet(concentration)) and a few permutations;
        # P_k = (1 - bigram_weight) 1 pi_k^T + bigram_weight sum_j w_j Perm_kj
        self.word_probs = rng.dirichlet(np.full(W, concentration), size=K)  # (K, W)
        P = np.zeros((K, W, W))
        for k in range(K):
            weights = rng.dirichlet(np.full(perms_per_topic, 2.0))
            for w in weights:
                P[k, np.arange(W), rng.permutation(W)] += bigram_weight * w
            P[k] += (1 - bigram_weight) * self.word_probs[k][None, :]
        self.transition = P
        self.num_topics, self.sentence_len = K, sentence_len

    # --- the vocabulary -------------------------------------------------------------------
    @property
    def vocab_size(self) -> int:
        return len(self.tokens)

    @property
    def pad_id(self) -> int:
        return self.index[PAD]

    @property
    def cls_id(self) -> int:
        return self.index[CLS]

    @property
    def sep_id(self) -> int:
        return self.index[SEP]

    @property
    def mask_id(self) -> int:
        return self.index[MASK]

    @property
    def special_ids(self) -> tuple[int, ...]:
        """The ids of ``[PAD] [CLS] [SEP] [MASK]``: never masked."""
        return tuple(self.index[t] for t in SPECIAL_TOKENS)

    def encode(self, text: str) -> torch.Tensor:
        """Space-separated tokens -> ids ``(T,)``."""
        try:
            return torch.tensor([self.index[t] for t in text.split()], dtype=torch.long)
        except KeyError as e:
            raise ValueError(f"{e.args[0]!r} is not a token of this language") from None

    def decode(self, ids: torch.Tensor) -> str:
        """Ids ``(T,)`` -> space-separated tokens (padding dropped)."""
        return " ".join(self.tokens[int(i)] for i in ids if int(i) != self.pad_id)

    # --- sampling -------------------------------------------------------------------------
    def _documents(self, num_docs: int, num_sentences: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Word indices ``(D, num_sentences * n)`` (0-based, before the special-token offset) and topics ``(D,)``."""
        W, n = len(self.words), self.sentence_len
        topics = rng.integers(self.num_topics, size=num_docs)
        cum = np.cumsum(self.transition, axis=2)                     # (K, W, W)
        cum[:, :, -1] = 1.0
        words = np.empty((num_docs, num_sentences * n), dtype=np.int64)
        cum0 = np.cumsum(self.word_probs, axis=1)                    # (K, W)
        cum0[:, -1] = 1.0
        words[:, 0] = (rng.random(num_docs)[:, None] >= cum0[topics]).sum(axis=1)  # the first word from pi_k
        u = rng.random((num_docs, num_sentences * n))
        for t in range(1, num_sentences * n):
            rows = cum[topics, words[:, t - 1]]                      # (D, W)
            words[:, t] = (u[:, t, None] >= rows).sum(axis=1)
        return words, topics

    def sentences(self, num: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
        """``num`` single sentences for classification: ``ids (num, n + 2)`` = ``[CLS] words [SEP]``
        and their topics ``(num,)``."""
        rng = np.random.default_rng(seed)
        words, topics = self._documents(num, 1, rng)
        ids = np.concatenate([np.full((num, 1), self.cls_id), words + len(SPECIAL_TOKENS),
                              np.full((num, 1), self.sep_id)], axis=1)
        return torch.from_numpy(ids), torch.from_numpy(topics)

    def pairs(self, num: int, seed: int = 0) -> PairBatch:
        """``num`` pre-training pairs, half with B the next sentence (``is_next = 1``), half with B
        the second sentence of another random document (``is_next = 0``)."""
        rng = np.random.default_rng(seed)
        n, off = self.sentence_len, len(SPECIAL_TOKENS)
        words, topics = self._documents(num, 2, rng)                 # (num, 2n)
        a, b = words[:, :n], words[:, n:].copy()
        is_next = rng.random(num) < 0.5
        other = rng.integers(num - 1, size=num)
        other += other >= np.arange(num)                             # another document, never the same one
        b[~is_next] = words[other[~is_next], n:]
        ids = np.concatenate([np.full((num, 1), self.cls_id), a + off, np.full((num, 1), self.sep_id),
                              b + off, np.full((num, 1), self.sep_id)], axis=1)  # (num, 2n + 3)
        segments = np.zeros_like(ids)
        segments[:, n + 2:] = 1
        return PairBatch(torch.from_numpy(ids), torch.from_numpy(segments),
                         torch.from_numpy(is_next.astype(np.int64)), torch.from_numpy(topics))

    # --- the true model -------------------------------------------------------------------
    def posterior(self, ids: torch.Tensor) -> torch.Tensor:
        """``P(topic | sentence)`` ``(N, K)`` under the true model, for ids ``(N, T)`` from
        :meth:`sentences` (special tokens are skipped; topics are equally likely a priori)."""
        if ids.dim() != 2:
            raise ValueError(f"ids must have shape (N, T), got {tuple(ids.shape)}")
        w = ids.numpy() - len(SPECIAL_TOKENS)
        logP = np.log(self.transition)                               # (K, W, W)
        logpi = np.log(self.word_probs)                              # (K, W)
        ll = np.zeros((len(w), self.num_topics))
        for row, seq in enumerate(w):
            seq = seq[seq >= 0]
            ll[row] = logpi[:, seq[0]] + logP[:, seq[:-1], seq[1:]].sum(axis=1)  # (K,)
        ll -= ll.max(axis=1, keepdims=True)
        p = np.exp(ll)
        return torch.from_numpy(p / p.sum(axis=1, keepdims=True))

    def bayes_accuracy(self, num: int = 20000, seed: int = 12345) -> float:
        """Accuracy of the Bayes-optimal topic classifier, estimated on ``num`` fresh sentences."""
        ids, topics = self.sentences(num, seed)
        return float((self.posterior(ids).argmax(1) == topics).double().mean())
