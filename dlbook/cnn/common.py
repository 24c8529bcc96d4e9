"""Shared parts of the classic CNNs: the input-checking classifier wrapper and layer tables."""

from __future__ import annotations

from typing import NamedTuple, Sequence

import torch
from torch import nn

from ..mlp import ACTIVATIONS, count_parameters
from ..utils import eval_mode


__all__ = ["ScaledTanh", "ImageClassifier", "LayerRow", "layer_table", "format_table", "count_params", "multiply_adds"]


class ScaledTanh(nn.Module):
    """LeNet-5's squashing function ``f(a) = A tanh(S a)`` with A = 1.7159, S = 2/3.

    The constants make f(1) = 1 and f(-1) = -1 (LeCun et al. 1998, appendix A).
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return 1.7159 * torch.tanh(2.0 / 3.0 * x)


class ImageClassifier(nn.Module):
    """``features`` then ``classifier``, with a check of the input's shape first.

    Args:
        features: the convolutional trunk, ``(B, C, H, W) -> (B, C', H', W')``.
        classifier: the head, ``(B, C', H', W') -> (B, num_classes)``.
        in_channels: channels the first layer expects.
        image_size: exact side the network needs (fully connected heads fix it), or ``None``.
        min_size: smallest side the network can take (global-pooling heads), used when
            ``image_size`` is ``None``.
        name: used in error messages, e.g. ``"vgg16"``.
    """

    def __init__(
        self,
        features: nn.Module,
        classifier: nn.Module,
        in_channels: int,
        image_size: int | None = None,
        min_size: int = 1,
        name: str = "network",
    ):
        super().__init__()
        self.features = features
        self.classifier = classifier
        self.in_channels = in_channels
        self.image_size = image_size
        self.min_size = min_size
        self.name = name

    def expected_shape(self) -> str:
        """The accepted input shape, in words."""
        if self.image_size is not None:
            return f"(B, {self.in_channels}, {self.image_size}, {self.image_size})"
        return f"(B, {self.in_channels}, H, W) with H, W >= {self.min_size}"

    def check_input(self, x: torch.Tensor) -> None:
        """Raise ``ValueError`` naming the expected shape if ``x`` cannot go through."""
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"{self.name} expects a tensor {self.expected_shape()}, got {type(x).__name__}")
        shape = tuple(x.shape)
        ok = x.dim() == 4 and shape[1] == self.in_channels
        if ok and self.image_size is not None:
            ok = shape[2] == shape[3] == self.image_size
        elif ok:
            ok = min(shape[2], shape[3]) >= self.min_size
        if not ok:
            raise ValueError(f"{self.name} expects input of shape {self.expected_shape()}, got {shape}")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.check_input(x)
        return self.classifier(self.features(x))


class LayerRow(NamedTuple):
    """One line of a layer table: qualified name, module type, output shape, parameters."""

    name: str
    kind: str
    output_shape: tuple[int, ...]
    params: int


def count_params(module: nn.Module, trainable_only: bool = True) -> int:
    """Number of (trainable) parameters of ``module``; works on the ``meta`` device too.

    The same count as :func:`dlbook.mlp.count_parameters` (both names stay: notebooks use both).
    """
    return count_parameters(module, trainable_only)


def _check_trace_args(caller: str, model: nn.Module, input_shape: Sequence[int]) -> None:
    if not isinstance(model, nn.Module):
        raise TypeError(f"{caller} expects an nn.Module, got {type(model).__name__}")
    if len(input_shape) == 0 or any(int(s) <= 0 for s in input_shape):
        raise ValueError(f"input_shape must be positive sizes without the batch, got {tuple(input_shape)}")


def _run_once(model: nn.Module, input_shape: Sequence[int], hooks: list) -> None:
    """One forward pass of a zero input ``(1, *input_shape)`` on the model's device, in eval mode; removes ``hooks``."""
    parameter = next(model.parameters(), None)
    device = parameter.device if parameter is not None else torch.device("cpu")
    try:
        with eval_mode(model), torch.no_grad():
            model(torch.zeros(1, *[int(s) for s in input_shape], device=device))
    finally:
        for h in hooks:
            h.remove()


def layer_table(model: nn.Module, input_shape: Sequence[int], depth: int | None = None) -> list[LayerRow]:
    """Trace one forward pass of a single input and list what each layer produces.

    Args:
        model: any module; it runs on the device of its parameters (use ``meta`` to trace
            ImageNet-sized models for free: shapes propagate, no arithmetic happens).
        input_shape: one input without the batch dimension, e.g. ``(3, 224, 224)``.
        depth: list modules at this nesting depth (1 = the model's children; 2 = their
            children, ...) plus shallower leaves; ``None`` lists every leaf module.

    Returns:
        One :class:`LayerRow` per listed module, in the order they ran; ``output_shape``
        excludes the batch dimension. Rows' ``params`` count each module's own parameters
        (with its children), so over a table at one depth they add up to the model's total.
    """
    _check_trace_args("layer_table", model, input_shape)
    rows: list[LayerRow] = []
    hooks = []
    for name, module in model.named_modules():
        if module is model:
            continue
        level = name.count(".") + 1
        is_leaf = len(list(module.children())) == 0
        if depth is None:
            wanted = is_leaf
        else:
            wanted = level == depth or (level < depth and is_leaf)
        if not wanted:
            continue

        def hook(mod, inputs, output, name=name):
            out = output[0] if isinstance(output, (tuple, list)) else output
            rows.append(LayerRow(name, type(mod).__name__, tuple(out.shape[1:]), count_params(mod)))

        hooks.append(module.register_forward_hook(hook))
    _run_once(model, input_shape, hooks)
    return rows


def multiply_adds(model: nn.Module, input_shape: Sequence[int]) -> int:
    """Multiply-adds of the convolutions and linear layers in one forward pass of one input.

    Each output value of a ``Conv1d``/``Conv2d``/``Conv3d`` or ``Linear`` layer is a dot product of
    ``weight[0].numel()`` terms (its input channels per group times the kernel), so a layer costs
    ``output values x weight[0].numel()``; biases, activations and pooling are not counted.

    Args:
        model: any module; it runs on the device of its parameters (``meta`` counts for free).
        input_shape: one input without the batch dimension, e.g. ``(1, 32, 32)``.

    Returns:
        The total over every such layer that ran (a layer run twice counts twice).
    """
    _check_trace_args("multiply_adds", model, input_shape)
    total = 0

    def hook(mod, inputs, output):
        nonlocal total
        total += output[0].numel() * mod.weight[0].numel()  # (output values of one input) x (terms per value)

    layers = (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.Linear)
    hooks = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, layers)]
    _run_once(model, input_shape, hooks)
    return total


def format_table(rows: Sequence[LayerRow], total: int | None = None) -> str:
    """Rows of :func:`layer_table` as aligned text, with a total line."""
    lines = [f"{'layer':<22}{'type':<18}{'output shape':<20}{'params':>12}"]
    for r in rows:
        shape = " x ".join(str(s) for s in r.output_shape)
        lines.append(f"{r.name:<22}{r.kind:<18}{shape:<20}{r.params:>12,}")
    total = sum(r.params for r in rows) if total is None else total
    lines.append(f"{'total':<60}{total:>12,}")
    return "\n".join(lines)


def _activation(name: str) -> nn.Module:
    table = {"sigmoid", "tanh", "relu", "scaled_tanh"}  # the activations LeNet/AlexNet builders offer
    if name not in table:
        raise ValueError(f"activation must be one of {sorted(table)}, got {name!r}")
    return ScaledTanh() if name == "scaled_tanh" else ACTIVATIONS[name]()


def _pool(name: str, kernel: int = 2, stride: int = 2) -> nn.Module:
    if name == "avg":
        return nn.AvgPool2d(kernel, stride)
    if name == "max":
        return nn.MaxPool2d(kernel, stride)
    raise ValueError(f"pooling must be 'avg' or 'max', got {name!r}")
