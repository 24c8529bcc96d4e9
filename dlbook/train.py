"""A small, explicit training loop that records what happened in a :class:`History`."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping

import torch
from torch import nn

from .runtime import progress_enabled
from .utils import eval_mode

__all__ = ["History", "accuracy", "evaluate", "fit", "predict"]

Metric = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def accuracy(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Fraction of correct predictions in a batch.

    Args:
        outputs: class scores ``(B, C)`` (logits or probabilities), or ``(B,)`` / ``(B, 1)``
            scores of a binary classifier, read as class 1 when above 0 (i.e. logits).
        targets: class indices ``(B,)`` (or ``(B, 1)`` for the binary case).

    Returns:
        A 0-dim float tensor in [0, 1].
    """
    if outputs.dim() == 2 and outputs.shape[1] > 1:
        if targets.shape != outputs.shape[:1]:
            raise ValueError(
                f"accuracy expects targets of shape {tuple(outputs.shape[:1])} for outputs "
                f"{tuple(outputs.shape)}, got {tuple(targets.shape)}"
            )
        return (outputs.argmax(dim=1) == targets).sum() / targets.shape[0]
    else:
        if outputs.numel() != targets.numel():
            raise ValueError(
                f"accuracy expects as many targets as outputs, got {tuple(targets.shape)} "
                f"for {tuple(outputs.shape)}"
            )
        predicted = (outputs.reshape(-1) > 0).long()
        return (predicted == targets.reshape(-1).long()).float().mean()


@dataclass
class History:
    """Per-epoch records of a training run.

    ``records`` maps names such as ``"train_loss"``, ``"val_loss"``, ``"train_acc"`` to a
    list with one value per epoch; ``history["val_acc"]`` reads one of them.
    """

    records: dict[str, list[float]] = field(default_factory=dict)
    epoch_seconds: list[float] = field(default_factory=list)

    def append(self, values: Mapping[str, float]) -> None:
        """Add one epoch's values."""
        for key, value in values.items():
            self.records.setdefault(key, []).append(float(value))

    def __getitem__(self, key: str) -> list[float]:
        if key not in self.records:
            raise KeyError(f"no record {key!r}; this history has {sorted(self.records)}")
        return self.records[key]

    def __contains__(self, key: object) -> bool:
        return key in self.records

    def keys(self) -> list[str]:
        return list(self.records)

    @property
    def epochs(self) -> int:
        """Number of epochs recorded."""
        return max((len(v) for v in self.records.values()), default=0)

    def last(self, key: str) -> float:
        """The final value of a record."""
        return self[key][-1]

    def best(self, key: str, mode: str = "min") -> tuple[int, float]:
        """``(epoch index, value)`` of the best value of a record (``mode`` "min" or "max")."""
        values = self[key]
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        pick = min if mode == "min" else max
        index = pick(range(len(values)), key=values.__getitem__)
        return index, values[index]

    def plot(self, keys: Iterable[str] | None = None, ax=None, title: str | None = None):
        """Plot records against epochs (see :func:`dlbook.plot.plot_history`)."""
        from .plot import plot_history

        return plot_history(self, keys=keys, ax=ax, title=title)


def _model_device(model: nn.Module) -> torch.device:
    for p in model.parameters():
        return p.device
    for b in model.buffers():
        return b.device
    return torch.device("cpu")


def _check_batch(batch: object, where: str) -> tuple[torch.Tensor | tuple[torch.Tensor, ...], torch.Tensor]:
    if isinstance(batch, torch.Tensor):
        raise TypeError(
            f"{where} yielded a bare tensor of shape {tuple(batch.shape)}; expected a pair "
            "(inputs, targets), e.g. from a TensorDataset(X, y)"
        )
    if not isinstance(batch, (tuple, list)) or len(batch) != 2:
        kind = f"a {type(batch).__name__} of length {len(batch)}" if isinstance(batch, (tuple, list)) else type(batch).__name__
        raise TypeError(f"{where} yielded {kind}; expected a pair (inputs, targets)")
    x, y = batch
    # inputs may be one tensor or a tuple of tensors (a sequence model's ids, mask, decoder input):
    # a tuple is passed to the model as separate arguments, model(*x)
    xs = tuple(x) if isinstance(x, (tuple, list)) else (x,)
    if not xs or not all(isinstance(t, torch.Tensor) for t in xs) or not isinstance(y, torch.Tensor):
        inner = f" of ({', '.join(type(t).__name__ for t in xs)})" if isinstance(x, (tuple, list)) else ""
        raise TypeError(
            f"{where} yielded ({type(x).__name__}, {type(y).__name__}){inner}; expected (Tensor, Tensor) "
            "or ((Tensor, ...), Tensor)"
        )
    if y.dim() == 0 or any(t.dim() == 0 or t.shape[0] != y.shape[0] for t in xs):
        raise ValueError(
            f"{where} yielded inputs {[tuple(t.shape) for t in xs] if len(xs) > 1 else tuple(xs[0].shape)} "
            f"and targets {tuple(y.shape)}; expected the same batch size in the first dimension of all"
        )
    return (tuple(xs) if isinstance(x, (tuple, list)) else x), y


def _run_epoch(
    model: nn.Module,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    loader: Iterable,
    metrics: Mapping[str, Metric],
    device: torch.device,
    optimizer: torch.optim.Optimizer | None,
    clip_grad: float | None,
    where: str,
    bar=None,
    batch_scheduler: object | None = None,
) -> dict[str, float]:
    # Python-float sums with one .item() per batch: on a CPU this is cheaper than keeping
    # running sums as tensors, and it is what a hand-written loop does anyway.
    total_loss = 0.0
    totals = dict.fromkeys(metrics, 0.0)
    count = 0
    for batch in loader:
        x, y = _check_batch(batch, where)
        if isinstance(x, tuple):
            x = tuple(t if t.device == device else t.to(device, non_blocking=True) for t in x)
        elif x.device != device:
            x = x.to(device, non_blocking=True)
        if y.device != device:
            y = y.to(device, non_blocking=True)
        if optimizer is not None:
            # Dropping the old gradients before the forward pass lets their memory be reused.
            optimizer.zero_grad(set_to_none=True)
        outputs = model(*x) if isinstance(x, tuple) else model(x)
        loss = loss_fn(outputs, y)
        if loss.dim() != 0:
            raise ValueError(f"loss_fn must return a scalar, got shape {tuple(loss.shape)}; use reduction='mean'")
        if optimizer is not None:
            loss.backward()
            if clip_grad is not None:
                nn.utils.clip_grad_norm_(model.parameters(), clip_grad)
            optimizer.step()
            if batch_scheduler is not None:
                batch_scheduler.step()  # type: ignore[attr-defined]
        n = y.shape[0]
        count += n
        total_loss += loss.item() * n
        for name, fn in metrics.items():
            # Metrics such as accuracy go through argmax, which autograd does not record, so
            # no no_grad() block is needed (it would cost more than the metric itself).
            totals[name] += fn(outputs, y).item() * n
        if bar is not None:
            bar.update(1)
    if count == 0:
        raise ValueError(f"{where} yielded no batches")
    result = {"loss": total_loss / count}
    result.update({name: t / count for name, t in totals.items()})
    return result


def evaluate(
    model: nn.Module,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    loader: Iterable,
    metrics: Mapping[str, Metric] | None = None,
    device: torch.device | str | None = None,
) -> dict[str, float]:
    """Average loss and metrics of ``model`` over ``loader``, in eval mode without gradients.

    Returns:
        ``{"loss": ..., <metric name>: ...}`` averaged over samples.
    """
    device = torch.device(device) if device is not None else _model_device(model)
    with eval_mode(model), torch.no_grad():
        return _run_epoch(model, loss_fn, loader, dict(metrics or {}), device, None, None, "the loader")


def predict(model: nn.Module, x: torch.Tensor, batch_size: int = 1024) -> torch.Tensor:
    """Model outputs for a tensor of inputs, in eval mode, batched, returned on the CPU."""
    device = _model_device(model)
    with eval_mode(model), torch.no_grad():
        return torch.cat([model(x[i : i + batch_size].to(device)).cpu() for i in range(0, len(x), batch_size)])


def fit(
    model: nn.Module,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    optimizer: torch.optim.Optimizer,
    train_loader: Iterable,
    val_loader: Iterable | None = None,
    epochs: int = 10,
    metrics: Mapping[str, Metric] | None = None,
    scheduler: object | None = None,
    clip_grad: float | None = None,
    device: torch.device | str | None = None,
    callback: Callable[[int, History], bool | None] | None = None,
    progress: bool | None = None,
    history: History | None = None,
    scheduler_interval: str = "epoch",
) -> History:
    """Train ``model`` for ``epochs`` passes over ``train_loader``.

    Each batch must be a pair ``(x, y)`` of tensors with the same first (batch) dimension;
    ``loss_fn(model(x), y)`` must return a scalar. ``x`` may also be a tuple of tensors (e.g. a
    sequence model's ids, mask and decoder input), which the model receives as ``model(*x)``.

    Args:
        model: the network; batches are moved to the device of its parameters unless
            ``device`` is given.
        loss_fn: e.g. ``nn.CrossEntropyLoss()``.
        optimizer: any ``torch.optim`` optimizer over the model's parameters.
        train_loader, val_loader: iterables of ``(x, y)`` batches.
        epochs: number of passes over the training data.
        metrics: ``{"acc": dlbook.accuracy}``-style functions ``(outputs, targets) -> 0-dim tensor``
            averaged over samples; each is recorded as ``train_<name>`` and ``val_<name>``.
        scheduler: a learning-rate scheduler, stepped once per epoch (or per batch, see below).
        clip_grad: clip the global gradient norm to this value before each step.
        callback: called as ``callback(epoch, history)`` after each epoch; return ``True`` to stop.
        progress: draw a tqdm bar; ``None`` decides by :func:`dlbook.runtime.progress_enabled`.
        history: continue recording into an existing history.
        scheduler_interval: ``"epoch"`` (default) steps ``scheduler`` after each epoch; ``"batch"``
            after each optimizer step (warm-up schedules count steps, not epochs).

    Returns:
        The :class:`History` with ``train_loss``, ``val_loss`` (if validating) and the metrics.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(epochs, int) or isinstance(epochs, bool) or epochs < 0:
        raise ValueError(f"epochs must be a non-negative int, got {epochs!r}")
    if not hasattr(optimizer, "step") or not hasattr(optimizer, "zero_grad"):
        raise TypeError(f"optimizer must be a torch optimizer, got {type(optimizer).__name__}")
    if scheduler_interval not in ("epoch", "batch"):
        raise ValueError(f"scheduler_interval must be 'epoch' or 'batch', got {scheduler_interval!r}")
    metrics = dict(metrics or {})
    device = torch.device(device) if device is not None else _model_device(model)
    per_batch = scheduler if scheduler_interval == "batch" else None
    history = history if history is not None else History()
    bar = None
    if progress_enabled(progress):
        from tqdm.auto import tqdm

        try:
            per_epoch = len(train_loader)  # type: ignore[arg-type]
        except TypeError:
            per_epoch = None
        bar = tqdm(total=None if per_epoch is None else per_epoch * epochs, desc="training", unit="batch")
    try:
        for epoch in range(epochs):
            start = time.perf_counter()
            model.train()
            row = {f"train_{k}": v for k, v in _run_epoch(
                model, loss_fn, train_loader, metrics, device, optimizer, clip_grad, "train_loader", bar, per_batch
            ).items()}
            if val_loader is not None:
                row.update({f"val_{k}": v for k, v in evaluate(model, loss_fn, val_loader, metrics, device).items()})
            if scheduler is not None and per_batch is None:
                scheduler.step()  # type: ignore[attr-defined]
            history.append(row)
            history.epoch_seconds.append(time.perf_counter() - start)
            if bar is not None:
                bar.set_postfix({k: f"{v:.3g}" for k, v in row.items()})
            if callback is not None and callback(epoch, history):
                break
    finally:
        if bar is not None:
            bar.close()
    return history
