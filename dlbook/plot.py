"""Plotting helpers: training curves, decision boundaries, image grids, function curves, and
(re-exported from :mod:`dlbook.diagram`) architecture diagrams drawn from a model.

Every function draws on a given ``ax`` (or a new figure), labels its axes and returns the
``Axes`` so a notebook can add to it; call ``plt.show()`` to end the cell.
"""

from __future__ import annotations

from typing import Callable, Iterable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch

from .diagram import draw_architecture, draw_architectures  # block diagrams live in dlbook.diagram; re-exported here
from .utils import eval_mode

__all__ = ["plot_history", "plot_decision_boundary", "show_images", "plot_functions", "use_book_style",
           "draw_architecture", "draw_architectures"]


def use_book_style() -> None:
    """Small, light figures: modest size and DPI keep committed notebook outputs small."""
    plt.rcParams.update(
        {
            "figure.figsize": (6.0, 3.6),
            "figure.dpi": 72,
            "savefig.dpi": 72,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "font.size": 10,
        }
    )


def _axes(ax):
    if ax is None:
        _, ax = plt.subplots()
    return ax


def plot_history(history, keys: Iterable[str] | None = None, ax=None, title: str | None = None):
    """Plot records of a :class:`dlbook.train.History` against the epoch number.

    Args:
        history: the history returned by :func:`dlbook.fit`.
        keys: which records to draw; default all ``*_loss`` records.
    """
    keys = list(keys) if keys is not None else [k for k in history.keys() if k.endswith("loss")]
    if not keys:
        raise ValueError(f"nothing to plot; the history has {history.keys()}")
    ax = _axes(ax)
    for key in keys:
        values = history[key]
        ax.plot(range(1, len(values) + 1), values, label=key, marker="o" if len(values) <= 20 else None, ms=3)
    ax.set_xlabel("epoch")
    ax.set_ylabel(", ".join(sorted({k.split("_", 1)[-1] for k in keys})))
    ax.set_title(title or "training history")
    ax.legend()
    return ax


def plot_decision_boundary(
    predict: Callable[[torch.Tensor], torch.Tensor] | torch.nn.Module,
    X: torch.Tensor,
    y: torch.Tensor,
    ax=None,
    resolution: int = 200,
    margin: float = 0.5,
    title: str | None = None,
    cmap: str = "coolwarm",
):
    """Shade the classes a 2-D classifier predicts over the plane, with the data on top.

    Args:
        predict: model or function mapping ``(N, 2)`` points to scores ``(N, C)`` (argmax is
            taken), or ``(N,)`` / ``(N, 1)`` scores of a binary classifier (class 1 above 0).
        X: points ``(N, 2)``.
        y: labels ``(N,)``.
        resolution: grid points per axis.
    """
    X = torch.as_tensor(X)
    if X.dim() != 2 or X.shape[1] != 2:
        raise ValueError(f"plot_decision_boundary needs 2-D points of shape (N, 2), got {tuple(X.shape)}")
    ax = _axes(ax)
    x0, x1 = X[:, 0].min().item() - margin, X[:, 0].max().item() + margin
    y0, y1 = X[:, 1].min().item() - margin, X[:, 1].max().item() + margin
    gx, gy = torch.meshgrid(torch.linspace(x0, x1, resolution), torch.linspace(y0, y1, resolution), indexing="xy")
    grid = torch.stack([gx.reshape(-1), gy.reshape(-1)], dim=1)  # (R*R, 2)
    module = predict if isinstance(predict, torch.nn.Module) else None
    if module is not None:
        grid = grid.to(next(module.parameters()).device)
    with eval_mode(module), torch.no_grad():
        scores = torch.as_tensor(predict(grid)).detach().cpu()
    if scores.dim() == 2 and scores.shape[1] > 1:
        labels = scores.argmax(1)
    else:
        labels = (scores.reshape(-1) > 0).long()
    n_classes = int(max(labels.max().item(), torch.as_tensor(y).max().item())) + 1
    ax.contourf(
        gx.numpy(), gy.numpy(), labels.reshape(resolution, resolution).numpy(),
        levels=np.arange(n_classes + 1) - 0.5, cmap=cmap, alpha=0.3,
    )
    ax.scatter(X[:, 0].cpu(), X[:, 1].cpu(), c=torch.as_tensor(y).cpu(), cmap=cmap, s=12, edgecolors="k", linewidths=0.3,
               vmin=0, vmax=max(n_classes - 1, 1))
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    if title:
        ax.set_title(title)
    return ax


def show_images(
    images: torch.Tensor,
    labels: Sequence | torch.Tensor | None = None,
    ncols: int = 8,
    cmap: str = "gray",
    title: str | None = None,
    scale: float = 1.0,
):
    """Show a batch of images in a grid.

    Args:
        images: ``(N, H, W)``, ``(N, 1, H, W)`` or ``(N, 3, H, W)``; each image is scaled
            to its own range for display.
        labels: one caption per image.
        ncols: images per row.

    Returns:
        The figure.
    """
    images = torch.as_tensor(images).detach().cpu().float()
    if images.dim() == 4 and images.shape[1] in (1, 3):
        images = images.permute(0, 2, 3, 1)  # (N, H, W, C)
        if images.shape[-1] == 1:
            images = images[..., 0]
    elif images.dim() != 3:
        raise ValueError(f"show_images expects (N, H, W) or (N, C, H, W) with C in (1, 3), got {tuple(images.shape)}")
    n = len(images)
    if n == 0:
        raise ValueError("show_images got no images")
    ncols = min(ncols, n)
    nrows = (n + ncols - 1) // ncols
    fig, axes = plt.subplots(nrows, ncols, figsize=(scale * 1.1 * ncols, scale * 1.2 * nrows), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= n:
            continue
        img = images[i]
        lo, hi = img.min(), img.max()
        ax.imshow(((img - lo) / (hi - lo + 1e-8)).numpy(), cmap=cmap if img.dim() == 2 else None)
        if labels is not None:
            ax.set_title(str(labels[i].item() if isinstance(labels[i], torch.Tensor) else labels[i]), fontsize=9)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_functions(
    functions: Mapping[str, Callable[[torch.Tensor], torch.Tensor]],
    x_range: tuple[float, float] = (-4.0, 4.0),
    ax=None,
    n: int = 401,
    title: str | None = None,
    xlabel: str = "$x$",
    ylabel: str = "$f(x)$",
):
    """Plot several scalar functions of one variable on shared axes.

    Args:
        functions: ``{label: f}`` where ``f`` maps a 1-D tensor to a tensor of the same shape.
        x_range: ``(low, high)``.
    """
    lo, hi = x_range
    if not lo < hi:
        raise ValueError(f"x_range must be (low, high) with low < high, got {x_range}")
    ax = _axes(ax)
    x = torch.linspace(lo, hi, n)
    for label, f in functions.items():
        y = torch.as_tensor(f(x)).detach()
        if y.shape != x.shape:
            raise ValueError(f"function {label!r} returned shape {tuple(y.shape)} for input {tuple(x.shape)}")
        ax.plot(x.numpy(), y.numpy(), label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.legend()
    return ax
