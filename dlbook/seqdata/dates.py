"""Date normalisation: a date written in many human formats -> its ISO form ``YYYY-MM-DD``.

The course's translation task (sequence-to-sequence with attention, and later Transformers):
"Sunday, 22 November 2026", "22/11/26" or "二〇二六年十一月二十二日" all map to "2026-11-22".
Splits are made by *date*, not by string, so no test date was seen in training in any format.
Only the standard library's ``datetime`` is used; two-digit years are read in the window
1950-2049, the range of dates the task draws from.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Callable, NamedTuple, Sequence

import torch

from .vocab import IGNORE_INDEX, Vocab

__all__ = [
    "DATE_FORMATS",
    "FIRST_DATE",
    "LAST_DATE",
    "DateSplits",
    "DateTensors",
    "chinese_number",
    "date_pairs",
    "date_tensors",
    "date_vocabs",
    "format_date",
    "split_dates",
]

FIRST_DATE, LAST_DATE = date(1950, 1, 1), date(2049, 12, 31)

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_ZH_DIGITS = "〇一二三四五六七八九"


def chinese_number(n: int) -> str:
    """A month or day number (1-99) in Chinese numerals: 10 -> 十, 11 -> 十一, 22 -> 二十二."""
    if not 1 <= n <= 99:
        raise ValueError(f"chinese_number handles 1..99, got {n}")
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _ZH_DIGITS[tens] + "十")
    return head + (_ZH_DIGITS[ones] if ones else "")


DATE_FORMATS: dict[str, Callable[[date], str]] = {
    "iso": lambda d: d.isoformat(),                                                  # 2026-11-22
    "month_day_year": lambda d: f"{MONTHS[d.month - 1]} {d.day}, {d.year}",          # November 22, 2026
    "mon_day_year": lambda d: f"{MONTHS[d.month - 1][:3]} {d.day}, {d.year}",        # Nov 22, 2026
    "weekday_day_month_year": lambda d: f"{WEEKDAYS[d.weekday()]}, {d.day} {MONTHS[d.month - 1]} {d.year}",
    "day_mon_year": lambda d: f"{d.day} {MONTHS[d.month - 1][:3]} {d.year}",         # 22 Nov 2026
    "dd/mm/yy": lambda d: f"{d.day:02d}/{d.month:02d}/{d.year % 100:02d}",           # 22/11/26
    "dd.mm.yyyy": lambda d: f"{d.day:02d}.{d.month:02d}.{d.year}",                   # 22.11.2026
    "yyyy/mm/dd": lambda d: f"{d.year}/{d.month:02d}/{d.day:02d}",                   # 2026/11/22
    "yyyymmdd": lambda d: f"{d.year}{d.month:02d}{d.day:02d}",                       # 20261122
    "zh_digits": lambda d: f"{d.year}年{d.month}月{d.day}日",                          # 2026年11月22日
    "zh_numerals": lambda d: "".join(_ZH_DIGITS[int(c)] for c in str(d.year))
    + f"年{chinese_number(d.month)}月{chinese_number(d.day)}日",                       # 二〇二六年十一月二十二日
}


def format_date(d: date, fmt: str) -> str:
    """``d`` written in the format named ``fmt`` (a key of :data:`DATE_FORMATS`)."""
    if fmt not in DATE_FORMATS:
        raise ValueError(f"unknown date format {fmt!r}; choose from {sorted(DATE_FORMATS)}")
    if not FIRST_DATE <= d <= LAST_DATE:
        raise ValueError(f"dates must lie in {FIRST_DATE}..{LAST_DATE} (two-digit years), got {d}")
    return DATE_FORMATS[fmt](d)


class DateSplits(NamedTuple):
    """Disjoint lists of dates."""

    train: list[date]
    val: list[date]
    test: list[date]


def split_dates(
    fractions: tuple[float, float] = (0.1, 0.1), seed: int = 0, first: date = FIRST_DATE, last: date = LAST_DATE
) -> DateSplits:
    """Every date from ``first`` to ``last``, shuffled and split into train/val/test.

    Args:
        fractions: the validation and test fractions; the rest is for training.
        seed: the shuffle's seed.
    """
    if len(fractions) != 2 or min(fractions) < 0 or sum(fractions) >= 1:
        raise ValueError(f"fractions must be two non-negative (val, test) fractions summing to < 1, got {fractions}")
    if not FIRST_DATE <= first <= last <= LAST_DATE:
        raise ValueError(f"need {FIRST_DATE} <= first <= last <= {LAST_DATE}, got {first}..{last}")
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    random.Random(seed).shuffle(days)
    n_val, n_test = (int(round(f * len(days))) for f in fractions)
    return DateSplits(days[n_val + n_test:], days[:n_val], days[n_val:n_val + n_test])


def date_pairs(
    dates: Sequence[date], formats: Sequence[str] | None = None, per_date: int = 1, seed: int = 0
) -> list[tuple[str, str]]:
    """``(human-written date, ISO date)`` pairs: each date in ``per_date`` formats drawn at random.

    Args:
        dates: the dates (e.g. one split of :func:`split_dates`).
        formats: names from :data:`DATE_FORMATS` to draw from (all of them by default).
        per_date: how many distinct formats per date.
        seed: the seed of the format draws.
    """
    formats = list(DATE_FORMATS) if formats is None else list(formats)
    for f in formats:
        if f not in DATE_FORMATS:
            raise ValueError(f"unknown date format {f!r}; choose from {sorted(DATE_FORMATS)}")
    if not 1 <= per_date <= len(formats):
        raise ValueError(f"per_date must be in 1..{len(formats)}, got {per_date}")
    rng = random.Random(seed)
    return [(format_date(d, f), d.isoformat()) for d in dates for f in rng.sample(formats, per_date)]


def date_vocabs() -> tuple[Vocab, Vocab]:
    """The source vocabulary (every character any format can write) and the target one (ISO)."""
    pieces = MONTHS + WEEKDAYS + ["0123456789", _ZH_DIGITS, "十年月日", " ,./-"]
    return Vocab.from_texts(pieces), Vocab("0123456789-")


class DateTensors(NamedTuple):
    """A date data set as padded tensors, batch first.

    ``src`` ``(N, S)`` source ids and ``src_mask`` ``(N, S)`` (True = real character);
    ``tgt_in`` ``(N, 11)``: ``<bos>`` + the 10 ISO characters, the decoder's teacher-forced input;
    ``tgt_out`` ``(N, 11)``: the 10 ISO characters + ``<eos>``, the labels (-100 where ignored).
    """

    src: torch.Tensor
    src_mask: torch.Tensor
    tgt_in: torch.Tensor
    tgt_out: torch.Tensor


def date_tensors(pairs: Sequence[tuple[str, str]], src_vocab: Vocab, tgt_vocab: Vocab) -> DateTensors:
    """Encode ``(source, target)`` pairs into :class:`DateTensors`."""
    src, src_mask = src_vocab.encode_batch([s for s, _ in pairs])
    tgt, tgt_mask = tgt_vocab.encode_batch([t for _, t in pairs], bos=True, eos=True)  # (N, 12)
    tgt_out = tgt[:, 1:].masked_fill(~tgt_mask[:, 1:], IGNORE_INDEX)
    return DateTensors(src, src_mask, tgt[:, :-1].masked_fill(~tgt_mask[:, :-1], src_vocab.pad_id), tgt_out)
