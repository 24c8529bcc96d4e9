from datetime import date, timedelta

import numpy as np
import pytest
import torch

from dlbook import seqdata as sd


# --- vocabularies, padding, masks -------------------------------------------------------------

def test_vocab_specials_come_first_and_round_trip():
    v = sd.Vocab.from_texts(["hello world"])
    assert v.itos[:4] == ["<pad>", "<bos>", "<eos>", "<unk>"]
    assert (v.pad_id, v.bos_id, v.eos_id, v.unk_id) == (0, 1, 2, 3)
    assert len(v) == 4 + len(set("hello world"))
    ids = v.encode("hello", bos=True, eos=True)
    assert ids[0] == v.bos_id and ids[-1] == v.eos_id and len(ids) == 7
    assert v.decode(ids) == "hello"
    assert v.decode(torch.tensor(ids + [v.stoi["h"]])) == "hello"          # stops at <eos>
    assert v.decode(ids + [v.stoi["h"]], stop_at_eos=False) == "helloh"


def test_vocab_unknown_characters():
    v = sd.Vocab("ab")
    with pytest.raises(ValueError, match="'c' is not in the vocabulary"):
        v.encode("abc")
    assert v.encode("abc", unknown="unk") == [4, 5, v.unk_id]
    assert v.decode([4, v.unk_id]) == "a?"
    with pytest.raises(ValueError, match="single characters"):
        sd.Vocab(["ab"])
    with pytest.raises(ValueError, match="outside the vocabulary"):
        v.decode([99])
    with pytest.raises(TypeError):
        v.encode(["a"])


def test_padding_and_length_mask():
    v = sd.Vocab("abc")
    ids, mask = v.encode_batch(["a", "abc", ""], eos=True)
    assert ids.shape == mask.shape == (3, 4) and mask.dtype == torch.bool
    assert mask.sum(1).tolist() == [2, 4, 1]
    assert (ids[~mask] == v.pad_id).all() and (ids[mask] != v.pad_id).all()
    assert torch.equal(sd.length_mask([2, 4, 1]), mask)
    assert sd.length_mask(torch.tensor([1, 2]), max_len=5).shape == (2, 5)
    with pytest.raises(ValueError, match="shorter than the longest"):
        sd.length_mask([3], max_len=2)
    with pytest.raises(ValueError, match=r"shape \(B,\)"):
        sd.length_mask(torch.ones(2, 2, dtype=torch.long))


# --- dates --------------------------------------------------------------------------------------

def test_date_formats_of_the_issue_examples():
    d = date(2026, 11, 22)
    written = {f: sd.format_date(d, f) for f in sd.DATE_FORMATS}
    assert written["mon_day_year"] == "Nov 22, 2026"
    assert written["weekday_day_month_year"] == "Sunday, 22 November 2026"
    assert written["dd/mm/yy"] == "22/11/26"
    assert written["zh_digits"] == "2026年11月22日"
    assert written["zh_numerals"] == "二〇二六年十一月二十二日"
    assert sd.format_date(date(1950, 10, 1), "zh_numerals") == "一九五〇年十月一日"
    assert [sd.chinese_number(n) for n in (1, 10, 11, 20, 31)] == ["一", "十", "十一", "二十", "三十一"]
    with pytest.raises(ValueError, match="unknown date format"):
        sd.format_date(d, "nope")
    with pytest.raises(ValueError, match="two-digit years"):
        sd.format_date(date(2050, 1, 1), "iso")


def test_every_format_is_one_to_one_over_the_whole_range():
    days = [sd.dates.FIRST_DATE + timedelta(days=i) for i in range((sd.dates.LAST_DATE - sd.dates.FIRST_DATE).days + 1)]
    src, _ = sd.date_vocabs()
    for f in sd.DATE_FORMATS:
        texts = [sd.format_date(d, f) for d in days]
        assert len(set(texts)) == len(days), f"format {f} writes two dates the same way"
        assert all(ch in src for ch in set("".join(texts)))


def test_split_dates_is_disjoint_complete_and_seeded():
    s = sd.split_dates((0.1, 0.2), seed=3)
    total = (sd.dates.LAST_DATE - sd.dates.FIRST_DATE).days + 1
    assert len(s.train) + len(s.val) + len(s.test) == total
    assert len(set(s.train) | set(s.val) | set(s.test)) == total
    assert abs(len(s.test) - 0.2 * total) <= 1
    assert sd.split_dates((0.1, 0.2), seed=3).test == s.test != sd.split_dates((0.1, 0.2), seed=4).test
    with pytest.raises(ValueError):
        sd.split_dates((0.5, 0.6))


def test_date_pairs_and_tensors():
    s = sd.split_dates(seed=0)
    pairs = sd.date_pairs(s.test[:50], per_date=3, seed=1)
    assert len(pairs) == 150 and len({p[0] for p in pairs[:3]}) == 3
    assert all(t == d.isoformat() for (_, t), d in zip(pairs, np.repeat(s.test[:50], 3)))
    src_v, tgt_v = sd.date_vocabs()
    t = sd.date_tensors(pairs, src_v, tgt_v)
    assert t.tgt_in.shape == t.tgt_out.shape == (150, 11)
    assert t.src.shape == t.src_mask.shape and t.src_mask.dtype == torch.bool
    assert (t.tgt_in[:, 0] == tgt_v.bos_id).all() and (t.tgt_out[:, -1] == tgt_v.eos_id).all()
    assert torch.equal(t.tgt_in[:, 1:], t.tgt_out[:, :-1])                  # shifted by one
    assert [src_v.decode(r) for r in t.src[:5]] == [p[0] for p in pairs[:5]]
    assert [tgt_v.decode(r) for r in t.tgt_out[:5]] == [p[1] for p in pairs[:5]]
    assert t.src_mask.sum(1).tolist() == [len(p[0]) for p in pairs]
    with pytest.raises(ValueError, match="per_date"):
        sd.date_pairs(s.test[:2], per_date=0)


# --- the synthetic language ---------------------------------------------------------------------

def test_markov_language_is_a_proper_chain():
    lang = sd.MarkovLanguage(num_words=12, successors=3, seed=1)
    P = lang.transition
    assert np.allclose(P.sum(1), 1) and (P >= 0).all()
    assert np.allclose(lang.stationary @ P, lang.stationary) and np.isclose(lang.stationary.sum(), 1)
    assert (lang.stationary > 0).all() and len(set(lang.words)) == 12


def test_entropy_rate_matches_the_average_nll_of_a_long_sample():
    lang = sd.MarkovLanguage(seed=0)
    text = lang.sample(60_000, seed=5)
    empirical = lang.nll(text) / len(text)
    assert abs(empirical - lang.entropy_rate()) < 0.01 * lang.entropy_rate() + 2e-3
    assert lang.perplexity_floor() == pytest.approx(np.exp(lang.entropy_rate()))


def test_entropy_rate_by_brute_force_for_equal_length_words():
    # all words of length 2 (3 characters with the space): H_char = H_word / 3
    lang = sd.MarkovLanguage(num_words=5, successors=2, seed=2)
    lang.words = ["ab", "cd", "ef", "gh", "ij"]
    P, pi = lang.transition, lang.stationary
    h = -sum(pi[i] * P[i, j] * np.log(P[i, j]) for i in range(5) for j in range(5) if P[i, j] > 0)
    assert lang.entropy_rate() == pytest.approx(h / 3)


def test_language_nll_rejects_foreign_text():
    lang = sd.MarkovLanguage(seed=0)
    with pytest.raises(ValueError, match="not a word"):
        lang.nll("qqq ")
    with pytest.raises(ValueError, match="end with the space"):
        lang.nll(lang.words[0])


# --- long-range tasks ---------------------------------------------------------------------------

def test_adding_problem():
    x, y = sd.adding_problem(64, 30, seed=0)
    assert x.shape == (64, 30, 2) and y.shape == (64,)
    markers = x[..., 1]
    assert (markers.sum(1) == 2).all()
    assert (markers[:, :15].sum(1) == 1).all() and (markers[:, 15:].sum(1) == 1).all()
    assert torch.allclose((x[..., 0] * markers).sum(1), y)
    assert torch.equal(sd.adding_problem(64, 30, seed=0)[1], y)
    with pytest.raises(ValueError):
        sd.adding_problem(4, 1)


def test_first_symbol_recall():
    x, y = sd.first_symbol_recall(100, 20, num_symbols=3, seed=1)
    assert x.shape == (100, 20) and torch.equal(x[:, 0], y)
    assert ((x[:, 1:] >= 3) & (x[:, 1:] < 6)).all() and set(y.tolist()) == {0, 1, 2}


def test_tensor_batches_cover_every_item_once_per_pass():
    a, b, y = torch.arange(10), torch.arange(10) * 2, torch.arange(10) * 3
    batches = sd.TensorBatches((a, b), y, batch_size=4, shuffle=True, seed=0)
    assert len(batches) == 3
    first = list(batches)
    assert [len(t) for _, t in first] == [4, 4, 2]
    seen = torch.cat([t for _, t in first])
    assert sorted(seen.tolist()) == (torch.arange(10) * 3).tolist()
    assert all(torch.equal(xs[1], 2 * xs[0]) and torch.equal(t, 3 * xs[0]) for xs, t in first)
    second = torch.cat([t for _, t in batches])
    assert not torch.equal(seen, second)  # a new order at every pass
    again = torch.cat([t for _, t in sd.TensorBatches((a, b), y, batch_size=4, shuffle=True, seed=0)])
    assert torch.equal(seen, again)
    with pytest.raises(ValueError, match="share their first dimension"):
        sd.InputsTarget((a, b[:3]), y)
