"""Convolution, pooling and local response normalisation written out from their definitions.

These are the building blocks of chapter 3, kept small and explicit so that each can be read
beside the formula and checked against PyTorch's fused kernels (``F.conv2d``,
``F.max_pool2d``, ``F.avg_pool2d``, ``nn.LocalResponseNorm``):

* :func:`conv_output_size`: the output-size formula ``floor((H + 2P - K) / S) + 1``.
* :func:`conv2d_loops`: cross-correlation with explicit loops over output positions.
* :func:`im2col` and :func:`conv2d_unfold`: the same computation as one matrix product.
* :func:`receptive_field`: receptive field size, jump and centre, layer by layer.
* :func:`gradient_receptive_field`: the receptive field measured from a gradient.
* :func:`max_pool2d`, :func:`avg_pool2d`: pooling over windows cut out of the input.
* :func:`local_response_norm`: LRN from its formula (Krizhevsky et al., 2012).

Like PyTorch, "convolution" here means cross-correlation: the kernel is not flipped.
Reference: LeCun et al., "Gradient-based learning applied to document recognition", 1998.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from .utils import check_positive_int

__all__ = [
    "conv_output_size",
    "conv2d_loops",
    "im2col",
    "conv2d_unfold",
    "LayerRF",
    "receptive_field",
    "gradient_receptive_field",
    "max_pool2d",
    "avg_pool2d",
    "local_response_norm",
]

IntPair = int | tuple[int, int]


def _pair(name: str, value: IntPair, minimum: int) -> tuple[int, int]:
    """Turn an int or a pair of ints into a pair, checking each is >= ``minimum``."""
    pair = (value, value) if isinstance(value, int) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) for v in pair):
        raise TypeError(f"{name} must be an int or a pair of ints, got {value!r}")
    if min(pair) < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return pair  # type: ignore[return-value]


def _check_4d(name: str, x: torch.Tensor) -> None:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if x.dim() != 4:
        raise ValueError(f"{name} must have shape (B, C, H, W), got {x.dim()}-D shape {tuple(x.shape)}")


def conv_output_size(size: int, kernel: int, stride: int = 1, padding: int = 0) -> int:
    """Length of a convolution's (or pooling's) output along one spatial axis.

    ``floor((size + 2 * padding - kernel) / stride) + 1``: the number of positions a window of
    length ``kernel`` can take, stepping by ``stride``, inside the padded input.

    Args:
        size: input length ``H`` (or ``W``).
        kernel: window length ``K``.
        stride: step ``S`` >= 1.
        padding: zeros added on each side ``P`` >= 0.

    Raises:
        ValueError: if the kernel is longer than the padded input, or an argument is out of range.
    """
    for name, value, low in (("size", size, 1), ("kernel", kernel, 1), ("stride", stride, 1), ("padding", padding, 0)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"{name} must be an int, got {type(value).__name__}")
        if value < low:
            raise ValueError(f"{name} must be >= {low}, got {value}")
    padded = size + 2 * padding
    if kernel > padded:
        raise ValueError(
            f"kernel size {kernel} is larger than the padded input {padded} (= {size} + 2*{padding}); "
            f"expected kernel <= {padded}"
        )
    return (padded - kernel) // stride + 1


def _check_conv_args(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> None:
    _check_4d("x", x)
    _check_4d("weight", weight)
    if weight.shape[1] != x.shape[1]:
        raise ValueError(
            f"channel mismatch: weight of shape {tuple(weight.shape)} expects {weight.shape[1]} input "
            f"channels, but x of shape {tuple(x.shape)} has {x.shape[1]}"
        )
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise ValueError(f"bias must have shape ({weight.shape[0]},), got {tuple(bias.shape)}")


def _output_hw(x: torch.Tensor, kernel: tuple[int, int], stride: tuple[int, int], padding: tuple[int, int]):
    try:
        return (
            conv_output_size(x.shape[2], kernel[0], stride[0], padding[0]),
            conv_output_size(x.shape[3], kernel[1], stride[1], padding[1]),
        )
    except ValueError as err:
        raise ValueError(f"input of shape {tuple(x.shape)} with padding {padding}: {err}") from None


def conv2d_loops(
    x: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None = None,
    stride: IntPair = 1,
    padding: IntPair = 0,
) -> torch.Tensor:
    """2-D cross-correlation with explicit loops over output channels and positions.

    ``y[b, o, i, j] = bias[o] + sum_{c, u, v} x_pad[b, c, i*S + u, j*S + v] * weight[o, c, u, v]``.
    Slow (three Python loops) but a literal transcription of the definition.

    Args:
        x: input ``(B, C_in, H, W)``.
        weight: kernels ``(C_out, C_in, K_h, K_w)``.
        bias: ``(C_out,)`` or ``None``.
        stride: step between windows, int or ``(S_h, S_w)``.
        padding: zeros on each side, int or ``(P_h, P_w)``.

    Returns:
        ``(B, C_out, H_out, W_out)`` with ``H_out = floor((H + 2P_h - K_h) / S_h) + 1``.
    """
    _check_conv_args(x, weight, bias)
    stride, padding = _pair("stride", stride, 1), _pair("padding", padding, 0)
    kh, kw = weight.shape[2], weight.shape[3]
    h_out, w_out = _output_hw(x, (kh, kw), stride, padding)
    x = F.pad(x, (padding[1], padding[1], padding[0], padding[0]))  # zeros left/right, top/bottom
    out = x.new_zeros(x.shape[0], weight.shape[0], h_out, w_out)
    for o in range(weight.shape[0]):
        for i in range(h_out):
            for j in range(w_out):
                r, c = i * stride[0], j * stride[1]
                patch = x[:, :, r : r + kh, c : c + kw]  # (B, C_in, K_h, K_w)
                out[:, o, i, j] = (patch * weight[o]).sum(dim=(1, 2, 3))
    if bias is not None:
        out = out + bias.view(1, -1, 1, 1)
    return out


def im2col(x: torch.Tensor, kernel: IntPair, stride: IntPair = 1, padding: IntPair = 0) -> torch.Tensor:
    """Cut every window of the padded input out into a column (the layout of ``F.unfold``).

    Args:
        x: ``(B, C, H, W)``.
        kernel, stride, padding: int or pair.

    Returns:
        ``(B, C * K_h * K_w, L)`` with ``L = H_out * W_out``; row index ``c * K_h * K_w + u * K_w + v``.
    """
    _check_4d("x", x)
    kernel = _pair("kernel", kernel, 1)
    stride, padding = _pair("stride", stride, 1), _pair("padding", padding, 0)
    h_out, w_out = _output_hw(x, kernel, stride, padding)
    x = F.pad(x, (padding[1], padding[1], padding[0], padding[0]))
    # Tensor.unfold makes strided views (no copy): (B, C, H_out, W_out, K_h, K_w)
    windows = x.unfold(2, kernel[0], stride[0]).unfold(3, kernel[1], stride[1])
    b, c = x.shape[:2]
    cols = windows.permute(0, 1, 4, 5, 2, 3)  # (B, C, K_h, K_w, H_out, W_out)
    return cols.reshape(b, c * kernel[0] * kernel[1], h_out * w_out)  # (B, C*K_h*K_w, L)


def conv2d_unfold(
    x: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None = None,
    stride: IntPair = 1,
    padding: IntPair = 0,
) -> torch.Tensor:
    """2-D cross-correlation as one matrix product over im2col columns.

    Same arguments and result as :func:`conv2d_loops`; every output position becomes a column
    of :func:`im2col`, and all kernels a matrix ``(C_out, C_in*K_h*K_w)``.
    """
    _check_conv_args(x, weight, bias)
    stride, padding = _pair("stride", stride, 1), _pair("padding", padding, 0)
    kh, kw = weight.shape[2], weight.shape[3]
    h_out, w_out = _output_hw(x, (kh, kw), stride, padding)
    cols = im2col(x, (kh, kw), stride, padding)  # (B, C_in*K_h*K_w, L)
    w = weight.reshape(weight.shape[0], -1)  # (C_out, C_in*K_h*K_w)
    out = w @ cols  # (C_out, C_in*K*K) @ (B, C_in*K*K, L) -> (B, C_out, L)
    if bias is not None:
        out = out + bias.view(1, -1, 1)
    return out.reshape(x.shape[0], weight.shape[0], h_out, w_out)  # (B, C_out, H_out, W_out)


@dataclass(frozen=True)
class LayerRF:
    """Receptive field of one unit after a layer, in input pixels.

    Attributes:
        size: side of the square of input pixels the unit depends on (``r``).
        jump: distance in input pixels between neighbouring units of this layer (``j``).
        start: input coordinate of the centre of unit 0's field (may be negative: padding).
    """

    size: int
    jump: int
    start: float

    def span(self, index: int) -> tuple[int, int]:
        """First and last input coordinate (inclusive, unclipped) seen by unit ``index``."""
        centre = self.start + index * self.jump
        half = (self.size - 1) / 2
        return int(centre - half), int(centre + half)


def receptive_field(layers: Sequence[tuple[int, int, int]]) -> list[LayerRF]:
    """Receptive field after each layer of a stack of convolutions or poolings.

    Recurrences, starting from the input (``r_0 = 1, j_0 = 1, start_0 = 0``):
    ``r_l = r_{l-1} + (k_l - 1) * j_{l-1}``, ``j_l = j_{l-1} * s_l`` (the product of the
    earlier strides), ``start_l = start_{l-1} + ((k_l - 1) / 2 - p_l) * j_{l-1}``.
    Padding moves the field; it does not change its size.

    Args:
        layers: ``(kernel, stride, padding)`` per layer, square kernels.

    Returns:
        One :class:`LayerRF` per layer.
    """
    size, jump, start = 1, 1, 0.0
    out = []
    for n, layer in enumerate(layers):
        if len(layer) != 3:
            raise ValueError(f"layer {n} must be (kernel, stride, padding), got {layer!r}")
        k, s, p = layer
        for name, value, low in (("kernel", k, 1), ("stride", s, 1), ("padding", p, 0)):
            if not isinstance(value, int) or isinstance(value, bool):  # square kernels: one int each
                raise TypeError(f"{name} of layer {n} must be an int, got {value!r}")
            if value < low:
                raise ValueError(f"{name} of layer {n} must be >= {low}, got {value}")
        size = size + (k - 1) * jump
        start = start + ((k - 1) / 2 - p) * jump
        jump = jump * s
        out.append(LayerRF(size, jump, start))
    return out


def gradient_receptive_field(
    model: nn.Module, input_shape: tuple[int, int, int], unit: tuple[int, int], x: torch.Tensor | None = None
) -> torch.Tensor:
    """Measure which input pixels one output unit depends on, by backpropagation.

    The gradient of output unit ``(0, 0, i, j)`` (batch 0, channel 0) with respect to the input
    is summed over input channels; its non-zero entries are the unit's receptive field (clipped
    to the image). Use positive weights and no ReLU so no path cancels or is switched off.

    Args:
        model: maps ``(1, C, H, W)`` to ``(1, C', H', W')``.
        input_shape: ``(C, H, W)``.
        unit: output position ``(i, j)``.
        x: the input ``(C, H, W)`` at which to take the gradient; default all ones. With ReLUs
            in the model, a random input keeps some units active everywhere.

    Returns:
        ``(H, W)`` absolute gradient.
    """
    param = next(model.parameters(), None)
    dev = param.device if param is not None else None
    if x is None:
        x = torch.ones(1, *input_shape, device=dev)
    else:
        if tuple(x.shape) != tuple(input_shape):
            raise ValueError(f"x must have shape input_shape={tuple(input_shape)}, got {tuple(x.shape)}")
        x = x.detach().to(dev).unsqueeze(0)  # (1, C, H, W)
    x.requires_grad_(True)
    y = model(x)
    if y.dim() != 4:
        raise ValueError(f"model must return (B, C, H, W), got shape {tuple(y.shape)}")
    i, j = unit
    if not (0 <= i < y.shape[2] and 0 <= j < y.shape[3]):
        raise ValueError(f"unit {unit} is outside the output map of size {tuple(y.shape[2:])}")
    (grad,) = torch.autograd.grad(y[0, 0, i, j], x)
    return grad[0].abs().sum(0)  # (H, W)


def _pool_windows(x: torch.Tensor, kernel: IntPair, stride: IntPair | None, padding: IntPair, fill: float):
    _check_4d("x", x)
    kernel = _pair("kernel", kernel, 1)
    stride = kernel if stride is None else _pair("stride", stride, 1)
    padding = _pair("padding", padding, 0)
    if padding[0] > kernel[0] // 2 or padding[1] > kernel[1] // 2:
        raise ValueError(f"padding {padding} must be at most half the kernel {kernel}")
    _output_hw(x, kernel, stride, padding)  # raises a clear error if the window does not fit
    x = F.pad(x, (padding[1], padding[1], padding[0], padding[0]), value=fill)
    return x.unfold(2, kernel[0], stride[0]).unfold(3, kernel[1], stride[1])  # (B, C, H_out, W_out, K_h, K_w)


def max_pool2d(x: torch.Tensor, kernel: IntPair, stride: IntPair | None = None, padding: IntPair = 0) -> torch.Tensor:
    """Max pooling: the largest value of each window, channel by channel (no parameters).

    Args:
        x: ``(B, C, H, W)``.
        kernel: window size; ``stride`` defaults to it (non-overlapping windows).
        padding: implicit ``-inf`` on each side, at most half the kernel (as in PyTorch).

    Returns:
        ``(B, C, H_out, W_out)``: the channel count is unchanged.
    """
    windows = _pool_windows(x, kernel, stride, padding, float("-inf"))
    return windows.amax(dim=(-2, -1))


def avg_pool2d(x: torch.Tensor, kernel: IntPair, stride: IntPair | None = None, padding: IntPair = 0) -> torch.Tensor:
    """Average pooling: the mean of each window, channel by channel (no parameters).

    Zero padding counts in the mean (PyTorch's default ``count_include_pad=True``).

    Args and returns as :func:`max_pool2d`.
    """
    windows = _pool_windows(x, kernel, stride, padding, 0.0)
    return windows.mean(dim=(-2, -1))


def local_response_norm(
    x: torch.Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0
) -> torch.Tensor:
    """Local response normalisation across channels, written from its formula.

    ``b_c = a_c / (k + alpha / n * sum_{c' in window(c)} a_{c'}^2) ** beta``, where the window
    holds the ``n = size`` channels ``c - n//2 .. c + (n-1)//2`` that exist (PyTorch's
    convention; the sum is divided by ``n`` even at the edges). Krizhevsky et al. (2012) used
    ``n=5, alpha=1e-4, beta=0.75, k=2`` and wrote ``alpha`` without the ``1/n``.

    Args:
        x: ``(B, C, H, W)`` (any tensor with channels on dim 1 and at least 3 dims works).
        size: number of neighbouring channels ``n``.

    Returns:
        A tensor of the shape of ``x``.
    """
    if not isinstance(x, torch.Tensor) or x.dim() < 3:
        shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"x must have shape (B, C, ...) with at least 3 dims, got {shape}")
    check_positive_int("size", size)
    channels = x.shape[1]
    squares = x.pow(2)
    sums = torch.zeros_like(x)
    for c in range(channels):  # one window of neighbouring channels per output channel
        lo, hi = max(0, c - size // 2), min(channels - 1, c + (size - 1) // 2)
        sums[:, c] = squares[:, lo : hi + 1].sum(dim=1)
    return x / (k + alpha / size * sums).pow(beta)
