"""dlbook: the helper package of the dlbook deep-learning course.

The notebooks import what they *use* from here (data, training loop, plots, models taught
in earlier chapters); what a chapter *teaches* is written out in the chapter itself.

The public API is stable: names are deprecated before they are removed.
"""

from __future__ import annotations

from . import data, plot, train
from .runtime import device, progress_enabled, set_seed
from .train import History, accuracy, evaluate, fit, predict

__version__ = "0.1.0"

__all__ = [
    "History",
    "accuracy",
    "data",
    "device",
    "evaluate",
    "fit",
    "plot",
    "predict",
    "progress_enabled",
    "set_seed",
    "train",
    "__version__",
]
