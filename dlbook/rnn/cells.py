"""Recurrent cells written from their equations, with torch's parameter names, shapes and gate order.

``RNNCell``, ``LSTMCell`` and ``GRUCell`` take the same constructor arguments as
``torch.nn.RNNCell`` / ``LSTMCell`` / ``GRUCell`` and hold ``weight_ih``, ``weight_hh``,
``bias_ih``, ``bias_hh`` of the same shapes, with the gates stacked in torch's order (LSTM: input,
forget, candidate, output; GRU: reset, update, new), so ``mine.load_state_dict(theirs.state_dict())``
works and both compute the same thing.
"""

from __future__ import annotations

import math

import torch
from torch import nn

__all__ = ["GRUCell", "LSTMCell", "RNNCell", "unroll"]


class _Cell(nn.Module):
    gates = 1

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True):
        super().__init__()
        if input_size < 1 or hidden_size < 1:
            raise ValueError(f"input_size and hidden_size must be positive, got {input_size}, {hidden_size}")
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        G, H = self.gates, hidden_size
        self.weight_ih = nn.Parameter(torch.empty(G * H, input_size))   # gates stacked along dim 0
        self.weight_hh = nn.Parameter(torch.empty(G * H, H))
        if bias:
            self.bias_ih = nn.Parameter(torch.empty(G * H))
            self.bias_hh = nn.Parameter(torch.empty(G * H))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """torch's initialisation: every parameter uniform in ``[-1/sqrt(H), 1/sqrt(H)]``."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}" + ("" if self.bias else ", bias=False")

    def _check_input(self, x: torch.Tensor) -> tuple[torch.Tensor, bool]:
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"{type(self).__name__} expects a tensor input, got {type(x).__name__}")
        if x.dim() not in (1, 2) or x.shape[-1] != self.input_size:
            raise ValueError(
                f"{type(self).__name__} expects input (B, {self.input_size}) or ({self.input_size},), "
                f"got {tuple(x.shape)}"
            )
        unbatched = x.dim() == 1
        return (x.unsqueeze(0) if unbatched else x), unbatched

    def _check_state(self, h: torch.Tensor | None, x: torch.Tensor, unbatched: bool, name: str = "hidden state") -> torch.Tensor:
        B, H = x.shape[0], self.hidden_size
        if h is None:
            return x.new_zeros(B, H)
        expected = (H,) if unbatched else (B, H)
        if not isinstance(h, torch.Tensor) or tuple(h.shape) != expected:
            got = tuple(h.shape) if isinstance(h, torch.Tensor) else type(h).__name__
            raise ValueError(f"{type(self).__name__}: {name} must have shape {expected}, got {got}")
        return h.unsqueeze(0) if unbatched else h

    def _affine(self, x: torch.Tensor, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        gi = x @ self.weight_ih.T                                   # (B, I) @ (I, G*H) -> (B, G*H)
        gh = h @ self.weight_hh.T                                   # (B, H) @ (H, G*H) -> (B, G*H)
        if self.bias:
            gi, gh = gi + self.bias_ih, gh + self.bias_hh
        return gi, gh


class RNNCell(_Cell):
    """Elman's cell: ``h' = tanh(W_ih x + b_ih + W_hh h + b_hh)`` (Elman, 1990).

    Args:
        input_size, hidden_size: ``I`` and ``H``.
        bias: use ``b_ih`` and ``b_hh``.
        nonlinearity: ``"tanh"`` or ``"relu"``.

    Shapes: ``x`` ``(B, I)``, ``h`` ``(B, H)`` (or unbatched ``(I,)``, ``(H,)``) -> ``h'`` like ``h``.
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh"):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, bias)

    def forward(self, x: torch.Tensor, hx: torch.Tensor | None = None) -> torch.Tensor:
        x, unbatched = self._check_input(x)
        h = self._check_state(hx, x, unbatched)
        gi, gh = self._affine(x, h)
        h = torch.tanh(gi + gh) if self.nonlinearity == "tanh" else torch.relu(gi + gh)
        return h.squeeze(0) if unbatched else h


class LSTMCell(_Cell):
    """Long short-term memory (Hochreiter & Schmidhuber, 1997; forget gate: Gers et al., 2000).

    ``i, f, o = sigmoid(...)``, ``g = tanh(...)`` from ``W_ih x + b_ih + W_hh h + b_hh`` split into
    four ``H``-blocks in the order input, forget, candidate, output; then ``c' = f * c + i * g`` and
    ``h' = o * tanh(c')``.

    Shapes: ``x`` ``(B, I)``; state ``(h, c)``, each ``(B, H)``, or None for zeros ->
    ``(h', c')``.
    """

    gates = 4

    def forward(
        self, x: torch.Tensor, hx: tuple[torch.Tensor, torch.Tensor] | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        x, unbatched = self._check_input(x)
        if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise TypeError("LSTMCell expects the state as a pair (h, c)")
        h = self._check_state(None if hx is None else hx[0], x, unbatched, "h")
        c = self._check_state(None if hx is None else hx[1], x, unbatched, "c")
        gi, gh = self._affine(x, h)
        i, f, g, o = (gi + gh).chunk(4, dim=1)                       # each (B, H)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        return (h.squeeze(0), c.squeeze(0)) if unbatched else (h, c)


class GRUCell(_Cell):
    """Gated recurrent unit (Cho et al., 2014), in torch's formulation.

    ``r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)``, ``z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)``,
    ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``, ``h' = (1 - z) * n + z * h``; blocks in the
    order reset, update, new.

    Shapes: ``x`` ``(B, I)``, ``h`` ``(B, H)`` -> ``h'`` ``(B, H)``.
    """

    gates = 3

    def forward(self, x: torch.Tensor, hx: torch.Tensor | None = None) -> torch.Tensor:
        x, unbatched = self._check_input(x)
        h = self._check_state(hx, x, unbatched)
        gi, gh = self._affine(x, h)
        i_r, i_z, i_n = gi.chunk(3, dim=1)                           # each (B, H)
        h_r, h_z, h_n = gh.chunk(3, dim=1)
        r = torch.sigmoid(i_r + h_r)
        z = torch.sigmoid(i_z + h_z)
        n = torch.tanh(i_n + r * h_n)                                # the reset gate scales W_hn h + b_hn
        h = (1 - z) * n + z * h
        return h.squeeze(0) if unbatched else h


def unroll(cell: nn.Module, x: torch.Tensor, state=None, mask: torch.Tensor | None = None):
    """Run ``cell`` over a batch of sequences, step by step.

    Args:
        cell: any of the cells above (or torch's).
        x: inputs ``(B, T, I)``.
        state: the initial state (``h`` or ``(h, c)``), zeros when None.
        mask: optional ``(B, T)`` boolean, True = real step; at a padded step the state is carried
            over unchanged, so the final state is the one after each sequence's last real step.

    Returns:
        ``(outputs, state)``: the hidden states ``(B, T, H)`` and the final state.
    """
    if x.dim() != 3:
        raise ValueError(f"unroll expects inputs (B, T, I), got {tuple(x.shape)}")
    if mask is not None and tuple(mask.shape) != tuple(x.shape[:2]):
        raise ValueError(f"mask must have shape {tuple(x.shape[:2])} (B, T), got {tuple(mask.shape)}")
    outputs = []
    for t in range(x.shape[1]):
        new = cell(x[:, t], state)
        if mask is not None and state is not None:
            keep = mask[:, t, None]                                  # (B, 1)
            if isinstance(new, tuple):
                new = tuple(torch.where(keep, n, s) for n, s in zip(new, state))
            else:
                new = torch.where(keep, new, state)
        state = new
        outputs.append(state[0] if isinstance(state, tuple) else state)
    return torch.stack(outputs, dim=1), state                         # (B, T, H)
