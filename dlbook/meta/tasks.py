"""Task distributions for meta-learning: the sinusoid family and N-way K-shot episodes.

A *task* (任务) is a small learning problem: a support set (支持集) to adapt on and a query
set (查询集) to be scored on. Meta-learning trains across many tasks drawn from one
distribution, and is evaluated on tasks it has never seen.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch

from .. import regularization

__all__ = [
    "SINUSOID_AMPLITUDE",
    "SINUSOID_PHASE",
    "SINUSOID_X",
    "SinusoidTasks",
    "Episode",
    "sample_sinusoid_tasks",
    "sinusoid",
    "episode_indices",
    "sample_episode",
    "rotated_digit_classes",
    "random_shift",
]

#: Ranges of the sinusoid task family of Finn et al. (2017), section 5.1.
SINUSOID_AMPLITUDE = (0.1, 5.0)
SINUSOID_PHASE = (0.0, math.pi)
SINUSOID_X = (-5.0, 5.0)


class SinusoidTasks(NamedTuple):
    """A batch of ``T`` sinusoid regression tasks ``y = A sin(x - phase)``.

    Shapes: ``amplitude`` and ``phase`` ``(T,)``; ``x_support``, ``y_support`` ``(T, K, 1)``;
    ``x_query``, ``y_query`` ``(T, Q, 1)``.
    """

    amplitude: torch.Tensor
    phase: torch.Tensor
    x_support: torch.Tensor
    y_support: torch.Tensor
    x_query: torch.Tensor
    y_query: torch.Tensor


def sinusoid(x: torch.Tensor, amplitude: torch.Tensor, phase: torch.Tensor) -> torch.Tensor:
    """``amplitude * sin(x - phase)`` with ``amplitude`` and ``phase`` of shape ``(T,)`` broadcast
    over ``x`` of shape ``(T, K, 1)`` (or scalars with any ``x``)."""
    amplitude, phase = torch.as_tensor(amplitude), torch.as_tensor(phase)
    if amplitude.dim() == 1:
        if x.dim() != 3 or x.shape[0] != amplitude.shape[0]:
            raise ValueError(
                f"x must have shape (T, K, 1) with T = {amplitude.shape[0]} amplitudes, got {tuple(x.shape)}"
            )
        amplitude, phase = amplitude.view(-1, 1, 1), phase.view(-1, 1, 1)  # (T, 1, 1)
    return amplitude * torch.sin(x - phase)


def _check_count(name: str, value: int, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    return value


def sample_sinusoid_tasks(
    n_tasks: int,
    k_support: int = 10,
    k_query: int = 10,
    generator: torch.Generator | None = None,
    amplitude_range: tuple[float, float] = SINUSOID_AMPLITUDE,
    phase_range: tuple[float, float] = SINUSOID_PHASE,
    x_range: tuple[float, float] = SINUSOID_X,
) -> SinusoidTasks:
    """Draw ``n_tasks`` sinusoid tasks of the MAML paper (Finn et al., 2017, section 5.1).

    Amplitude uniform in [0.1, 5], phase uniform in [0, pi], inputs uniform in [-5, 5], no noise.

    Args:
        n_tasks: ``T``, the number of tasks.
        k_support: ``K``, support points per task (K = 10 in the paper's main results).
        k_query: query points per task.
        generator: a seeded ``torch.Generator`` for reproducible draws.
        amplitude_range, phase_range, x_range: the family's ranges (change them to test
            outside the training distribution).

    Returns:
        :class:`SinusoidTasks` with support ``(T, K, 1)`` and query ``(T, Q, 1)`` tensors.
    """
    n_tasks = _check_count("n_tasks", n_tasks)
    k_support = _check_count("k_support", k_support, 0)
    k_query = _check_count("k_query", k_query, 0)
    for name, (lo, hi) in (("amplitude_range", amplitude_range), ("phase_range", phase_range), ("x_range", x_range)):
        if not lo <= hi:
            raise ValueError(f"{name} must be (low, high) with low <= high, got {(lo, hi)}")

    def uniform(shape: tuple[int, ...], lo: float, hi: float) -> torch.Tensor:
        return lo + (hi - lo) * torch.rand(shape, generator=generator)

    amplitude = uniform((n_tasks,), *amplitude_range)  # (T,)
    phase = uniform((n_tasks,), *phase_range)  # (T,)
    x_s = uniform((n_tasks, k_support, 1), *x_range)  # (T, K, 1)
    x_q = uniform((n_tasks, k_query, 1), *x_range)  # (T, Q, 1)
    return SinusoidTasks(amplitude, phase, x_s, sinusoid(x_s, amplitude, phase), x_q, sinusoid(x_q, amplitude, phase))


class Episode(NamedTuple):
    """One N-way K-shot episode. Labels are relabelled ``0..N-1`` in the order of ``classes``.

    Shapes: ``support_x`` ``(N*K, ...)``, ``support_y`` ``(N*K,)``, ``query_x`` ``(N*Q, ...)``,
    ``query_y`` ``(N*Q,)``, ``classes`` ``(N,)`` (the original class ids).
    """

    support_x: torch.Tensor
    support_y: torch.Tensor
    query_x: torch.Tensor
    query_y: torch.Tensor
    classes: torch.Tensor


def episode_indices(
    labels: torch.Tensor,
    n_way: int,
    k_shot: int,
    n_query: int,
    generator: torch.Generator | None = None,
    classes: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Indices of an N-way K-shot episode drawn from a labelled pool.

    ``n_way`` classes are drawn without replacement from ``classes`` (default: every label in
    ``labels``); from each, ``k_shot + n_query`` distinct examples, the first ``k_shot`` for the
    support set and the rest for the query set (so the two never share an example).

    Args:
        labels: class ids ``(M,)`` of the pool.
        n_way, k_shot, n_query: ``N``, ``K`` and query examples per class.
        generator: a seeded ``torch.Generator``.
        classes: the class ids allowed in this episode (e.g. the meta-test classes).

    Returns:
        ``(support_idx (N*K,), query_idx (N*Q,), chosen classes (N,))``; indices are ordered
        class by class, so the episode label of ``support_idx[i]`` is ``i // K``.

    Raises:
        ValueError: if ``N`` exceeds the classes available or ``K + Q`` the examples of a class.
    """
    if not isinstance(labels, torch.Tensor) or labels.dim() != 1:
        got = tuple(labels.shape) if isinstance(labels, torch.Tensor) else type(labels).__name__
        raise ValueError(f"labels must be a 1-D tensor of class ids (M,), got {got}")
    n_way = _check_count("n_way", n_way)
    k_shot = _check_count("k_shot", k_shot)
    n_query = _check_count("n_query", n_query, 0)
    pool = labels.unique() if classes is None else torch.as_tensor(classes).unique()
    if n_way > len(pool):
        raise ValueError(f"an episode of {n_way} ways needs {n_way} classes, only {len(pool)} are available")
    chosen = pool[torch.randperm(len(pool), generator=generator)[:n_way]]  # (N,)
    support, query = [], []
    for c in chosen.tolist():
        members = (labels == c).nonzero().flatten()  # (M_c,)
        if k_shot + n_query > len(members):
            raise ValueError(
                f"class {c} has {len(members)} examples, fewer than k_shot + n_query = {k_shot} + {n_query}"
            )
        picked = members[torch.randperm(len(members), generator=generator)[: k_shot + n_query]]
        support.append(picked[:k_shot])
        query.append(picked[k_shot:])
    return torch.cat(support), torch.cat(query), chosen


def sample_episode(
    x: torch.Tensor,
    labels: torch.Tensor,
    n_way: int,
    k_shot: int,
    n_query: int,
    generator: torch.Generator | None = None,
    classes: torch.Tensor | None = None,
) -> Episode:
    """An :class:`Episode` of ``x`` (``(M, ...)``) drawn by :func:`episode_indices`."""
    if len(x) != len(labels):
        raise ValueError(f"x and labels must have the same length, got {len(x)} and {len(labels)}")
    s_idx, q_idx, chosen = episode_indices(labels, n_way, k_shot, n_query, generator, classes)
    ways = torch.arange(n_way)
    return Episode(x[s_idx], ways.repeat_interleave(k_shot), x[q_idx], ways.repeat_interleave(n_query), chosen)


def rotated_digit_classes(normalize: bool = True) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, list[str]]:
    """scikit-learn's digits made into 30 classes by rotation, split by digit for few-shot learning.

    Ten digit classes are too few to hold some out for meta-testing, so each rotation of a digit
    by a multiple of 90 degrees becomes a class of its own (as is done for Omniglot, Santoro et
    al., 2016; Vinyals et al., 2016). Two corrections keep the classes distinct: 9 is dropped
    (a 9 is a 6 turned by 180 degrees, so "6 at 180" and "9 at 0" would be one class under two
    names), and 0, 1 and 8, which look the same turned by 180 degrees, keep only 0 and 90 degrees.
    That gives 6 x 4 + 3 x 2 = 30 classes. Meta-training uses digits 0-5 (20 classes),
    meta-testing digits 6, 7 and 8 (10 classes): the digits seen at test time are new shapes.

    Args:
        normalize: scale pixels to [0, 1] and standardise them with the meta-train mean and std.

    Returns:
        ``(x (M, 1, 8, 8) float32, labels (M,) int64, train_classes (20,), test_classes (10,),
        names)`` where ``names[c]`` is e.g. ``"6@90"``.
    """
    from sklearn.datasets import load_digits as _sk_digits  # bundled with scikit-learn

    raw = _sk_digits()
    images = torch.tensor(raw.images, dtype=torch.float32).unsqueeze(1) / 16.0  # (M0, 1, 8, 8)
    digits = torch.tensor(raw.target, dtype=torch.int64)  # (M0,)
    xs, ys, names, train, test = [], [], [], [], []
    for d in range(9):
        for quarter in ((0, 1) if d in (0, 1, 8) else (0, 1, 2, 3)):
            c = len(names)
            names.append(f"{d}@{90 * quarter}")
            (train if d <= 5 else test).append(c)
            sel = images[digits == d]
            xs.append(torch.rot90(sel, quarter, dims=(2, 3)))  # (M_d, 1, 8, 8)
            ys.append(torch.full((len(sel),), c, dtype=torch.int64))
    x, labels = torch.cat(xs), torch.cat(ys)
    train_classes, test_classes = torch.tensor(train), torch.tensor(test)
    if normalize:
        in_train = torch.isin(labels, train_classes)
        mean, std = x[in_train].mean(), x[in_train].std()
        x = (x - mean) / std
    return x, labels, train_classes, test_classes, names


def random_shift(images: torch.Tensor, max_shift: int = 1, generator: torch.Generator | None = None) -> torch.Tensor:
    """Move each image by a random whole number of pixels, up to ``max_shift`` in each direction.

    The border is extended by repeating its pixels (the background of a digit). Few-shot episodes
    of the digits use this to make the task depend on shape rather than on exact pixel positions:
    without it, prototypes of raw pixels already separate the classes.

    Args:
        images: ``(B, C, H, W)``.
        max_shift: the largest shift, in pixels, along each axis.
        generator: a seeded ``torch.Generator``.

    Returns:
        A tensor of the same shape; image ``b`` is shifted by ``(di, dj)`` drawn uniformly from
        ``{-max_shift, ..., max_shift}^2``.
    """
    if images.dim() != 4:
        raise ValueError(f"images must have shape (B, C, H, W), got {tuple(images.shape)}")
    # the same pad-then-crop as chapter 2's augmentation, one shift per image
    return regularization.random_shift(images, max_shift, padding_mode="replicate", generator=generator)
