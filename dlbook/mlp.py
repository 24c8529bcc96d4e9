"""Multi-layer perceptrons built from layers, and tools to look inside them.

:class:`MLP` is the pattern later chapters reuse: a list of layer sizes becomes
``Linear -> activation -> (Dropout)`` blocks and a final ``Linear``. Around it:

* :func:`get_activation` turns a name (``"relu"``, ``"tanh"``, ...) into a module.
* :func:`collapse_linear` multiplies a stack of ``Linear`` layers out into one, the
  numerical form of "linear layers alone stay linear".
* :func:`hidden_activations` and :func:`count_dead_units` find ReLU units that output 0
  for every input ("dead" units, which receive no gradient).

References: Rumelhart, Hinton & Williams (1986), *Learning representations by
back-propagating errors*; Srivastava et al. (2014) for dropout.
"""

from __future__ import annotations

from typing import Callable, Sequence

import torch
from torch import nn

from .utils import eval_mode

__all__ = ["MLP", "ACTIVATIONS", "get_activation", "collapse_linear", "hidden_activations", "count_dead_units", "count_parameters"]

ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "identity": nn.Identity,
}


def get_activation(activation: str | nn.Module | Callable[[], nn.Module]) -> nn.Module:
    """A fresh activation module from a name, a module class/factory, or a module.

    Args:
        activation: one of :data:`ACTIVATIONS`' names, an ``nn.Module`` subclass or factory
            (called with no arguments), or an ``nn.Module`` instance (returned as is).

    Raises:
        ValueError: for an unknown name; TypeError for anything else.
    """
    if isinstance(activation, nn.Module):
        return activation
    if isinstance(activation, str):
        key = activation.lower()
        if key not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; expected one of {sorted(ACTIVATIONS)}")
        return ACTIVATIONS[key]()
    if callable(activation):
        module = activation()
        if not isinstance(module, nn.Module):
            raise TypeError(f"activation factory must return an nn.Module, got {type(module).__name__}")
        return module
    raise TypeError(f"activation must be a name, an nn.Module or a factory, got {type(activation).__name__}")


class MLP(nn.Module):
    """A fully connected feed-forward network (multi-layer perceptron).

    ``MLP([2, 16, 16, 3])`` is ``Linear(2,16) -> act -> Linear(16,16) -> act -> Linear(16,3)``:
    every hidden layer is followed by the activation (a fresh module each, so stateful ones
    such as PReLU are not shared) and, if ``dropout > 0``, by ``Dropout(dropout)``. The last
    layer is linear: its outputs are logits (or regression values) for the loss to read.

    Args:
        sizes: ``[in_features, hidden_1, ..., out_features]``, at least two positive ints.
        activation: see :func:`get_activation`; default ``"relu"``.
        dropout: drop probability after each hidden activation (0 disables it).
        output_activation: optional activation after the last layer (e.g. ``"sigmoid"``).
        bias: whether the ``Linear`` layers have biases.

    Shapes:
        input ``(B, sizes[0])`` (any leading dims work, as for ``nn.Linear``), output
        ``(B, sizes[-1])``.
    """

    def __init__(
        self,
        sizes: Sequence[int],
        activation: str | nn.Module | Callable[[], nn.Module] = "relu",
        dropout: float = 0.0,
        output_activation: str | nn.Module | Callable[[], nn.Module] | None = None,
        bias: bool = True,
    ) -> None:
        super().__init__()
        sizes = list(sizes)
        if len(sizes) < 2:
            raise ValueError(f"MLP needs at least [in_features, out_features], got sizes={sizes}")
        for s in sizes:
            if isinstance(s, bool) or not isinstance(s, int) or s <= 0:
                raise ValueError(f"MLP sizes must be positive ints, got {sizes}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        if isinstance(activation, nn.Module):
            # one instance would be shared by every hidden layer: copy it for each instead
            activation = _factory_of(activation)
        self.sizes = sizes
        layers: list[nn.Module] = []
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(nn.Linear(n_in, n_out, bias=bias))
            if i < len(sizes) - 2:  # hidden layer
                layers.append(get_activation(activation))
                if dropout > 0:
                    layers.append(nn.Dropout(dropout))
        if output_activation is not None:
            layers.append(get_activation(output_activation))
        self.layers = nn.Sequential(*layers)

    @property
    def linears(self) -> list[nn.Linear]:
        """The ``Linear`` layers in order."""
        return [m for m in self.layers if isinstance(m, nn.Linear)]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] != self.sizes[0]:
            raise ValueError(f"MLP expects inputs (..., {self.sizes[0]}), got {tuple(x.shape)}")
        return self.layers(x)


def _factory_of(module: nn.Module) -> Callable[[], nn.Module]:
    import copy

    return lambda: copy.deepcopy(module)


def collapse_linear(layers: Sequence[nn.Linear] | nn.Sequential) -> nn.Linear:
    """One ``Linear`` layer equal to a stack of ``Linear`` layers with nothing between them.

    ``W2 (W1 x + b1) + b2 = (W2 W1) x + (W2 b1 + b2)``, applied layer after layer.

    Args:
        layers: ``nn.Linear`` modules whose sizes chain (``out`` of one = ``in`` of the next).

    Raises:
        TypeError: if any layer is not ``nn.Linear`` (an activation in between breaks the
            equivalence, which is the point).
    """
    layers = list(layers)
    if not layers:
        raise ValueError("collapse_linear needs at least one Linear layer")
    for m in layers:
        if not isinstance(m, nn.Linear):
            raise TypeError(f"collapse_linear accepts only nn.Linear layers, got {type(m).__name__}")
    first = layers[0]
    W = first.weight.detach().clone()  # (out_1, in)
    b = first.bias.detach().clone() if first.bias is not None else torch.zeros(W.shape[0], dtype=W.dtype, device=W.device)
    for m in layers[1:]:
        if m.in_features != W.shape[0]:
            raise ValueError(f"layer sizes do not chain: {W.shape[0]} outputs feed a layer expecting {m.in_features}")
        Wm = m.weight.detach()  # (out_k, out_{k-1})
        bm = m.bias.detach() if m.bias is not None else torch.zeros(Wm.shape[0], dtype=W.dtype, device=W.device)
        W = Wm @ W  # (out_k, out_{k-1}) @ (out_{k-1}, in) -> (out_k, in)
        b = Wm @ b + bm  # (out_k,)
    out = nn.Linear(W.shape[1], W.shape[0]).to(device=W.device, dtype=W.dtype)
    with torch.no_grad():
        out.weight.copy_(W)
        out.bias.copy_(b)
    return out


def hidden_activations(model: MLP, x: torch.Tensor) -> list[torch.Tensor]:
    """Outputs of every hidden activation of ``model`` for inputs ``x`` ``(N, in)``.

    Dropout is skipped (the model is run in eval mode and restored afterwards).

    Returns:
        One tensor ``(N, width_k)`` per hidden layer.
    """
    if not isinstance(model, MLP):
        raise TypeError(f"hidden_activations expects a dlbook.mlp.MLP, got {type(model).__name__}")
    outputs: list[torch.Tensor] = []
    n_hidden = len(model.sizes) - 2
    h = x
    with eval_mode(model), torch.no_grad():
        linear_seen = 0
        for m in model.layers:
            h = m(h)
            if isinstance(m, nn.Linear):
                linear_seen += 1
            elif linear_seen <= n_hidden and not isinstance(m, nn.Dropout) and len(outputs) < linear_seen:
                outputs.append(h)
    return outputs


def count_dead_units(model: MLP, x: torch.Tensor, tol: float = 0.0) -> list[int]:
    """Per hidden layer, the number of units whose output is ``<= tol`` for *every* input in ``x``.

    For ReLU such a unit is dead on this data: its output and its gradient are 0 for every
    input, so gradient descent cannot revive it.
    """
    return [int((h <= tol).all(dim=0).sum()) for h in hidden_activations(model, x)]


def count_parameters(model: nn.Module, trainable_only: bool = True) -> int:
    """Number of (trainable) scalar parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)
