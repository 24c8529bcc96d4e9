"""dlbook.llm.bpe: byte-level BPE against its definition and against tiktoken (skipped without it)."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from dlbook.llm import BPETokenizer, bytes_per_token, load_corpus, pretokenize
from dlbook.llm.bpe import SPLIT_PATTERN


@pytest.fixture(scope="module")
def trained() -> BPETokenizer:
    return BPETokenizer.train(load_corpus("all", "train"), vocab_size=1024)


HELD_OUT = [
    "The quick brown fox can't jump over 1234 lazy dogs -- or can it?\n\n  Indented   text\twith tabs.",
    "Attention(Q, K, V) = softmax(QK^T / sqrt(d)) V, with $d_k = 64$ and 2**10 = 1024.",
    "字节对编码（byte-pair encoding）把常见的字节对合并成词元。大语言模型🙂",
    "snake_case_names and __dunder__ names; émigré, naïve, Ωmega; 3.14159 ² ³",
]


def test_pretokenize_splits_words_numbers_and_punctuation_and_keeps_every_character():
    text = "Hello world, it's 2024!  Ok"
    pieces = pretokenize(text)
    assert "".join(pieces) == text
    assert pieces == ["Hello", " world", ",", " it", "'s", " 2024", "!", " ", " Ok"]
    for t in HELD_OUT:
        assert "".join(pretokenize(t)) == t


def test_first_merge_is_the_most_frequent_pair_and_ids_are_ranks():
    text = "low low low lower lowest newer newer wider"
    tok = BPETokenizer.train(text, vocab_size=256 + 5, special_tokens=())
    counts = Counter()
    for piece, n in Counter(pretokenize(text)).items():
        b = piece.encode()
        for p in zip(b, b[1:]):
            counts[p] += n
    best = max(counts.values())
    top = min(p for p, c in counts.items() if c == best)          # ties: the smallest pair of ids
    assert tok.merges[0] == (top[0], top[1], 256)
    assert [m[2] for m in tok.merges] == list(range(256, 256 + len(tok.merges)))
    assert tok.vocab[256] == bytes(top)
    assert b" low" in tok.ranks                                    # a whole word became one token
    assert tok.encode(" low") == [tok.ranks[b" low"]]


def test_training_stops_when_no_pair_repeats():
    tok = BPETokenizer.train("abcd", vocab_size=300, special_tokens=())
    assert tok.merges == [] and tok.vocab_size == 256


def test_round_trip_on_held_out_text_and_bytes(trained):
    for t in HELD_OUT:
        ids = trained.encode(t)
        assert trained.decode(ids) == t
        assert b"".join(trained.tokens(ids)) == t.encode("utf-8")
    # a token sequence cut inside a character decodes with the replacement character
    ids = trained.encode("汉")
    if len(ids) > 1:
        assert "\ufffd" in trained.decode(ids[:-1])
        with pytest.raises(UnicodeDecodeError):
            trained.decode(ids[:-1], errors="strict")


def test_merges_compress_and_truncation_is_a_smaller_tokenizer(trained):
    text = load_corpus("en", "val")
    assert bytes_per_token(trained.truncated(0), text) == 1.0
    bpt = [bytes_per_token(trained.truncated(k), text) for k in (0, 100, 400, len(trained.merges))]
    assert all(a < b for a, b in zip(bpt, bpt[1:]))
    assert bpt[-1] > 2.0
    small = BPETokenizer.train(load_corpus("all", "train"), vocab_size=256 + 100 + 1)
    assert small.merges == trained.merges[:100]                    # greedy: the first merges do not depend on the size


def test_special_tokens(trained):
    eot = trained.special_tokens["<|endoftext|>"]
    assert eot == trained.vocab_size - 1
    ids = trained.encode("one<|endoftext|>two")
    assert ids.count(eot) == 1 and trained.decode(ids) == "one<|endoftext|>two"
    plain = trained.encode("one<|endoftext|>two", allowed_special="none")
    assert eot not in plain and trained.decode(plain) == "one<|endoftext|>two"
    with pytest.raises(ValueError, match="unknown special"):
        trained.encode("x", allowed_special={"<|pad|>"})


def test_bad_input_errors(trained):
    with pytest.raises(TypeError, match="str"):
        trained.encode(b"bytes")
    with pytest.raises(ValueError, match="not in the vocabulary"):
        trained.decode([trained.vocab_size])
    with pytest.raises(ValueError, match="vocab_size"):
        BPETokenizer.train("abc", vocab_size=100)
    with pytest.raises(ValueError, match="num_merges"):
        trained.truncated(len(trained.merges) + 1)


def test_split_pattern_matches_gpt2_pattern_where_regex_is_installed():
    regex = pytest.importorskip("regex")
    from dlbook.llm.bpe import GPT2_SPLIT_PATTERN

    for t in HELD_OUT[:3] + [load_corpus("all", "val")]:
        assert regex.findall(GPT2_SPLIT_PATTERN, t) == re.findall(SPLIT_PATTERN, t)


def test_same_ids_as_tiktoken_with_our_ranks(trained):
    pytest.importorskip("tiktoken")
    enc = trained.to_tiktoken()
    texts = HELD_OUT + [load_corpus("en", "val"), load_corpus("zh", "val")]
    for t in texts:
        assert enc.encode(t, allowed_special="all") == trained.encode(t)
        assert enc.encode_ordinary(t) == trained.encode_ordinary(t)
    assert enc.encode("a<|endoftext|>b", allowed_special="all") == trained.encode("a<|endoftext|>b")
    assert enc.n_vocab == trained.vocab_size
