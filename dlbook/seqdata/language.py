"""A synthetic language whose entropy rate is known exactly.

Words (pseudo-words spelled in lower-case letters) follow a first-order Markov chain; a text is the
words separated by single spaces. Because the spaces mark word boundaries, the characters determine
the words and vice versa, so the entropy rate of the character stream is the word chain's entropy
rate divided by the mean number of characters per word (its length plus the space):

    H_char = H_word / E_pi[len(w) + 1],   H_word = -sum_i pi_i sum_j P_ij log P_ij,

with pi the chain's stationary distribution. No character language model can have a lower expected
cross-entropy per character on a long text: it is the floor the course compares its models with.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["MarkovLanguage"]

_CONSONANTS = "bdfgklmnprstvz"
_VOWELS = "aeiou"


class MarkovLanguage:
    """A word-level Markov chain spelled in characters.

    Args:
        num_words: size of the word list.
        successors: how many words may follow each word (plus the next word in a fixed cycle,
            which keeps the chain irreducible).
        concentration: Dirichlet concentration of each row's probabilities (small = peaked rows,
            a lower entropy).
        seed: the seed of the words and the transition matrix.

    Attributes:
        words: the word list, ``(V,)`` distinct strings.
        transition: ``(V, V)`` row-stochastic matrix, ``transition[i, j] = P(next = j | current = i)``.
        stationary: ``(V,)`` stationary distribution.
    """

    def __init__(self, num_words: int = 24, successors: int = 4, concentration: float = 1.0, seed: int = 0):
        if num_words < 2 or not 1 <= successors < num_words:
            raise ValueError(f"need num_words >= 2 and 1 <= successors < num_words, got {num_words}, {successors}")
        rng = np.random.default_rng(seed)
        words: list[str] = []
        while len(words) < num_words:  # distinct words of 1-3 consonant-vowel syllables
            n = int(rng.integers(1, 4))
            w = "".join(rng.choice(list(_CONSONANTS)) + rng.choice(list(_VOWELS)) for _ in range(n))
            if w not in words:
                words.append(w)
        self.words = words
        self.index = {w: i for i, w in enumerate(words)}
        P = np.zeros((num_words, num_words))
        for i in range(num_words):
            others = [j for j in range(num_words) if j != (i + 1) % num_words]
            nxt = [(i + 1) % num_words, *rng.choice(others, size=successors, replace=False)]
            P[i, nxt] = rng.dirichlet(np.full(len(nxt), concentration))
        self.transition = P
        # stationary distribution: the left eigenvector of P for eigenvalue 1
        vals, vecs = np.linalg.eig(P.T)
        v = np.real(vecs[:, np.argmin(np.abs(vals - 1))])
        self.stationary = v / v.sum()
        self.alphabet = sorted(set("".join(words)) | {" "})

    @property
    def word_lengths(self) -> np.ndarray:
        """``(V,)`` characters per word, including the space that follows it."""
        return np.array([len(w) + 1 for w in self.words])

    def entropy_rate_per_word(self) -> float:
        """``H_word`` in nats: the expected entropy of the next word given the current one."""
        P = self.transition
        with np.errstate(divide="ignore", invalid="ignore"):
            row_h = -np.where(P > 0, P * np.log(P), 0.0).sum(axis=1)  # (V,)
        return float(self.stationary @ row_h)

    def mean_chars_per_word(self) -> float:
        """``E_pi[len(w) + 1]``."""
        return float(self.stationary @ self.word_lengths)

    def entropy_rate(self) -> float:
        """Entropy rate of the character stream, in nats per character."""
        return self.entropy_rate_per_word() / self.mean_chars_per_word()

    def perplexity_floor(self) -> float:
        """``exp(entropy_rate())``: the lowest per-character perplexity any model can expect."""
        return math.exp(self.entropy_rate())

    def sample_words(self, num_words: int, seed: int = 0) -> list[str]:
        """A run of the chain, its first word drawn from the stationary distribution."""
        rng = np.random.default_rng(seed)
        V = len(self.words)
        cum = np.cumsum(self.transition, axis=1)
        state = int(rng.choice(V, p=self.stationary))
        out = [state]
        u = rng.random(num_words - 1)
        for k in range(num_words - 1):
            state = min(int(np.searchsorted(cum[state], u[k], side="right")), V - 1)
            out.append(state)
        return [self.words[i] for i in out]

    def sample(self, num_words: int, seed: int = 0) -> str:
        """A text of ``num_words`` words, each followed by a space."""
        return "".join(w + " " for w in self.sample_words(num_words, seed))

    def nll(self, text: str) -> float:
        """The true model's negative log-likelihood of ``text`` in nats: ``-log pi(w_1) -
        sum_k log P(w_k | w_{k-1})``. ``text`` must be whole words, each followed by a space."""
        if not text.endswith(" "):
            raise ValueError("text must end with the space after its last word")
        ids = []
        for w in text[:-1].split(" "):
            if w not in self.index:
                raise ValueError(f"{w!r} is not a word of this language")
            ids.append(self.index[w])
        total = -math.log(self.stationary[ids[0]])
        for a, b in zip(ids, ids[1:]):
            p = self.transition[a, b]
            if p == 0:
                return math.inf
            total -= math.log(p)
        return total
