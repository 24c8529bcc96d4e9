"""Prototypical networks (Snell, Swersky and Zemel, 2017, "Prototypical Networks for Few-shot
Learning"): a class is represented by the mean embedding of its support examples, its
prototype (原型), and a query is classified by its squared Euclidean distance to each prototype.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["prototypes", "protonet_logits", "protonet_loss", "conv_embedding"]


def prototypes(embeddings: torch.Tensor, labels: torch.Tensor, n_way: int) -> torch.Tensor:
    """Mean embedding of each class.

    Args:
        embeddings: support embeddings ``(S, D)``.
        labels: their episode labels ``(S,)`` in ``0..n_way-1``; every class must occur.
        n_way: ``N``.

    Returns:
        Prototypes ``(N, D)``; row ``c`` is the mean of the embeddings labelled ``c``.
    """
    if embeddings.dim() != 2 or labels.shape != embeddings.shape[:1]:
        raise ValueError(
            f"expected embeddings (S, D) and labels (S,), got {tuple(embeddings.shape)} and {tuple(labels.shape)}"
        )
    one_hot = F.one_hot(labels, n_way).to(embeddings.dtype)  # (S, N)
    counts = one_hot.sum(0)  # (N,)
    if (counts == 0).any():
        raise ValueError(f"every class 0..{n_way - 1} needs a support example, counts are {counts.tolist()}")
    return (one_hot.T @ embeddings) / counts[:, None]  # (N, S) @ (S, D) -> (N, D)


def protonet_logits(query: torch.Tensor, protos: torch.Tensor) -> torch.Tensor:
    """Negative squared Euclidean distances, the logits of a prototypical network.

    ``||q - c||^2 = ||q||^2 - 2 q.c + ||c||^2`` (one matrix product instead of a ``(Q, N, D)``
    difference tensor).

    Args:
        query: query embeddings ``(Q, D)``.
        protos: prototypes ``(N, D)``.

    Returns:
        Logits ``(Q, N)``; softmax over them gives the class probabilities.
    """
    if query.dim() != 2 or protos.dim() != 2 or query.shape[1] != protos.shape[1]:
        raise ValueError(f"expected query (Q, D) and prototypes (N, D), got {tuple(query.shape)} and {tuple(protos.shape)}")
    sq = (query**2).sum(1, keepdim=True) - 2 * query @ protos.T + (protos**2).sum(1)  # (Q, 1) - (Q, N) + (N,) -> (Q, N)
    return -sq.clamp_min(0)


def protonet_loss(
    embed: nn.Module, support_x: torch.Tensor, support_y: torch.Tensor, query_x: torch.Tensor, query_y: torch.Tensor, n_way: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Cross-entropy of a prototypical network on one episode.

    Returns:
        ``(loss, logits (Q, N))``.
    """
    protos = prototypes(embed(support_x), support_y, n_way)  # (N, D)
    logits = protonet_logits(embed(query_x), protos)  # (Q, N)
    return F.cross_entropy(logits, query_y), logits


def conv_embedding(channels: int = 32, out: int | None = None, track_running_stats: bool = True) -> nn.Sequential:
    """A small convolutional embedding (or classifier trunk) for 8x8 grey images.

    Two blocks of 3x3 convolution, batch norm, ReLU and 2x2 max pooling, as in the four-block
    network of Vinyals et al. (2016) and Snell et al. (2017), cut to two blocks for 8x8 inputs.

    Args:
        channels: feature maps per block.
        out: add a linear layer to ``out`` units (a classifier); ``None`` returns the
            ``4 * channels`` features.
        track_running_stats: ``False`` makes batch norm always normalise with the statistics
            of the batch it sees and keep no buffers, as MAML does (Finn et al., 2017): the
            network is then a pure function of its parameters, which ``torch.func`` needs.

    Returns:
        A module mapping ``(B, 1, 8, 8)`` to ``(B, 4 * channels)`` (or ``(B, out)``).
    """
    def bn() -> nn.BatchNorm2d:
        return nn.BatchNorm2d(channels, track_running_stats=track_running_stats)

    layers: list[nn.Module] = [
        nn.Conv2d(1, channels, 3, padding=1), bn(), nn.ReLU(), nn.MaxPool2d(2),  # (B, C, 4, 4)
        nn.Conv2d(channels, channels, 3, padding=1), bn(), nn.ReLU(), nn.MaxPool2d(2),  # (B, C, 2, 2)
        nn.Flatten(),  # (B, 4C)
    ]
    if out is not None:
        layers.append(nn.Linear(4 * channels, out))
    return nn.Sequential(*layers)
